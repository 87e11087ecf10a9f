"""Who may read a document: anyone if public; its readers; the issuing court's staff."""

from __future__ import annotations

from typing import Any

import rules

from core.permissions import is_court_staff, is_same_court


@rules.predicate
def is_public_document(user: Any, doc: Any) -> bool:
    return bool(getattr(doc, "public", False))


@rules.predicate
def is_document_reader(user: Any, doc: Any) -> bool:
    if doc is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(doc.readers.filter(pk=user.pk).exists())


rules.add_perm(
    "core.read_document", is_public_document | is_document_reader | (is_court_staff & is_same_court)
)


def may_read(user: Any, doc: Any) -> bool:
    """Public documents: anyone, signed in or not; others: ``core.read_document``."""
    from core.permissions import can

    return bool(doc.public) or can(user, "core.read_document", doc)


#: Re-issue a corrected version: the staff of the issuing court.
rules.add_perm("core.reissue_document", is_court_staff & is_same_court)
