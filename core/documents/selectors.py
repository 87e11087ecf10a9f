"""Reads: which documents a page lists (the newest version of each)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.models import Document, User


def _current(qs: QuerySet[Document]) -> QuerySet[Document]:
    return qs.filter(corrected_by__isnull=True).select_related("court").defer("pdf")


def _under(prefix: str) -> Q:
    """``auction:7`` and ``auction:7/…``, never ``auction:70``."""
    return Q(subject=prefix) | Q(subject__startswith=prefix + "/")


def documents_of_stream(stream: str) -> QuerySet[Document]:
    """Every current document recorded in a case's stream (the case page, court staff)."""
    return _current(Document.objects.filter(stream=stream))


def documents_public(subject_prefix: str) -> QuerySet[Document]:
    """Public documents about ``auction:7`` and what is under it (the auction page)."""
    return _current(Document.objects.filter(_under(subject_prefix), public=True))


def documents_for_reader(user: User, *, subject_prefix: str = "") -> QuerySet[Document]:
    """Documents issued to this person (a party's portal, the buyer's account)."""
    qs = Document.objects.filter(readers=user)
    if subject_prefix:
        qs = qs.filter(_under(subject_prefix))
    return _current(qs)


def document_current_version(doc: Document) -> Document | None:
    """The newest version of ``doc``'s number if it is not ``doc`` itself (it was corrected)."""
    newest = (
        Document.objects.filter(
            court_id=doc.court_id, doc_type=doc.doc_type, year=doc.year, seq=doc.seq
        )
        .defer("pdf")
        .order_by("-version")
        .first()
    )
    return newest if newest is not None and newest.pk != doc.pk else None
