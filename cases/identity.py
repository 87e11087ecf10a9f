"""Real-name identity numbers (实名): format and check-character rules, no database.

- Resident identity card (居民身份证), GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check
  character (``0``–``9`` or ``X``; a lowercase ``x`` is accepted and normalised). The first
  two digits name a province-level region (81/82/83 are the residence permits of Hong Kong,
  Macao and Taiwan residents), digits 7–14 are a real birth date. Check character and birth
  date: python-stdnum's ``stdnum.cn.ric``.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters of the alphabet
  ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z), a registration-authority digit, an
  organisation-kind character, a 6-digit division code, and a MOD 31 check character
  (``stdnum.cn.uscc``). stdnum's own ``validate`` is not used: it refuses the authority codes
  A, N and Y and does not say which part is wrong; the checks here name it, in Chinese.
- Passports and the Hong Kong/Macao and Taiwan permits: format checks only (no public check
  algorithm).

``check_identity(kind, number)`` returns the normalised number or raises ``IdentityNumberError``
(code ``invalid_identity_number``) with the reason in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from core.errors import DomainError

RESIDENT_ID = "resident_id"
USCC = "uscc"
PASSPORT = "passport"
HK_MACAO_PERMIT = "hkm_permit"
TAIWAN_PERMIT = "tw_permit"

# First two digits of the administrative division code (GB/T 2260), plus 81/82/83 used by the
# residence permits of Hong Kong, Macao and Taiwan residents.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
    "83": "台湾",
}

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Registration authority (登记管理部门) digit → the organisation kinds it may register.
_USCC_AUTHORITIES: dict[str, str] = {
    "1": "123459",
    "2": "19",
    "3": "1234589",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "12345679",
    "Y": "1",
}


class IdentityNumberError(DomainError):
    def __init__(self, message: Any) -> None:
        super().__init__("invalid_identity_number", message)


def _clean(number: str) -> str:
    return re.sub(r"[\s\-]", "", (number or "")).upper()


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    # stdnum reads the first 17 characters of a full number; the 18th is a placeholder here.
    return ric.calc_check_digit(first17 + "X")


def check_resident_id(number: str, *, today: dt.date | None = None) -> str:
    n = _clean(number)
    if not n:
        raise IdentityNumberError(_("请填写身份证号码"))
    if len(n) != 18:
        raise IdentityNumberError(_("居民身份证号码应为18位，实为%(n)s位") % {"n": len(n)})
    if not n[:17].isdigit():
        raise IdentityNumberError(_("居民身份证号码前17位应为数字"))
    if not (n[17].isdigit() or n[17] == "X"):
        raise IdentityNumberError(_("居民身份证号码最后一位应为数字或X"))
    if n[:2] not in PROVINCE_CODES:
        raise IdentityNumberError(
            _("居民身份证号码开头“%(value)s”不是有效的省级行政区划代码") % {"value": n[:2]}
        )
    try:
        born = ric.get_birth_date(n)
    except ValidationError as exc:
        raise IdentityNumberError(
            _("居民身份证号码中的出生日期“%(value)s”不是有效日期") % {"value": n[6:14]}
        ) from exc
    if today is None:
        from core import clock

        today = clock.today()
    if born > today or born.year < 1900:
        raise IdentityNumberError(
            _("居民身份证号码中的出生日期“%(value)s”不合理") % {"value": n[6:14]}
        )
    if n[17] != ric.calc_check_digit(n):
        raise IdentityNumberError(_("居民身份证号码校验位不正确，请核对是否有数字录入错误"))
    return n


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (MOD 31) of the first 17 characters."""
    return uscc.calc_check_digit(first17)


