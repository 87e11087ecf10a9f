"""AUC rules that sit at the edges of bidding: who chose the platform (AUC-02), default's
surplus/shortfall switches (AUC-34), the offline channel never mixing in (AUC-39), and no
offline commission on court-run online auctions (AUC-45)."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import AuctionState
from core import clock
from core.models import AuditEntry

from .engine_factories import (
    YUAN,
    bid,
    make_case,
    make_live_auction,
    publishable_draft,
    register_paid,
)

pytestmark = pytest.mark.django_db


def _problems(a):
    a.refresh_from_db()
    return {(p.code, p.rule) for p in services.auction_publish_problems(a)}


def test_who_chose_the_platform_must_be_recorded_auc02(court, judge, frozen_now):
    a = publishable_draft(court, judge)
    assert not any(rule == "AUC-02" for _, rule in _problems(a))
    services.auction_draft_update(
        auction_id=a.pk, actor=judge, platform_chosen_by="", platform_choice_note=""
    )
    assert ("platform_choice_missing", "AUC-02") in _problems(a)
    services.auction_draft_update(auction_id=a.pk, actor=judge, platform_chosen_by="court")
    assert ("platform_choice_reason", "AUC-02") in _problems(a)
    services.auction_draft_update(
        auction_id=a.pk, actor=judge, platform_choice_note="申请执行人未在期限内选择，本院指定"
    )
    assert not any(rule == "AUC-02" for _, rule in _problems(a))


def test_default_records_the_surplus_and_shortfall_switches_auc34(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    a = register_paid(auction)
    bid(auction, a, auction.starting_price_fen)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.result.balance_due_at is not None
    clock.set_time(auction.result.balance_due_at + dt.timedelta(seconds=1))
    services.auction_default(auction_id=auction.pk)
    entry = AuditEntry.objects.get(stream=f"auction:{auction.pk}", action="auction.defaulted")
    # The defaults (assumptions, configurable): surplus not returned, shortfall pursued.
    assert entry.after is not None
    assert entry.after["return_surplus"] is False and entry.after["pursue_shortfall"] is True
    assert "AUC-34" in entry.rule_ids


def test_online_sale_price_never_falls_to_the_offline_half_floor_auc39(court, judge, frozen_now):
    """变卖 online: at least the second auction's start (AUC-37), never the offline ½ floor."""
    first = publishable_draft(court, judge)
    first = services.auction_publish(auction_id=first.pk, actor=judge)
    assert first.end_at is not None
    clock.set_time(first.end_at)
    services.auction_close_due()
    second = services.auction_next_round_create(auction_id=first.pk, actor=judge)
    second.state = AuctionState.UNSOLD
    second.closed_at = clock.now()
    second.save()
    sale = services.auction_next_round_create(auction_id=second.pk, actor=judge)
    half = first.starting_price_fen // 2  # what the offline channel would allow (ASR 25)
    services.auction_draft_update(
        auction_id=sale.pk, actor=judge, starting_price_fen=half, deposit_fen=half
    )
    assert ("sale_price_too_low", "AUC-37") in _problems(sale)


def test_no_offline_commission_on_a_court_online_auction_auc45(court, judge, frozen_now):
    """The buyer owes the price less the deposit, nothing more: no 5/3/2/1/0.5% commission."""
    from settlement.models import BalanceDue

    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=100_000 * YUAN, deposit=10_000 * YUAN)
    a = register_paid(auction)
    bid(auction, a, auction.starting_price_fen)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    due = BalanceDue.objects.get(sale_ref=auction.sale_ref)
    assert due.price_fen == 100_000 * YUAN
    assert due.deposit_applied_fen == 10_000 * YUAN
