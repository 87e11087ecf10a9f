"""Document types: each app registers its own (template, 文号代字, how to build from records)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import Court, User


@dataclass(frozen=True)
class Draft:
    """What an app's builder returns: the data of one document, read from its records."""

    court: Court
    stream: str  # the audit stream that records the issue: "case:<id>" (else "system:documents")
    context: dict[str, Any]
    subject_label: str
    public: bool = False
    readers: Sequence[User] = ()  # who may read it besides the court's staff (parties, buyer)


@dataclass(frozen=True)
class DocumentType:
    code: str  # "bidding.sale_confirmation"
    title: str  # 成交确认书
    prefix: str  # 文号代字: "执拍确" → （2026）赣01执拍确字第3号
    template: str  # "bidding/documents/sale_confirmation.html"
    build: Callable[[str, dict[str, Any]], Draft]  # (subject, params) → Draft
    rules: tuple[str, ...] = field(default=())


_types: dict[str, DocumentType] = {}


def register(doc_type: DocumentType) -> None:
    _types[doc_type.code] = doc_type


def document_type(code: str) -> DocumentType:
    try:
        return _types[code]
    except KeyError:
        raise DomainError("document_type_unknown", _("未知的文书类型")) from None


def document_types() -> list[DocumentType]:
    return list(_types.values())
