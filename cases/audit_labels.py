"""The case's audit history as people read it: Chinese action names and a one-line summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry

ACTION_LABELS = {
    "case.created": _("立案登记"),
    "party.added": _("添加当事人"),
    "asset.registered": _("登记标的物"),
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

_SUMMARY_KEYS = (
    "number",
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
)


def _summary(after: Any) -> str:
    if not isinstance(after, dict):
        return "" if after is None else str(after)[:200]
    parts = [str(after[k]) for k in _SUMMARY_KEYS if after.get(k) not in (None, "")]
    text = "；".join(parts) if parts else json.dumps(after, ensure_ascii=False)
    return text[:240]


def history_rows(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    return [
        {
            "entry": e,
            "label": ACTION_LABELS.get(e.action, e.action),
            "summary": _summary(e.after),
            "before": _summary(e.before) if e.before else "",
        }
        for e in entries
    ]
