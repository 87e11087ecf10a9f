"""REC-05 on the surfaces the engine owns: the Django admin (superusers included) and the
court pages. Until bidding ends nothing links a bidder code to a person or shows who
registered; afterwards only the winner is revealed."""

from __future__ import annotations

import pytest
from django.test import Client

from bidding import services
from core import clock
from tests.conftest import make_user

from .engine_factories import bid, make_case, make_live_auction, register_active

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def world(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, auction.starting_price_fen)
    bid(auction, b, auction.starting_price_fen + auction.increment_fen)
    return auction, a, b


def _superuser():
    u = make_user("operator", username="root-admin")
    u.is_staff = u.is_superuser = True
    u.save()
    c = Client()
    c.force_login(u)
    return c


def _secrets(*regs):
    out = []
    for r in regs:
        out += [r.user.username, r.identity.name, r.identity.number, str(r.user)]
    return out


ADMIN_PAGES = [
    "/admin/bidding/registration/",
    "/admin/bidding/registration/{a_reg}/change/",
    "/admin/bidding/registration/{b_reg}/change/",
    "/admin/bidding/bid/",
    "/admin/bidding/auction/{auction}/change/",
    "/admin/bidding/auctionresult/",
]


def _pages(auction, a, b):
    return [p.format(a_reg=a.pk, b_reg=b.pk, auction=auction.pk) for p in ADMIN_PAGES]


@pytest.mark.rule("REC-05", entry="admin")
def test_admin_shows_no_identity_before_the_end_even_to_superusers_rec05(world):
    auction, a, b = world
    c = _superuser()
    for url in _pages(auction, a, b):
        r = c.get(url)
        assert r.status_code == 200, url
        body = r.content.decode()
        assert not any(s in body for s in _secrets(a, b)), url


def test_admin_registration_list_cannot_be_narrowed_to_a_person_rec05(world):
    _auction, a, b = world
    c = _superuser()
    body = c.get(f"/admin/bidding/registration/?q={a.user.username}").content.decode()
    assert a.bidder_code in body and b.bidder_code in body  # no search: the query narrows nothing
    r = c.get(f"/admin/bidding/registration/?user__username={a.user.username}")
    assert r.status_code in (302, 400) and a.bidder_code not in r.content.decode()


@pytest.mark.rule("REC-05", entry="admin")
def test_admin_after_close_reveals_the_winner_only_rec05(world):
    auction, a, b = world
    clock.set_time(auction.end_at)
    services.auction_close_due()
    c = _superuser()
    winner_page = c.get(f"/admin/bidding/registration/{b.pk}/change/").content.decode()
    loser_page = c.get(f"/admin/bidding/registration/{a.pk}/change/").content.decode()
    assert str(b.user) in winner_page or b.user.username in winner_page
    assert not any(s in loser_page for s in _secrets(a))


def test_admin_is_read_only(world):
    _auction, a, _b = world
    c = _superuser()
    r = c.post(f"/admin/bidding/registration/{a.pk}/change/", {"status": "cancelled"})
    assert r.status_code == 403
    a.refresh_from_db()
    assert a.status == "active"
