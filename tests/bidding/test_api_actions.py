"""Auction rules through the API, as a client calls it (issue 13: every court page's action has
an API call; issue 14: each entry that reaches a rule is proven): the auction's court page
(``/api/bidding/court/auctions/{id}/actions/{name}``), the case account's page
(``/api/settlement/cases/{id}/account/…``), the case API and the bidders' bid API. JSON in,
``{"code","message","rule"}`` out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from bidding import services
from bidding.models import AuctionState, Bid, Registration
from cases.models import Disclosure
from core import calendar, clock
from core.models import ServiceRecord
from settlement.models import DistributionPlan, ForfeitSettlement

from .engine_factories import (
    PASSWORD,
    YUAN,
    bidder_user,
    make_case,
    make_live_auction,
    publishable_draft,
    register_active,
)
from .test_forfeits_applied import DEPOSIT, _defaulted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def call(user, path: str, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    r = client_of(user).post(
        f"{path}/actions/{action}", json.dumps({"fields": fields}), content_type="application/json"
    )
    return r.status_code, r.json()


def on_auction(judge, auction, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    return call(judge, f"/api/bidding/court/auctions/{auction.pk}", action, **fields)


def at(t: dt.datetime) -> str:
    return f"{t.astimezone(calendar.CST):%Y-%m-%dT%H:%M}"


@pytest.mark.rule("AUC-14", entry="api")
def test_auc14_the_court_confirms_an_agent_before_bidding_opens_through_the_api(
    court, judge, frozen_now
):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )
    plain = services.registration_create(
        auction_id=auction.pk, user=bidder_user(), accept_terms=True
    )
    status, body = on_auction(judge, auction, "confirm_agent", registration=plain.pk)
    assert status in (400, 409) and (body["code"], body["rule"]) == ("no_agent", "AUC-14")
    first, second = (
        services.registration_create(
            auction_id=auction.pk, user=bidder_user(), accept_terms=True, agent=bidder_user()
        )
        for _ in range(2)
    )
    status, body = on_auction(judge, auction, "confirm_agent", registration=first.pk)
    assert status == 200, body
    first.refresh_from_db()
    assert first.agent_confirmed_at == clock.now()
    assert auction.start_at is not None
    clock.set_time(auction.start_at)
    status, body = on_auction(judge, auction, "confirm_agent", registration=second.pk)
    assert status in (400, 409) and (body["code"], body["rule"]) == ("agent_too_late", "AUC-14")
    second.refresh_from_db()
    assert second.agent_confirmed_at is None


@pytest.mark.rule("AUC-45", entry="api")
def test_auc45_no_publication_until_the_taxes_payer_is_stated_through_the_api(court, judge):
    """Without a statement of who bears the transfer taxes the publication is refused naming
    AUC-45; once the asset's taxes disclosure is recorded (case API) it publishes."""
    clock.set_time(dt.datetime(2026, 11, 2, 9, tzinfo=calendar.CST))
    draft = publishable_draft(court, judge, without=[Disclosure.Topic.TAXES])
    asset = draft.lot.assets.get()
    status, body = on_auction(judge, draft, "publish")
    assert status in (400, 409)
    assert "AUC-45" in body["message"] and "税费" in body["message"]
    draft.refresh_from_db()
    assert draft.state == AuctionState.DRAFT
    r = client_of(judge).post(
        f"/api/cases/{draft.case_id}/assets/{asset.pk}/disclosures",
        {"topic": "taxes", "text": "过户税费由买受人和被执行人按照法律规定各自承担"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    status, body = on_auction(judge, draft, "publish")
    assert status == 200, body
    draft.refresh_from_db()
    assert draft.state == AuctionState.SCHEDULED


@pytest.mark.rule("AUC-33", entry="api")
@pytest.mark.rule("FND-06", entry="api")
def test_auc33_the_forfeit_is_applied_and_the_plan_shows_it_through_the_api(
    court, judge, frozen_now
):
    """AUC-33: the defaulter's deposit is applied in its order (here all to the debt: no
    costs, no re-auction yet); FND-06: the distribution plan drafted by API pays out of the
    case account what the forfeit brought."""
    auction, case, _buyer = _defaulted(court, judge)
    status, body = on_auction(judge, auction, "forfeit_apply")
    assert status == 200, body
    assert "AUC-33" in body["message"]
    assert ForfeitSettlement.objects.get().to_debt_fen == DEPOSIT
    status, body = on_auction(judge, auction.following.get(), "forfeit_apply")
    assert status in (400, 409) and body["code"] == "auction_not_defaulted"
    status, body = call(judge, f"/api/settlement/cases/{case.pk}/account", "plan")
    assert status == 200, body
    plan = DistributionPlan.objects.get(case=case)
    assert plan.available_fen == DEPOSIT
    assert sum(line.amount_fen for line in plan.lines.all()) == DEPOSIT


@pytest.mark.rule("AUC-30", entry="api")
def test_auc30_every_held_deposit_goes_back_when_the_court_withdraws_through_the_api(
    court, judge, frozen_now
):
    """The court withdraws the auction by API (no sale): every deposit still held is
    refunded through settlement at once, each refund queued once (AUC-30, AUC-41)."""
    from settlement.models import DepositHold, GatewayOperation

    from .engine_factories import register_paid

    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )
    regs = [register_paid(live) for _ in range(2)]
    holds = DepositHold.objects.filter(ref__in=[r.money_ref for r in regs])
    assert {h.status for h in holds} == {DepositHold.Status.HELD}
    status, body = on_auction(
        judge, live, "withdraw", reason="被执行人已履行债务", ground="debt_paid"
    )
    assert status == 200, body
    assert {h.status for h in holds.all()} <= {
        DepositHold.Status.RELEASING,
        DepositHold.Status.RELEASED,
    }
    for reg in regs:
        ops = GatewayOperation.objects.filter(subject_ref=reg.money_ref, context="deposit_release")
        assert ops.count() == 1 and ops.get().amount_fen == reg.deposit_held_fen


@pytest.mark.rule("REC-06", entry="api")
def test_rec06_an_accepted_bid_is_recorded_a_refused_one_not_through_the_api(
    court, judge, frozen_now
):
    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot, start=100_000 * YUAN, increment=1_000 * YUAN)
    reg = register_active(live)
    bidder = reg.user
    url = f"/api/bidding/auctions/{live.pk}/bids"
    low = {"amount_fen": live.starting_price_fen - 1, "password": PASSWORD}
    r = client_of(bidder).post(url, low, content_type="application/json")
    assert r.status_code in (400, 409) and r.json()["code"]
    assert not Bid.objects.filter(auction=live).exists()
    ok = {"amount_fen": live.starting_price_fen, "password": PASSWORD}
    r = client_of(bidder).post(url, ok, content_type="application/json")
    assert r.status_code == 200, r.content
    [row] = Bid.objects.filter(auction=live)
    assert (row.bidder_code, row.amount_fen, row.at) == (
        reg.bidder_code,
        live.starting_price_fen,
        clock.now(),
    )
    assert r.json()["seq"] == row.seq
    history = client_of(bidder).get(f"/api/bidding/auctions/{live.pk}/bids").json()
    assert [b["amount_fen"] for b in history] == [live.starting_price_fen]


