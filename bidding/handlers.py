"""Bidding's subscriptions to the apps below it (settlement's money events).

``DepositHeld`` is published inside settlement's transaction, so the bidder code is issued
in the same transaction that posts the hold (both or neither).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.events import subscribe

if TYPE_CHECKING:
    from bidding.events import AuctionPublished
    from settlement.events import BalanceOverdue, BalancePaid, DepositHeld, DepositReleased


def _registration_id(ref: str) -> int | None:
    """``"auction:12/registration:7"`` → 7 (None for other references)."""
    parts = dict(p.split(":", 1) for p in ref.split("/") if ":" in p)
    if "auction" in parts and "registration" in parts:
        try:
            return int(parts["registration"])
        except ValueError:
            return None
    return None


def _auction_id_of_sale(sale_ref: str) -> int | None:
    """``"auction:12/sale"`` → 12."""
    head, _, tail = sale_ref.partition("/")
    if tail != "sale" or not head.startswith("auction:"):
        return None
    try:
        return int(head.split(":", 1)[1])
    except ValueError:
        return None


def on_deposit_held(event: DepositHeld) -> None:
    from bidding.services import registration_deposit_confirmed

    reg_id = _registration_id(event.ref)
    if reg_id is not None:
        registration_deposit_confirmed(registration_id=reg_id, amount_fen=event.amount_fen)


def on_deposit_released(event: DepositReleased) -> None:
    from bidding.services import registration_deposit_released

    reg_id = _registration_id(event.ref)
    if reg_id is not None:
        registration_deposit_released(registration_id=reg_id)


def on_balance_paid(event: BalancePaid) -> None:
    from bidding.services import auction_balance_paid

    auction_id = _auction_id_of_sale(event.sale_ref)
    if auction_id is not None:
        result = auction_balance_paid(auction_id=auction_id, amount_fen=event.amount_fen)
        from bidding.services import forfeits_apply_after_resale

        # The lot sold again and is paid for: a default before it is now final (AUC-33 (2)).
        forfeits_apply_after_resale(auction_id=auction_id)
        if result.balance_paid_at is not None and result.outcome == "sold":
            # The judge's draft 拍卖成交裁定书 (AUC-32), queued in the payment's transaction.
            from bidding.documents import SALE_RULING_DRAFT
            from core.documents import document_request

            document_request(doc_type=SALE_RULING_DRAFT.code, subject=event.sale_ref)


def on_balance_overdue(event: BalanceOverdue) -> None:
    from bidding.services import auction_default

    auction_id = _auction_id_of_sale(event.sale_ref)
    if auction_id is not None:
        auction_default(auction_id=auction_id)


def on_auction_published(event: AuctionPublished) -> None:
    """拍卖公告/变卖公告, 竞买须知, 标的物调查情况表 (AUC-09), queued for the worker."""
    from bidding.documents import request_published
    from bidding.models import Auction

    auction = Auction.objects.filter(pk=event.auction_id, is_practice=False).first()
    if auction is not None:
        request_published(auction)


_connected = False


def connect() -> None:
    """Subscribe to settlement's events (called from ``BiddingConfig.ready``)."""
    global _connected
    if _connected:
        return
    from settlement import events as se

    subscribe(se.DepositHeld, on_deposit_held)
    subscribe(se.DepositReleased, on_deposit_released)
    subscribe(se.BalancePaid, on_balance_paid)
    subscribe(se.BalanceOverdue, on_balance_overdue)
    from bidding.events import AuctionPublished

    # The close's documents (成交确认书, 流拍公告) are queued by the close itself, in its
    # transaction (bidding.services.close._queue_close_document, issue 18).
    subscribe(AuctionPublished, on_auction_published)
    _connected = True
