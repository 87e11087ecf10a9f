"""Following from the pages: follow/unfollow a listing, save a search from the hall, see both
in 我的关注, delete a saved search; the same through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import SavedSearch, Watch
from tests.marketplace.conftest import make_auction, make_case, make_lot, verified_bidder

pytestmark = pytest.mark.django_db


@pytest.fixture
def auction(frozen_now, court, judge):
    return make_auction(
        make_lot(make_case(court, judge=judge), name="红谷滩某小区住宅"), state="scheduled"
    )


def test_follow_and_unfollow_from_the_hall(client, auction):
    fan = verified_bidder()
    client.force_login(fan)
    back = reverse("marketplace:listings") + "?kind=residential"
    resp = client.post(
        reverse("marketplace:watch", args=[auction.pk]), {"action": "add", "next": back}
    )
    assert resp.status_code == 302 and resp["Location"] == back
    assert Watch.objects.filter(user=fan, auction=auction).exists()
    assert "已关注" in client.get(back).content.decode()
    assert "红谷滩某小区住宅" in client.get(reverse("marketplace:watchlist")).content.decode()
    client.post(reverse("marketplace:watch", args=[auction.pk]), {"action": "remove"})
    assert not Watch.objects.filter(user=fan).exists()


def test_an_external_next_is_not_followed(client, auction):
    client.force_login(verified_bidder())
    resp = client.post(
        reverse("marketplace:watch", args=[auction.pk]), {"next": "https://evil.example/"}
    )
    assert resp["Location"] == reverse("marketplace:watchlist")


def test_save_a_search_from_the_hall_and_delete_it(client, auction):
    fan = verified_bidder()
    client.force_login(fan)
    hall = client.get(
        reverse("marketplace:listings") + "?kind=residential&region=360100&price_max=2000000"
    )
    html = hall.content.decode()
    assert 'name="region" value="3601"' in html  # the canonical search is what gets saved
    client.post(
        reverse("marketplace:saved_search_save"),
        {"kind": ["residential"], "region": ["3601"], "price_max": ["2000000.00"]},
    )
    (s,) = SavedSearch.objects.filter(user=fan)
    assert s.params == {"kind": ["residential"], "region": "3601", "price_max": "2000000.00"}
    assert s.name == "住宅 · 江西省南昌市 · 不限–2,000,000.00 元"
    page = client.get(reverse("marketplace:watchlist")).content.decode()
    assert "kind=residential&amp;region=3601&amp;price_max=2000000.00" in page
    client.post(reverse("marketplace:saved_search_remove", args=[s.pk]))
    assert not SavedSearch.objects.exists()


def test_a_bad_saved_search_is_refused_with_the_filter_message(client):
    client.force_login(verified_bidder())
    resp = client.post(
        "/api/marketplace/saved-searches",
        {"params": {"round": "9"}},
        content_type="application/json",
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_round"


def test_following_through_the_api(client, auction):
    fan = verified_bidder()
    client.force_login(fan)
    assert client.put(f"/api/marketplace/watchlist/{auction.pk}").json()["watched"] is True
    assert client.put(f"/api/marketplace/watchlist/{auction.pk}").status_code == 200  # idempotent
    assert [r["auction_id"] for r in client.get("/api/marketplace/watchlist").json()] == [
        auction.pk
    ]
    assert client.delete(f"/api/marketplace/watchlist/{auction.pk}").json()["removed"] is True
    assert client.put("/api/marketplace/watchlist/999999").json()["code"] == "auction_not_found"
    client.logout()
    assert client.get("/api/marketplace/watchlist").status_code == 401