def _notice(judge, auction, party, **fields: Any) -> tuple[int, dict[str, Any]]:
    return on_auction(judge, auction, "notice", recipient=f"party:{party.pk}", **fields)


@pytest.mark.rule("REC-10", entry="api")
def test_rec10_a_service_keeps_method_time_and_proof_or_its_deemed_date_through_the_api(
    court, judge
):
    clock.set_time(dt.datetime(2026, 11, 2, 9, tzinfo=calendar.CST))
    draft = publishable_draft(court, judge)
    creditor = draft.case.parties.get(role="creditor")
    debtor = draft.case.parties.get(role="debtor")
    now = clock.now()
    status, body = _notice(
        judge,
        draft,
        creditor,
        method="in_person",
        sent_at=at(now),
        received_at=at(now - dt.timedelta(hours=1)),
        proof="送达回证",
    )
    assert status == 400 and (body["code"], body["rule"]) == ("received_before_sent", "REC-10")
    status, body = _notice(
        judge,
        draft,
        creditor,
        method="in_person",
        sent_at=at(now),
        received_at=at(now),
        proof="送达回证第 12 号",
    )
    assert status == 200, body
    rec = ServiceRecord.objects.filter(recipient_ref=f"party:{creditor.pk}").latest("pk")
    assert (rec.method, rec.proof, rec.received_at) == ("in_person", "送达回证第 12 号", now)
    status, body = _notice(
        judge,
        draft,
        debtor,
        method="info_publication",
        sent_at=at(now),
        unreachable_reason="下落不明",
    )
    assert status == 200, body
    rec = ServiceRecord.objects.filter(recipient_ref=f"party:{debtor.pk}").latest("pk")
    assert rec.deemed_days == 15 and rec.published_at == now
    assert rec.deemed_at is not None and rec.deemed_at > now + dt.timedelta(days=15)


@pytest.mark.rule("REC-01", entry="api")
def test_rec01_a_period_ending_on_a_rest_day_ends_on_the_next_working_day_through_the_api(
    court, judge
):
    """Published Monday 2 November: 5 days (the day itself not counted) end on Saturday the
    7th, a rest day, so the service is deemed at the end of Monday the 9th."""
    clock.set_time(dt.datetime(2026, 11, 2, 9, tzinfo=calendar.CST))
    draft = publishable_draft(court, judge)
    debtor = draft.case.parties.get(role="debtor")
    status, body = _notice(
        judge,
        draft,
        debtor,
        method="platform_publication",
        sent_at=at(clock.now()),
        unreachable_reason="下落不明",
    )
    assert status == 200, body
    rec = ServiceRecord.objects.filter(recipient_ref=f"party:{debtor.pk}").latest("pk")
    assert rec.deemed_at is not None
    deemed = rec.deemed_at.astimezone(calendar.CST)
    assert deemed.date() == dt.date(2026, 11, 9)
    assert deemed.date() != dt.date(2026, 11, 7)


def test_a_bidder_and_another_court_cannot_act_on_the_auction(court, judge, other_court):
    from tests.conftest import make_user

    clock.set_time(dt.datetime(2026, 11, 2, 9, tzinfo=calendar.CST))
    draft = publishable_draft(court, judge)
    for person in (bidder_user(), make_user("judge", other_court)):
        status, _body = on_auction(person, draft, "publish")
        assert status in (403, 404)
    draft.refresh_from_db()
    assert draft.state == AuctionState.DRAFT
    assert not Registration.objects.filter(auction=draft).exists()
