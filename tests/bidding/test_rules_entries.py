"""Publication rules through each entry that reaches them (issue 14): the court's JSON API
(``POST /api/bidding/court/auctions/<id>/publish``) and the court auction page's action
(``POST /bidding/court/auctions/<id>/do/publish/``). Each rule's draft is built one value
each side of its boundary: the refused one answers with the stable code, the rule and its
message in Chinese and stays a draft; the other one is published. The service itself is proven
in test_services_publish.py and test_rules_boundaries.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from bidding import services
from bidding.models import Auction, AuctionState
from core import clock

from .engine_factories import YUAN, decide_all, publishable_draft, serve_all

pytestmark = pytest.mark.django_db

BASIS = 120_000 * YUAN  # the lot's reference price
START = 100_000 * YUAN


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _renumber(auction: Auction, judge, **fields) -> Auction:
    """Change the draft's numbers and record the panel's decision on them (AUC-04 kept)."""
    services.auction_draft_update(auction_id=auction.pk, actor=judge, **fields)
    auction.refresh_from_db()
    decide_all(auction, judge)
    auction.refresh_from_db()
    return auction


def _auc02(court, judge, refused: bool) -> Auction:
    """AUC-02: who chose the platform is on record; the court designates only with a reason."""
    a = publishable_draft(court, judge)
    note = "" if refused else "申请执行人未在期限内选择平台，由法院指定"
    Auction.objects.filter(pk=a.pk).update(platform_chosen_by="court", platform_choice_note=note)
    return a


def _auc04(court, judge, refused: bool) -> Auction:
    """AUC-04: the published increment is the one the panel decided (off by 1 fen: refused)."""
    a = publishable_draft(court, judge)
    if refused:
        Auction.objects.filter(pk=a.pk).update(increment_fen=a.increment_fen + 1)
    return a


def _auc05(court, judge, refused: bool) -> Auction:
    """AUC-05: a first auction starts at no less than 70% of the reference price."""
    floor = BASIS * 7 // 10
    return publishable_draft(court, judge, basis_fen=BASIS, start=floor - 1 if refused else floor)


def _auc06(court, judge, refused: bool) -> Auction:
    """AUC-06: a start that does not exceed priority claims + costs needs the applicant told."""
    a = publishable_draft(court, judge)
    claims = a.starting_price_fen if refused else a.starting_price_fen - 1
    Auction.objects.filter(pk=a.pk).update(priority_claims_fen=claims, costs_estimate_fen=0)
    return a


def _auc08(court, judge, refused: bool) -> Auction:
    """AUC-08: an immovable's first auction is announced at least 30 days before bidding."""
    return publishable_draft(court, judge, kind="residential", lead_days=29 if refused else 31)


def _auc09(court, judge, refused: bool) -> Auction:
    """AUC-09: the disclosure pack names the court's contact."""
    a = publishable_draft(court, judge)
    if refused:
        Auction.objects.filter(pk=a.pk).update(court_contact="")
    return a


def _auc16(court, judge, refused: bool) -> Auction:
    """AUC-16: the deposit is 5%–20% of the start (1 fen under 5%: refused)."""
    a = publishable_draft(court, judge, start=START)
    low = START * 5 // 100
    return _renumber(a, judge, deposit_fen=low - 1 if refused else low)


def _auc22(court, judge, refused: bool) -> Auction:
    """AUC-22: bidding lasts at least 24 hours (a minute short: refused)."""
    a = publishable_draft(court, judge)
    assert a.start_at is not None
    hours = dt.timedelta(hours=24) - (dt.timedelta(minutes=1) if refused else dt.timedelta())
    Auction.objects.filter(pk=a.pk).update(end_at=a.start_at + hours)
    return a


def _auc31(court, judge, refused: bool) -> Auction:
    """AUC-31: the balance period is set (no default)."""
    a = publishable_draft(court, judge)
    Auction.objects.filter(pk=a.pk).update(balance_period_days=0 if refused else 15)
    return a


def _auc42(court, judge, refused: bool) -> Auction:
    """AUC-42: only an open case's lots are auctioned."""
    from cases.models import Case

    a = publishable_draft(court, judge)
    if refused:
        Case.objects.filter(pk=a.case_id).update(status="suspended")
    return a


def _auc03(court, judge, refused: bool) -> Auction:
    """AUC-03: one live auction per lot; a second draft of a published lot is refused."""
    a = publishable_draft(court, judge)
    if not refused:
        return a
    services.auction_publish(auction_id=a.pk, actor=judge)
    second = services.auction_draft_create(
        lot=a.lot,
        actor=judge,
        starting_price_fen=a.starting_price_fen,
        increment_fen=a.increment_fen,
        deposit_fen=a.deposit_fen,
        balance_period_days=30,
        start_at=a.start_at,
        end_at=a.end_at,
        announcement="拍卖公告（示例）",
        bidding_rules="竞价规则（示例）",
        pricing_basis_note="参考价依据（示例）",
        priority_holders_note="无",
        court_contact="0791-00000000（执行局）",
        platform_chosen_by="creditor",
    )
    serve_all(second, judge, at=clock.now() - dt.timedelta(days=3))
    decide_all(second, judge)
    second.refresh_from_db()
    return second


@dataclass(frozen=True)
class Refusal:
    rule: str
    code: str  # the problem's stable code
    message: str  # what the court reads (Chinese)
    build: Callable[..., Auction]


