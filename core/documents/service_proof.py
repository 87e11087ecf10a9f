"""送达回证 and 公告送达证明 (REC-10): core's own documents about a service record.

- 送达回证: once the record has its receipt (``request_for``, from ``core.service``).
- 公告送达证明: service by publication (platform, 5 days; 中国执行信息公开网, 15 days) has no
  receipt; once the deemed-service time has passed without one, the worker task
  ``core.deemed_service_documents`` queues this record of the publication and of the moment
  the recipient counts as served (``deemed_service_documents_due``, idempotent by key).
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from core import calendar, clock
from core.documents.registry import DocumentType, Draft, register
from core.errors import DomainError
from core.models import DocumentRequest, ServiceRecord


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M") if value else ""


def build_service_proof(subject: str, params: dict[str, Any]) -> Draft:
    rec = (
        ServiceRecord.objects.select_related("court", "recipient_user", "recorded_by")
        .filter(pk=int(subject.removeprefix("service:")))
        .first()
    )
    if rec is None or rec.received_at is None:
        raise DomainError("document_not_served", _("该送达尚无签收记录"), rule="REC-10")
    head = rec.subject.split("/")[0]
    return Draft(
        court=rec.court,
        stream=head if head.startswith("case:") else "system:service",
        subject_label=f"{rec.document} · {rec.recipient_name}",
        readers=[rec.recipient_user] if rec.recipient_user is not None else [],
        context={
            "rec": rec,
            "sent_at": _local(rec.sent_at),
            "received_at": _local(rec.received_at),
            "recorder": (rec.recorded_by.display_name or rec.recorded_by.username)
            if rec.recorded_by is not None
            else "",
        },
    )


SERVICE_PROOF = DocumentType(
    code="core.service_proof",
    title="送达回证",
    prefix="送",
    template="core/documents/service_proof.html",
    build=build_service_proof,
    rules=("REC-10",),
)


def _deemed_methods() -> list[str]:
    from core.service import DEEMED_DAYS

    return [str(m) for m in DEEMED_DAYS]


def _deemed_due(rec: ServiceRecord, at: Any) -> bool:
    """Served by publication (REC-10): the deemed time has passed and no receipt came first."""
    return (
        rec.method in _deemed_methods()
        and rec.deemed_at is not None
        and rec.deemed_at <= at
        and (rec.received_at is None or rec.received_at > rec.deemed_at)
    )


def build_deemed_service(subject: str, params: dict[str, Any]) -> Draft:
    rec = (
        ServiceRecord.objects.select_related("court", "recipient_user", "recorded_by")
        .filter(pk=int(subject.removeprefix("service:")))
        .first()
    )
    if rec is None or not _deemed_due(rec, clock.now()):
        raise DomainError("document_not_deemed_served", _("该送达尚未视为送达"), rule="REC-10")
    head = rec.subject.split("/")[0]
    return Draft(
        court=rec.court,
        stream=head if head.startswith("case:") else "system:service",
        subject_label=f"{rec.document} · {rec.recipient_name}",
        readers=[rec.recipient_user] if rec.recipient_user is not None else [],
        context={
            "rec": rec,
            "published_at": _local(rec.published_at),
            "deemed_at": _local(rec.deemed_at),
            "platform": rec.method == ServiceRecord.Method.PLATFORM_PUBLICATION,
            "recorder": (rec.recorded_by.display_name or rec.recorded_by.username)
            if rec.recorded_by is not None
            else "",
        },
    )


DEEMED_SERVICE = DocumentType(
    code="core.deemed_service",
    title="公告送达证明",
    prefix="公送",
    template="core/documents/deemed_service.html",
    build=build_deemed_service,
    rules=("REC-10",),
)


def connect() -> None:
    register(SERVICE_PROOF)
    register(DEEMED_SERVICE)


def deemed_service_documents_due(*, limit: int = 100) -> int:
    """The worker: queue the 公告送达证明 of each record now deemed served (REC-10).

    Idempotent: one request per record (its key), so a record is never queued twice however
    often this runs; a record whose receipt came before its deemed time gets its 送达回证
    instead. Cheap: an indexed scan of the records without a request, in small batches.
    """
    now = clock.now()
    key = Concat(
        Value(f"{DEEMED_SERVICE.code}:service:"),
        Cast(OuterRef("pk"), output_field=CharField()),
        output_field=CharField(),
    )
    due = (
        ServiceRecord.objects.filter(
            method__in=_deemed_methods(), deemed_at__isnull=False, deemed_at__lte=now
        )
        .filter(Q(received_at__isnull=True) | Q(received_at__gt=F("deemed_at")))
        .exclude(Exists(DocumentRequest.objects.filter(key=key)))
        .order_by("deemed_at", "pk")[:limit]
    )
    from core.documents.services import document_request

    queued = 0
    for rec in due:
        document_request(doc_type=DEEMED_SERVICE.code, subject=f"service:{rec.pk}")
        queued += 1
    return queued


def request_for(rec: ServiceRecord) -> None:
    """Queue the 送达回证 of a record that has its receipt (idempotent)."""
    from core.documents.services import document_request

    if rec.received_at is not None:
        document_request(doc_type=SERVICE_PROOF.code, subject=f"service:{rec.pk}")