def check_uscc(number: str) -> str:
    n = _clean(number)
    if not n:
        raise IdentityNumberError(_("请填写统一社会信用代码"))
    if len(n) != 18:
        raise IdentityNumberError(_("统一社会信用代码应为18位，实为%(n)s位") % {"n": len(n)})
    bad = sorted({c for c in n if c not in USCC_ALPHABET})
    if bad:
        raise IdentityNumberError(
            _("统一社会信用代码含有不允许的字符“%(join)s”（不使用 I、O、S、V、Z）")
            % {"join": "".join(bad)}
        )
    authority, kind = n[0], n[1]
    if authority not in _USCC_AUTHORITIES:
        raise IdentityNumberError(
            _("统一社会信用代码第1位“%(authority)s”不是有效的登记管理部门代码")
            % {"authority": authority}
        )
    if kind not in _USCC_AUTHORITIES[authority]:
        raise IdentityNumberError(
            _("统一社会信用代码第2位“%(kind)s”不是有效的机构类别代码") % {"kind": kind}
        )
    if not n[2:8].isdigit() or (n[2:4] not in PROVINCE_CODES and n[2:4] != "10"):
        raise IdentityNumberError(_("统一社会信用代码第3–8位应为有效的行政区划代码"))
    if n[17] != uscc.calc_check_digit(n):
        raise IdentityNumberError(_("统一社会信用代码校验位不正确，请核对是否有录入错误"))
    return n


def check_passport(number: str) -> str:
    """Chinese passports (E/G + 8 characters) and foreign passports (5–20 letters and digits)."""
    n = _clean(number)
    if not n:
        raise IdentityNumberError(_("请填写护照号码"))
    if not re.fullmatch(r"[A-Z0-9]+", n):
        raise IdentityNumberError(_("护照号码只能包含字母和数字"))
    if not 5 <= len(n) <= 20:
        raise IdentityNumberError(_("护照号码长度应为5–20位，实为%(n)s位") % {"n": len(n)})
    if not any(c.isdigit() for c in n):
        raise IdentityNumberError(_("护照号码应包含数字"))
    if n[0] in "EG" and len(n) == 9 and not re.fullmatch(r"[EG]([0-9]{8}|[A-Z][0-9]{7})", n):
        raise IdentityNumberError(
            _("中国护照号码格式应为 E/G 加 8 位数字，或 E 加 1 位字母和 7 位数字")
        )
    return n


def check_hk_macao_permit(number: str) -> str:
    """港澳居民来往内地通行证: H (Hong Kong) or M (Macao) + 8 digits (older cards + 2 more)."""
    n = _clean(number)
    if not n:
        raise IdentityNumberError(_("请填写通行证号码"))
    if n[0] not in "HM":
        raise IdentityNumberError(_("港澳居民来往内地通行证号码应以H（香港）或M（澳门）开头"))
    if not re.fullmatch(r"[HM][0-9]{8}([0-9]{2})?", n):
        raise IdentityNumberError(
            _("港澳居民来往内地通行证号码应为H或M加8位数字（旧版为10位数字）")
        )
    return n


def check_taiwan_permit(number: str) -> str:
    """台湾居民来往大陆通行证: 8 digits (card since 2015); older booklets 10 digits with a letter."""
    n = _clean(number)
    if not n:
        raise IdentityNumberError(_("请填写通行证号码"))
    if not re.fullmatch(r"[0-9]{8}|[0-9]{10}[A-Z]?", n):
        raise IdentityNumberError(
            _("台湾居民来往大陆通行证号码应为8位数字（旧版为10位数字，可带1位字母）")
        )
    return n


CHECKS: dict[str, Callable[[str], str]] = {
    RESIDENT_ID: check_resident_id,
    USCC: check_uscc,
    PASSPORT: check_passport,
    HK_MACAO_PERMIT: check_hk_macao_permit,
    TAIWAN_PERMIT: check_taiwan_permit,
}
PERSON_KINDS = frozenset({RESIDENT_ID, PASSPORT, HK_MACAO_PERMIT, TAIWAN_PERMIT})
ORGANISATION_KINDS = frozenset({USCC})


def check_identity(kind: str, number: str) -> str:
    """The normalised number, or ``IdentityNumberError`` with the reason."""
    try:
        check = CHECKS[kind]
    except KeyError as exc:
        raise DomainError(
            "invalid_identity_kind", _("不支持的证件类型“%(kind)s”") % {"kind": kind}
        ) from exc
    return check(number)


def check_name(kind: str, name: str) -> str:
    name = re.sub(r"\s+", " ", (name or "")).strip()
    if not name:
        raise DomainError("name_required", _("请填写姓名或名称"))
    if len(name) > 200:
        raise DomainError("name_too_long", _("姓名或名称过长（最多200字）"))
    if kind == RESIDENT_ID and not re.fullmatch(r"[\u3400-\u9fff·•A-Za-z ]{2,50}", name):
        raise DomainError("invalid_name", _("居民身份证姓名应为2–50个汉字（少数民族姓名可含“·”）"))
    return name
