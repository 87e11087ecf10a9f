"""The case's audit history as people read it: Chinese action names and a one-line summary."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import action_label
from core.calendar import CST
from core.models import AuditEntry
from core.money import yuan

ACTION_LABELS = {
    "case.created": _("立案登记"),
    "case.status_changed": _("变更案件状态"),
    "case.claim_changed": _("变更申请执行标的"),
    "party.added": _("添加当事人"),
    "asset.registered": _("登记标的物"),
    "asset.updated": _("更正标的物信息"),
    "asset.file_added": _("上传附件"),
    "disclosure.recorded": _("登记披露事项"),
    "seizure.recorded": _("登记查封措施"),
    "lot.created": _("组成拍品"),
    "deadline.opened": _("期限开始计算"),
    "deadline.met": _("期限已完成"),
    "deadline.cancelled": _("期限已取消"),
    "deadline.overdue": _("期限已超期"),
    "deadline.escalated": _("超期已升级"),
    "deadline.extended": _("期限已延长"),
    "deadline.recomputed": _("期限按节假日调整重算"),
    "service.recorded": _("送达"),
    "service.received": _("签收"),
}


#: The project's own apps: only their models name the keys and codes of audit entries.
PROJECT_APPS = frozenset(
    {"core", "cases", "bidding", "settlement", "appraisers", "pricing", "marketplace"}
)


@functools.cache
def _model_names() -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    """What every model calls its fields and their coded values (lazy, so read in the
    reader's language): an entry written by any app reads with the names its model gives,
    without this layer importing the apps above it (introspection, not imports).

    The third map is per model (``viewingslot``: its fields' names), for an entry whose
    subject names that model: a ``place`` is a viewing's meeting point there and a payment
    arrival's place of collection elsewhere."""
    from django.apps import apps

    keys: dict[str, Any] = {}
    values: dict[str, Any] = {}
    by_model: dict[str, dict[str, Any]] = {}
    for model in apps.get_models():
        if model._meta.app_config.name.partition(".")[0] not in PROJECT_APPS:
            continue  # a library's model (axes: "Expires At") names nothing in our entries
        own = by_model.setdefault(model._meta.model_name or "", {})
        for f in model._meta.concrete_fields:
            if str(f.verbose_name) != f.name.replace("_", " "):  # a name given, not derived
                keys.setdefault(f.name, f.verbose_name)
                own[f.name] = f.verbose_name
            for v, label in f.flatchoices:
                if isinstance(v, str) and v:
                    values.setdefault(v, label)
    return keys, values, by_model


def subject_model(subject: str) -> str:
    """The model an entry's subject names last (``case:2/lot:3/viewing_slot:5``:
    ``viewingslot``), as Django names models; "" when there is none."""
    last = subject.rsplit("/", 1)[-1].partition(":")[0]
    return last.replace("_", "").lower()


def _value_labels() -> dict[str, str]:
    from cases.models import Asset, Party, Seizure
    from core.models import ServiceRecord

    out: dict[str, str] = {k: str(v) for k, v in _model_names()[1].items()}
    for choices in (Seizure.Kind, Asset.Kind, Party.Kind, Party.Role, ServiceRecord.Method):
        out.update({str(v): str(label) for v, label in choices.choices})
    out.update({"sold": str(_("成交")), "unsold": str(_("流拍"))})  # a sale's outcome
    return out


_SUMMARY_KEYS = (
    "number",
    "amount_fen",
    "starting_price_fen",
    "value_fen",
    "price_fen",
    "name",
    "title",
    "topic_label",
    "text",
    "kind",
    "seized_on",
    "document",
    "rule",
    "due_at",
    "status",
    "recipient",
    "method",
    "reason",
    "error",
)


_REF = re.compile(r"^[a-z_]+:[\w.-]+(/[a-z_]+(:[\w.-]+)?)*$")

#: What the keys of an audit entry's before/after are called, for entries the summary keys
#: above do not cover (a correction's changed fields, a location, the features).
KEY_LABELS = {
    "division_code": _("所在地"),
    "address": _("坐落"),
    "features": _("特征"),
    "location": _("位置"),
    "latitude": _("纬度"),
    "longitude": _("经度"),
    "precision": _("位置精度"),
    "description": _("描述"),
    "purchase_restricted": _("限购"),
    "claim_fen": _("申请执行标的"),
    "subject": _("事项"),
    "platform": _("询价平台"),
    "inquiry": _("询价"),
    "plan": _("分配方案"),
    "auction": _("拍卖"),
    "outcome": _("结果"),
    "sale_price_fen": _("成交价"),
    "inquiry_fee": _("询价费"),
    "appraisal_fee_settled": _("评估费已结算"),
    "expires_at": _("到期时间"),  # a frozen deposit's authorisation, a link, a code
    # Names several models give differently (a viewing's meeting point, a payment's place of
    # collection): where the entry's own model does not name the key, the neutral word.
    "place": _("地点"),
}

#: Keys an entry keeps for the machine (idempotency), never shown (issue 13: no internal refs).
INTERNAL_KEYS = frozenset({"key", "idempotency_key"})


#: A field's unit in fen at the end of its name ("已缴余款（分）", "Balance paid (fen)"): the
#: history shows every ``*_fen`` amount as ¥ yuan, so that unit is dropped from the name.
_FEN_UNIT = re.compile(r"\s*[（(](?:分|fen|in fen)[)）]$")


def _key_label(key: str, model: str = "") -> str:
    label = _named_key(key, model)
    return _FEN_UNIT.sub("", label) if key.endswith("_fen") else label


def _named_key(key: str, model: str = "") -> str:
    """The key's name for people, or "" for a key only the machine reads (a flag, a count,
    an alias): those are not shown (issue 13: no internal names on a page). ``model``: the
    entry's subject's model (``subject_model``), whose own name for the field comes first."""
    from cases.features import FEATURES

    own = _model_names()[2].get(model, {}).get(key) if model else None
    if own is not None:
        return str(own)
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    for fields in FEATURES.values():
        for f in fields:
            if f.key == key:
                return str(f.label)
    named = _model_names()[0].get(key)
    return str(named) if named is not None else ""


def _field(key: str, value: object, labels: dict[str, str], model: str = "") -> str:
    if key == "division_code" and isinstance(value, str):
        from core.regions import full_name

        return full_name(value)
    if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return f"¥{yuan(value)}"
    if isinstance(value, list):
        return gettext("，").join(_display(v, labels, model) for v in value if v not in (None, ""))
    return _display(value, labels, model)


def _display(value: object, labels: dict[str, str], model: str = "") -> str:
    """Codes as labels; ISO datetimes (how the audit stores them, UTC) as Beijing time;
    references (``case:2/auction:3``) as the names people know (core.refs)."""
    text = str(value)
    if text in labels:
        return labels[text]
    if isinstance(value, dict):
        return gettext("，").join(
            f"{_key_label(k, model)} {_display(v, labels, model)}"
            for k, v in value.items()
            if v not in (None, "") and _key_label(k, model)
        )
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, str) and _REF.match(value):
        from core.refs import describe

        return describe(value).text
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return text
        if when.tzinfo is not None:
            return when.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return str(_(text))  # a label the audit stored in Chinese, in the reader's language
    return text


def _summary(after: object, labels: dict[str, str] | None = None, model: str = "") -> str:
    """A one-line reading of ``before``/``after``: codes as their Chinese labels, refs as names;
    ``model``: the entry's subject's model, whose names for its fields come first."""
    if not isinstance(after, dict):
        return "" if after is None else str(after)[:200]
    labels = labels or {}
    parts = [
        f"¥{yuan(after[k])}"
        if k.endswith("_fen") and isinstance(after[k], int)
        else _display(after[k], labels, model)
        for k in _SUMMARY_KEYS
        if after.get(k) not in (None, "")
    ]
    if not parts:  # no summary key: each field by its name
        parts = [
            f"{_key_label(k, model)}{gettext('：')}{_field(k, v, labels, model)}"
            for k, v in after.items()
            if v not in (None, "", [], {}) and k not in INTERNAL_KEYS and _key_label(k, model)
        ]
    text = gettext("；").join(parts)
    return text[:240]


def history_rows(
    entries: Iterable[AuditEntry], *, names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """``names`` maps references (``party:3``) to what people call them."""
    labels = {**_value_labels(), **(names or {})}
    return [
        {
            "entry": e,
            "label": ACTION_LABELS.get(e.action) or action_label(e.action) or e.action,
            "summary": _summary(e.after, labels, subject_model(e.subject)),
            "before": _summary(e.before, labels, subject_model(e.subject)) if e.before else "",
        }
        for e in entries
    ]