CASES = {
    "AUC-02": Refusal("AUC-02", "platform_choice_reason", "法院指定平台的", _auc02),
    "AUC-03": Refusal("AUC-03", "lot_busy", "该拍品已有进行中或已成交的拍卖", _auc03),
    "AUC-04": Refusal("AUC-04", "panel_decision_mismatch", "加价幅度与合议庭决定不一致", _auc04),
    "AUC-05": Refusal("AUC-05", "start_below_ratio", "一拍起拍价不得低于参考价的 70%", _auc05),
    "AUC-06": Refusal(
        "AUC-06",
        "low_start_notice_required",
        "起拍价不足以清偿优先债权和执行费用，须先通知申请执行人",
        _auc06,
    ),
    "AUC-08": Refusal("AUC-08", "lead_time_too_short", "不动产或财产权公告期不足 30 日", _auc08),
    "AUC-09": Refusal("AUC-09", "disclosure_incomplete", "披露材料不全：法院联系方式", _auc09),
    "AUC-16": Refusal("AUC-16", "deposit_out_of_range", "保证金须为起拍价的 5% 至 20%", _auc16),
    "AUC-22": Refusal("AUC-22", "bidding_period_too_short", "竞价时间不得少于二十四小时", _auc22),
    "AUC-31": Refusal("AUC-31", "balance_period_required", "须设定尾款支付期限", _auc31),
    "AUC-42": Refusal("AUC-42", "case_not_open", "案件不在执行中，不能发布拍卖", _auc42),
}


def _problems(body: dict) -> set[tuple[str, str]]:
    return {(p["code"], p["rule"]) for p in body["data"]["problems"]}


def _through_the_api(rule: str, court, judge) -> None:
    case = CASES[rule]
    c = login(judge)
    refused = case.build(court, judge, True)
    r = c.post(f"/api/bidding/court/auctions/{refused.pk}/publish")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "publication_refused"
    assert _problems(body) == {(case.code, rule)}  # this rule and no other
    assert body["rule"] == rule
    assert case.message in body["message"] and f"（{rule}）" in body["message"]
    refused.refresh_from_db()
    assert refused.state == AuctionState.DRAFT
    accepted = case.build(court, judge, False)
    r = c.post(f"/api/bidding/court/auctions/{accepted.pk}/publish")
    assert r.status_code == 200, r.content
    accepted.refresh_from_db()
    assert accepted.state == AuctionState.SCHEDULED


def _on_the_court_page(rule: str, court, judge) -> None:
    case = CASES[rule]
    c = login(judge)
    refused = case.build(court, judge, True)
    r = c.post(f"/bidding/court/auctions/{refused.pk}/do/publish/", follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert case.message in page and f"（{rule}）" in page
    refused.refresh_from_db()
    assert refused.state == AuctionState.DRAFT
    accepted = case.build(court, judge, False)
    r = c.post(f"/bidding/court/auctions/{accepted.pk}/do/publish/", follow=True)
    assert r.status_code == 200
    accepted.refresh_from_db()
    assert accepted.state == AuctionState.SCHEDULED


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param("AUC-02", marks=pytest.mark.rule("AUC-02", entry="api")),
        pytest.param("AUC-03", marks=pytest.mark.rule("AUC-03", entry="api")),
        pytest.param("AUC-04", marks=pytest.mark.rule("AUC-04", entry="api")),
        pytest.param("AUC-05", marks=pytest.mark.rule("AUC-05", entry="api")),
        pytest.param("AUC-06", marks=pytest.mark.rule("AUC-06", entry="api")),
        pytest.param("AUC-08", marks=pytest.mark.rule("AUC-08", entry="api")),
        pytest.param("AUC-09", marks=pytest.mark.rule("AUC-09", entry="api")),
        pytest.param("AUC-16", marks=pytest.mark.rule("AUC-16", entry="api")),
        pytest.param("AUC-22", marks=pytest.mark.rule("AUC-22", entry="api")),
        pytest.param("AUC-31", marks=pytest.mark.rule("AUC-31", entry="api")),
        pytest.param("AUC-42", marks=pytest.mark.rule("AUC-42", entry="api")),
    ],
)
def test_publication_rule_through_the_api(rule, court, judge, frozen_now):
    """The API refuses the draft on the wrong side with 400 `publication_refused`, the rule and
    its Chinese message, and publishes the one on the right side."""
    _through_the_api(rule, court, judge)


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param("AUC-02", marks=pytest.mark.rule("AUC-02", entry="page")),
        pytest.param("AUC-03", marks=pytest.mark.rule("AUC-03", entry="page")),
        pytest.param("AUC-04", marks=pytest.mark.rule("AUC-04", entry="page")),
        pytest.param("AUC-05", marks=pytest.mark.rule("AUC-05", entry="page")),
        pytest.param("AUC-06", marks=pytest.mark.rule("AUC-06", entry="page")),
        pytest.param("AUC-08", marks=pytest.mark.rule("AUC-08", entry="page")),
        pytest.param("AUC-09", marks=pytest.mark.rule("AUC-09", entry="page")),
        pytest.param("AUC-16", marks=pytest.mark.rule("AUC-16", entry="page")),
        pytest.param("AUC-22", marks=pytest.mark.rule("AUC-22", entry="page")),
        pytest.param("AUC-31", marks=pytest.mark.rule("AUC-31", entry="page")),
        pytest.param("AUC-42", marks=pytest.mark.rule("AUC-42", entry="page")),
    ],
)
def test_publication_rule_on_the_court_page(rule, court, judge, frozen_now):
    """The court auction page's publish button shows the refusal with its rule and leaves the
    draft; on the right side of the boundary it publishes."""
    _on_the_court_page(rule, court, judge)
