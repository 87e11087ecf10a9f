"""REC-05 ``reveal_losers_after_close``: with the setting on (as snapshotted at publication),
every public surface that shows the bid history after the close names each bidder next to its
code, losers as well as the winner; with it off (the default) only the winner is revealed;
before the close nothing is revealed whatever the setting."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bidding import services
from core import clock

from .engine_factories import bid, make_case, make_live_auction, register_active

pytestmark = pytest.mark.django_db


def _auction(court, judge, *, reveal: bool):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, overrides={"reveal_losers_after_close": reveal})
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, auction.starting_price_fen)
    bid(auction, b, auction.starting_price_fen + auction.increment_fen)  # b wins
    a.refresh_from_db()
    b.refresh_from_db()
    return auction, a, b


def _close(auction):
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == "sold"


def surfaces(auction) -> dict[str, str]:
    """Every public surface that shows an auction's bid history, as text."""
    c = Client()
    out = {}
    for name, url in {
        "auction page": f"/bidding/auctions/{auction.pk}/",
        "bid history page": f"/bidding/auctions/{auction.pk}/bids/",
        "bid history json": f"/bidding/auctions/{auction.pk}/bids/?format=json",
        "snapshot": f"/bidding/auctions/{auction.pk}/snapshot",
        "api bids": f"/api/bidding/auctions/{auction.pk}/bids",
        "api snapshot": f"/api/bidding/auctions/{auction.pk}/snapshot",
        "result page": f"/marketplace/results/{auction.pk}/",
        "api result": f"/api/marketplace/results/{auction.pk}",
    }.items():
        r = c.get(url)
        body = r.content.decode()
        if r.get("Content-Type", "").startswith("application/json"):
            body = json.dumps(r.json(), ensure_ascii=False)  # undo \\u escapes
        out[name] = body
    return out


CLOSED_SURFACES = {
    "auction page",
    "bid history page",
    "bid history json",
    "snapshot",
    "api bids",
    "api snapshot",
    "result page",
    "api result",
}


def test_rec05_with_reveal_on_every_bidder_is_named_after_the_close(court, judge, frozen_now):
    auction, loser, winner = _auction(court, judge, reveal=True)
    _close(auction)
    pages = surfaces(auction)
    assert set(pages) == CLOSED_SURFACES
    for name, body in pages.items():
        assert loser.identity.name in body, f"{name}: the loser is not named"
        assert winner.identity.name in body, f"{name}: the winner is not named"
        assert loser.identity.number not in body, f"{name}: an ID number is shown"
    rows = Client().get(f"/api/bidding/auctions/{auction.pk}/bids").json()
    assert [(r["code"], r["name"]) for r in rows] == [
        (loser.bidder_code, loser.identity.name),
        (winner.bidder_code, winner.identity.name),
    ]
    page = Client().get(f"/bidding/auctions/{auction.pk}/").content.decode()
    assert 'id="revealed-bidders"' in page and "竞买人公示" in page


def test_rec05_with_reveal_off_only_the_winner_is_revealed_after_the_close(
    court, judge, frozen_now
):
    auction, loser, winner = _auction(court, judge, reveal=False)
    _close(auction)
    pages = surfaces(auction)
    for name, body in pages.items():
        assert loser.identity.name not in body, f"{name}: a loser is revealed"
        assert loser.user.username not in body, f"{name}: a loser is revealed"
        assert '"name"' not in body, f"{name}: names in the history"
    # The winner is known through the result and the confirmation (AUC-29).
    assert winner.identity.name in pages["result page"]
    assert winner.identity.name in pages["auction page"]
    assert 'id="revealed-bidders"' not in pages["auction page"]


@pytest.mark.rule("REC-05", entry="api")
def test_rec05_before_the_close_nothing_is_revealed_even_with_reveal_on(court, judge, frozen_now):
    auction, loser, winner = _auction(court, judge, reveal=True)
    pages = surfaces(auction)
    for name in ("auction page", "bid history page", "bid history json", "snapshot", "api bids"):
        body = pages[name]
        for reg in (loser, winner):
            assert reg.identity.name not in body, f"{name}: a bidder is named before the close"
            assert reg.user.username not in body
        assert '"name"' not in body
    # The results page has nothing to show before the close (REC-05).
    assert Client().get(f"/marketplace/results/{auction.pk}/").status_code in (400, 404)
    # A halted auction (AUC-40) has not closed: bidding did not end with a result.
    from bidding.models import Auction
    from bidding.selectors import revealed_bidders

    Auction.objects.filter(pk=auction.pk).update(state="halted")
    auction.refresh_from_db()
    assert revealed_bidders(auction) == {}
    assert '"name"' not in json.dumps(
        Client().get(f"/api/bidding/auctions/{auction.pk}/bids").json(), ensure_ascii=False
    )
