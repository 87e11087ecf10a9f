"""The bidding API: public reads, bidding with stable error codes, court actions for staff, and
anonymity on every response (REC-05)."""

from __future__ import annotations

import pytest
from django.test import Client

from bidding import services
from core import clock

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


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def live(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot)


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_public_list_detail_snapshot_history(live):
    c = client_for()
    assert [a["id"] for a in c.get("/api/bidding/auctions").json()] == [live.pk]
    detail = c.get(f"/api/bidding/auctions/{live.pk}").json()
    assert detail["state"] == "bidding" and detail["state_label"] == "进行中"
    snap = c.get(f"/api/bidding/auctions/{live.pk}/snapshot").json()
    assert snap["auction_id"] == live.pk and snap["next_min_bid_fen"] == live.starting_price_fen
    assert c.get(f"/api/bidding/auctions/{live.pk}/bids").json() == []


def test_drafts_are_not_public(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    draft = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=100 * YUAN,
        increment_fen=YUAN,
        deposit_fen=10 * YUAN,
    )
    r = client_for().get(f"/api/bidding/auctions/{draft.pk}")
    assert r.status_code == 404 and r.json()["code"] == "auction_not_found"


def test_bid_through_the_api_and_refusals_carry_stable_codes(live):
    a = register_active(live)
    c = client_for(a.user)
    r = c.post(
        f"/api/bidding/auctions/{live.pk}/bids",
        {"amount_fen": live.starting_price_fen, "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["seq"] == 1
    r = c.post(
        f"/api/bidding/auctions/{live.pk}/bids",
        {"amount_fen": live.starting_price_fen + live.increment_fen, "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": "leader_cannot_rebid",
        "message": "您当前领先，不能再次出价",
        "rule": "AUC-21",
    }


def test_bidding_requires_sign_in(live):
    r = client_for().post(
        f"/api/bidding/auctions/{live.pk}/bids", {"amount_fen": 1}, content_type="application/json"
    )
    assert r.status_code == 401


@pytest.mark.rule("REC-05", entry="api")
def test_no_api_response_links_a_code_to_a_person_before_the_end_rec05(live, judge):
    a, b = register_active(live), register_active(live)
    bid(live, a, live.starting_price_fen)
    bid(live, b, live.starting_price_fen + live.increment_fen)
    assert a.identity is not None and b.identity is not None
    secrets = [
        a.user.username,
        b.user.username,
        a.identity.name,
        b.identity.name,
        a.identity.number,
        str(a.user),
        str(b.user),
    ]
    for who in (None, judge, a.user):
        c = client_for(who)
        for url in (
            f"/api/bidding/auctions/{live.pk}",
            f"/api/bidding/auctions/{live.pk}/snapshot",
            f"/api/bidding/auctions/{live.pk}/bids",
            "/api/bidding/auctions",
            f"/api/bidding/auctions/{live.pk}/result",
        ):
            body = c.get(url).content.decode()
            assert not any(s in body for s in secrets), (who, url)


def test_after_a_sale_only_the_winner_is_revealed_rec05(live):
    a, b = register_active(live), register_active(live)
    bid(live, a, live.starting_price_fen)
    bid(live, b, live.starting_price_fen + live.increment_fen)
    assert a.identity is not None and b.identity is not None and live.end_at is not None
    clock.set_time(live.end_at)
    services.auction_close_due()
    result = client_for().get(f"/api/bidding/auctions/{live.pk}/result").json()
    assert result["winner_code"] == b.bidder_code and b.identity.name in result["buyer"]
    for url in (
        f"/api/bidding/auctions/{live.pk}/result",
        f"/api/bidding/auctions/{live.pk}/snapshot",
        f"/api/bidding/auctions/{live.pk}/bids",
    ):
        body = client_for().get(url).content.decode()
        assert a.identity.name not in body and a.user.username not in body
    snap = client_for().get(f"/api/bidding/auctions/{live.pk}/snapshot").json()
    assert snap["winner_code"] == b.bidder_code


def test_court_actions_need_staff_of_the_court(live, judge, bidder):
    r = client_for(bidder).post(
        f"/api/bidding/court/auctions/{live.pk}/suspend",
        {"reason": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client_for(judge).post(
        f"/api/bidding/court/auctions/{live.pk}/suspend",
        {"reason": "案外人异议"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "suspended"
    detail = client_for().get(f"/api/bidding/auctions/{live.pk}").json()
    assert detail["court_actions"][0]["reason"] == "案外人异议"  # published (REC-09)


def test_practice_auction_via_api(bidder, frozen_now):
    r = client_for(bidder).post(
        "/api/bidding/practice", {"duration_minutes": 10}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["is_practice"] is True
    assert client_for().get("/api/bidding/auctions").json() == []
    assert len(client_for().get("/api/bidding/auctions?practice=true").json()) == 1


def test_registration_flow_via_api(live):
    user = bidder_user()
    c = client_for(user)
    r = c.post(
        f"/api/bidding/auctions/{live.pk}/registration",
        {"accept_terms": True},
        content_type="application/json",
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == "pending_deposit"
        and r.json()["bidder_code"] is None
    )
    r = c.post(
        f"/api/bidding/registrations/{r.json()['id']}/deposit", content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["pay_url"]


def test_api_bids_are_rate_limited_per_bidder_like_the_websocket(live, settings):
    """Every bid path has the per-bidder limit (issue 15): the HTTP API counts each attempt,
    refused or not, with the websocket's rate and burst (``GAVEL_LIVE_BID_RATE``)."""
    import uuid

    from bidding.api import bid_rate

    assert bid_rate() == "10/2s"  # the default 5/s with a burst of 10
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_CACHE_PREFIX = f"rl:test-{uuid.uuid4().hex}:"
    settings.GAVEL_LIVE_BID_RATE = (0.05, 3.0)  # 3 attempts a minute
    assert bid_rate() == "3/60s"
    a, b = register_active(live), register_active(live)
    c = client_for(a.user)
    url = f"/api/bidding/auctions/{live.pk}/bids"
    too_low = {"amount_fen": live.starting_price_fen - live.increment_fen, "password": PASSWORD}
    replies = [c.post(url, too_low, content_type="application/json") for _ in range(7)]
    # Seven quick attempts fall in at most two 60-second windows: at most six get through.
    statuses = [r.status_code for r in replies]
    assert statuses[0] == 400 and 429 in statuses
    assert replies[statuses.index(429)].json() == {
        "code": "rate_limited",
        "message": "操作过于频繁，请稍后再试",
    }
    # Per bidder: another bidder is not held back by the first one's attempts.
    ok = client_for(b.user).post(
        url,
        {"amount_fen": live.starting_price_fen, "password": PASSWORD},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["seq"] == 1


@pytest.mark.rule("AUC-17", entry="api")
def test_api_unlock_then_bids_without_the_password_auc17(live):
    """Issue 15: the bidding password is verified once at unlock (full strength); the
    session then bids without it."""
    a = register_active(live)
    c = client_for(a.user)
    url = f"/api/bidding/auctions/{live.pk}"
    wrong = c.post(f"{url}/unlock", {"password": "not-it"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "bad_password"
    locked = c.post(
        f"{url}/bids", {"amount_fen": live.starting_price_fen}, content_type="application/json"
    )
    assert locked.status_code == 400 and locked.json()["code"] == "bad_password"
    ok = c.post(f"{url}/unlock", {"password": PASSWORD}, content_type="application/json")
    assert ok.status_code == 200 and ok.json() == {"unlocked": True}
    placed = c.post(
        f"{url}/bids", {"amount_fen": live.starting_price_fen}, content_type="application/json"
    )
    assert placed.status_code == 200 and placed.json()["seq"] == 1
