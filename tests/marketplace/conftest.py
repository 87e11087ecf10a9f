"""Fixtures for the marketplace tests: a case with an asset and a lot in the test court."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING

import pytest

from core import clock

if TYPE_CHECKING:
    from bidding.models import Auction, Bid, Registration
    from cases.models import Case, Lot
    from core.models import Court, User

_n = itertools.count(1)


def make_case(
    court: Court,
    *,
    judge: User | None = None,
    officer: User | None = None,
    claim_fen: int = 500_000_00,
) -> Case:
    from cases.models import Case

    n = next(_n)
    return Case.objects.create(
        court=court,
        number=f"（2026）{court.code}执{n}号",
        year=2026,
        court_code=court.code,
        case_type="执",
        sequence=n,
        title="借款合同纠纷",
        claim_fen=claim_fen,
        filed_on=dt.date(2026, 1, 5),
        created_at=clock.now(),
        judge=judge,
        officer=officer,
    )


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
    from cases.models import Asset, Lot, Seizure

    asset = Asset.objects.create(
        case=case,
        kind=kind,
        name=name,
        division_code=division_code,
        address="南昌市示例路1号",
        purchase_restricted=restricted,
        created_at=clock.now(),
        features={},
    )
    lot = Lot.objects.create(case=case, title=name, created_at=clock.now())
    lot.assets.add(asset)
    if seized_on is not None:
        assert recorder is not None, "a seizure is recorded by someone"
        Seizure.objects.create(
            asset=asset,
            kind="seal",
            seized_on=seized_on,
            document="（2026）执保1号",
            recorded_by=recorder,
            recorded_at=clock.now(),
        )
    return lot


@pytest.fixture
def case(court: Court, judge: User, officer: User) -> Case:
    return make_case(court, judge=judge, officer=officer)


@pytest.fixture
def lot(case: Case) -> Lot:
    return make_lot(case)


# ---- auctions (bidding's real models and services) ---------------------------------------------

YUAN = 100
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
    from bidding.models import Auction

    if priced_by is not None:
        from pricing.services import pricing_skip

        for asset in lot.assets.all():
            pricing_skip(
                asset=asset,
                ground="parties_request",
                market_price_fen=reference or start,
                actor=priced_by,
            )
    from core.rulesettings import settings_snapshot

    now = clock.now()
    start_at = now + start_in
    court = lot.case.court
    a = Auction(
        court=court,
        case=lot.case,
        lot=lot,
        title=title or lot.title,
        round=round_,
        state=state,
        starting_price_fen=start,
        increment_fen=increment,
        deposit_fen=deposit,
        balance_period_days=30,
        start_at=start_at,
        end_at=start_at + dt.timedelta(hours=hours),
        created_at=now,
        published_at=now - published_ago,
        price_basis={str(x.pk): {"amount_fen": reference} for x in lot.assets.all()}
        if reference
        else None,
    )
    a.scheduled_end_at = a.end_at
    a.settings_snapshot = settings_snapshot(court=court)
    a.save()
    return a


def verified_bidder(name: str | None = None) -> User:
    from cases.models import Identity
    from tests.conftest import make_user

    user = make_user("bidder", display_name=name or f"竞买人{next(_n)}")
    Identity.objects.create(
        kind="resident_id",
        number=f"36010219900101{next(_n):04d}",
        name=f"实名{user.pk}号",
        user=user,
        status=Identity.Status.VERIFIED,
        verified_at=clock.now(),
    )
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


def place_bid(auction: Auction, reg: Registration, amount_fen: int) -> Bid:
    from bidding.services import bid_place

    return bid_place(auction_id=auction.pk, user=reg.user, amount_fen=amount_fen, password=PASSWORD)


def close_due() -> list[int]:
    from bidding.services import auction_close_due

    return auction_close_due()
