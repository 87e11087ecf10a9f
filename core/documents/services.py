"""Issue documents: number, render, seal, store once, audit (issue 16)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core import calendar, clock
from core.audit import audit_record
from core.documents import render
from core.documents.registry import DocumentType, Draft, document_type
from core.documents.seal import court_seal
from core.documents.sign import seal_pdf
from core.errors import Conflict, DomainError
from core.models import Court, Document, DocumentCounter, DocumentRequest
from core.types import Actor

log = logging.getLogger("gavel.documents")

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 10
MAX_ATTEMPTS = 5


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch in CODE_ALPHABET)[:CODE_LENGTH]


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Document.objects.filter(code=code).exists():
            return code


def format_number(court: Court, prefix: str, year: int, seq: int) -> str:
    """（2026）赣01执拍确字第3号: the court's code, the type's 代字, the year's sequence."""
    return f"（{year}）{court.code}{prefix}字第{seq}号"


@dataclass(frozen=True)
class Stamp:
    """What the rendered page says about itself: number, code, date, version."""

    number: str
    code: str
    issued_at: dt.datetime
    version: int = 1
    corrects_number: str = ""
    reason: str = ""


def render_unsealed(spec: DocumentType, draft: Draft, stamp: Stamp) -> bytes:
    """The PDF before the seal (also used by the tests to forge a copy with another key)."""
    url = render.verify_url(stamp.code)
    context = {
        **draft.context,
        "court": draft.court,
        "doc": {
            "title": spec.title,
            "number": stamp.number,
            "code": stamp.code,
            "verify_url": url,
            "qr": render.qr_data_uri(url),
            "issued_at": stamp.issued_at,
            "issued_date": stamp.issued_at.astimezone(calendar.CST).date(),
            "version": stamp.version,
            "corrects_number": stamp.corrects_number,
            "reason": stamp.reason,
            "subject_label": draft.subject_label,
        },
        "header_template": render.court_header_template(draft.court.pk),
    }
    return render.html_to_pdf(render.render_html(spec.template, context))


def _take_number(court: Court, doc_type: str, year: int) -> int:
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
        court=court, doc_type=doc_type, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def document_issue(
    *,
    doc_type: str,
    subject: str,
    params: dict[str, Any] | None = None,
    actor: Actor = None,
    corrects: Document | None = None,
    reason: str = "",
) -> Document:
    """Render, number, seal and store one document; its hash goes into the audit stream.

    ``corrects``: re-issue as a new version of that document (same number, version + 1; the
    old one stays, marked as corrected). A correction needs a ``reason``.
    """
    spec = document_type(doc_type)
    draft = spec.build(subject, params or {})
    now = clock.now()
    if corrects is not None:
        corrects = Document.objects.select_for_update().get(pk=corrects.pk)
        if corrects.doc_type != doc_type or corrects.subject != subject:
            raise DomainError("document_correction_mismatch", gettext("更正的文书类型或对象不一致"))
        if Document.objects.filter(corrects=corrects).exists():
            raise Conflict("document_already_corrected", gettext("该版本已被更正，请更正最新版本"))
        if not reason.strip():
            raise DomainError("document_correction_reason", gettext("更正文书须说明原因"))
        year, seq, version = corrects.year, corrects.seq, corrects.version + 1
        number = corrects.number
    else:
        year = now.astimezone(calendar.CST).year
        seq = _take_number(draft.court, doc_type, year)
        version = 1
        number = format_number(draft.court, spec.prefix, year, seq)
    stamp = Stamp(
        number=number,
        code=_new_code(),
        issued_at=now,
        version=version,
        corrects_number=corrects.number if corrects is not None else "",
        reason=reason.strip(),
    )
    seal = court_seal(draft.court)
    pdf = seal_pdf(
        render_unsealed(spec, draft, stamp),
        seal,
        reason=f"{spec.title} {number}",
        location=draft.court.name,
    )
    digest = hashlib.sha256(pdf).hexdigest()
    doc = Document.objects.create(
        court=draft.court,
        doc_type=doc_type,
        title=spec.title,
        year=year,
        seq=seq,
        version=version,
        number=number,
        corrects=corrects,
        subject=subject,
        subject_label=draft.subject_label[:300],
        stream=draft.stream,
        public=draft.public,
        sha256=digest,
        code=stamp.code,
        pdf=pdf,
        size=len(pdf),
        cert_serial=format(seal.cert.serial_number, "x"),
        cert_subject=seal.cert.subject.rfc4514_string()[:300],
        reason=stamp.reason,
        issued_at=now,
        issued_by=actor,
    )
    if draft.readers:
        doc.readers.set(draft.readers)
    audit_record(
        stream=draft.stream,
        action="document.corrected" if corrects is not None else "document.issued",
        actor=actor,
        subject=subject,
        after={
            "document": doc.ref,
            "type": doc_type,
            "number": number,
            "version": version,
            "sha256": digest,
            "code": stamp.code,
            "corrects": corrects.ref if corrects is not None else None,
        },
        reason=stamp.reason,
        rules=list(spec.rules),
    )
    return doc


