"""送达回证 (REC-10): core's own document, issued once a service record has its receipt."""

from __future__ import annotations

from typing import Any

from core import calendar
from core.documents.registry import DocumentType, Draft, register
from core.errors import DomainError
from core.models import ServiceRecord


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M") if value else ""


def build_service_proof(subject: str, params: dict[str, Any]) -> Draft:
    rec = (
        ServiceRecord.objects.select_related("court", "recipient_user", "recorded_by")
        .filter(pk=int(subject.removeprefix("service:")))
        .first()
    )
    if rec is None or rec.received_at is None:
        raise DomainError("document_not_served", "该送达尚无签收记录", rule="REC-10")
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


def connect() -> None:
    register(SERVICE_PROOF)


def request_for(rec: ServiceRecord) -> None:
    """Queue the 送达回证 of a record that has its receipt (idempotent)."""
    from core.documents.services import document_request

    if rec.received_at is not None:
        document_request(doc_type=SERVICE_PROOF.code, subject=f"service:{rec.pk}")
