"""悔拍保证金依序处理: a forfeited deposit applied once the default is final (AUC-33 order,
AUC-34 switches; FND-06).

The defaulter's deposit waits in settlement's forfeit suspense until what AUC-33 (2) needs is
known: the price the lot fetched again. The default is **final** for the forfeit when, in the
chain of auctions that followed it (the re-auction, its next rounds, 变卖):

- an auction sold again and its buyer paid in full → the re-sale price (a buyer who defaults in
  turn does not count: the walk goes on to that auction's own re-auction);
- a creditor took the lot in lieu of debt (AUC-36) → the in-lieu price;
- the lot will not be sold again (the following auction withdrawn, or the case withdrawn, with
  nothing after it) → no re-sale price, so no shortfall.

Then settlement's ``deposit_forfeit_settle`` applies it: (1) auction costs and losses (the
``auction_cost`` charges of the defaulted auction and its re-runs), (2) the shortfall, (3)/(4) the
debtor's debts, into the case account; the surplus back to the defaulter only with
``return_forfeit_surplus_to_defaulter``; what is not covered recorded as a claim with
``pursue_shortfall_from_defaulter``. Callers: the ``BalancePaid`` handler (the re-sale paid), the
worker task ``bidding.forfeits_apply`` (catches up, in lieu, withdrawals), and the court, which may
apply it at once from the defaulted auction's page (``force``: no re-sale price). Exactly once:
settlement serialises on the deposit's row and returns the first application to any later call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from bidding.models import Auction, AuctionResult, AuctionState, InLieuTaking, Registration
from bidding.services._common import _case_audit, _require_staff
from core.errors import Conflict, DomainError, NotFound
from core.types import Actor

if TYPE_CHECKING:
    from settlement.models import Charge, ForfeitSettlement

log = logging.getLogger("gavel.bidding")
S = AuctionState
#: A following auction in one of these states with nothing after it: the lot is not resold.
NOT_RESOLD = (S.WITHDRAWN, S.CASE_WITHDRAWN)


@dataclass
class Resale:
    """What became of the lot after a default (AUC-33 (2))."""

    final: bool
    price_fen: int | None = None
    how: str = ""
    auctions: list[Auction] = field(default_factory=list)


def _following(auction: Auction) -> list[Auction]:
    """The auctions that followed this one, in order (re-auction, next rounds, 变卖)."""
    out: list[Auction] = []
    current = [auction.pk]
    while current:
        nxt = list(Auction.objects.filter(previous_id__in=current).order_by("pk"))
        nxt = [a for a in nxt if a not in out]
        out += nxt
        current = [a.pk for a in nxt]
    return out


def forfeit_resale(auction: Auction) -> Resale:
    """Is the default of ``auction`` final for its forfeit, and at what re-sale price?"""
    chain = _following(auction)
    walked: list[Auction] = []
    for a in chain:
        walked.append(a)
        if a.state == S.SOLD:
            paid = AuctionResult.objects.filter(auction=a, balance_paid_at__isnull=False).first()
            if paid is None:
                return Resale(final=False, auctions=walked)  # sold; wait for the price to be paid
            return Resale(True, paid.price_fen, "再次拍卖成交并付清价款", walked)
        if a.state == S.IN_LIEU:
            taking = InLieuTaking.objects.filter(auction=a).first()
            if taking is not None:
                return Resale(True, taking.price_fen, "以物抵债", walked)
    last = chain[-1] if chain else None
    if last is not None and last.state in NOT_RESOLD:
        return Resale(True, None, "不再拍卖", walked)
    return Resale(final=False, auctions=walked)


def _winner(auction: Auction) -> Registration | None:
    result = AuctionResult.objects.filter(auction=auction).first()
    if result is None or result.winner_id is None:
        return None
    return Registration.objects.filter(pk=result.winner_id).first()


def auction_forfeit_apply(
    *, auction_id: int, actor: Actor = None, force: bool = False
) -> ForfeitSettlement | None:
    """Apply the deposit forfeited when this auction's buyer defaulted (AUC-33/34), once.

    Without ``force`` (handlers, worker) nothing happens until the default is final (see the
    module); ``force`` (the court, from the auction's page) applies it now with the re-sale
    price known so far. Returns the application, or None when there is nothing to apply yet.
    """
    from settlement import selectors as money
    from settlement.services import deposit_forfeit_settle

    auction = Auction.objects.select_related("court").filter(pk=auction_id).first()
    if auction is None:
        raise NotFound("auction_not_found", _("拍卖不存在"))
    if actor is not None:
        _require_staff(actor, auction)
    winner = _winner(auction) if auction.state == S.DEFAULTED and not auction.is_practice else None
    if winner is None:
        if force:
            raise Conflict(
                "auction_not_defaulted", _("该拍卖未悔拍，无没收保证金可处理"), rule="AUC-33"
            )
        return None
    done = money.forfeit_applied_for(winner.money_ref)
    if done is not None:
        return done
    if not money.forfeit_pending(winner.money_ref):
        if force:
            raise Conflict("no_forfeit", _("没有待处理的没收保证金"), rule="AUC-33")
        return None
    resale = forfeit_resale(auction)
    if not resale.final and not force:
        return None
    result = AuctionResult.objects.get(auction=auction)
    refs = [auction.ref] + [a.ref for a in resale.auctions]
    costs = money.charges_fen(case_id=auction.case_id or 0, refs=refs, kinds=["auction_cost"])
    with transaction.atomic():
        applied = deposit_forfeit_settle(
            ref=winner.money_ref,
            original_price_fen=int(result.price_fen or 0),
            resale_price_fen=resale.price_fen,
            costs_fen=costs,
            idempotency_key=f"{winner.money_ref}/forfeit_settle",
            actor=actor,
            label=f"{auction.title}（{auction.get_round_display()}）",
        )
        _case_audit(
            auction,
            action="auction.forfeit_applied",
            actor=actor,
            after={
                "forfeited_fen": applied.forfeited_fen,
                "resale_price_fen": resale.price_fen,
                "how": resale.how or "法院决定立即处理",
                "costs_fen": costs,
            },
            rules=["AUC-33", "AUC-34", "FND-06"],
        )
    return applied


@transaction.atomic
def auction_cost_record(
    *, auction_id: int, amount_fen: int, payee_name: str, note: str, actor: Actor
) -> Charge:
    """A cost or loss the default caused (车辆保管费, 再次拍卖的费用…), recorded by the court on
    the defaulted auction (AUC-33 (1)): an ``auction_cost`` charge under the auction's
    reference, which the forfeit pays first and the distribution plan lists among the costs
    (FND-06). Refused once the forfeit was applied (it counted what was recorded then).
    The same cost typed twice (a double click) is recorded once."""
    import hashlib

    from settlement import selectors as money
    from settlement.services import fee_charge

    auction = Auction.objects.select_for_update().filter(pk=auction_id).first()
    if auction is None:
        raise NotFound("auction_not_found", _("拍卖不存在"))
    actor = _require_staff(actor, auction)
    winner = _winner(auction) if auction.state == S.DEFAULTED and not auction.is_practice else None
    if winner is None or auction.case_id is None:
        raise Conflict(
            "auction_not_defaulted", _("该拍卖未悔拍，不能记录悔拍造成的费用"), rule="AUC-33"
        )
    if money.forfeit_applied_for(winner.money_ref) is not None:
        raise Conflict(
            "forfeit_already_applied",
            _("悔拍保证金已按 AUC-33 顺序处理，不能再计入拍卖费用"),
            rule="AUC-33",
        )
    payee_name, note = (payee_name or "").strip(), (note or "").strip()
    if not note:
        raise DomainError("cost_note_required", _("请写明费用事由（如车辆保管费）"), rule="AUC-33")
    if not payee_name:
        raise DomainError("cost_payee_required", _("请写明收款人"), rule="AUC-33")
    digest = hashlib.sha256(f"{amount_fen}|{payee_name}|{note}".encode()).hexdigest()[:16]
    charge = fee_charge(
        case_id=auction.case_id,
        ref=auction.ref,
        kind="auction_cost",
        amount_fen=amount_fen,
        payee_ref=f"{auction.ref}/cost:{digest}",
        payee_name=payee_name,
        idempotency_key=f"{auction.ref}/cost:{digest}",
        actor=actor,
    )
    _case_audit(
        auction,
        action="auction.cost_recorded",
        actor=actor,
        after={"amount_fen": amount_fen, "payee_name": payee_name, "note": note},
        rules=["AUC-33", "FND-06"],
    )
    return charge


def forfeits_apply_after_resale(*, auction_id: int) -> int:
    """The lot sold again (this auction's balance paid): apply the forfeits of the defaults
    before it in its chain. Never fails the caller: a refusal is logged, the worker retries."""
    n = 0
    current = Auction.objects.filter(pk=auction_id).values_list("previous_id", flat=True).first()
    while current is not None:
        try:
            with transaction.atomic():
                if auction_forfeit_apply(auction_id=current) is not None:
                    n += 1
        except Exception:  # the worker sweep tries again
            log.exception("forfeit of auction %s not applied; the worker retries", current)
        current = Auction.objects.filter(pk=current).values_list("previous_id", flat=True).first()
    return n


def forfeits_apply_due(*, limit: int = 200) -> int:
    """Worker (``bidding.forfeits_apply``): apply every forfeit whose default became final.

    Safe with several workers: settlement applies each deposit once under its row lock."""
    from settlement.selectors import forfeits_pending_refs

    pending = forfeits_pending_refs(limit=limit)
    regs = (
        Registration.objects.filter(
            deposit_ref__in=pending,
            status=Registration.Status.FORFEITED,
            auction__state=S.DEFAULTED,
            auction__is_practice=False,
        )
        .select_related("auction")
        .order_by("pk")
    )
    n = 0
    for reg in regs:
        try:
            with transaction.atomic():
                if auction_forfeit_apply(auction_id=reg.auction_id) is not None:
                    n += 1
        except Exception:
            log.exception("forfeit of auction %s not applied; retried next sweep", reg.auction_id)
        if n >= limit:
            break
    return n
