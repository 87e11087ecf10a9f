"""Money is integer fen (分) everywhere; yuan strings only at the edges (REC-04)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.errors import DomainError


def yuan(fen: int | None, *, sign: bool = False) -> str:
    """12345678 → "123,456.78"."""
    if fen is None:
        return ""
    negative = fen < 0
    whole, cents = divmod(abs(int(fen)), 100)
    text = f"{whole:,}.{cents:02d}"
    if negative:
        return "-" + text
    return ("+" + text) if sign else text


def parse_yuan(text: str | int | float | Decimal) -> int:
    """ "1,234.5" → 123450 fen. Refuses more than 2 decimal places and non-numbers."""
    try:
        value = Decimal(str(text).replace(",", "").replace("¥", "").replace("元", "").strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid_amount", _("金额格式不正确")) from exc
    if not value.is_finite():
        raise DomainError("invalid_amount", _("金额格式不正确"))
    fen = value * 100
    if fen != fen.to_integral_value():
        raise DomainError("invalid_amount", _("金额最多保留两位小数"))
    return int(fen)


def ratio_of(fen: int, ratio: Decimal | str, *, rounding: str = ROUND_HALF_UP) -> int:
    """``fen × ratio`` rounded to a whole fen."""
    return int((Decimal(fen) * Decimal(str(ratio))).quantize(Decimal(1), rounding=rounding))
