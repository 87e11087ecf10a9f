"""My account (我的账户): what one signed-in person sees about themselves, and only that.

Identity verification (cases), registrations with the person's own bidder code, deposits
(held, released, forfeited, with dates), own bids, auctions won with the balance due, its
deadline and where to pay it (the case account), and documents (confirmation, sale ruling).
Money facts come from settlement when its tables exist; otherwise from bidding's record.
"""

from __future__ import annotations

from typing import Any

from bidding.models import Auction, AuctionResult, Bid, Registration
from core.documents import documents_for_reader
from core.models import User
from marketplace.listings import auction_url

REG_STATUS_DEPOSIT: dict[str, str] = {
    Registration.Status.PENDING_DEPOSIT: "待交",
    Registration.Status.ACTIVE: "冻结中",
    Registration.Status.WINNER: "冻结中（成交后抵作价款）",
    Registration.Status.RELEASED: "已退还",
    Registration.Status.FORFEITED: "已没收",
    Registration.Status.CANCELLED: "—",
}


def identity_status(user: User) -> dict[str, Any]:
    from cases.models import Identity
    from cases.selectors import verified_identity_for

    verified = verified_identity_for(user)
    latest = Identity.objects.filter(user=user).order_by("-pk").first()
    shown = verified or latest
    return {
        "verified": verified is not None,
        "identity": shown,
        "status_label": str(shown.get_status_display()) if shown else "未提交",
        "kind_label": str(shown.get_kind_display()) if shown else "",
        "masked_number": _mask(shown.number) if shown else "",
        "identity_url": _identity_url(),
    }


def _mask(number: str) -> str:
    from core.access import mask

    return mask(number)


def _identity_url() -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in (
        "cases:identity",
        "cases:identity_submit",
        "cases:my_identity",
        "cases:identity_verify",
    ):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _settlement_deposit(reg: Registration) -> dict[str, Any] | None:
    """Deposit facts from settlement's hold record (held, released, applied, forfeited, dates)."""
    from settlement.models import DepositHold

    refs = [r for r in (reg.money_ref, reg.deposit_ref, reg.ref) if r]
    hold = DepositHold.objects.filter(ref__in=refs).order_by("-pk").first()
    if hold is None:
        return None
    return {
        "status": hold.status,
        "status_label": str(hold.get_status_display()),
        "amount_fen": hold.amount_fen,
        "held_at": hold.held_at,
        "released_at": hold.released_at,
        "released_fen": hold.released_fen,
        "applied_fen": hold.applied_fen,
        "forfeited_fen": hold.forfeited_fen,
        "release_due_at": hold.release_due_at,
    }


def registrations_of(user: User) -> list[dict[str, Any]]:
    regs = (
        Registration.objects.filter(user=user, auction__is_practice=False)
        .select_related("auction", "auction__court")
        .order_by("-created_at", "-pk")
    )
    out: list[dict[str, Any]] = []
    for reg in regs:
        a = reg.auction
        out.append(
            {
                "registration": reg,
                "auction": a,
                "url": auction_url(a.pk),
                "status_label": str(reg.get_status_display()),
                "code": reg.bidder_code or "",
                "deposit_required_fen": reg.deposit_required_fen,
                "deposit_held_fen": reg.deposit_held_fen,
                "deposit_held_at": reg.deposit_held_at,
                "deposit_state": REG_STATUS_DEPOSIT.get(reg.status, ""),
                "settlement": _settlement_deposit(reg),
            }
        )
    return out


def bids_of(user: User, limit: int = 200) -> list[Bid]:
    return list(
        Bid.objects.filter(registration__user=user, auction__is_practice=False)
        .select_related("auction")
        .order_by("-at", "-pk")[:limit]
    )


def _case_account(case_id: int) -> str:
    """The case account number (一案一账号, FND-02/04) the balance is paid into, if opened."""
    from settlement.models import CaseAccount

    acct = CaseAccount.objects.filter(case_id=case_id, party_ref="").first()
    return acct.account_no if acct else ""


