"""Appraisers' court documents (issue 16): the commission letter and the lot-draw record.

Subjects: ``case:<id>/appraisal:<id>/commission:<id>`` (评估委托书, APR-04: read by the
firm's users and the parties) and ``case:<id>/appraisal:<id>/draw:<id>`` (摇号记录, APR-03:
public, with the frozen list and its hash, the commitments and reveals, the public value,
the seed, the algorithm version and the ranking, so anyone can recompute the draw).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from appraisers.models import Commission, LotDraw
from core import calendar
from core.documents import DocumentType, Draft, register
from core.errors import DomainError
from core.models import User


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M:%S") if value else ""


def _last_id(subject: str, key: str) -> int:
    for part in reversed(subject.split("/")):
        name, _, pk = part.partition(":")
        if name == key and pk.isdigit():
            return int(pk)
    raise DomainError("document_subject", gettext("文书对象不正确"))


def _party_users(case: Any) -> list[User]:
    return [p.user for p in case.parties.select_related("user") if p.user is not None]


def build_commission_letter(subject: str, params: dict[str, Any]) -> Draft:
    """评估委托书 (APR-04): the item, its features, purpose and the report deadline."""
    c = (
        Commission.objects.select_related("request__case", "request__asset", "firm", "court")
        .filter(pk=_last_id(subject, "commission"))
        .first()
    )
    if c is None:
        raise DomainError("document_subject", gettext("委托不存在"))
    firm_users = [fu.user for fu in c.firm.users.filter(is_active=True).select_related("user")]
    return Draft(
        court=c.court,
        stream=f"case:{c.request.case_id}",
        subject_label=f"{c.request.asset.name} · {c.firm.name}",
        readers=[*firm_users, *_party_users(c.request.case)],
        context={
            "c": c,
            "req": c.request,
            "case": c.request.case,
            "asset": c.request.asset,
            "firm": c.firm,
            "materials": c.materials.splitlines(),
            "offered_at": _local(c.offered_at),
            "report_due": _local(c.report_due_at),
        },
    )


def build_draw_record(subject: str, params: dict[str, Any]) -> Draft:
    """摇号记录 (APR-03, REC-07): everything needed to recompute and check the draw."""
    draw = (
        LotDraw.objects.select_related("request__case", "request__asset", "court", "operator")
        .filter(pk=_last_id(subject, "draw"))
        .first()
    )
    if draw is None or draw.drawn_at is None:
        raise DomainError("document_draw_not_done", gettext("摇号尚未完成"), rule="APR-03")
    names = {e["id"]: e.get("name", "") for e in draw.frozen_list or []}
    return Draft(
        court=draw.court,
        stream=f"case:{draw.request.case_id}",
        subject_label=f"{draw.request.asset.name} 第{draw.round}轮摇号",
        public=True,
        readers=_party_users(draw.request.case),
        context={
            "draw": draw,
            "case": draw.request.case,
            "asset": draw.request.asset,
            "candidates": draw.frozen_list or [],
            "exclusions": list(draw.exclusions.all()),
            "commitments": list(draw.commitments.order_by("committed_at", "pk")),
            "ranking": [
                {"rank": i, "name": names.get(fid, str(fid))}
                for i, fid in enumerate(draw.result or [], start=1)
            ],
            "scheduled_at": _local(draw.scheduled_at),
            "frozen_at": _local(draw.frozen_at),
            "drawn_at": _local(draw.drawn_at),
            "operator": (draw.operator.display_name or draw.operator.username)
            if draw.operator is not None
            else "",
        },
    )


COMMISSION_LETTER = DocumentType(
    code="appraisers.commission_letter",
    title="评估委托书",
    prefix="执评委",
    template="appraisers/documents/commission_letter.html",
    build=build_commission_letter,
    rules=("APR-04",),
)
DRAW_RECORD = DocumentType(
    code="appraisers.draw_record",
    title="随机选定评估机构记录",
    prefix="执评摇",
    template="appraisers/documents/draw_record.html",
    build=build_draw_record,
    rules=("APR-03", "REC-07"),
)


def connect() -> None:
    register(COMMISSION_LETTER)
    register(DRAW_RECORD)
