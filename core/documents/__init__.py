"""Court documents (issue 16): rendered from the records, numbered, sealed, verifiable.

Apps register their document types (``register(DocumentType(...))``) and queue them from
their event handlers (``document_request``); the worker issues them
(``documents_issue_pending``). See docs/core.md, "Documents".
"""

from core.documents.amounts import rmb_upper
from core.documents.registry import DocumentType, Draft, document_type, document_types, register
from core.documents.selectors import documents_for_reader, documents_of_stream, documents_public
from core.documents.services import (
    document_issue,
    document_request,
    document_request_many,
    documents_issue_pending,
    normalise_code,
)
from core.documents.verify import Verdict, verify_pdf

__all__ = [
    "DocumentType",
    "Draft",
    "Verdict",
    "document_issue",
    "document_request",
    "document_request_many",
    "document_type",
    "document_types",
    "documents_for_reader",
    "documents_issue_pending",
    "documents_of_stream",
    "documents_public",
    "normalise_code",
    "register",
    "rmb_upper",
    "verify_pdf",
]