def _balance_due(auction: Auction) -> dict[str, Any] | None:
    from settlement.models import BalanceDue

    bd = BalanceDue.objects.filter(sale_ref=auction.sale_ref).first()
    if bd is None:
        return None
    from core import clock

    return {
        "amount_due_fen": bd.amount_due_fen,
        "paid_fen": bd.paid_fen,
        "refunded_fen": bd.refunded_fen,
        "outstanding_fen": max(0, bd.amount_due_fen - bd.paid_fen),
        "due_at": bd.due_at,
        "status": bd.status,
        "status_label": str(bd.get_status_display()),
        "paid_at": bd.paid_at,
        # AUC-31: quoted on a bank transfer, it matches the transfer to this sale.
        "payment_reference": bd.payment_reference or "",
        "payable": bd.status == BalanceDue.Status.OPEN and bd.due_at > clock.now(),
    }


def win_of(user: User, auction_id: int) -> dict[str, Any] | None:
    """The person's win of this auction (balance, deadline, how to pay), or None."""
    return next(iter(wins_of(user, auction_id=auction_id)), None)


def wins_of(user: User, *, auction_id: int | None = None) -> list[dict[str, Any]]:
    """Auctions this person won, with the balance still due and how to pay it."""
    results = AuctionResult.objects.filter(winner__user=user, outcome=AuctionResult.Outcome.SOLD)
    if auction_id is not None:
        results = results.filter(auction_id=auction_id)
    results = results.select_related(
        "auction", "auction__court", "auction__case", "winner"
    ).order_by("-closed_at")
    out: list[dict[str, Any]] = []
    for r in results:
        a: Auction = r.auction
        if a.is_practice:
            continue
        # A sold result always names its winner (the query joins through it).
        applied = (r.winner.deposit_held_fen or 0) if r.winner is not None else 0
        due = _balance_due(a)
        if due is not None:
            balance = due["outstanding_fen"]
            due_at = due["due_at"]
        else:
            balance = 0 if r.balance_paid_at else max(0, (r.price_fen or 0) - applied)
            due_at = r.balance_due_at
        court = a.court
        case = a.case
        out.append(
            {
                "result": r,
                "auction": a,
                "url": auction_url(a.pk),
                "price_fen": r.price_fen,
                "deposit_applied_fen": applied,
                "balance_fen": balance,
                "balance_due_at": due_at,
                "balance_status": due["status_label"]
                if due
                else ("已缴清" if r.balance_paid_at else "待缴纳"),
                "balance_paid_at": r.balance_paid_at,
                "paid_fen": due["paid_fen"] if due else 0,
                "refunded_fen": due["refunded_fen"] if due else 0,
                "payment_reference": due["payment_reference"] if due else "",
                "payable": bool(due and due["payable"] and balance),
                "defaulted": a.state == "defaulted",
                "case_number": case.number if case is not None else "",
                # FND-04: pay into the case account, memo with case number, payer and purpose.
                "pay_to": {
                    "case_account_no": _case_account(case.pk) if case is not None else "",
                    "name": court.master_account_name if court else "",
                    "bank": court.master_account_bank if court else "",
                    "master_account_no": court.master_account_no if court else "",
                    "memo": (
                        f"{due['payment_reference']} {case.number} 成交余款"
                        if due and due["payment_reference"] and case is not None
                        else f"{case.number} 成交余款 {a.title}"
                        if case is not None
                        else ""
                    ),
                },
                "confirmation_text": r.confirmation_text,
                "ruling_document": r.ruling_document,
                "ruling_served_at": r.ruling_served_at,
                "handover_label": str(r.get_handover_state_display()),
            }
        )
    return out


def account_overview(user: User) -> dict[str, Any]:
    return {
        "identity": identity_status(user),
        "registrations": registrations_of(user),
        "bids": bids_of(user),
        "wins": wins_of(user),
        "documents": documents_for_reader(user),  # issue 16: sealed documents issued to me
    }
