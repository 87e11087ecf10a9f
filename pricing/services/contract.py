"""What bidding calls (docs/contracts.md, "pricing"): the price basis, the announcement, the sale."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core import calendar
from core.deadlines import deadline_close
from core.errors import DomainError
from pricing.models import (
    InquiryPlatform,
    InquiryReport,
    Method,
    PricingProcedure,
    ReferencePrice,
)
from pricing.services.procedure import _appraisal_fee_settle, _audit, _lock, _setting

log = logging.getLogger("gavel.pricing")
State = PricingProcedure.State
USABLE_STATES = (State.FIXED, State.MARKET_PRICE, State.EQUITY_WAIVER, State.REISSUING)
SALE_OUTCOMES = ("sold", "unsold", "withdrawn")


@dataclass(frozen=True)
class PriceBasis:
    """The basis bidding publishes on (AUC-05, PRC-11, PRC-19, PRC-20).

    ``kind``: ``reference`` (a fixed reference price), ``market`` (PRC-19: the market price,
    with its ``ground``) or ``equity_waiver`` (PRC-20: ``amount_fen`` is the enforcement costs
    the starting price must exceed; the 70% check is waived). ``grace_until`` is set once an
    announcement was published inside validity (PRC-11).
    """

    kind: str
    amount_fen: int
    valid_until: dt.datetime
    grace_until: dt.datetime | None
    ground: str
    procedure_ref: str


def _active_price(asset_id: int) -> ReferencePrice | None:
    return (
        ReferencePrice.objects.select_related("procedure")
        .filter(
            procedure__asset_id=asset_id,
            status=ReferencePrice.Status.ACTIVE,
            procedure__state__in=USABLE_STATES,
        )
        .order_by("-fixed_at", "-pk")
        .first()
    )


def _basis(price: ReferencePrice) -> PriceBasis:
    return PriceBasis(
        kind=price.kind,
        amount_fen=price.amount_fen,
        valid_until=price.valid_until,
        grace_until=price.grace_until,
        ground=price.ground,
        procedure_ref=price.procedure.ref,
    )


def reference_price_valid_for(*, asset_id: int, at: dt.datetime) -> PriceBasis | None:
    """The usable price basis of an asset at ``at``, or None (bidding then refuses to publish).

    PRC-11: usable while ``at`` ≤ ``valid_until``; after that only inside the 6-month grace
    that an announcement published inside validity opened. A suspended or withdrawn
    procedure (PRC-14) has no usable basis.
    """
    price = _active_price(asset_id)
    if price is None:
        return None
    if at <= price.valid_until:
        return _basis(price)
    if price.grace_until is not None and at <= price.grace_until:
        return _basis(price)
    return None


def reference_price_usable_until(
    *, asset_id: int, announced_at: dt.datetime | None = None
) -> dt.datetime | None:
    """PRC-11: the last moment a sale of the asset may start on its current price: the end of
    validity, or of the 6-month grace once an announcement was published inside validity (or,
    with ``announced_at``, would be). None when the asset has no usable price."""
    price = _active_price(asset_id)
    if price is None:
        return None
    if price.grace_until is not None:
        return price.grace_until
    if announced_at is not None and announced_at <= price.valid_until:
        months = int(_setting(price.procedure, "validity_grace_months"))
        return calendar.months_after(price.valid_until, months)
    return price.valid_until


@transaction.atomic
def reference_price_record_announcement(
    *, asset_id: int, auction_ref: str, published_at: dt.datetime
) -> PriceBasis:
    """An auction announcement using this basis was published: closes PRC-13, fixes the PRC-11 grace."""
    price = _active_price(asset_id)
    if price is None:
        raise DomainError("no_price_basis", _("该财产没有可用的参考价"), rule="PRC-11")
    proc = _lock(price.procedure)
    price = ReferencePrice.objects.select_for_update().get(pk=price.pk)
    if price.announcement_published_at is not None:
        # A later announcement (a re-auction) keeps the first one's grace (PRC-11).
        _audit(
            proc,
            "announcement_recorded",
            after={
                "auction": auction_ref,
                "published_at": published_at.isoformat(),
                "first": False,
            },
            rules=("PRC-11",),
        )
        return _basis(price)
    if published_at > price.valid_until:
        raise DomainError(
            "price_expired", _("参考价已过有效期，不得发布首次拍卖公告"), rule="PRC-11"
        )
    price.announcement_published_at = published_at
    price.announcement_ref = auction_ref
    price.grace_until = calendar.months_after(
        price.valid_until, int(_setting(proc, "validity_grace_months"))
    )
    price.save(update_fields=["announcement_published_at", "announcement_ref", "grace_until"])
    _appraisal_announced(proc, published_at)
    closed = deadline_close(
        subject=proc.subject, rule_id="PRC-13", reason=f"已发布拍卖公告 {auction_ref}"
    )
    _audit(
        proc,
        "announcement_recorded",
        after={
            "auction": auction_ref,
            "published_at": published_at.isoformat(),
            "first": True,
            "grace_until": price.grace_until.isoformat(),
            "prc13_closed": closed,
        },
        rules=("PRC-11", "PRC-13"),
    )
    return _basis(price)


def _appraisal_announced(proc: PricingProcedure, published_at: dt.datetime) -> None:
    """APR-14: the appraisal path learns of the first announcement (fraud objections' cut-off)."""
    try:
        from appraisers.services import appraisal_record_announcement
    except ImportError:
        return
    appraisal_record_announcement(procedure_ref=proc.ref, published_at=published_at)


def _split_evenly(total_fen: int, n: int) -> list[int]:
    base, rest = divmod(total_fen, n)
    return [base + (1 if i < rest else 0) for i in range(n)]


def inquiry_fee_shares(
    *, reports: list[InquiryReport], sale_price_fen: int, fee_fen: int
) -> list[tuple[InquiryPlatform, int]]:
    """PRC-15: the fee goes to the platform(s) whose result was closest to the sale price; exact
    ties split evenly (the odd fen to the earlier roster entries)."""
    if not reports or fee_fen <= 0:
        return []
    by_platform: dict[int, InquiryReport] = {}
    for r in reports:
        by_platform[r.request.platform_id] = r
    dist = {pid: abs(r.amount_fen - sale_price_fen) for pid, r in by_platform.items()}
    best = min(dist.values())
    winners = sorted(
        (r.request.platform for pid, r in by_platform.items() if dist[pid] == best),
        key=lambda p: (p.sort_order, p.pk),
    )
    return list(zip(winners, _split_evenly(fee_fen, len(winners)), strict=True))


@transaction.atomic
def reference_price_record_sale(
    *, asset_id: int, auction_ref: str, outcome: str, sale_price_fen: int | None = None
) -> dict[str, Any]:
    """The auction ended: PRC-15 inquiry fee to the closest platform, PRC-16 via appraisers."""
    from pricing.services.inquiry import final_results

    if outcome not in SALE_OUTCOMES:
        raise DomainError("invalid_outcome", _("处置结果只能为成交、流拍或撤回"))
    if outcome == "sold" and (sale_price_fen is None or sale_price_fen <= 0):
        raise DomainError("sale_price_required", _("成交须有成交价"), rule="PRC-15")
    price = (
        ReferencePrice.objects.select_related("procedure")
        .filter(procedure__asset_id=asset_id)
        .exclude(status=ReferencePrice.Status.SUPERSEDED)
        .order_by("-fixed_at", "-pk")
        .first()
    )
    if price is None:
        raise DomainError("no_price_basis", _("该财产没有参考价记录"), rule="PRC-15")
    proc = _lock(price.procedure)
    price = ReferencePrice.objects.select_for_update().get(pk=price.pk)
    key = f"{auction_ref}:{outcome}"
    if any(o.get("key") == key for o in price.sale_outcomes):
        return next(o for o in price.sale_outcomes if o.get("key") == key)
    record: dict[str, Any] = {
        "key": key,
        "auction": auction_ref,
        "outcome": outcome,
        "sale_price_fen": sale_price_fen,
        "inquiry_fee": [],
        "appraisal_fee_settled": False,
    }
    if (
        price.method == Method.ONLINE_INQUIRY
        and outcome == "sold"
        and proc.state != State.WITHDRAWN
    ):
        inquiry = price.procedure.inquiries.filter(pk=price.basis.get("inquiry_id")).first()
        if inquiry is not None and inquiry.fee_fen > 0:
            shares = inquiry_fee_shares(
                reports=final_results(inquiry),
                sale_price_fen=sale_price_fen or 0,
                fee_fen=inquiry.fee_fen,
            )
            try:
                from settlement.services import fee_charge
            except ImportError as exc:
                raise DomainError(
                    "settlement_unavailable", _("资金模块尚不可用，不能结算询价费")
                ) from exc
            for platform, amount in shares:
                fee_charge(
                    case_id=proc.case_id,
                    ref=f"{proc.ref}/inquiry:{inquiry.pk}",
                    kind="inquiry_fee",
                    amount_fen=amount,
                    payee_ref=f"inquiry-platform:{platform.code}",
                    payee_name=platform.name,
                    idempotency_key=f"pricing:{proc.pk}:inquiry-fee:{inquiry.pk}:{platform.pk}",
                )
                record["inquiry_fee"].append({"platform": platform.code, "amount_fen": amount})
    if price.method == Method.APPRAISAL or proc.steps.filter(method=Method.APPRAISAL).exists():
        record["appraisal_fee_settled"] = _appraisal_fee_settle(
            proc, outcome=outcome, sale_price_fen=sale_price_fen, actor=None
        )
    price.sale_outcomes = [*price.sale_outcomes, record]
    price.save(update_fields=["sale_outcomes"])
    _audit(proc, "sale_recorded", after=record, rules=("PRC-15", "PRC-16"))
    return record


def mean_half_up(amounts: list[int]) -> int:
    """PRC-09: the arithmetic mean rounded to 0.01 yuan (= 1 fen) half-up."""
    if not amounts:
        raise ValueError("no amounts")
    return int(
        (Decimal(sum(amounts)) / Decimal(len(amounts))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
