"""Court pages for two services that had only an API: the REC-12 ruling on an auction's
objection (auction page) and the AUC-39 offline rounds (lot page). A refusal shows its message
and its rule; staff of another court cannot reach either page nor post to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bidding import services
from bidding.models import OfflineRound
from bidding.services.objections import objection_subject
from core import calendar, clock
from core.deadlines import THIRD_PARTY
from core.models import Deadline
from tests.conftest import make_user

from .engine_factories import make_case, make_live_auction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _messages(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


# ---- REC-12: the ruling on a third party's objection, on the auction page ------------------


@pytest.fixture
def objected(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    services.auction_third_party_objection(
        auction_id=auction.pk, actor=judge, objector="案外人张某", reason="主张房屋为其所有"
    )
    return auction


def _ruling_url(auction) -> str:
    return f"/bidding/court/auctions/{auction.pk}/do/objection_ruling/"


def test_rec12_ruling_form_shows_only_while_an_objection_is_under_review(
    court, judge, objected, frozen_now
):
    body = login(judge).get(f"/bidding/court/auctions/{objected.pk}/").content.decode()
    assert "记录异议审查结果（REC-12）" in body and "案外人异议" in body
    _c, lot, *_ = make_case(court, judge=judge)
    plain = make_live_auction(court, lot)
    body = login(judge).get(f"/bidding/court/auctions/{plain.pk}/").content.decode()
    assert "记录异议审查结果（REC-12）" not in body


@pytest.mark.rule("REC-12", entry="page")
def test_rec12_ruling_through_the_page_opens_the_15_day_suit_window(judge, objected):
    clock.advance(dt.timedelta(days=2))
    resp = login(judge).post(
        _ruling_url(objected),
        {
            "objection_ruling-track": THIRD_PARTY,
            "objection_ruling-upheld": "no",
            "objection_ruling-ruling": "驳回案外人异议",
        },
        follow=True,
    )
    assert resp.status_code == 200
    assert any("REC-12" in m for m in _messages(resp)), _messages(resp)
    subject = objection_subject(objected, THIRD_PARTY)
    window = Deadline.objects.get(subject=f"{subject}/suit", rule_id="REC-12", status="open")
    assert window.due_at == calendar.within_days(clock.now(), 15, court=objected.court_id)
    assert not Deadline.objects.filter(subject=subject, rule_id="REC-12", status="open").exists()


def test_rec12_ruling_page_refusal_shows_its_rule_and_writes_nothing(judge, objected):
    resp = login(judge).post(
        _ruling_url(objected),
        {
            "objection_ruling-track": THIRD_PARTY,
            "objection_ruling-upheld": "no",
            "objection_ruling-ruling": "  ",
        },
        follow=True,
    )
    assert "须写明异议审查结果（REC-12）" in _messages(resp)
    served_later = clock.now() + dt.timedelta(hours=2)
    resp = login(judge).post(
        _ruling_url(objected),
        {
            "objection_ruling-track": THIRD_PARTY,
            "objection_ruling-upheld": "yes",
            "objection_ruling-ruling": "异议成立",
            "objection_ruling-served_at": served_later.astimezone(calendar.CST).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
        follow=True,
    )
    assert "送达时间不能晚于现在（REC-12）" in _messages(resp)
    assert not Deadline.objects.filter(subject__endswith="/suit").exists()


def test_rec12_ruling_page_refuses_staff_of_another_court(objected, other_court):
    stranger = make_user("judge", other_court)
    c = login(stranger)
    assert c.get(f"/bidding/court/auctions/{objected.pk}/").status_code == 403
    resp = c.post(
        _ruling_url(objected),
        {
            "objection_ruling-track": THIRD_PARTY,
            "objection_ruling-upheld": "no",
            "objection_ruling-ruling": "驳回",
        },
    )
    assert resp.status_code == 403
    assert not Deadline.objects.filter(subject__endswith="/suit").exists()


# ---- AUC-39: offline rounds on the lot page -------------------------------------------------


@pytest.fixture
def offline_lot(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    services.disposal_offline_record(
        lot_id=lot.pk, ground="unsuitable", reason="标的物不宜网络拍卖", actor=judge
    )
    return lot


def _held(at: dt.datetime) -> str:
    return at.astimezone(calendar.CST).strftime("%Y-%m-%dT%H:%M")


def _round_post(**over: str) -> dict[str, str]:
    data = {
        "action": "offline_round",
        "offline_round-method": "auction",
        "offline_round-appraisal_fen": "10000.00",
        "offline_round-start_price_fen": "10000.00",
        "offline_round-deposit_fen": "500.00",
        "offline_round-held_at": _held(clock.now() + dt.timedelta(days=1)),
    }
    return {**data, **{f"offline_round-{k}": v for k, v in over.items()}}


@pytest.mark.rule("AUC-39", entry="page")
def test_auc39_lot_page_deposit_below_5_percent_refused_with_its_rule_at_5_accepted(
    judge, offline_lot
):
    url = f"/bidding/court/lots/{offline_lot.pk}/"
    c = login(judge)
    assert "线下拍卖/变卖（AUC-39）" in c.get(url).content.decode()
    resp = c.post(url, _round_post(deposit_fen="499.99"))
    body = resp.content.decode()
    assert resp.status_code == 200  # the form again, with the refusal and what was typed
    assert "保证金不得低于评估价的5%（500.00 元）（AUC-39）" in body
    assert "499.99" in body
    assert not OfflineRound.objects.exists()
    resp = c.post(url, _round_post(deposit_fen="500.00"))
    assert resp.status_code == 302
    r = OfflineRound.objects.get()
    assert (r.method, r.round, r.deposit_fen, r.appraisal_fen) == ("auction", 1, 50_000, 1_000_000)


def test_auc39_lot_page_sale_below_half_refused_with_its_rule(judge, offline_lot):
    url = f"/bidding/court/lots/{offline_lot.pk}/"
    resp = login(judge).post(
        url, _round_post(method="sale", start_price_fen="4999.99", deposit_fen="")
    )
    assert "变卖价不得低于评估价的二分之一（5000.00 元）（AUC-39）" in resp.content.decode()
    assert not OfflineRound.objects.exists()


def test_auc39_lot_page_records_the_result_and_the_60_day_reauction(judge, offline_lot):
    url = f"/bidding/court/lots/{offline_lot.pk}/"
    c = login(judge)
    assert c.post(url, _round_post()).status_code == 302
    r = OfflineRound.objects.get()
    body = c.get(url).content.decode()
    assert "登记结果" in body and f'value="{r.pk}"' in body
    early = {"action": "offline_result", "offline_result-round": str(r.pk)}
    resp = c.post(url, {**early, "offline_result-outcome": "unsold"})
    assert "拍卖/变卖尚未举行（AUC-39）" in resp.content.decode()  # before it is held
    clock.set_time(r.held_at)
    resp = c.post(url, {**early, "offline_result-outcome": "unsold"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.outcome == "unsold"
    assert r.next_round_due_at == calendar.within_days(
        r.held_at, 60, court=offline_lot.case.court_id
    )
    assert r.deposit_refund_due_at == calendar.within_days(
        r.held_at, 3, court=offline_lot.case.court_id
    )


def test_auc39_lot_page_tampered_round_is_404(judge, offline_lot):
    c = login(judge)
    url = f"/bidding/court/lots/{offline_lot.pk}/"
    resp = c.post(
        url,
        {
            "action": "offline_result",
            "offline_result-round": "999999",
            "offline_result-outcome": "unsold",
        },
    )
    assert resp.status_code == 404


def test_auc39_lot_page_refuses_staff_of_another_court(judge, offline_lot, other_court):
    url = f"/bidding/court/lots/{offline_lot.pk}/"
    assert login(judge).post(url, _round_post()).status_code == 302
    r = OfflineRound.objects.get()
    stranger = login(make_user("judge", other_court))
    assert stranger.get(url).status_code == 403
    assert stranger.post(url, _round_post()).status_code == 403
    clock.set_time(r.held_at)
    resp = stranger.post(
        url,
        {
            "action": "offline_result",
            "offline_result-round": str(r.pk),
            "offline_result-outcome": "unsold",
        },
    )
    assert resp.status_code == 403
    assert OfflineRound.objects.get().outcome == "pending"
