"""Helpers for the document tests (issue 16): issue what is queued, read a PDF's text."""

from __future__ import annotations

import io

from core.documents import documents_issue_pending, verify_pdf
from core.models import Document, DocumentRequest


def issue_queued() -> dict[str, Document]:
    """Run the worker's task until the queue is empty; the issued documents by type."""
    while documents_issue_pending(limit=20):
        pass
    failed = list(
        DocumentRequest.objects.exclude(state="done").values_list("doc_type", "last_error")
    )
    assert failed == [], failed
    return {d.doc_type: d for d in Document.objects.order_by("pk")}


def pdf_text(doc: Document) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(bytes(doc.pdf)))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def assert_sealed(doc: Document) -> str:
    """The document validates against the test CA; returns its text (number and code in it)."""
    verdict = verify_pdf(bytes(doc.pdf))
    assert verdict.genuine, verdict.problems
    text = pdf_text(doc)
    assert doc.number in text and doc.code in text and doc.court.name in text
    return text
