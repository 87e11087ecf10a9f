"""Legal service of documents (送达, REC-10): records and whether a person counts as served.

A record counts as served at the earliest of: proof of receipt (``received_at``), a written
waiver, or deemed service (published, then ``deemed_days`` later: 5 days for an unreachable
party's notice published on the auction platform, NJA 16; 15 days for publication on
中国执行信息公开网, RPR 21).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.models import ServiceRecord

Method = ServiceRecord.Method
DEEMED_DAYS = {Method.PLATFORM_PUBLICATION: 5, Method.ENFORCEMENT_INFO_PUBLICATION: 15}


def _stream(subject: str) -> str:
    head = subject.split("/")[0]
    return head if head.startswith("case:") else "system:service"


@transaction.atomic
def service_record(
    *,
    court: Any,
    subject: str,
    document: str,
    document_kind: str,
    recipient_ref: str,
    recipient_name: str,
    method: str,
    recipient_user: Any = None,
    sent_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    proof: str = "",
    unreachable_reason: str = "",
    actor: Any = None,
) -> ServiceRecord:
    """Record a service. Publication needs the unreachable reason; deemed date is computed."""
    sent_at = sent_at or clock.now()
    published_at = None
    deemed_days = None
    deemed_at = None
    if method in DEEMED_DAYS:
        if not unreachable_reason.strip():
            raise DomainError("unreachable_reason_required", "公示送达须说明无法直接送达的原因", rule="AUC-10")
        published_at = sent_at
        deemed_days = DEEMED_DAYS[method]  # type: ignore[index]
        deemed_at = sent_at + dt.timedelta(days=deemed_days)
    if method == Method.WAIVER:
        received_at = received_at or sent_at
        if not proof:
            raise DomainError("waiver_document_required", "书面放弃须附书面文件", rule="AUC-10")
    if received_at is not None and received_at < sent_at:
        raise DomainError("received_before_sent", "签收时间不能早于发出时间")
    rec = ServiceRecord.objects.create(
        court_id=getattr(court, "pk", court), subject=subject, document=document,
        document_kind=document_kind, recipient_ref=recipient_ref, recipient_name=recipient_name,
        recipient_user=recipient_user, method=method, sent_at=sent_at, received_at=received_at,
        proof=proof, published_at=published_at, unreachable_reason=unreachable_reason,
        deemed_days=deemed_days, deemed_at=deemed_at, recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        stream=_stream(subject), action="service.recorded", actor=actor, subject=f"service:{rec.pk}",
        after={"document": document, "recipient": recipient_ref, "method": method,
               "sent_at": sent_at.isoformat(), "deemed_at": deemed_at.isoformat() if deemed_at else None},
        rules=["REC-10"],
    )
    return rec


@transaction.atomic
def service_receipt(*, record: ServiceRecord, received_at: dt.datetime, proof: str, actor: Any = None) -> ServiceRecord:
    rec = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if rec.received_at:
        raise DomainError("already_received", "该送达已有签收记录")
    if received_at < rec.sent_at:
        raise DomainError("received_before_sent", "签收时间不能早于发出时间")
    rec.received_at = received_at
    rec.proof = proof
    rec.save(update_fields=["received_at", "proof"])
    audit_record(stream=_stream(rec.subject), action="service.received", actor=actor,
                 subject=f"service:{rec.pk}", after={"received_at": received_at.isoformat(), "proof": proof},
                 rules=["REC-10"])
    return rec


def served_at(record: ServiceRecord) -> dt.datetime | None:
    """When the recipient counts as served, or None if not (yet)."""
    candidates = [t for t in (record.received_at, record.deemed_at) if t is not None]
    return min(candidates) if candidates else None


def is_served(record: ServiceRecord, *, at: dt.datetime | None = None) -> bool:
    when = served_at(record)
    return when is not None and when <= (at or clock.now())


def recipient_served_at(*, subject: str, recipient_ref: str, document_kind: str | None = None) -> dt.datetime | None:
    """The earliest moment ``recipient_ref`` counts as served on ``subject`` (any matching record)."""
    qs = ServiceRecord.objects.filter(subject=subject, recipient_ref=recipient_ref)
    if document_kind:
        qs = qs.filter(document_kind=document_kind)
    times = [t for t in (served_at(r) for r in qs) if t is not None]
    return min(times) if times else None
