"""Legal service of documents (送达, REC-10): records and whether a person counts as served.

A record counts as served at the earliest of: proof of receipt (``received_at``), a written
waiver, or deemed service (published, then ``deemed_days`` later: 5 days for an unreachable
party's notice published on the auction platform, NJA 16 "公示满五日视为已经通知"; 15 days
for publication on 中国执行信息公开网, RPR 21 "公示满十五日即视为收到").

The deemed-service period is a period in days, so it is counted under REC-01: the day of
publication is not counted, the period runs to the end of date(published) + N, and a
period ending on a holiday ends on the next working day. Service counts from that moment.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core import calendar, clock
from core.audit import audit_record
from core.errors import DomainError
from core.models import ServiceRecord

if TYPE_CHECKING:
    from core.types import Actor

Method = ServiceRecord.Method
DEEMED_DAYS = {Method.PLATFORM_PUBLICATION: 5, Method.ENFORCEMENT_INFO_PUBLICATION: 15}


def deemed_service_at(published_at: dt.datetime, days: int, *, court: Any = None) -> dt.datetime:
    """REC-10 with REC-01: the end of the N-day publication period (holidays move it on)."""
    return calendar.within_days(published_at, days, court=court)


def published_notices(
    *, court: Any = None, at: dt.datetime | None = None
) -> QuerySet[ServiceRecord]:
    """REC-09: notices served by publication, with the reason the person could not be served
    directly, as the platform publishes them: only publication records (REC-10), only once
    their publication time has come, newest first."""
    at = at or clock.now()
    qs = ServiceRecord.objects.filter(
        method__in=list(DEEMED_DAYS), published_at__isnull=False, published_at__lte=at
    ).select_related("court")
    if court is not None:
        qs = qs.filter(court_id=getattr(court, "pk", court))
    return qs.order_by("-published_at", "-pk")


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
    actor: Actor = None,
    published_at: dt.datetime | None = None,
) -> ServiceRecord:
    """Record a service (REC-10). Publication needs the unreachable reason; the deemed date
    is computed (``deemed_service_at``); a waiver needs its written document as ``proof``."""
    if method not in Method.values:
        raise DomainError("service_method_invalid", _("送达方式无效"), rule="REC-10")
    now = clock.now()
    sent_at = sent_at or now
    _not_after_recording(
        now, ((_("发出时间"), sent_at), (_("签收时间"), received_at), (_("公示时间"), published_at))
    )
    deemed_days = None
    deemed_at = None
    if method in DEEMED_DAYS:
        if not unreachable_reason.strip():
            raise DomainError(
                "unreachable_reason_required",
                _("公示送达须说明无法直接送达的原因"),
                rule="AUC-10",
            )
        published_at = published_at or sent_at
        deemed_days = DEEMED_DAYS[Method(method)]
        deemed_at = deemed_service_at(published_at, deemed_days, court=court)
    else:
        published_at = None
    if method == Method.WAIVER:
        received_at = received_at or sent_at
        if not proof:
            raise DomainError("waiver_document_required", _("书面放弃须附书面文件"), rule="AUC-10")
    if received_at is not None and received_at < sent_at:
        raise DomainError("received_before_sent", _("签收时间不能早于发出时间"), rule="REC-10")
    rec = ServiceRecord.objects.create(
        court_id=getattr(court, "pk", court),
        subject=subject,
        document=document,
        document_kind=document_kind,
        recipient_ref=recipient_ref,
        recipient_name=recipient_name,
        recipient_user=recipient_user,
        method=method,
        sent_at=sent_at,
        received_at=received_at,
        proof=proof,
        published_at=published_at,
        unreachable_reason=unreachable_reason,
        deemed_days=deemed_days,
        deemed_at=deemed_at,
        proof_recorded_at=now,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        stream=_stream(subject),
        action="service.recorded",
        actor=actor,
        subject=f"service:{rec.pk}",
        after={
            "document": document,
            "recipient": recipient_ref,
            "method": method,
            "sent_at": sent_at.isoformat(),
            "deemed_at": deemed_at.isoformat() if deemed_at else None,
        },
        rules=["REC-10"],
    )
    from core.documents.service_proof import request_for

    request_for(rec)  # 送达回证 once received (issue 16; the worker seals it)
    return rec


@transaction.atomic
def service_receipt(
    *, record: ServiceRecord, received_at: dt.datetime, proof: str, actor: Actor = None
) -> ServiceRecord:
    rec = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if rec.received_at:
        raise DomainError("already_received", _("该送达已有签收记录"), rule="REC-10")
    if received_at < rec.sent_at:
        raise DomainError("received_before_sent", _("签收时间不能早于发出时间"), rule="REC-10")
    now = clock.now()
    _not_after_recording(now, ((_("签收时间"), received_at),))
    rec.received_at = received_at
    rec.proof = proof
    rec.proof_recorded_at = now
    rec.save(update_fields=["received_at", "proof", "proof_recorded_at"])
    audit_record(
        stream=_stream(rec.subject),
        action="service.received",
        actor=actor,
        subject=f"service:{rec.pk}",
        after={"received_at": received_at.isoformat(), "proof": proof},
        rules=["REC-10"],
    )
    from core.documents.service_proof import request_for

    request_for(rec)  # 送达回证 (issue 16)
    return rec


def _not_after_recording(now: dt.datetime, dates: Any) -> None:
    """REC-10 / AUC-10: a date of service is a fact already past when it is recorded."""
    for label, value in dates:
        if value is not None and value > now:
            raise DomainError(
                "service_date_in_future",
                _("%(field)s不能晚于记录时间") % {"field": label},
                rule="AUC-10",
            )


def served_at(record: ServiceRecord) -> dt.datetime | None:
    """When the recipient counts as served, or None if not (yet)."""
    candidates = [t for t in (record.received_at, record.deemed_at) if t is not None]
    return min(candidates) if candidates else None


def is_served(record: ServiceRecord, *, at: dt.datetime | None = None) -> bool:
    when = served_at(record)
    return when is not None and when <= (at or clock.now())


def served_on_record_at(record: ServiceRecord) -> dt.datetime | None:
    """When the record shows service: never before its evidence was entered (AUC-10: a notice
    recorded today but dated ten days earlier counts from today)."""
    when = served_at(record)
    if when is None or record.proof_recorded_at is None:
        return when
    return max(when, record.proof_recorded_at)


def recipient_served_at(
    *,
    subject: str,
    recipient_ref: str,
    document_kind: str | None = None,
    as_recorded: bool = False,
) -> dt.datetime | None:
    """The earliest moment ``recipient_ref`` counts as served on ``subject`` (any matching
    record); ``as_recorded``: counted from when the evidence was recorded, if later (AUC-10)."""
    qs = ServiceRecord.objects.filter(subject=subject, recipient_ref=recipient_ref)
    if document_kind:
        qs = qs.filter(document_kind=document_kind)
    when = served_on_record_at if as_recorded else served_at
    times = [t for t in (when(r) for r in qs) if t is not None]
    return min(times) if times else None
