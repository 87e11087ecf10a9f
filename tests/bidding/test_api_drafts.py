"""Drafts in the bidding API: the court's drafts and the engine's follow-up drafts (next round,
变卖, re-auction), read with the court pages' permissions."""

from __future__ import annotations

import pytest
from django.test import Client

from bidding.models import Auction, AuctionState
from tests.conftest import make_user

from .engine_factories import bidder_user, make_case, make_live_auction, publishable_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def drafts(court, judge, frozen_now):
    new = publishable_draft(court, judge)
    _case, lot, _c, _d = make_case(court, judge=judge)
    defaulted = make_live_auction(court, lot, state=AuctionState.DEFAULTED)
    reauction = make_live_auction(court, lot, state=AuctionState.DRAFT)
    Auction.objects.filter(pk=reauction.pk).update(previous=defaulted, link=Auction.Link.REAUCTION)
    return {"new": new, "reauction": reauction, "defaulted": defaulted}


def test_the_judge_lists_the_courts_drafts_with_the_follow_up_drafts(judge, drafts):
    body = login(judge).get("/api/bidding/court/drafts").json()
    assert {d["id"] for d in body} == {drafts["new"].pk, drafts["reauction"].pk}
    assert drafts["defaulted"].pk not in {d["id"] for d in body}  # not a draft
    (re,) = login(judge).get("/api/bidding/court/drafts?kind=reauction").json()
    assert re["id"] == drafts["reauction"].pk
    assert (re["link"], re["link_label"]) == ("reauction", "悔拍后重新拍卖")
    assert re["previous"]["id"] == drafts["defaulted"].pk
    assert re["previous"]["state"] == "defaulted"
    assert re["url"] == f"/bidding/court/auctions/{drafts['reauction'].pk}/"
    (new,) = login(judge).get("/api/bidding/court/drafts?kind=new").json()
    assert new["id"] == drafts["new"].pk and new["previous"] is None
    assert login(judge).get("/api/bidding/court/drafts?kind=next_round").json() == []


def test_an_unknown_kind_is_a_clear_400(judge, drafts):
    r = login(judge).get("/api/bidding/court/drafts?kind=bogus")
    assert r.status_code == 400 and r.json()["code"] == "invalid_kind"


def test_the_draft_detail_lists_every_publication_problem_with_its_rule(court, judge, drafts):
    r = login(judge).get(f"/api/bidding/court/drafts/{drafts['reauction'].pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["link"] == "reauction" and isinstance(body["publish_problems"], list)
    assert all(p["message"] and p["code"] for p in body["publish_problems"])
    ok = login(judge).get(f"/api/bidding/court/drafts/{drafts['new'].pk}").json()
    assert ok["announcement"] == "拍卖公告（示例）" and ok["publish_problems"] == []
    gone = login(judge).get(f"/api/bidding/court/drafts/{drafts['defaulted'].pk}")
    assert gone.status_code == 404 and gone.json()["code"] == "draft_not_found"


def test_drafts_are_for_staff_of_the_court_as_on_the_court_pages(other_court, drafts):
    stranger = make_user("judge", other_court)
    assert login(stranger).get("/api/bidding/court/drafts").json() == []
    r = login(stranger).get(f"/api/bidding/court/drafts/{drafts['new'].pk}")
    assert r.status_code == 403
    assert login(bidder_user()).get("/api/bidding/court/drafts").status_code == 403
    finance = make_user("finance", drafts["new"].court)
    assert login(finance).get("/api/bidding/court/drafts").status_code == 403
    assert Client().get("/api/bidding/court/drafts").status_code == 401
