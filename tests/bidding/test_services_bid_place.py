"""bid_place: amounts (AUC-20/21), ties (AUC-26), time (AUC-24), extension (AUC-23), history (AUC-25)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bidding import services
from bidding.models import AuctionState, Bid
from bidding.selectors import auction_bid_history, auction_snapshot
from core import clock
from core.audit import audit_verify
from core.errors import DomainError

from .engine_factories import (
    PASSWORD,
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN


@pytest.fixture
def lot(court, judge, frozen_now):
    return make_case(court, judge=judge)[1]


@pytest.fixture
def auction(court, lot):
    return make_live_auction(court, lot, start=START, increment=INC)


def refused(code, fn, *a, **kw):
    with pytest.raises(DomainError) as exc:
        fn(*a, **kw)
    assert exc.value.code == code, exc.value.as_dict()
    return exc.value


def test_first_bid_at_start_leads_and_is_sequence_one(auction):
    a = register_active(auction)
    b = bid(auction, a, START)
    auction.refresh_from_db()
    assert (b.seq, auction.current_price_fen, auction.leader_id, auction.leader_code) == (
        1,
        START,
        a.pk,
        a.bidder_code,
    )


def test_bid_below_start_is_invalid_auc20(auction):
    a = register_active(auction)
    err = refused("bid_below_start", bid, auction, a, START - INC)
    assert err.rule == "AUC-20"


def test_first_bid_may_be_any_grid_amount_above_start_by_default_auc21(auction):
    a = register_active(auction)
    bid(auction, a, START + 3 * INC)
    auction.refresh_from_db()
    assert auction.current_price_fen == START + 3 * INC


def test_first_bid_must_equal_start_when_the_court_sets_it_auc21(court, lot):
    auction = make_live_auction(
        court, lot, start=START, increment=INC, overrides={"first_bid_must_equal_start": True}
    )
    a = register_active(auction)
    refused("first_bid_must_equal_start", bid, auction, a, START + INC)
    bid(auction, a, START)


def test_bid_off_the_increment_grid_is_refused_auc21(auction):
    a = register_active(auction)
    refused("bid_not_on_grid", bid, auction, a, START + INC // 2)


def test_off_grid_bid_accepted_when_grid_switched_off_but_must_still_beat_by_increment_auc21(
    court, lot
):
    auction = make_live_auction(
        court, lot, start=START, increment=INC, overrides={"bids_on_increment_grid": False}
    )
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START + 123)
    refused("bid_too_low", bid, auction, b, START + 123 + INC - 1)
    bid(auction, b, START + 123 + INC)


def test_ordinary_bid_must_beat_leader_by_one_increment_auc20(auction):
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START + INC)
    refused("equal_bid_not_allowed", bid, auction, b, START + INC)
    refused("bid_too_low", bid, auction, b, START)
    bid(auction, b, START + 2 * INC)


def test_leader_may_not_rebid_auc21(auction):
    a = register_active(auction)
    bid(auction, a, START)
    refused("leader_cannot_rebid", bid, auction, a, START + INC)


def test_leader_may_rebid_when_the_setting_allows_it_auc21(court, lot):
    auction = make_live_auction(
        court, lot, start=START, increment=INC, overrides={"forbid_rebid_while_leading": False}
    )
    a = register_active(auction)
    bid(auction, a, START)
    second = bid(auction, a, START + INC)
    assert (second.seq, second.amount_fen, second.registration_id) == (2, START + INC, a.pk)
    auction.refresh_from_db()
    assert (auction.current_price_fen, auction.leader_id) == (START + INC, a.pk)


def test_wrong_or_missing_password_is_refused_auc17(auction):
    a = register_active(auction)
    refused("bad_password", bid, auction, a, START, password="not-it")
    refused(
        "bad_password", services.bid_place, auction_id=auction.pk, user=a.user, amount_fen=START
    )


def test_unregistered_user_and_unknown_auction(auction):
    stranger = bidder_user()
    refused(
        "not_registered",
        services.bid_place,
        auction_id=auction.pk,
        user=stranger,
        amount_fen=START,
        password="x",
    )
    refused(
        "auction_not_found",
        services.bid_place,
        auction_id=auction.pk + 999,
        user=stranger,
        amount_fen=START,
        password="x",
    )


def test_no_deposit_no_bid_auc17(auction):
    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    reg.password_hash = services._hash_password(PASSWORD)
    reg.save()
    refused(
        "deposit_not_confirmed",
        services.bid_place,
        auction_id=auction.pk,
        user=user,
        amount_fen=START,
        password=PASSWORD,
    )


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100", True, None])
def test_invalid_amounts_are_refused(auction, amount):
    a = register_active(auction)
    refused("invalid_amount", bid, auction, a, amount)


def test_bid_at_or_after_the_end_is_refused_auc24(auction):
    a = register_active(auction)
    clock.set_time(auction.end_at)
    refused("auction_ended", bid, auction, a, START)


def test_bid_before_start_is_refused_and_scheduled_auction_opens_at_its_start(court, lot):
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=1)
    )
    a = register_active(auction)
    refused("auction_not_open", bid, auction, a, START)
    clock.advance(dt.timedelta(hours=1))
    bid(auction, a, START)
    auction.refresh_from_db()
    assert auction.state == AuctionState.BIDDING


def test_bid_time_is_server_receipt_time_auc24(auction):
    a = register_active(auction)
    b = bid(auction, a, START)
    assert b.at == clock.now()


# ---- AUC-23: extension ----------------------------------------------------------------------
def test_bid_in_last_five_minutes_moves_end_to_bid_time_plus_five_auc23(auction):
    a, b = register_active(auction), register_active(auction)
    end = auction.end_at
    clock.set_time(end - dt.timedelta(minutes=2))
    bid(auction, a, START)
    auction.refresh_from_db()
    assert auction.end_at == clock.now() + dt.timedelta(minutes=5)
    assert (auction.extension_count, auction.state) == (1, AuctionState.EXTENDED)
    # Uncapped: keep extending as long as bids come in the last 5 minutes.
    for i in range(1, 30):
        clock.advance(dt.timedelta(minutes=4, seconds=59))
        bid(auction, b if i % 2 else a, START + i * INC)
    auction.refresh_from_db()
    assert auction.extension_count == 30
    assert auction.end_at == clock.now() + dt.timedelta(minutes=5)


def test_bid_earlier_than_the_last_five_minutes_does_not_move_the_end_auc23(auction):
    a = register_active(auction)
    end = auction.end_at
    clock.set_time(end - dt.timedelta(minutes=5))  # exactly 5 minutes left: t + 5 min == end
    bid(auction, a, START)
    auction.refresh_from_db()
    assert (auction.end_at, auction.extension_count, auction.state) == (
        end,
        0,
        AuctionState.BIDDING,
    )


# ---- AUC-26: priority ties ------------------------------------------------------------------
def test_priority_purchaser_takes_the_lead_with_an_equal_bid_auc26(auction):
    ordinary = register_active(auction)
    holder = register_active(auction, priority_rank=1)
    assert holder.bidder_code is not None
    assert holder.bidder_code.startswith("P1-")  # AUC-19: one code type per rank
    bid(auction, ordinary, START)
    bid(auction, holder, START)
    auction.refresh_from_db()
    assert auction.leader_id == holder.pk
    # An ordinary bidder must beat the holder by an increment.
    refused("equal_bid_not_allowed", bid, auction, ordinary, START)
    bid(auction, ordinary, START + INC)


def test_higher_ranked_holder_takes_lead_from_lower_ranked_with_equal_bid_auc26(auction):
    rank2 = register_active(auction, priority_rank=2)
    rank1 = register_active(auction, priority_rank=1)
    bid(auction, rank2, START)
    bid(auction, rank1, START)
    auction.refresh_from_db()
    assert auction.leader_id == rank1.pk
    refused("equal_bid_not_allowed", bid, auction, rank2, START)


def test_same_rank_later_equal_bid_is_refused_earlier_wins_auc26(auction):
    first = register_active(auction, priority_rank=1)
    second = register_active(auction, priority_rank=1)
    bid(auction, first, START)
    err = refused("equal_bid_not_allowed", bid, auction, second, START)
    assert err.rule == "AUC-26"


# ---- AUC-25 / REC-06: history, sequence and hash chain ---------------------------------------
def test_history_is_complete_public_and_hash_chained_auc25(auction):
    a, b = register_active(auction), register_active(auction)
    for i in range(6):
        bid(auction, a if i % 2 == 0 else b, START + i * INC)
    history = auction_bid_history(auction.pk)
    assert [h["seq"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert [h["code"] for h in history] == [a.bidder_code, b.bidder_code] * 3
    assert set(history[0]) == {"seq", "code", "amount_fen", "at", "priority"}
    bids = list(Bid.objects.filter(auction=auction).order_by("seq"))
    assert bids[0].prev_hash == "0" * 64
    for prev, cur in itertools.pairwise(bids):
        assert cur.prev_hash == prev.hash
        assert cur.hash == services.bid_hash(
            prev_hash=prev.hash,
            auction_id=auction.pk,
            seq=cur.seq,
            code=cur.bidder_code,
            amount_fen=cur.amount_fen,
            at=cur.at,
            priority_rank=cur.priority_rank,
        )
    assert audit_verify([f"auction:{auction.pk}"]) == []


def test_snapshot_shows_codes_never_identities_rec05(auction):
    a = register_active(auction)
    bid(auction, a, START)
    snap = auction_snapshot(auction.pk)
    assert snap["leader_code"] == a.bidder_code
    assert snap["price_fen"] == START and snap["next_min_bid_fen"] == START + INC
    assert snap["registrant_count"] == 1 and snap["seq"] == 1
    text = repr(snap)
    assert a.identity is not None
    assert (
        a.user.username not in text
        and a.identity.name not in text
        and a.identity.number not in text
    )
    assert "winner_code" not in snap


def test_accepted_bid_publishes_bid_accepted_after_commit(
    auction, django_capture_on_commit_callbacks
):
    from bidding.events import BidAccepted
    from core.events import subscribe, unsubscribe

    seen: list[BidAccepted] = []
    subscribe(BidAccepted, seen.append)
    try:
        a, b = register_active(auction), register_active(auction, priority_rank=1)
        with django_capture_on_commit_callbacks(execute=True):
            bid(auction, a, START)
            assert seen == []
        clock.set_time(auction.end_at - dt.timedelta(minutes=2))  # AUC-23: this one extends
        with django_capture_on_commit_callbacks(execute=True):
            bid(auction, b, START + INC)
    finally:
        unsubscribe(BidAccepted, seen.append)
    assert [
        (e.seq, e.amount_fen, e.bidder_code, e.previous_leader_registration_id, e.extended)
        for e in seen
    ] == [(1, START, a.bidder_code, None, False), (2, START + INC, b.bidder_code, a.pk, True)]
    assert [(e.extension_count, e.priority_rank) for e in seen] == [(0, None), (1, 1)]


def test_bid_place_is_a_handful_of_statements_and_reads_no_settings(
    auction, django_assert_max_num_queries
):
    """The hot path: registration, lock, bid insert, audit head + entry, auction update (no N+1,
    no settings query: the snapshot on the row is read). Savepoints of the test transaction count too."""
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START)
    user = b.user
    with django_assert_max_num_queries(8) as ctx:
        services.bid_place(
            auction_id=auction.pk, user=user, amount_fen=START + INC, password=PASSWORD
        )
    assert not any("core_rulesetting" in q["sql"] for q in ctx.captured_queries)
    # With the registration the live consumer knows, the lookup rides on the lock, and on
    # PostgreSQL the writes are one statement: savepoint, lock + read, write, release.
    from django.db import connection

    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 7) as ctx:
        services.bid_place(
            auction_id=auction.pk,
            user=a.user,
            amount_fen=START + 2 * INC,
            password=PASSWORD,
            registration_id=a.pk,
        )
    assert not any("core_rulesetting" in q["sql"] for q in ctx.captured_queries)


def test_without_a_confirmed_deposit_the_refusal_says_so_not_wrong_password_auc17(auction):
    """A registrant who has not paid has no bidding password yet; the answer names the deposit."""
    user = bidder_user()
    services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    refused(
        "deposit_not_confirmed",
        services.bid_place,
        auction_id=auction.pk,
        user=user,
        amount_fen=START,
        password="any-password",
    )


def test_the_registration_hint_saves_a_lookup_but_never_lends_another_bidder_s_registration(
    auction, court, lot
):
    """The live consumer passes the registration it read on connect; the engine re-reads it
    under the auction lock and refuses one that is not the caller's or not this auction's
    (AUC-17), even with the right password — and a wrong password stays wrong (AUC-17)."""
    a, b = register_active(auction), register_active(auction)
    other = make_live_auction(court, make_case(court)[1], start=START, increment=INC)
    c = register_active(other)

    def place(user, amount_fen, registration_id, password=PASSWORD):
        return services.bid_place(
            auction_id=auction.pk,
            user=user,
            amount_fen=amount_fen,
            password=password,
            registration_id=registration_id,
        )

    first = place(a.user, START, a.pk)
    assert first.registration_id == a.pk and first.bidder_code == a.bidder_code
    # a's hint again (the password is known to this process now, so the row comes with the
    # lock): the rules still run on the row read under the lock (AUC-21: a leader cannot rebid).
    refused("leader_cannot_rebid", place, a.user, START + INC, a.pk)
    # b names a's registration: refused, nothing recorded under a's code.
    refused("not_registered", place, b.user, START + INC, a.pk)
    # A registration of another auction does not open this one.
    refused("not_registered", place, c.user, START + INC, c.pk)
    refused("bad_password", place, b.user, START + INC, b.pk, password="wrong-password")
    assert place(b.user, START + INC, b.pk).bidder_code == b.bidder_code
    assert list(Bid.objects.filter(auction=auction).values_list("bidder_code", flat=True)) == [
        a.bidder_code,
        b.bidder_code,
    ]
    assert audit_verify([auction.stream]) == []


def test_a_bid_after_a_foreign_write_to_the_auction_stream_resyncs_and_keeps_the_chain(auction):
    """The bid's audit entry is written in the same statement as the bid with a compare-and-set
    of the stream head; if something else appended to the auction's stream, the bid is still
    accepted once and the hash chain stays whole (REC-06)."""
    from django.db import transaction

    from core.audit import audit_record

    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START)
    with transaction.atomic():
        audit_record(stream=auction.stream, action="note", subject="foreign")
    second = bid(auction, b, START + INC)
    auction.refresh_from_db()
    assert second.seq == 2 and auction.current_price_fen == START + INC
    assert Bid.objects.filter(auction=auction).count() == 2
    assert audit_verify([auction.stream]) == []
    from core.models import AuditStream

    # The row's mirror and the stream's head agree again.

    head = AuditStream.objects.get(name=auction.stream)
    assert (head.last_seq, head.last_hash) == (auction.stream_seq, auction.stream_hash)


def test_the_compiled_bid_lock_reads_exactly_what_the_orm_reads(auction):
    """The bid path's lock query is compiled once per process; the rows it builds carry every
    field as the ORM would (JSON settings snapshot, times, flags), for the registration and
    its auction."""
    from bidding import locks
    from bidding.models import Auction, Registration

    a = register_active(auction, priority_rank=2)
    bid(auction, a, START)
    fast = locks.auction_for_bid(auction.pk, a.pk)
    assert fast is not None
    orm = Registration.objects.select_related("auction").get(pk=a.pk)
    for field in Registration._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(orm, field.attname), field.name
    for field in Auction._meta.concrete_fields:
        assert getattr(fast.auction, field.attname) == getattr(orm.auction, field.attname), (
            field.name
        )
    assert fast.auction.settings_snapshot and isinstance(fast.auction.settings_snapshot, dict)
    assert fast.auction.leader_bid_at == orm.auction.leader_bid_at is not None
    # Not this auction's registration, or no such registration: nothing.
    assert locks.auction_for_bid(auction.pk + 10_000, a.pk) is None
    assert locks.auction_for_bid(auction.pk, a.pk + 10_000) is None
