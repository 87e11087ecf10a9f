"""REC-05 on every marketplace surface: before bidding ends nothing links a bidder code to a
person or shows who registered or paid — for the public, rival bidders and court staff alike.
After the close only the buyer is named (AUC-29), and that is visible, which proves the check
below can see a name when there is one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from core.access import mask
from core.deadlines import deadline_open
from marketplace.services import (
    saved_search_create,
    viewing_request,
    viewing_slot_create,
    watch_add,
)
from tests.marketplace.conftest import (
    YUAN,
    close_due,
    make_auction,
    make_case,
    make_lot,
    place_bid,
    register_active,
    verified_bidder,
)

pytestmark = pytest.mark.django_db(transaction=True)
H = dt.timedelta(hours=1)


@pytest.fixture
def scene(frozen_now, court, judge, officer):
    case = make_case(court, judge=judge, officer=officer)
    lot = make_lot(case, seized_on=dt.date(2026, 8, 1), recorder=officer)
    auction = make_auction(
        lot,
        state="bidding",
        start_in=-H,
        hours=3,
        start=100_000 * YUAN,
        increment=1_000 * YUAN,
        reference=120_000 * YUAN,
    )
    secret = verified_bidder(name="隐秘竞买人")
    rival = verified_bidder(name="对手竞买人")
    reg = register_active(auction, secret)
    rival_reg = register_active(auction, rival)
    place_bid(auction, rival_reg, 100_000 * YUAN)
    place_bid(auction, reg, 101_000 * YUAN)  # the secret bidder leads
    watch_add(user=secret, auction_id=auction.pk)
    watch_add(user=rival, auction_id=auction.pk)
    saved_search_create(user=secret, params={"kind": "residential"})
    start = clock.now() + 2 * H
    slot = viewing_slot_create(
        lot_id=lot.pk, starts_at=start, ends_at=start + H, place="楼下", actor=officer
    )
    viewing_request(slot_id=slot.pk, user=rival)
    deadline_open(
        rule_id="AUC-30",
        title="退还保证金",
        subject=f"case:{case.pk}/auction:{auction.pk}",
        start_event="竞价结束",
        started_at=clock.now(),
        period=1,
        court=court,
        owner=judge,
    )
    identity = reg.identity
    assert identity is not None
    secrets = [
        secret.username,
        secret.display_name,
        identity.name,
        identity.number,
        mask(identity.number),
        f"user:{secret.pk}",
    ]
    return {
        "auction": auction,
        "case": case,
        "lot": lot,
        "secret": secret,
        "rival": rival,
        "reg": reg,
        "secrets": secrets,
        "judge": judge,
        "officer": officer,
    }


def surfaces(scene):
    a, case = scene["auction"], scene["case"]
    public = [
        reverse("marketplace:listings"),
        reverse("marketplace:listings") + "?state=live",
        reverse("marketplace:calendar"),
        # the one auction page with the marketplace's parts (the old overview redirects there)
        reverse("bidding:auction", args=[a.pk]),
        reverse("marketplace:results"),
        reverse("marketplace:result", args=[a.pk]),
        reverse("marketplace:transparency", args=[case.pk]),
        reverse("marketplace:practice"),
        reverse("marketplace:lot_viewings", args=[a.lot_id]),
        "/api/marketplace/auctions",
        f"/api/marketplace/auctions/{a.pk}",
        "/api/marketplace/calendar",
        "/api/marketplace/results",
        f"/api/marketplace/results/{a.pk}",
        f"/api/marketplace/cases/{case.pk}/transparency",
    ]
    rival = [
        *public,
        reverse("marketplace:watchlist"),
        reverse("marketplace:account"),
        reverse("marketplace:my_viewings"),
        "/api/marketplace/watchlist",
        "/api/marketplace/account",
        "/api/marketplace/saved-searches",
    ]
    staff = [
        *public,
        reverse("marketplace:workbench"),
        reverse("marketplace:statistics"),
        reverse("marketplace:statistics") + "?format=csv&freq=all",
        reverse("marketplace:court_viewings"),
        "/api/marketplace/workbench",
        "/api/marketplace/statistics?freq=all",
        "/api/marketplace/statistics?format=csv",
    ]
    return {"public": public, "rival": rival, "staff": staff}


def read_all(client: Client, urls: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for url in urls:
        resp = client.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        out[url] = resp.content.decode()
    return out


def leaks(pages: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    return [(url, s) for url, body in pages.items() for s in secrets if s and s in body]


def test_no_marketplace_surface_names_a_bidder_before_the_close(scene):
    urls = surfaces(scene)
    anon = Client()
    rival = Client()
    rival.force_login(scene["rival"])
    for role in ("judge", "officer"):
        staff = Client()
        staff.force_login(scene[role])
        assert leaks(read_all(staff, urls["staff"]), scene["secrets"]) == []
    assert leaks(read_all(anon, urls["public"]), scene["secrets"]) == []
    assert leaks(read_all(rival, urls["rival"]), scene["secrets"]) == []


def test_before_the_close_there_is_no_result_to_publish(scene, client):
    resp = client.get(f"/api/marketplace/results/{scene['auction'].pk}")
    assert resp.status_code == 404 and resp.json()["code"] == "result_not_found"
    assert scene["auction"].pk not in [
        r["auction_id"] for r in client.get("/api/marketplace/results").json()["results"]
    ]


def test_the_bidder_sees_their_own_code_and_nobody_elses(scene):
    own = Client()
    own.force_login(scene["secret"])
    body = own.get("/api/marketplace/account").json()
    assert [r["bidder_code"] for r in body["registrations"]] == [scene["reg"].bidder_code]
    rival = Client()
    rival.force_login(scene["rival"])
    codes = [
        r["bidder_code"] for r in rival.get("/api/marketplace/account").json()["registrations"]
    ]
    assert scene["reg"].bidder_code not in codes


def test_after_the_close_only_the_buyer_is_named(scene, client):
    clock.advance(3 * H)
    assert close_due() == [scene["auction"].pk]
    page = client.get(reverse("marketplace:result", args=[scene["auction"].pk])).content.decode()
    identity = scene["reg"].identity
    assert identity.name in page  # AUC-29: the confirmation names the buyer…
    assert identity.number not in page  # …with the number masked
    assert "对手竞买人" not in page and scene["rival"].username not in page  # REC-05: never a loser
    api = client.get(f"/api/marketplace/results/{scene['auction'].pk}").json()
    assert api["winner_code"] == scene["reg"].bidder_code
    assert [b["winner"] for b in api["bids"]] == [False, True]
