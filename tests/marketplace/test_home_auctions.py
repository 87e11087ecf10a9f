"""The home page shows lots (core.home, marketplace/home.py): the auctions under way, ending
soonest first, and those about to start, as the listing's cards — never drafts, practice
auctions or ended ones; with none of either, no section at all."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from tests.marketplace.conftest import YUAN, make_auction, make_case, make_lot

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def _sections(html: str) -> dict[str, list[str]]:
    """The card titles under each of the home page's headings 正在拍卖 / 即将开始."""
    out: dict[str, list[str]] = {}
    for part in re.split(r'<div class="home-head">', html)[1:]:
        heading = re.search(r"<h2[^>]*>([^<]+)", part)
        assert heading is not None
        titles = re.findall(r'<h3 class="mk-card-title"><a href="[^"]+">([^<]+)</a>', part)
        out[heading.group(1).strip()] = titles
    return out


def test_home_lists_live_then_upcoming_auctions(frozen_now, court, judge, officer):
    case = make_case(court, judge=judge, officer=officer)
    ends_late = make_auction(
        make_lot(case, name="晚结束住宅"), state="bidding", start_in=-2 * H, hours=10
    )
    ends_soon = make_auction(
        make_lot(case, name="早结束商铺"), state="bidding", start_in=-2 * H, hours=3
    )
    make_auction(make_lot(case, name="明天开拍车辆"), state="scheduled", start_in=20 * H)
    make_auction(make_lot(case, name="已流拍土地"), state="unsold", start_in=-60 * H)
    make_auction(make_lot(case, name="已撤回厂房"), state="withdrawn", start_in=5 * H)
    html = Client().get("/").content.decode()

    assert _sections(html) == {
        "正在拍卖": [ends_soon.title, ends_late.title],
        "即将开始": ["明天开拍车辆"],
    }
    # a search box that leads to the listing
    assert 'action="/marketplace/"' in html and 'name="q"' in html
    assert f"¥{100_000 * YUAN // 100:,}.00" in html  # the card's price (make_auction's start)


def test_home_without_public_auctions_shows_no_auction_section(frozen_now):
    html = Client().get("/").content.decode()
    assert "home-auctions" not in html
    assert "Gavel 司法处置平台" in html
