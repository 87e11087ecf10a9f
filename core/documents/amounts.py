"""Amounts in Chinese financial capitals (大写), as courts and banks write them.

Written here rather than taken from ``cn2an``: that package converts numbers in general
(and pulls in ``proces``/``setuptools``); the 人民币大写 form has its own conventions
(零 between groups, 整 after 元 or 角, none after 分), which the tests pin
(``tests/core/test_document_amounts.py``).
"""

from __future__ import annotations

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿")
_MAX_YUAN = 10**12 - 1  # 9999 亿…: far above any court amount


def _integer_upper(n: int) -> str:
    s = str(n)
    out: list[str] = []
    zero = False
    length = len(s)
    for i, ch in enumerate(s):
        d = int(ch)
        pos = length - 1 - i
        small, section = pos % 4, pos // 4
        if d == 0:
            zero = True
        else:
            if zero and out:
                out.append("零")
            zero = False
            out.append(_DIGITS[d] + _SMALL[small])
        if small == 0 and section > 0 and int(s[max(0, i - 3) : i + 1]) != 0:
            out.append(_BIG[section])
            zero = False  # a section's trailing zeros are read in its unit: 贰拾万壹仟
    return "".join(out)


def rmb_upper(fen: int) -> str:
    """12345678 fen → "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"; 100 → "壹元整"; 0 → "零元整"."""
    fen = int(fen)
    if fen < 0:
        return "负" + rmb_upper(-fen)
    yuan_part, cents = divmod(fen, 100)
    if yuan_part > _MAX_YUAN:
        raise ValueError("amount too large for 大写")
    jiao, fen_digit = divmod(cents, 10)
    if yuan_part == 0 and cents == 0:
        return "零元整"
    text = _integer_upper(yuan_part) + "元" if yuan_part else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen_digit and yuan_part:
        text += "零"
    if fen_digit:
        text += _DIGITS[fen_digit] + "分"
    else:
        text += "整"
    return text
