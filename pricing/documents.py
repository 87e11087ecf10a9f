"""Pricing's court documents (issue 16): what the parties are served (PRC-10).

Subjects: ``<report subject>`` = ``<procedure subject>/report:<id>`` (询价结果通知书: the
platform's result served on each party) and ``<procedure ref>/price:<id>`` (定价通知书: the
reference price fixed, its validity and basis). Read by the parties and the court's staff.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from core import calendar
from core.documents import DocumentType, Draft, register, rmb_upper
from core.errors import DomainError
from core.models import User
from core.money import yuan
from pricing.models import InquiryReport, ReferencePrice


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日") if value else ""


def _money(fen: int | None) -> dict[str, str]:
    return {"figures": yuan(fen or 0), "upper": rmb_upper(fen or 0)}


def _last_id(subject: str, key: str) -> int:
    for part in reversed(subject.split("/")):
        name, _, pk = part.partition(":")
        if name == key and pk.isdigit():
            return int(pk)
    raise DomainError("document_subject", gettext("文书对象不正确"))


def _parties(case: Any) -> tuple[list[Any], list[User]]:
    parties = list(case.parties.select_related("user").order_by("pk"))
    return parties, [p.user for p in parties if p.user is not None]


def build_inquiry_result_notice(subject: str, params: dict[str, Any]) -> Draft:
    """询价结果通知书 (PRC-10): the platform's result; objections within 5 days of receipt."""
    rep = (
        InquiryReport.objects.select_related(
            "request__platform",
            "request__inquiry__procedure__case",
            "request__inquiry__procedure__asset",
        )
        .filter(pk=_last_id(subject, "report"))
        .first()
    )
    if rep is None:
        raise DomainError("document_subject", gettext("询价报告不存在"))
    proc = rep.request.inquiry.procedure
    parties, readers = _parties(proc.case)
    return Draft(
        court=proc.court,
        stream=f"case:{proc.case_id}",
        subject_label=f"{proc.asset.name} · {rep.request.platform.name}",
        readers=readers,
        context={
            "case": proc.case,
            "asset": proc.asset,
            "rep": rep,
            "platform": rep.request.platform,
            "parties": parties,
            "amount": _money(rep.amount_fen),
            "received_at": _local(rep.received_at),
            "valid_until": _local(rep.valid_until),
        },
    )


def build_pricing_notice(subject: str, params: dict[str, Any]) -> Draft:
    """定价通知书 (PRC-10/PRC-11): the reference price and its validity."""
    price = (
        ReferencePrice.objects.select_related(
            "procedure__case", "procedure__asset", "procedure__court"
        )
        .filter(pk=_last_id(subject, "price"))
        .first()
    )
    if price is None:
        raise DomainError("document_subject", gettext("参考价不存在"))
    proc = price.procedure
    parties, readers = _parties(proc.case)
    return Draft(
        court=proc.court,
        stream=f"case:{proc.case_id}",
        subject_label=f"{proc.asset.name} {price.get_kind_display()}",
        readers=readers,
        context={
            "case": proc.case,
            "asset": proc.asset,
            "price": price,
            "parties": parties,
            "amount": _money(price.amount_fen),
            "fixed_at": _local(price.fixed_at),
            "valid_until": _local(price.valid_until),
        },
    )


INQUIRY_RESULT_NOTICE = DocumentType(
    code="pricing.inquiry_result_notice",
    title="询价结果通知书",
    prefix="执询通",
    template="pricing/documents/inquiry_result_notice.html",
    build=build_inquiry_result_notice,
    rules=("PRC-10",),
)
PRICING_NOTICE = DocumentType(
    code="pricing.pricing_notice",
    title="定价通知书",
    prefix="执定通",
    template="pricing/documents/pricing_notice.html",
    build=build_pricing_notice,
    rules=("PRC-10", "PRC-11"),
)


def connect() -> None:
    register(INQUIRY_RESULT_NOTICE)
    register(PRICING_NOTICE)
