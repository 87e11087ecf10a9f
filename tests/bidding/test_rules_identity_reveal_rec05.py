"""REC-05: until bidding ends, a registration's identity is read only for a pending agent
(AUC-14) or priority-purchaser (AUC-19) check of THAT registration, by a judge or officer of
the court, each read in the access log; anything else waits for the close. Service and page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bidding import services
from bidding.models import AuctionState, PriorityHolder
from core import clock
from core.errors import DomainError
from core.models import AccessLog
from tests.conftest import make_user

from .engine_factories import bidder_user, make_case, make_live_auction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def scheduled(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )


def _register(auction, **kw):
    return services.registration_create(
        auction_id=auction.pk, user=bidder_user(), accept_terms=True, **kw
    )


def _reveal(reg, user, check, purpose="核对"):
    return services.registration_identity_reveal(
        registration_id=reg.pk, user=user, purpose=purpose, check=check
    )


def _refused(reg, user, check) -> DomainError:
    with pytest.raises(DomainError) as exc:
        _reveal(reg, user, check)
    assert exc.value.rule == "REC-05"
    return exc.value


def test_rec05_a_plain_registration_is_never_unmasked_during_bidding(scheduled, judge):
    """The issue's case: no agent, no priority claim → refused for any purpose, nothing read."""
    plain = _register(scheduled)
    for check in ("", "agent", "priority", "curiosity"):
        _refused(plain, judge, check)
    clock.set_time(scheduled.start_at)  # and once bidding is open
    _refused(plain, judge, "agent")
    assert not AccessLog.objects.filter(subject__endswith=f"registration:{plain.pk}").exists()


def test_rec05_agent_check_of_that_registration_is_read_and_logged(scheduled, judge):
    reg = _register(scheduled, agent=bidder_user())
    shown = _reveal(reg, judge, "agent", purpose="核对委托手续")
    assert shown["竞买人姓名"] == reg.identity.name and "代理人姓名" in shown
    logs = AccessLog.objects.filter(user=judge, subject=f"{scheduled.ref}/registration:{reg.pk}")
    assert logs.count() == 4
    assert set(logs.values_list("purpose", flat=True)) == {"委托代理核对（AUC-14）：核对委托手续"}
    # The same registration for another check (it claims no priority): refused.
    assert _refused(reg, judge, "priority").code == "identity_check_not_pending"


def test_rec05_agent_check_only_while_the_agency_can_still_be_confirmed(scheduled, judge):
    """AUC-14: confirmation is before bidding opens; one second each side of the start."""
    reg = _register(scheduled, agent=bidder_user())
    clock.set_time(scheduled.start_at - dt.timedelta(seconds=1))
    assert _reveal(reg, judge, "agent")
    clock.set_time(scheduled.start_at)
    assert _refused(reg, judge, "agent").code == "identity_check_not_pending"


def test_rec05_agent_check_ends_once_the_agency_is_confirmed(scheduled, judge):
    reg = _register(scheduled, agent=bidder_user())
    services.registration_confirm_agent(registration_id=reg.pk, actor=judge)
    assert _refused(reg, judge, "agent").code == "identity_check_not_pending"


def test_rec05_priority_check_while_the_claim_is_pending(scheduled, judge):
    reg = _register(scheduled, claims_priority=True)
    shown = _reveal(reg, judge, "priority")
    assert shown["竞买人证件号码"] == reg.identity.number
    holder = PriorityHolder.objects.create(
        auction=scheduled, name="承租人", rank=1, basis="租赁", added_by=judge, added_at=clock.now()
    )
    services.registration_confirm_priority(registration_id=reg.pk, actor=judge, holder_id=holder.pk)
    assert _refused(reg, judge, "priority").code == "identity_check_not_pending"


def test_rec05_only_judges_and_officers_read_identities(scheduled, court, judge):
    reg = _register(scheduled, agent=bidder_user())
    assert _reveal(reg, make_user("officer", court), "agent")
    for role in ("finance", "bureau_head"):
        with pytest.raises(DomainError) as exc:
            _reveal(reg, make_user(role, court), "agent")
        assert exc.value.code == "restricted_data" and exc.value.rule == "REC-05"


def test_rec05_after_the_close_the_court_may_read_for_a_stated_purpose(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    reg = _register(auction)
    _refused(reg, judge, "")
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD
    assert _reveal(reg, judge, "", purpose="流拍后核对保证金退还")["竞买人姓名"]
    assert AccessLog.objects.filter(user=judge, purpose="流拍后核对保证金退还").count() == 2


@pytest.mark.rule("REC-05", entry="page")
def test_rec05_the_page_refuses_a_plain_registration_and_reveals_a_pending_check(scheduled, judge):
    plain, agented = _register(scheduled), _register(scheduled, agent=bidder_user())
    c = Client()
    c.force_login(judge)
    url = f"/bidding/court/registrations/{plain.pk}/reveal/"
    body = c.post(url, {"purpose": "看看是谁", "check": "agent"}).content.decode()
    assert plain.identity.name not in body and "该报名没有待核对的委托代理" in body
    body = c.post(url, {"purpose": "看看是谁"}).content.decode()
    assert plain.identity.name not in body and "竞价结束前" in body
    # The detail page's link names the check; the form comes with it chosen.
    page = c.get(f"/bidding/court/registrations/{agented.pk}/reveal/?check=agent").content
    assert b'value="agent" selected' in page
    body = c.post(
        f"/bidding/court/registrations/{agented.pk}/reveal/",
        {"purpose": "核对委托手续", "check": "agent"},
    ).content.decode()
    assert agented.identity.name in body
    assert not AccessLog.objects.filter(subject__endswith=f"registration:{plain.pk}").exists()