def document_reissue(*, document: Document, reason: str, actor: Actor = None) -> Document:
    """Re-issue ``document`` corrected, from the records as they are now (a new version that
    names the old one and says why; ``document_issue`` checks and audits it). The parameters
    its request was queued with, if any, are used again."""
    req = DocumentRequest.objects.filter(document=document).only("params").first()
    return document_issue(
        doc_type=document.doc_type,
        subject=document.subject,
        params=req.params if req is not None else {},
        actor=actor,
        corrects=document,
        reason=reason,
    )


def document_request(
    *, doc_type: str, subject: str, key: str = "", params: dict[str, Any] | None = None
) -> DocumentRequest:
    """Queue a document for the worker (idempotent by ``key``): cheap, for event handlers."""
    document_type(doc_type)  # an unknown type fails here, not later in the worker
    req, _ = DocumentRequest.objects.get_or_create(
        key=key or f"{doc_type}:{subject}",
        defaults={
            "doc_type": doc_type,
            "subject": subject,
            "params": params or {},
            "created_at": clock.now(),
        },
    )
    return req


def document_request_many(requests: Iterable[tuple[str, str]]) -> None:
    """Queue several documents at once, each ``(doc_type, subject)`` keyed as
    ``document_request`` keys it (idempotent: a request already queued stays as it is): one
    insert for all of them (the clock's batch of closes, issue 18)."""
    now = clock.now()
    rows = []
    for doc_type, subject in requests:
        document_type(doc_type)  # an unknown type fails here, not later in the worker
        rows.append(
            DocumentRequest(
                key=f"{doc_type}:{subject}",
                doc_type=doc_type,
                subject=subject,
                params={},
                created_at=now,
            )
        )
    if rows:
        DocumentRequest.objects.bulk_create(rows, ignore_conflicts=True)


def documents_issue_pending(*, limit: int = 10) -> int:
    """Issue queued documents, one short transaction each (the worker, every few seconds)."""
    done = 0
    tried: list[int] = []
    for _ in range(limit):
        with transaction.atomic():
            req = (
                DocumentRequest.objects.select_for_update(skip_locked=True)
                .filter(state=DocumentRequest.State.PENDING)
                .exclude(pk__in=tried)
                .order_by("created_at", "pk")
                .first()
            )
            if req is None:
                break
            tried.append(req.pk)
            try:
                with transaction.atomic():
                    doc = document_issue(
                        doc_type=req.doc_type, subject=req.subject, params=req.params
                    )
            except Exception as exc:
                log.exception("document request %s failed", req.pk)
                req.attempts += 1
                req.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if req.attempts >= MAX_ATTEMPTS:
                    req.state = DocumentRequest.State.FAILED
                req.save(update_fields=["attempts", "last_error", "state"])
                continue
            req.state = DocumentRequest.State.DONE
            req.document = doc
            req.done_at = clock.now()
            req.save(update_fields=["state", "document", "done_at"])
            done += 1
    return done
