"""Enforcement case numbers (案号) as courts write them: ``（2026）赣0102执1234号``.

Parsed into year, court code (法院代字), case-type code (类型代字) and sequence, following the
SPC rules on case numbers (《最高人民法院关于人民法院案件案号的若干规定》, 2015, and the
case-type standard 《人民法院案件类型及其代字标准》). ASCII brackets ``(2026)`` are accepted
and normalised to full-width ``（2026）``; full-width digits become ASCII digits; leading zeros
of the sequence are dropped. Every refusal says why, in Chinese.

Court codes: the SPC is ``最高法``; every other court is a province-level abbreviation (the 31
provinces, autonomous regions and municipalities, and 兵 for the Xinjiang Production and
Construction Corps) followed by 0, 2 or 4 digits: ``赣`` (high court), ``赣01`` (intermediate
court), ``赣0102`` (basic court).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.errors import DomainError

# Province-level abbreviations used in court codes (法院代字), with the region they stand for.
# Note the court-code forms: 贵州 → 黔, 云南 → 云, 内蒙古 → 内.
PROVINCES: dict[str, str] = {
    "京": "北京市",
    "津": "天津市",
    "冀": "河北省",
    "晋": "山西省",
    "内": "内蒙古自治区",
    "辽": "辽宁省",
    "吉": "吉林省",
    "黑": "黑龙江省",
    "沪": "上海市",
    "苏": "江苏省",
    "浙": "浙江省",
    "皖": "安徽省",
    "闽": "福建省",
    "赣": "江西省",
    "鲁": "山东省",
    "豫": "河南省",
    "鄂": "湖北省",
    "湘": "湖南省",
    "粤": "广东省",
    "桂": "广西壮族自治区",
    "琼": "海南省",
    "渝": "重庆市",
    "川": "四川省",
    "黔": "贵州省",
    "云": "云南省",
    "藏": "西藏自治区",
    "陕": "陕西省",
    "甘": "甘肃省",
    "青": "青海省",
    "宁": "宁夏回族自治区",
    "新": "新疆维吾尔自治区",
    "兵": "新疆生产建设兵团",
}
SUPREME_COURT_CODE = "最高法"

# Enforcement case types (执行类案件代字) and what they mean. 执字 is the numbering used
# before 2016 (（2015）赣0102执字第123号); it is accepted for old cases only.
CASE_TYPES: dict[str, str] = {
    "执": gettext_noop("首次执行案件"),
    "执恢": gettext_noop("恢复执行案件"),
    "执保": gettext_noop("财产保全执行案件"),
    "执异": gettext_noop("执行异议案件"),
    "执复": gettext_noop("执行复议案件"),
    "执监": gettext_noop("执行监督案件"),
    "执请": gettext_noop("执行请示案件"),
    "执协": gettext_noop("执行协调案件"),
    "执他": gettext_noop("其他执行案件"),
    "执字": gettext_noop("执行案件（2016年以前的编号方式）"),
}
LEGACY_TYPE = "执字"
LEGACY_LAST_YEAR = 2015  # the new numbering applies from 2016-01-01
FIRST_YEAR = 1950

_OPEN = {"(": "（", "（": "（"}
_CLOSE = {")": "）", "）": "）"}
_WRONG_BRACKETS = "〔〕[]【】［］{}｛｝"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class CaseNumberError(DomainError):
    """A case number that cannot be read; ``message`` says why."""

    def __init__(self, message: Any) -> None:
        super().__init__("invalid_case_number", message)


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str
    case_type: str
    sequence: int

    @property
    def text(self) -> str:
        """The normalised number, e.g. ``（2026）赣0102执1234号``."""
        if self.case_type == LEGACY_TYPE:
            return f"（{self.year}）{self.court_code}{self.case_type}第{self.sequence}号"
        return f"（{self.year}）{self.court_code}{self.case_type}{self.sequence}号"

    @property
    def case_type_label(self) -> str:
        return str(_(CASE_TYPES[self.case_type]))

    @property
    def court_level(self) -> str:
        return court_level(self.court_code)

    def __str__(self) -> str:
        return self.text


def court_level(code: str) -> str:
    """最高人民法院 / 高级人民法院 / 中级人民法院（或专门法院）/ 基层人民法院."""
    if code == SUPREME_COURT_CODE:
        return str(_("最高人民法院"))
    digits = code[1:]
    if not digits:
        return str(_("高级人民法院"))
    if len(digits) == 2:
        return str(_("中级人民法院或专门人民法院"))
    return str(_("基层人民法院"))


def parse_court_code(code: str) -> str:
    """Check a court code (赣 / 赣01 / 赣0102 / 最高法); return it or raise with the reason."""
    code = (code or "").strip().translate(_FULLWIDTH_DIGITS)
    if code == SUPREME_COURT_CODE:
        return code
    if not code:
        raise CaseNumberError(_("缺少法院代字（如“赣0102”）"))
    head, digits = code[0], code[1:]
    if head not in PROVINCES:
        raise CaseNumberError(
            _("法院代字“%(code)s”开头的“%(head)s”不是省级行政区简称（如“赣”“京”“粤”）")
            % {"code": code, "head": head}
        )
    if digits and not digits.isdigit():
        raise CaseNumberError(_("法院代字“%(code)s”中省级简称后只能是数字") % {"code": code})
    if len(digits) not in (0, 2, 4):
        raise CaseNumberError(
            _(
                "法院代字“%(code)s”的数字部分应为 0、2 或 4 位（高院“赣”、中院“赣01”、基层法院“赣0102”），实为 %(n)s 位"
            )
            % {"code": code, "n": len(digits)}
        )
    return code


def is_court_code(code: str) -> bool:
    try:
        parse_court_code(code)
    except CaseNumberError:
        return False
    return True


def parse_case_number(raw: str, *, current_year: int | None = None) -> CaseNumber:
    """Read a case number; raise ``CaseNumberError`` (code ``invalid_case_number``) with the reason.

    ``current_year`` (default: this year on the engine's clock) bounds the year from above.
    """
    if raw is None or not str(raw).strip():
        raise CaseNumberError(_("请填写案号，例如“（2026）赣0102执1234号”"))
    text = re.sub(r"\s+", "", str(raw)).translate(_FULLWIDTH_DIGITS)
    if current_year is None:
        from core import clock

        current_year = clock.today().year

    # 1. The year in brackets.
    first = text[0]
    if first in _WRONG_BRACKETS:
        raise CaseNumberError(_("案号中的年份应使用圆括号“（）”，不能使用六角括号“〔〕”或方括号"))
    if first not in _OPEN:
        raise CaseNumberError(_("案号应以括号中的年份开头，例如“（2026）”"))
    close_at = next((i for i, ch in enumerate(text) if ch in _CLOSE or ch in _WRONG_BRACKETS), -1)
    if close_at < 0:
        raise CaseNumberError(_("案号中年份的括号没有闭合"))
    if text[close_at] in _WRONG_BRACKETS:
        raise CaseNumberError(_("案号中的年份应使用圆括号“（）”"))
    year_text = text[1:close_at]
    if not (len(year_text) == 4 and year_text.isdigit()):
        raise CaseNumberError(
            _("括号内应为四位数字年份，实为“%(year_text)s”") % {"year_text": year_text}
        )
    year = int(year_text)
    if year < FIRST_YEAR or year > current_year:
        raise CaseNumberError(
            _("年份 %(year)s 不合理（应在 %(FIRST_YEAR)s–%(current_year)s 年之间）")
            % {"year": year, "FIRST_YEAR": FIRST_YEAR, "current_year": current_year}
        )
    rest = text[close_at + 1 :]

    # 2. The court code: 最高法, or a province abbreviation and its digits.
    if rest.startswith(SUPREME_COURT_CODE):
        court_code = SUPREME_COURT_CODE
    else:
        m = re.match(r"^(\D)(\d*)", rest)
        if not m:
            raise CaseNumberError(_("年份之后应为法院代字（如“赣0102”）"))
        court_code = m.group(1) + m.group(2)
        parse_court_code(court_code)
    rest = rest[len(court_code) :]

    # 3. The case type: everything up to the sequence digits (an optional 第 before them).
    type_text = re.match(r"^([^\d号]*)", rest).group(1)  # type: ignore[union-attr]
    has_di = type_text.endswith("第")
    case_type = type_text[:-1] if has_di else type_text
    if case_type not in CASE_TYPES:
        raise CaseNumberError(
            _("“%(case_type)s”不是执行案件类型代字；可用：%(types)s")
            % {
                "case_type": case_type or _("（空）"),
                "types": "、".join(t for t in CASE_TYPES if t != LEGACY_TYPE),
            }
        )
    rest = rest[len(type_text) :]
    if case_type == LEGACY_TYPE:
        if year > LEGACY_LAST_YEAR:
            raise CaseNumberError(_("“执字第…号”是2016年以前的编号方式；2016年起应写作“执…号”"))
    elif has_di:
        raise CaseNumberError(_("2016年起的案号序号前不加“第”字，例如“（2026）赣0102执1234号”"))

    # 4. The sequence and the closing 号.
    m = re.match(r"^(\d+)", rest)
    if not m:
        raise CaseNumberError(_("案件类型代字之后应为案件序号（数字）"))
    sequence = int(m.group(1))
    if sequence < 1:
        raise CaseNumberError(_("案件序号应从 1 开始"))
    if len(str(sequence)) > 9:
        raise CaseNumberError(_("案件序号过长"))
    rest = rest[m.end() :]
    if not rest.startswith("号"):
        raise CaseNumberError(_("案号应以“号”字结尾"))
    if rest != "号":
        raise CaseNumberError(_("“号”字之后不应再有内容（多出“%(value)s”）") % {"value": rest[1:]})
    return CaseNumber(year=year, court_code=court_code, case_type=case_type, sequence=sequence)


def normalise_case_number(raw: str, *, current_year: int | None = None) -> str:
    """The canonical text of a case number (full-width brackets), or raise with the reason."""
    return parse_case_number(raw, current_year=current_year).text
