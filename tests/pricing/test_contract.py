"""The contract bidding relies on: the price basis, the announcement, the sale (docs/contracts.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar
from core.errors import DomainError
from core.models import Deadline
from pricing.models import InquiryPlatform, InquiryReport, InquiryRequest, ReferencePrice
from pricing.services import (
    PriceBasis,
    inquiry_fee_shares,
    mean_half_up,
    pricing_skip,
    procedure_suspend,
    procedure_withdraw,
    reference_price_record_announcement,
    reference_price_valid_for,
)
from tests.pricing.conftest import fix_by_directed


def test_no_basis_without_a_fixed_price(asset, procedure, now):
    """PRC-11: nothing fixed yet → None, so bidding refuses to publish."""
    assert reference_price_valid_for(asset_id=asset.pk, at=now) is None


def test_fixed_reference_price_is_the_basis_until_it_expires(asset, procedure, judge, now):
    """PRC-11: usable up to valid_until (≤ 12 months), not after."""
    price = fix_by_directed(procedure, judge, amount_fen=123_456_78)
    basis = reference_price_valid_for(asset_id=asset.pk, at=now)
    assert isinstance(basis, PriceBasis)
    assert (basis.kind, basis.amount_fen, basis.grace_until) == ("reference", 123_456_78, None)
    assert basis.procedure_ref == f"case:{asset.case_id}/asset:{asset.pk}/pricing:{procedure.pk}"
    assert basis.valid_until == calendar.months_after(now, 12) == price.valid_until
    assert reference_price_valid_for(asset_id=asset.pk, at=basis.valid_until) is not None
    assert (
        reference_price_valid_for(asset_id=asset.pk, at=basis.valid_until + dt.timedelta(seconds=1))
        is None
    )


def test_a_shorter_source_validity_is_kept(asset, procedure, judge, now):
    """PRC-11: the result's own validity counts when it is shorter than a year."""
    until = now + dt.timedelta(days=90)
    fix_by_directed(procedure, judge, valid_until=until)
    basis = reference_price_valid_for(asset_id=asset.pk, at=now)
    assert basis is not None
    assert basis.valid_until == until


def test_announcement_inside_validity_opens_six_month_grace(asset, procedure, judge, now):
    """PRC-11: announced inside validity → the sale may start up to 6 months after expiry."""
    price = fix_by_directed(procedure, judge)
    published = now + dt.timedelta(days=300)
    basis = reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:7", published_at=published
    )
    assert basis.grace_until == calendar.months_after(price.valid_until, 6)
    later = price.valid_until + dt.timedelta(days=100)
    in_grace = reference_price_valid_for(asset_id=asset.pk, at=later)
    assert in_grace is not None
    assert in_grace.grace_until == basis.grace_until
    assert (
        reference_price_valid_for(asset_id=asset.pk, at=basis.grace_until + dt.timedelta(seconds=1))
        is None
    )


def test_announcement_after_expiry_is_refused(asset, procedure, judge, now):
    """PRC-11: refuse a first announcement on an expired price."""
    price = fix_by_directed(procedure, judge)
    with pytest.raises(DomainError) as err:
        reference_price_record_announcement(
            asset_id=asset.pk,
            auction_ref="auction:7",
            published_at=price.valid_until + dt.timedelta(minutes=1),
        )
    assert err.value.rule == "PRC-11"


def test_fixing_opens_prc13_and_the_announcement_closes_it(asset, procedure, judge, now):
    """PRC-13: the sale must start within 10 days of fixing; the announcement meets it."""
    fix_by_directed(procedure, judge)
    d = Deadline.objects.get(subject=procedure.subject, rule_id="PRC-13")
    assert d.status == "open"
    assert d.due_at == calendar.within_days(now, 10)
    reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:9", published_at=now
    )
    d.refresh_from_db()
    assert d.status == "met"


def test_second_announcement_keeps_the_first_grace(asset, procedure, judge, now):
    fix_by_directed(procedure, judge)
    first = reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:1", published_at=now
    )
    again = reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:2", published_at=now + dt.timedelta(days=40)
    )
    assert again.grace_until == first.grace_until
    assert ReferencePrice.objects.get(procedure=procedure).announcement_ref == "auction:1"


def test_market_price_basis_for_a_skipped_asset(asset, judge, now):
    """PRC-19: a skip needs a ground; the basis is the market price, with its ground."""
    with pytest.raises(DomainError) as err:
        pricing_skip(asset=asset, ground="", market_price_fen=500_000, actor=judge)
    assert err.value.rule == "PRC-19"
    pricing_skip(
        asset=asset, ground="low_value", market_price_fen=500_000, note="旧家具一批", actor=judge
    )
    basis = reference_price_valid_for(asset_id=asset.pk, at=now)
    assert basis is not None
    assert basis.kind == "market"
    assert basis.amount_fen == 500_000
    assert "价值较低" in basis.ground and "旧家具" in basis.ground


def test_suspended_or_withdrawn_procedure_has_no_basis(asset, procedure, judge, now):
    """PRC-14: a suspended pricing gives no basis; a withdrawn one neither."""
    fix_by_directed(procedure, judge)
    assert reference_price_valid_for(asset_id=asset.pk, at=now) is not None
    procedure_withdraw(procedure=procedure, ground="debt_performed", actor=judge)
    assert reference_price_valid_for(asset_id=asset.pk, at=now) is None


def test_suspension_hides_basis_while_pricing_runs(asset, procedure, judge, now):
    procedure_suspend(procedure=procedure, ground="enforcement_suspended", actor=judge)
    assert reference_price_valid_for(asset_id=asset.pk, at=now) is None


def _P(pk: int, order: int = 0) -> InquiryPlatform:
    """An unsaved platform: the fee split reads only these fields."""
    return InquiryPlatform(pk=pk, sort_order=order, code=f"p{pk}", name=f"平台{pk}")


def _Rep(platform: InquiryPlatform, amount: int) -> InquiryReport:
    """An unsaved report of ``platform`` for ``amount``."""
    return InquiryReport(request=InquiryRequest(platform=platform), amount_fen=amount)


def test_fee_goes_to_the_closest_platform():
    """PRC-15: only the platform closest to the sale price is paid."""
    a, b, c = _P(1), _P(2), _P(3)
    shares = inquiry_fee_shares(
        reports=[_Rep(a, 100_00), _Rep(b, 120_00), _Rep(c, 90_00)],
        sale_price_fen=118_00,
        fee_fen=3_000_00,
    )
    assert [(p.pk, fen) for p, fen in shares] == [(2, 3_000_00)]


def test_fee_split_evenly_on_an_exact_tie():
    """PRC-15: exact ties split the fee evenly; an odd fen goes to the earlier roster entry."""
    a, b, c = _P(1, 0), _P(2, 1), _P(3, 2)
    shares = inquiry_fee_shares(
        reports=[_Rep(a, 110_00), _Rep(b, 90_00), _Rep(c, 150_00)],
        sale_price_fen=100_00,
        fee_fen=1_001,
    )
    assert [(p.pk, fen) for p, fen in shares] == [(1, 501), (2, 500)]


@pytest.mark.parametrize(
    ("amounts", "mean"),
    [
        ([100, 101], 101),  # 100.5 fen → 101 (half up)
        ([100, 100, 101], 100),  # 100.33 → 100
        ([1_000_000_01, 1_000_000_02], 1_000_000_02),
        ([333, 333, 334], 333),
    ],
)
def test_mean_rounds_to_whole_fen_half_up(amounts, mean):
    """PRC-09: mean_rounding = 0.01 yuan half-up."""
    assert mean_half_up(amounts) == mean
