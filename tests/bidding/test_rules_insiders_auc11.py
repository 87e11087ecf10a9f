"""AUC-11: the enforcing court's own staff (the case judge included) and the platform operator
may not register, by default, with no per-lot exclusion list, for every round including 变卖;
directly, as a co-bidder or as an agent, through the service, the API and the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from bidding import services
from bidding.models import AuctionState, Registration
from core.errors import DomainError
from tests.conftest import make_user

from .engine_factories import bidder_user, make_case, make_identity, make_live_auction

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=2)
    )


def _person(role, court=None):
    user = make_user(role, court)
    make_identity(user)
    return user


def _refused(auction, user, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        services.registration_create(auction_id=auction.pk, user=user, accept_terms=True, **kw)
    return exc.value


@pytest.mark.parametrize("role", ["judge", "officer", "bureau_head", "finance"])
def test_auc11_staff_of_the_enforcing_court_are_barred_without_any_list(scheduled, court, role):
    err = _refused(scheduled, _person(role, court))
    assert (err.code, err.rule) == ("insider_barred", "AUC-11")
    assert not Registration.objects.filter(auction=scheduled).exists()


def test_auc11_staff_of_another_court_may_register(scheduled, other_court):
    """The boundary: the bar is the enforcing court's own staff, not every court's."""
    reg = services.registration_create(
        auction_id=scheduled.pk, user=_person("judge", other_court), accept_terms=True
    )
    assert reg.status == Registration.Status.PENDING_DEPOSIT


def test_auc11_the_platform_operator_is_barred(scheduled):
    err = _refused(scheduled, _person("operator"))
    assert (err.code, err.rule) == ("insider_barred", "AUC-11")


def test_auc11_the_case_judge_is_barred(scheduled, judge):
    make_identity(judge)
    err = _refused(scheduled, judge)
    assert (err.code, err.rule) == ("insider_barred", "AUC-11")


def test_auc11_insiders_are_barred_as_agent_and_as_co_bidder(scheduled, court):
    officer = _person("officer", court)
    err = _refused(scheduled, bidder_user(), agent=officer)
    assert err.code == "insider_barred" and "代理人" in str(err.message)
    err = _refused(scheduled, bidder_user(), joint_bidders=[{"user": officer, "share": "30"}])
    assert err.code == "insider_barred" and "共同竞买人" in str(err.message)


def test_auc11_court_staff_are_barred_from_a_sale_round(court, judge, frozen_now):
    """变卖 too (NJA 34; CPL-Interp 488)."""
    _case, lot, *_ = make_case(court, judge=judge)
    sale = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=2), round_="sale"
    )
    err = _refused(sale, _person("officer", court))
    assert (err.code, err.rule) == ("insider_barred", "AUC-11")
    assert services.registration_create(auction_id=sale.pk, user=bidder_user(), accept_terms=True)


@pytest.mark.rule("AUC-11", entry="api")
def test_auc11_api_refuses_an_insider(scheduled, court, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    c = Client()
    c.force_login(_person("officer", court))
    r = c.post(
        f"/api/bidding/auctions/{scheduled.pk}/registration",
        {"accept_terms": True},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "insider_barred"
    assert r.json()["rule"] == "AUC-11"


@pytest.mark.rule("AUC-11", entry="page")
def test_auc11_page_refuses_an_insider(scheduled, court, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    c = Client()
    c.force_login(_person("judge", court))
    r = c.post(reverse("bidding:register", args=[scheduled.pk]), {"accept_terms": "on"})
    assert "执行法院工作人员和网络服务提供者不得参加竞买" in r.content.decode()
    assert not Registration.objects.filter(auction=scheduled).exists()
