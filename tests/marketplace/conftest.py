"""Fixtures for the marketplace tests: a case with an asset and a lot in the test court."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import factory
import pytest

from tests.factories import (
    YUAN,
    AssetFactory,
    AuctionFactory,
    BidderFactory,
    CaseFactory,
    IdentityFactory,
    LotFactory,
    SeizureFactory,
)

if TYPE_CHECKING:
    from bidding.models import Auction, Registration
    from cases.models import Case, Lot
    from core.models import Court, User


def make_case(
    court: Court,
    *,
    judge: User | None = None,
    officer: User | None = None,
    claim_fen: int = 500_000_00,
) -> Case:
    """A case without parties or assets (``make_lot`` adds those)."""
    return CaseFactory.create(court=court, judge=judge, officer=officer, claim_fen=claim_fen)


def make_lot(
    case: Case,
    *,
    kind: str = "residential",
    name: str = "红谷滩区某小区3栋1单元501室",
    division_code: str = "360102",
    restricted: bool = False,
    seized_on: dt.date | None = None,
    recorder: User | None = None,
) -> Lot:
    """A lot of one asset named ``name``; ``seized_on`` also records a seizure of it."""
    asset = AssetFactory.create(
        case=case,
        kind=kind,
        name=name,
        division_code=division_code,
        address="南昌市示例路1号",
        purchase_restricted=restricted,
    )
    lot = LotFactory.create(case=case, title=name, assets=[asset])
    if seized_on is not None:
        SeizureFactory.create(asset=asset, seized_on=seized_on, recorded_by=recorder)
    return lot


@pytest.fixture
def case(court: Court, judge: User, officer: User) -> Case:
    return make_case(court, judge=judge, officer=officer)


@pytest.fixture
def lot(case: Case) -> Lot:
    return make_lot(case)


# ---- auctions (bidding's real models and services) ---------------------------------------------

PASSWORD = "bid-pass-2026"


def make_auction(
    lot: Lot,
    *,
    state: str = "scheduled",
    start_in: dt.timedelta = dt.timedelta(days=10),
    hours: int = 24,
    start: int = 100_000 * YUAN,
    increment: int = 1_000 * YUAN,
    deposit: int = 10_000 * YUAN,
    round_: str = "1",
    title: str | None = None,
    reference: int | None = None,
    published_ago: dt.timedelta = dt.timedelta(days=20),
    priced_by: User | None = None,
) -> Auction:
    """A published auction of ``lot`` (publication itself is bidding's, tested there).

    ``priced_by``: record the price basis with pricing's own service (a PRC-19 market price of
    ``reference`` per asset), so the sale's follow-up (fees, balance due) runs for real.
    """
    if priced_by is not None:
        from pricing.services import pricing_skip

        for asset in lot.assets.all():
            pricing_skip(
                asset=asset,
                ground="parties_request",
                market_price_fen=reference or start,
                actor=priced_by,
            )
    price_basis = (
        {str(x.pk): {"amount_fen": reference} for x in lot.assets.all()} if reference else None
    )
    return AuctionFactory.create(
        lot=lot,
        title=title or lot.title,
        round=round_,
        state=state,
        starting_price_fen=start,
        increment_fen=increment,
        deposit_fen=deposit,
        starts_in=start_in,
        hours=hours,
        published_ago=published_ago,
        price_basis=price_basis,
    )


def verified_bidder(name: str | None = None) -> User:
    """A bidder with a verified identity."""
    user = BidderFactory.create(display_name=name or factory.Sequence(lambda n: f"竞买人{n}"))
    IdentityFactory.create(user=user, name=f"实名{user.pk}号")
    return user


def register_active(auction: Auction, user: User | None = None) -> Registration:
    """Register, hold the deposit (as settlement's DepositHeld does) and set the bid password."""
    from bidding import services

    user = user or verified_bidder()
    reg = services.registration_create(
        auction_id=auction.pk, user=user, accept_terms=True, eligibility_declared=True
    )
    reg = services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=user, password=PASSWORD)
    reg.refresh_from_db()
    return reg


def place_bid(auction: Auction, reg: Registration, amount_fen: int) -> Any:
    from bidding.services import bid_place

    return bid_place(auction_id=auction.pk, user=reg.user, amount_fen=amount_fen, password=PASSWORD)


def close_due() -> list[int]:
    from bidding.services import auction_close_due

    return auction_close_due()
