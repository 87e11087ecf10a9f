"""Results (成交公示), my account (我的账户) and the transparency page (执行公开)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Party
from core import clock
from tests.marketplace.conftest import (
    YUAN,
    close_due,
    make_auction,
    make_case,
    make_lot,
    place_bid,
    register_active,
)

pytestmark = pytest.mark.django_db(transaction=True)
H = dt.timedelta(hours=1)


@pytest.fixture
def sold(frozen_now, court, judge, officer):
    case = make_case(court, judge=judge, officer=officer)
    Party.objects.create(case=case, role="debtor", kind="person", name="被执行人张某某")
    lot = make_lot(case, seized_on=dt.date(2026, 8, 1), recorder=officer)
    a = make_auction(
        lot,
        state="bidding",
        start_in=-H,
        hours=2,
        start=100_000 * YUAN,
        increment=1_000 * YUAN,
        deposit=10_000 * YUAN,
        reference=120_000 * YUAN,
    )
    winner, loser = register_active(a), register_active(a)
    place_bid(a, loser, 100_000 * YUAN)
    place_bid(a, winner, 101_000 * YUAN)
    place_bid(a, loser, 102_000 * YUAN)
    place_bid(a, winner, 105_000 * YUAN)
    clock.advance(2 * H)
    assert close_due() == [a.pk]
    a.refresh_from_db()
    return {"auction": a, "winner": winner, "loser": loser, "case": case}


def test_the_result_page_publishes_the_confirmation_and_the_complete_bid_history(client, sold):
    a = sold["auction"]
    html = client.get(reverse("marketplace:result", args=[a.pk])).content.decode()
    assert "成交确认书" in html and sold["winner"].identity.name in html
    assert "105,000.00" in html
    # Bid times in 北京时间 on the page, ISO 8601 in the API (issue 13: no raw "…Z" shown).
    from django.utils import timezone

    from bidding.models import Bid

    last = Bid.objects.filter(auction=a).order_by("-seq").first()
    assert last is not None
    assert timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M:%S") in html
    assert "T" + last.at.astimezone(dt.UTC).strftime("%H:%M:%S") not in html
    data = client.get(f"/api/marketplace/results/{a.pk}").json()
    assert [b["amount_fen"] for b in data["bids"]] == [
        v * YUAN for v in (100_000, 101_000, 102_000, 105_000)
    ]
    assert [b["winner"] for b in data["bids"]] == [False, False, False, True]
    assert data["buyer_name"] and data["price_fen"] == 105_000 * YUAN
    listing = client.get(reverse("marketplace:results")).content.decode()
    assert a.title in listing and "已成交" in listing


def test_an_unsold_auction_is_published_without_a_buyer(client, frozen_now, court, judge):
    a = make_auction(make_lot(make_case(court, judge=judge)), state="bidding", start_in=-H, hours=2)
    clock.advance(2 * H)
    close_due()
    data = client.get(f"/api/marketplace/results/{a.pk}").json()
    assert data["outcome"] == "unsold" and data["buyer_name"] == "" and data["bids"] == []


def test_the_winners_account_shows_the_balance_due_and_where_to_pay(client, sold):
    client.force_login(sold["winner"].user)
    body = client.get("/api/marketplace/account").json()
    (win,) = body["wins"]
    assert win["price_fen"] == 105_000 * YUAN
    assert win["deposit_applied_fen"] == 10_000 * YUAN
    assert win["balance_fen"] == 95_000 * YUAN
    assert sold["case"].number in win["pay_to"]["memo"]
    html = client.get(reverse("marketplace:account")).content.decode()
    assert "应付余款" in html and "95,000.00" in html and "成交确认书" in html
    assert "已核验" in html  # identity verification status


def test_the_losers_account_shows_their_registration_and_bids_but_no_win(client, sold):
    client.force_login(sold["loser"].user)
    body = client.get("/api/marketplace/account").json()
    assert body["wins"] == []
    assert [b["amount_fen"] for b in body["bids"]] == [102_000 * YUAN, 100_000 * YUAN]
    (reg,) = body["registrations"]
    assert reg["bidder_code"] == sold["loser"].bidder_code


def test_the_transparency_page_shows_the_steps_and_no_personal_data(client, sold):
    case = sold["case"]
    data = client.get(f"/api/marketplace/cases/{case.pk}/transparency").json()
    kinds = [s["kind"] for s in data["steps"]]
    assert kinds.index("seizure") < kinds.index("announced") < kinds.index("sold")
    sold_step = next(s for s in data["steps"] if s["kind"] == "sold")
    assert "105,000.00" in sold_step["detail"]
    html = client.get(reverse("marketplace:transparency", args=[case.pk])).content.decode()
    for personal in (
        "被执行人张某某",
        sold["winner"].identity.name,
        sold["winner"].identity.number,
        sold["winner"].user.display_name,
        sold["loser"].identity.name,
    ):
        assert personal not in html
    assert client.get(reverse("marketplace:transparency", args=[999_999])).status_code == 404
