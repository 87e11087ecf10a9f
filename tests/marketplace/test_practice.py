"""The practice lobby (模拟拍) starts bidding's practice auctions, and a practice auction leaves
real ledgers, statistics, audit streams, listings and alerts untouched (issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from bidding import services as bidding
from bidding.models import Auction, Registration
from core import clock
from core.models import AuditEntry, Deadline, OutboxMessage, User
from marketplace.alerts import reminders_send
from marketplace.practice import SPARRING_MAX_RAISES, SPARRING_USERNAME, practice_sparring_tick
from marketplace.stats import compute_statistics
from marketplace.stats_source import statistics_rows
from tests.conftest import make_user
from tests.marketplace.conftest import PASSWORD, close_due, make_auction, make_case, make_lot

pytestmark = pytest.mark.django_db(transaction=True)


def settlement_rows() -> dict[str, int]:
    """Rows in every settlement table (ledgers, holds, intents, …); {} before settlement exists."""
    try:
        config = apps.get_app_config("settlement")
    except LookupError:
        return {}
    return {m._meta.label: m._default_manager.count() for m in config.get_models()}


def practise(client: Client, user: User, scenario: str = "basic") -> Auction:
    client.force_login(user)
    resp = client.post(reverse("marketplace:practice_start"), {"scenario": scenario})
    assert resp.status_code == 302
    auction = Auction.objects.get(is_practice=True, practice_owner=user)
    assert resp["Location"] == f"/bidding/auctions/{auction.pk}/"
    return auction


def join(auction: Auction, user: User) -> Registration:
    reg = bidding.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    bidding.registration_pay_deposit(registration_id=reg.pk, user=user)  # play money: at once
    bidding.registration_set_password(registration_id=reg.pk, user=user, password=PASSWORD)
    reg.refresh_from_db()
    return reg


def test_the_lobby_starts_a_practice_auction_a_new_bidder_can_bid_in(client, frozen_now):
    learner = make_user("bidder")
    a = practise(client, learner, "basic")
    assert a.end_at is not None and a.start_at is not None
    assert a.state == "bidding" and a.end_at - a.start_at == dt.timedelta(minutes=20)
    reg = join(a, learner)
    assert reg.bidder_code
    bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen, password=PASSWORD
    )
    a.refresh_from_db()
    assert a.leader_id == reg.pk and a.extension_count == 0
    page = client.get(reverse("marketplace:practice")).content.decode()
    assert "基础练习" in page and f"/bidding/auctions/{a.pk}/" in page


def test_the_sparring_partner_answers_and_the_last_five_minutes_extend_the_end(client, frozen_now):
    """AUC-23 felt first-hand: the partner opens, answers each outbid, and bids in the last
    5 minutes move the end to bid time + 5 minutes."""
    learner = make_user("bidder")
    a = practise(client, learner, "extension")
    a.refresh_from_db()
    partner = Registration.objects.get(auction=a, user__username=SPARRING_USERNAME)
    assert (a.current_price_fen, a.leader_id) == (
        a.starting_price_fen,
        partner.pk,
    )  # the opening bid
    me = join(a, learner)
    step = a.increment_fen
    bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen + step, password=PASSWORD
    )
    assert practice_sparring_tick() == 1
    a.refresh_from_db()
    assert (a.current_price_fen, a.leader_id, a.extension_count) == (
        a.starting_price_fen + 2 * step,
        partner.pk,
        0,
    )
    assert practice_sparring_tick() == 0  # it leads: nothing to answer
    clock.advance(dt.timedelta(minutes=4))  # 3 minutes left
    bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen + 3 * step, password=PASSWORD
    )
    a.refresh_from_db()
    assert a.extension_count == 1 and a.end_at == clock.now() + dt.timedelta(minutes=5)
    clock.advance(dt.timedelta(seconds=30))
    practice_sparring_tick()
    a.refresh_from_db()
    assert a.extension_count == 2 and a.end_at == clock.now() + dt.timedelta(minutes=5)
    assert a.leader_id == partner.pk and me.pk != partner.pk


def test_the_sparring_partner_gives_up_at_its_cap(client, frozen_now):
    learner = make_user("bidder")
    a = practise(client, learner, "extension")
    join(a, learner)
    top = a.starting_price_fen + SPARRING_MAX_RAISES * a.increment_fen
    bidding.bid_place(auction_id=a.pk, user=learner, amount_fen=top, password=PASSWORD)
    assert practice_sparring_tick() == 0
    a.refresh_from_db()
    assert a.current_price_fen == top
    assert a.leader is not None and a.leader.user == learner


def test_an_unknown_scenario_is_refused_kindly(client, frozen_now):
    client.force_login(make_user("bidder"))
    resp = client.post(reverse("marketplace:practice_start"), {"scenario": "casino"}, follow=True)
    assert "练习场景“casino”不存在" in resp.content.decode()
    assert not Auction.objects.filter(is_practice=True).exists()


def test_a_practice_auction_leaves_ledgers_statistics_audit_listings_and_alerts_untouched(
    client, frozen_now, court, judge, officer
):
    # A real auction for comparison, and the state of every real record before practising.
    real = make_auction(make_lot(make_case(court, judge=judge, officer=officer)), state="scheduled")
    before_settlement = settlement_rows()
    before_streams = set(AuditEntry.objects.values_list("stream", flat=True))
    before_deadlines = Deadline.objects.count()
    before_stats = statistics_rows()

    learner, rival = make_user("bidder"), make_user("bidder")
    a = practise(client, learner, "extension")
    from core.errors import DomainError
    from marketplace.services import watch_add

    with pytest.raises(DomainError):  # practice auctions are not followable listings
        watch_add(user=rival, auction_id=a.pk)
    r1, r2 = join(a, learner), join(a, rival)
    step = a.increment_fen
    bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen + step, password=PASSWORD
    )
    assert practice_sparring_tick() == 1
    bidding.bid_place(
        auction_id=a.pk, user=rival, amount_fen=a.starting_price_fen + 3 * step, password=PASSWORD
    )
    clock.advance(dt.timedelta(minutes=25))
    reminders_send()
    assert a.pk in close_due()
    a.refresh_from_db()
    assert a.state == "sold"

    # Ledgers: not one row in any settlement table.
    assert settlement_rows() == before_settlement
    # Audit: only the practice stream is new; no auction:/case:/system: stream was written.
    new_streams = set(AuditEntry.objects.values_list("stream", flat=True)) - before_streams
    assert new_streams == {f"practice:{a.pk}"}
    # Deadlines (refunds, balance, ruling): none opened for a practice sale.
    assert Deadline.objects.count() == before_deadlines
    # Statistics: the same rows as before, and the court table unchanged.
    assert statistics_rows() == before_stats
    assert (
        compute_statistics(statistics_rows(), freq="all").to_dict()
        == compute_statistics(before_stats, freq="all").to_dict()
    )
    # Listings, calendar and results never show it.
    assert a.pk not in [
        r["auction_id"] for r in client.get("/api/marketplace/auctions").json()["results"]
    ]
    assert a.pk not in [
        r["auction_id"] for r in client.get("/api/marketplace/results").json()["results"]
    ]
    assert client.get(f"/api/marketplace/results/{a.pk}").status_code == 404
    assert real.pk in [
        r["auction_id"] for r in client.get("/api/marketplace/auctions").json()["results"]
    ]
    # No marketplace alert (outbid, reminder) for a practice auction; the accounts stay real-only.
    assert not OutboxMessage.objects.filter(topic__startswith="marketplace.").exists()
    account = client.get("/api/marketplace/account").json()
    assert account["registrations"] == [] and account["bids"] == [] and account["wins"] == []
    assert r1.pk != r2.pk
