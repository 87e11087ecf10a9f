"""The practice lobby (模拟拍) starts bidding's practice auctions, and a practice auction leaves
real ledgers, statistics, audit streams, listings and alerts untouched (issue 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.urls import reverse

from bidding import services as bidding
from bidding.models import Auction
from core import clock
from core.models import AuditEntry, Deadline, OutboxMessage
from marketplace.alerts import reminders_send
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
    return {m._meta.label: m.objects.count() for m in config.get_models()}


def practise(client, user, scenario="basic"):
    client.force_login(user)
    resp = client.post(reverse("marketplace:practice_start"), {"scenario": scenario})
    assert resp.status_code == 302
    auction = Auction.objects.get(is_practice=True, practice_owner=user)
    assert resp["Location"] == f"/bidding/auctions/{auction.pk}/"
    return auction


def join(auction, user):
    reg = bidding.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    bidding.registration_pay_deposit(registration_id=reg.pk, user=user)  # play money: at once
    bidding.registration_set_password(registration_id=reg.pk, user=user, password=PASSWORD)
    reg.refresh_from_db()
    return reg


def test_the_lobby_starts_a_practice_auction_a_new_bidder_can_bid_in(client, frozen_now):
    learner = make_user("bidder")
    a = practise(client, learner, "extension")
    assert a.state == "bidding" and a.end_at - a.start_at == dt.timedelta(minutes=6)
    reg = join(a, learner)
    assert reg.bidder_code
    bid = bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen, password=PASSWORD
    )
    a.refresh_from_db()
    # Bid 0 minutes in, 6 minutes before the end: inside the last 5 minutes? No (6 > 5) → no extension.
    assert a.extension_count == 0
    clock.advance(dt.timedelta(minutes=2))
    rival = make_user("bidder")
    rival_reg = join(a, rival)
    bidding.bid_place(
        auction_id=a.pk, user=rival, amount_fen=bid.amount_fen + a.increment_fen, password=PASSWORD
    )
    a.refresh_from_db()
    # AUC-23: a bid 4 minutes before the end moves the end to bid time + 5 minutes.
    assert a.extension_count == 1 and a.end_at == clock.now() + dt.timedelta(minutes=5)
    assert rival_reg.bidder_code != reg.bidder_code
    page = client.get(reverse("marketplace:practice")).content.decode()
    assert "延时规则练习" in page and f"/bidding/auctions/{a.pk}/" in page


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
    a = practise(client, learner)
    from core.errors import DomainError
    from marketplace.services import watch_add

    with pytest.raises(DomainError):  # practice auctions are not followable listings
        watch_add(user=rival, auction_id=a.pk)
    r1, r2 = join(a, learner), join(a, rival)
    bidding.bid_place(
        auction_id=a.pk, user=learner, amount_fen=a.starting_price_fen, password=PASSWORD
    )
    bidding.bid_place(
        auction_id=a.pk,
        user=rival,
        amount_fen=a.starting_price_fen + a.increment_fen,
        password=PASSWORD,
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
