"""Bidding's court documents (issue 16): built from the auction's records, issued by core.

Subjects: ``auction:<id>`` (announcement, bidding terms, special notice, unsold notice) and
``auction:<id>/sale`` (confirmation, sale ruling draft). Templates are
``bidding/templates/bidding/documents/``; numbering, sealing and storage are
``core.documents``'.
"""

from __future__ import annotations

from typing import Any


from core import calendar
from core.documents import DocumentType, Draft, register, rmb_upper
from core.errors import DomainError
from core.models import User

from bidding.models import Auction, AuctionResult


def _auction_of(subject: str) -> Auction:
    head = subject.split("/", 1)[0]
    if not head.startswith("auction:"):
        raise DomainError("document_subject", "文书对象不是拍卖")
    auction = (
        Auction.objects.select_related("court", "case", "lot")
        .filter(pk=int(head.split(":", 1)[1]))
        .first()
    )
    if auction is None:
        raise DomainError("document_subject", "拍卖不存在")
    return auction


def _stream(auction: Auction) -> str:
    return f"case:{auction.case_id}" if auction.case_id else f"auction:{auction.pk}"


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M:%S") if value else ""


def _money(fen: int | None) -> dict[str, str]:
    from core.money import yuan

    fen = fen or 0
    return {"figures": yuan(fen), "upper": rmb_upper(fen)}


def _assets(auction: Auction) -> list[Any]:
    return list(auction.lot.assets.all()) if auction.lot_id else []


def _party_users(auction: Auction) -> list[User]:
    if auction.case is None:
        return []
    return [p.user for p in auction.case.parties.select_related("user") if p.user is not None]


def _sale(auction: Auction) -> AuctionResult:
    result = AuctionResult.objects.select_related("winner__user", "winner__identity").filter(
        auction=auction, outcome=AuctionResult.Outcome.SOLD
    )
    sale = result.first()
    if sale is None or sale.winner is None:
        raise DomainError("document_no_sale", "该拍卖没有成交，不能出具成交文书", rule="AUC-29")
    return sale


def build_sale_confirmation(subject: str, params: dict[str, Any]) -> Draft:
    """成交确认书 (AUC-29): published at once, naming the buyer; the buyer's own copy."""
    auction = _auction_of(subject)
    sale = _sale(auction)
    winner = sale.winner
    assert winner is not None
    return Draft(
        court=auction.court,
        stream=_stream(auction),
        subject_label=auction.title,
        public=True,
        readers=[winner.user, *_party_users(auction)],
        context={
            "auction": auction,
            "case": auction.case,
            "sale": sale,
            "assets": _assets(auction),
            "buyer": sale.buyer_name,
            "bidder_code": sale.winner_code,
            "price": _money(sale.price_fen),
            "deposit": _money(winner.deposit_held_fen or auction.deposit_fen),
            "balance": _money((sale.price_fen or 0) - (winner.deposit_held_fen or 0)),
            "closed_at": _local(sale.closed_at),
            "balance_due": _local(sale.balance_due_at),
            "balance_days": auction.balance_period_days,
        },
    )


SALE_CONFIRMATION = DocumentType(
    code="bidding.sale_confirmation",
    title="网络司法拍卖成交确认书",
    prefix="执拍确",
    template="bidding/documents/sale_confirmation.html",
    build=build_sale_confirmation,
    rules=("AUC-29",),
)


def connect() -> None:
    for doc_type in (SALE_CONFIRMATION,):
        register(doc_type)


__all__ = ["SALE_CONFIRMATION", "connect"]
