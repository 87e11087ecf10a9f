"""Every court action of the auction's court page through the API (issue 13: "everything a
court page can do has an API call"): the same table, permission, parsing and service."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bidding.models import AuctionState
from core.audit import AuditEntry
from tests.conftest import make_user

from .engine_factories import bidder_user, make_case, make_live_auction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(client: Client, auction_id: int, name: str, fields: dict) -> tuple[int, dict]:
    r = client.post(
        f"/api/bidding/court/auctions/{auction_id}/actions/{name}",
        data=json.dumps({"fields": fields}),
        content_type="application/json",
    )
    return r.status_code, r.json()


@pytest.fixture
def live(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot)


def test_the_api_lists_the_pages_actions_with_their_fields(live, judge):
    r = _client(judge).get(f"/api/bidding/court/auctions/{live.pk}/actions")
    assert r.status_code == 200
    actions = {a["name"]: a for a in r.json()}
    assert {"suspend", "resume", "handover", "next_round", "cost", "decision"} <= set(actions)
    fields = {f["name"]: f for f in actions["suspend"]["fields"]}
    assert fields["reason"]["required"] is True
    assert ["platform_failure", "网络服务提供者系统故障或紧急情况（已立即报告法院）"] in fields[
        "ground"
    ]["choices"]


def test_a_court_action_by_api_runs_the_service_and_says_what_happened_auc40(live, judge):
    before = AuditEntry.objects.count()
    status, body = _post(
        _client(judge),
        live.pk,
        "suspend",
        {"reason": "系统故障，暂缓拍卖", "ground": "platform_failure"},
    )
    assert status == 200, body
    assert body["message"] == f"已暂缓拍卖：{live.title}。"
    assert body["next_url"] == f"/bidding/court/auctions/{live.pk}/"
    live.refresh_from_db()
    assert live.state == AuctionState.SUSPENDED
    assert AuditEntry.objects.count() > before  # the service audited it


def test_bad_input_names_the_field_and_changes_nothing(live, judge):
    status, body = _post(_client(judge), live.pk, "suspend", {"ground": "platform_failure"})
    assert status == 400 and body["code"] == "invalid_input"
    assert "公开理由" in body["message"]
    live.refresh_from_db()
    assert live.state == AuctionState.BIDDING


def test_a_refusal_is_the_services_own_code_and_rule(live, judge):
    # Bidding has not ended: no next round yet (AUC-35).
    status, body = _post(_client(judge), live.pk, "next_round", {})
    assert status in (400, 409) and body["code"] and body["message"]
    assert "操作已完成" not in body["message"]


def test_unknown_action_and_other_people_are_refused(live, judge, other_court):
    status, body = _post(_client(judge), live.pk, "explode", {})
    assert (status, body["code"]) == (404, "unknown_action")
    outsider = make_user("judge", other_court)
    for person in (outsider, bidder_user()):
        status, _body = _post(_client(person), live.pk, "suspend", {"reason": "x"})
        assert status == 403
        r = _client(person).get(f"/api/bidding/court/auctions/{live.pk}/actions")
        assert r.status_code == 403
    live.refresh_from_db()
    assert live.state == AuctionState.BIDDING


def test_the_message_in_english_for_a_client_that_chose_english(live, judge):
    client = _client(judge)
    client.cookies["django_language"] = "en"
    status, body = _post(
        client, live.pk, "suspend", {"reason": "outage", "ground": "platform_failure"}
    )
    assert status == 200
    assert body["message"] == f"Auction suspended: {live.title}."
