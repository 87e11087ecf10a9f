"""Bidding's court documents (issue 16): built from the auction's records, issued by core.

Subjects: ``auction:<id>`` (announcement, bidding terms, special notice, unsold notice) and
``auction:<id>/sale`` (confirmation, sale ruling draft). Templates are
``bidding/templates/bidding/documents/``; numbering, sealing and storage are
``core.documents``'.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from bidding.models import Auction, AuctionResult
from core import calendar
from core.documents import DocumentType, Draft, register, rmb_upper
from core.errors import DomainError
from core.models import Court, User


def _auction_of(subject: str) -> Auction:
    head = subject.split("/", 1)[0]
    if not head.startswith("auction:"):
        raise DomainError("document_subject", _("文书对象不是拍卖"))
    auction = (
        Auction.objects.select_related("court", "case", "lot")
        .filter(pk=int(head.split(":", 1)[1]))
        .first()
    )
    if auction is None:
        raise DomainError("document_subject", _("拍卖不存在"))
    return auction


def _court(auction: Auction) -> Court:
    if auction.court is None:  # a practice auction: no court, no document
        raise DomainError("document_practice", _("模拟拍不出具文书"))
    return auction.court


def _stream(auction: Auction) -> str:
    return f"case:{auction.case_id}" if auction.case_id else f"auction:{auction.pk}"


def _local(value: Any) -> str:
    return value.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M:%S") if value else ""


def _money(fen: int | None) -> dict[str, str]:
    from core.money import yuan

    fen = fen or 0
    return {"figures": yuan(fen), "upper": rmb_upper(fen)}


def _assets(auction: Auction) -> list[Any]:
    return list(auction.lot.assets.all()) if auction.lot is not None else []


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
        raise DomainError("document_no_sale", _("该拍卖没有成交，不能出具成交文书"), rule="AUC-29")
    return sale


def build_sale_confirmation(subject: str, params: dict[str, Any]) -> Draft:
    """成交确认书 (AUC-29): published at once, naming the buyer; the buyer's own copy."""
    auction = _auction_of(subject)
    sale = _sale(auction)
    winner = sale.winner
    assert winner is not None
    return Draft(
        court=_court(auction),
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


def _parties(auction: Auction) -> dict[str, list[Any]]:
    if auction.case is None:
        return {"creditors": [], "debtors": []}
    from cases.models import Party

    parties = list(auction.case.parties.order_by("pk"))
    return {
        "creditors": [p for p in parties if p.role == Party.Role.CREDITOR],
        "debtors": [p for p in parties if p.role == Party.Role.DEBTOR],
    }


def _base(auction: Auction) -> dict[str, Any]:
    return {
        "auction": auction,
        "case": auction.case,
        "assets": _assets(auction),
        **_parties(auction),
        "start_price": _money(auction.starting_price_fen),
        "increment": _money(auction.increment_fen),
        "deposit": _money(auction.deposit_fen),
        "start_at": _local(auction.start_at),
        "end_at": _local(auction.scheduled_end_at or auction.end_at),
        "round_label": auction.get_round_display(),
    }


def _public(auction: Auction, context: dict[str, Any]) -> Draft:
    return Draft(
        court=_court(auction),
        stream=_stream(auction),
        subject_label=auction.title,
        public=True,
        readers=_party_users(auction),
        context=context,
    )


def build_announcement(subject: str, params: dict[str, Any]) -> Draft:
    """拍卖公告 / 变卖公告 (AUC-09): the published auction's facts and its announcement text."""
    auction = _auction_of(subject)
    return _public(auction, _base(auction))


def build_bidding_terms(subject: str, params: dict[str, Any]) -> Draft:
    """竞买须知 (AUC-09): the rules of this auction and the warnings every bidder accepts."""
    auction = _auction_of(subject)
    restricted = any(a.purchase_restricted for a in _assets(auction))
    return _public(auction, {**_base(auction), "restricted": restricted})


def build_survey(subject: str, params: dict[str, Any]) -> Draft:
    """标的物调查情况表 / 特别提示 (AUC-09): each asset's disclosures in force and the warnings."""
    from cases.selectors import current_disclosures

    auction = _auction_of(subject)
    rows = [
        {
            "asset": asset,
            "disclosures": sorted(
                current_disclosures(asset).values(), key=lambda d: d.get_topic_display()
            ),
        }
        for asset in _assets(auction)
    ]
    return _public(auction, {**_base(auction), "rows": rows})


def build_unsold_notice(subject: str, params: dict[str, Any]) -> Draft:
    """流拍公告 (AUC-35): no valid bid; what the court may do next."""
    auction = _auction_of(subject)
    result = AuctionResult.objects.filter(auction=auction).first()
    if result is None or result.outcome != AuctionResult.Outcome.UNSOLD:
        raise DomainError("document_not_unsold", _("该拍卖未流拍"), rule="AUC-35")
    return _public(auction, {**_base(auction), "closed_at": _local(result.closed_at)})


def build_sale_ruling_draft(subject: str, params: dict[str, Any]) -> Draft:
    """拍卖成交裁定书（草稿） (AUC-32): for the judge once the price is paid in full."""
    auction = _auction_of(subject)
    sale = _sale(auction)
    if sale.balance_paid_at is None:
        raise DomainError("document_balance_unpaid", _("买受人尚未付清价款"), rule="AUC-32")
    return Draft(
        court=_court(auction),
        stream=_stream(auction),
        subject_label=auction.title,
        public=False,
        context={
            **_base(auction),
            "sale": sale,
            "buyer": sale.buyer_name,
            "price": _money(sale.price_fen),
            "closed_at": _local(sale.closed_at),
            "paid_at": _local(sale.balance_paid_at),
            "ruling_due": _local(sale.ruling_due_at),
            "draft": True,
        },
    )


def build_in_lieu_ruling_draft(subject: str, params: dict[str, Any]) -> Draft:
    """以物抵债裁定书（草稿） (AUC-36): the creditor takes the lot at the round's starting price."""
    from bidding.models import InLieuTaking

    auction = _auction_of(subject)
    taking = InLieuTaking.objects.select_related("party").filter(auction=auction).first()
    if taking is None:
        raise DomainError("document_no_in_lieu", _("该拍卖没有以物抵债"), rule="AUC-36")
    return Draft(
        court=_court(auction),
        stream=_stream(auction),
        subject_label=auction.title,
        public=False,
        context={
            **_base(auction),
            "taking": taking,
            "taker": taking.party,
            "price": _money(taking.price_fen),
            "claim": _money(taking.claim_fen),
            "excess": _money(taking.excess_fen),
            "excess_due": _local(taking.excess_due_at),
            "draft": True,
        },
    )


def _t(code: str, title: str, prefix: str, name: str, build: Any, *rules: str) -> DocumentType:
    return DocumentType(
        code=f"bidding.{code}",
        title=title,
        prefix=prefix,
        template=f"bidding/documents/{name}.html",
        build=build,
        rules=rules,
    )


ANNOUNCEMENT = _t(
    "announcement", "拍卖公告", "执拍公", "announcement", build_announcement, "AUC-09"
)
SALE_ANNOUNCEMENT = _t(
    "sale_announcement",
    "变卖公告",
    "执变公",
    "announcement",
    build_announcement,
    "AUC-09",
    "AUC-37",
)
BIDDING_TERMS = _t(
    "bidding_terms", "竞买须知", "执拍须", "bidding_terms", build_bidding_terms, "AUC-09"
)
SURVEY = _t("survey", "标的物调查情况表及特别提示", "执拍调", "survey", build_survey, "AUC-09")
UNSOLD_NOTICE = _t(
    "unsold_notice", "流拍公告", "执拍流", "unsold_notice", build_unsold_notice, "AUC-35"
)
SALE_RULING_DRAFT = _t(
    "sale_ruling_draft",
    "拍卖成交裁定书（草稿）",
    "执拍裁稿",
    "sale_ruling_draft",
    build_sale_ruling_draft,
    "AUC-32",
)
IN_LIEU_RULING_DRAFT = _t(
    "in_lieu_ruling_draft",
    "以物抵债裁定书（草稿）",
    "执抵裁稿",
    "in_lieu_ruling_draft",
    build_in_lieu_ruling_draft,
    "AUC-36",
)
ALL = (
    SALE_CONFIRMATION,
    ANNOUNCEMENT,
    SALE_ANNOUNCEMENT,
    BIDDING_TERMS,
    SURVEY,
    UNSOLD_NOTICE,
    SALE_RULING_DRAFT,
    IN_LIEU_RULING_DRAFT,
)


def request_published(auction: Auction) -> None:
    """A published auction's public documents: the announcement, the terms, the survey."""
    from core.documents import document_request

    announcement = SALE_ANNOUNCEMENT if auction.round == Auction.Round.SALE else ANNOUNCEMENT
    for doc_type in (announcement, BIDDING_TERMS, SURVEY):
        document_request(doc_type=doc_type.code, subject=auction.ref)


def connect() -> None:
    for doc_type in ALL:
        register(doc_type)
