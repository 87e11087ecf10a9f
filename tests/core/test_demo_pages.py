"""The demo's pages as people see them (``core.demo.seed``), for what a walk through the demo
found.

- Every link on a case page opens for the person who sees it: no link to a page that answers
  403, 404 or 500 (court finance's case page linked the court's auction and lot pages, which
  are the judges', officers' and heads' only).
- An English page says yes or no in English (the sold car's handover read "settled: 否")."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cases.models import Case
from core.models import User

HREF = re.compile(r'href="(/[^"#]*)')
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SKIP = ("/accounts/logout", "/static/", "/i18n/", "/jsi18n/", "/admin/")


def _links(client: Client, path: str) -> set[str]:
    resp = client.get(path)
    assert resp.status_code == 200, path
    return {
        h.replace("&amp;", "&")
        for h in HREF.findall(resp.content.decode())
        if not h.startswith("//") and not h.startswith(SKIP)
    }


@pytest.mark.parametrize("username", ["finance", "judge", "head"])
def test_the_court_case_pages_link_only_pages_that_open(demo: None, username: str) -> None:
    user = User.objects.get(username=username)
    assert user.court_id is not None
    client = Client(raise_request_exception=False)
    client.force_login(user)
    broken = {}
    for case in Case.objects.filter(court_id=user.court_id).order_by("pk"):
        for link in sorted(_links(client, f"/cases/{case.pk}/")):
            status = client.get(link).status_code
            if status in (403, 404) or status >= 500:
                broken[link] = status
    assert broken == {}


def test_the_handover_of_the_sold_car_says_yes_or_no_in_english(demo: None) -> None:
    from bidding.models import AuctionResult

    result = AuctionResult.objects.exclude(vehicle_violations_cleared=None).first()
    assert result is not None
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="judge"))
    client.cookies["django_language"] = "en"
    page = client.get(f"/bidding/court/auctions/{result.auction_id}/").content.decode()
    answer = "Yes" if result.vehicle_violations_cleared else "No"
    assert f"Vehicle traffic violations settled: {answer}" in page
    assert "否" not in page and "：是" not in page
