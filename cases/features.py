"""The features valuation needs, per asset kind, and their checks (what ``asset_register`` keeps).

Each kind has known fields with a type, a range and a Chinese label; known fields are
converted (form strings → numbers) and checked, missing required ones refused. Extra keys
are kept as given when they are plain scalars, so later apps can add their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

#: A checked feature value, as stored in ``Asset.features`` (JSON).
FeatureValue: TypeAlias = str | int | float | bool


@dataclass(frozen=True)
class FeatureField:
    key: str
    label: str | StrPromise
    type: str  # "decimal" (2 places) | "int" | "year" | "str" | "bool" | "uscc" | "vin"
    required: bool = False
    min: Decimal | int | None = None
    max: Decimal | int | None = None
    min_exclusive: bool = False
    allow_zero: bool = True
    help: str | StrPromise = ""


def _year_max() -> int:
    return clock.today().year


RESIDENTIAL = "residential"
COMMERCIAL = "commercial"
LAND = "land"
VEHICLE = "vehicle"
EQUITY = "equity"
MOVABLE = "movable"

_area = FeatureField(
    "area_m2",
    gettext_lazy("建筑面积（平方米）"),
    "decimal",
    True,
    Decimal(0),
    Decimal(1_000_000),
    min_exclusive=True,
)
_cert = FeatureField("certificate_no", gettext_lazy("不动产权证号"), "str")

FEATURES: dict[str, list[FeatureField]] = {
    RESIDENTIAL: [
        _area,
        FeatureField("rooms", gettext_lazy("房间数（室）"), "int", True, 1, 50),
        FeatureField(
            "floor",
            gettext_lazy("所在楼层"),
            "int",
            True,
            -10,
            200,
            allow_zero=False,
            help=gettext_lazy("地下层填负数"),
        ),
        FeatureField("total_floors", gettext_lazy("总楼层"), "int", False, 1, 200),
        FeatureField("year_built", gettext_lazy("建成年份"), "year", True, 1900, None),
        FeatureField("usage", gettext_lazy("规划用途"), "str"),
        _cert,
    ],
    COMMERCIAL: [
        _area,
        FeatureField("rooms", gettext_lazy("间数"), "int", False, 0, 500),
        FeatureField("floor", gettext_lazy("所在楼层"), "int", False, -10, 200, allow_zero=False),
        FeatureField("total_floors", gettext_lazy("总楼层"), "int", False, 1, 200),
        FeatureField("year_built", gettext_lazy("建成年份"), "year", False, 1900, None),
        FeatureField("usage", gettext_lazy("规划用途"), "str"),
        _cert,
    ],
    LAND: [
        FeatureField(
            "area_m2",
            gettext_lazy("土地面积（平方米）"),
            "decimal",
            True,
            Decimal(0),
            Decimal(100_000_000),
            min_exclusive=True,
        ),
        FeatureField("land_use", gettext_lazy("土地用途"), "str"),
        FeatureField("term_end_year", gettext_lazy("使用权终止年份"), "year", False, 1950, 2200),
        _cert,
    ],
    VEHICLE: [
        FeatureField("make", gettext_lazy("品牌"), "str", True),
        FeatureField("model", gettext_lazy("型号"), "str", True),
        FeatureField("year", gettext_lazy("出厂年份"), "year", True, 1950, None),
        FeatureField("mileage_km", gettext_lazy("行驶里程（公里）"), "int", True, 0, 5_000_000),
        FeatureField("plate", gettext_lazy("号牌号码"), "str"),
        FeatureField("vin", gettext_lazy("车辆识别代号（VIN）"), "vin"),
    ],
    EQUITY: [
        FeatureField("company", gettext_lazy("公司名称"), "str", True),
        FeatureField(
            "share_pct",
            gettext_lazy("持股比例（%）"),
            "decimal",
            True,
            Decimal(0),
            Decimal(100),
            min_exclusive=True,
        ),
        FeatureField("company_uscc", gettext_lazy("公司统一社会信用代码"), "uscc"),
        FeatureField(
            "registered_capital_fen", gettext_lazy("对应注册资本（分）"), "int", False, 0, None
        ),
    ],
    MOVABLE: [
        FeatureField("quantity", gettext_lazy("数量"), "int", False, 1, 10_000_000),
        FeatureField("unit", gettext_lazy("计量单位"), "str"),
        FeatureField("brand", gettext_lazy("品牌"), "str"),
    ],
}

_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def _err(field: FeatureField, why: str) -> DomainError:
    return DomainError(
        "invalid_feature",
        _("%(label)s：%(why)s") % {"label": field.label, "why": why},
        field=field.key,
    )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_one(field: FeatureField, value: object) -> FeatureValue:
    if field.type == "str":
        if not isinstance(value, str | int):
            raise _err(field, _("应为文字"))
        text = str(value).strip()
        if len(text) > 200:
            raise _err(field, _("过长（最多200字）"))
        return text
    if field.type == "bool":
        if isinstance(value, bool):
            return value
        raise _err(field, _("应为是或否"))
    if field.type == "uscc":
        from cases.identity import check_uscc

        try:
            return check_uscc(str(value))
        except DomainError as exc:
            raise _err(field, str(exc.message)) from exc
    if field.type == "vin":
        vin = str(value).strip().upper()
        if not _VIN.fullmatch(vin):
            raise _err(field, _("应为17位字母和数字（不含 I、O、Q）"))
        return vin
    if isinstance(value, bool):
        raise _err(field, _("应为数字"))
    if field.type == "decimal":
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError) as exc:
            raise _err(field, _("应为数字")) from exc
        if not number.is_finite():
            raise _err(field, _("应为数字"))
        if number != number.quantize(Decimal("0.01")):
            raise _err(field, _("最多保留两位小数"))
    else:
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not re.fullmatch(r"-?\d+", text):
            raise _err(field, _("应为整数"))
        number = Decimal(int(text))
    low = field.min
    high = _year_max() if field.type == "year" and field.max is None else field.max
    if low is not None and (number <= low if field.min_exclusive else number < low):
        why = _("应大于 %(n)s") if field.min_exclusive else _("不应小于 %(n)s")
        raise _err(field, why % {"n": low})
    if high is not None and number > high:
        raise _err(field, _("不应大于 %(n)s") % {"n": high})
    if not field.allow_zero and number == 0:
        raise _err(field, _("不能为 0（地下层填负数，如 -1）"))
    if field.type == "decimal":
        return float(number)
    return int(number)


def clean_features(kind: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Check and convert the features of an asset of ``kind``; raise ``invalid_feature``."""
    if kind not in FEATURES:
        raise DomainError("invalid_asset_kind", _("不支持的标的物类型“%(kind)s”") % {"kind": kind})
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DomainError("invalid_feature", _("特征应为键值对"))
    out: dict[str, Any] = {}
    known = {f.key: f for f in FEATURES[kind]}
    errors: list[DomainError] = []  # every field's problem at once, not one per submission
    for field in FEATURES[kind]:
        value = raw.get(field.key)
        try:
            if _blank(value):
                if field.required:
                    raise DomainError(
                        "feature_required",
                        _("请填写%(label)s") % {"label": field.label},
                        field=field.key,
                    )
                continue
            out[field.key] = _clean_one(field, value)
        except DomainError as exc:
            errors.append(exc)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            first.data["errors"] = [
                {"field": e.data.get("field"), "code": e.code, "message": str(e.message)}
                for e in errors
            ]
        raise first
    for key, value in raw.items():
        if key in known or _blank(value):
            continue
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", str(key)):
            raise DomainError(
                "invalid_feature",
                _("特征名“%(key)s”不合规（小写字母、数字、下划线）") % {"key": key},
            )
        if not isinstance(value, str | int | float | bool):
            raise DomainError("invalid_feature", _("特征“%(key)s”应为文字或数字") % {"key": key})
        out[key] = value.strip()[:200] if isinstance(value, str) else value
    if "floor" in out and "total_floors" in out and out["floor"] > out["total_floors"]:
        raise DomainError("invalid_feature", _("所在楼层不应高于总楼层"), field="floor")
    return out


def feature_rows(kind: str, features: dict[str, Any]) -> list[tuple[str | StrPromise, Any]]:
    """(label, value) pairs for display, known fields first in their order."""
    rows: list[tuple[str | StrPromise, Any]] = []
    known = FEATURES.get(kind, [])
    for field in known:
        if field.key in features:
            value = features[field.key]
            if field.key == "registered_capital_fen":
                from core.money import yuan

                rows.append((_("对应注册资本（元）"), yuan(value)))
                continue
            rows.append((field.label, value))
    keys = {f.key for f in known}
    rows.extend((k, v) for k, v in features.items() if k not in keys)
    return rows
