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


def _auc01(court, judge, refused: bool) -> Auction:
    """AUC-01: once the court recorded another route (with its reason), no online auction."""
    a = publishable_draft(court, judge)
    if refused:
        services.disposal_offline_record(
            lot_id=a.lot_id, ground="required_by_law", reason="股权须在产权交易所处置", actor=judge
        )
    return a


def _auc44(court, judge, refused: bool) -> Auction:
    """AUC-44: while the debtor sells the lot itself, no online auction."""
    a = publishable_draft(court, judge)
    if refused:
        services.self_sale_authorize(
            lot_id=a.lot_id,
            supervised_price_fen=START,
            days=30,
            reason="被执行人申请自行变卖，价款由法院监管",
            actor=judge,
        )
    return a


def _auc07(court, judge, refused: bool) -> Auction:
    """AUC-07: another lot of the case sold for the whole claim (costs 0): a further lot waits
    for the debtor's consent; 1 fen of claim left uncovered, it may go on."""
    from tests.factories import AssetFactory, LotFactory

    from .engine_factories import bid, make_live_auction, register_active

    a = publishable_draft(court, judge, claim_fen=START if refused else START + 1)
    Auction.objects.filter(pk=a.pk).update(costs_estimate_fen=0)
    case = a.case
    assert case is not None
    lot = LotFactory.create(
        case=case, title="同案另一拍品", assets=[AssetFactory.create(case=case)]
    )
    other = make_live_auction(court, lot, start=START, increment=1_000 * YUAN)
    bid(other, register_active(other), START)
    assert other.end_at is not None
    clock.set_time(other.end_at)
    assert services.auction_close_due() == [other.pk]
    return a


@dataclass(frozen=True)
class Refusal:
    rule: str
    code: str  # the problem's stable code
    message: str  # what the court reads (Chinese)
    build: Callable[..., Auction]


CASES = {
    "AUC-01": Refusal("AUC-01", "offline_route_decided", "法院已决定以其他途径处置该拍品", _auc01),
    "AUC-44": Refusal(
        "AUC-44", "self_sale_in_progress", "被执行人自行处置期间，不得发布网络拍卖", _auc44
    ),
    "AUC-07": Refusal(
        "AUC-07",
        "proceeds_cover_debt",
        "本案已拍卖所得足以清偿债务和费用，未经被执行人同意不得继续拍卖",
        _auc07,
    ),
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
        pytest.param("AUC-01", marks=pytest.mark.rule("AUC-01", entry="api")),
        pytest.param("AUC-02", marks=pytest.mark.rule("AUC-02", entry="api")),
        pytest.param("AUC-03", marks=pytest.mark.rule("AUC-03", entry="api")),
        pytest.param("AUC-04", marks=pytest.mark.rule("AUC-04", entry="api")),
        pytest.param("AUC-05", marks=pytest.mark.rule("AUC-05", entry="api")),
        pytest.param("AUC-06", marks=pytest.mark.rule("AUC-06", entry="api")),
        pytest.param("AUC-07", marks=pytest.mark.rule("AUC-07", entry="api")),
        pytest.param("AUC-08", marks=pytest.mark.rule("AUC-08", entry="api")),
        pytest.param("AUC-09", marks=pytest.mark.rule("AUC-09", entry="api")),
        pytest.param("AUC-16", marks=pytest.mark.rule("AUC-16", entry="api")),
        pytest.param("AUC-22", marks=pytest.mark.rule("AUC-22", entry="api")),
        pytest.param("AUC-31", marks=pytest.mark.rule("AUC-31", entry="api")),
        pytest.param("AUC-42", marks=pytest.mark.rule("AUC-42", entry="api")),
        pytest.param("AUC-44", marks=pytest.mark.rule("AUC-44", entry="api")),
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
        pytest.param("AUC-07", marks=pytest.mark.rule("AUC-07", entry="page")),
        pytest.param("AUC-08", marks=pytest.mark.rule("AUC-08", entry="page")),
        pytest.param("AUC-09", marks=pytest.mark.rule("AUC-09", entry="page")),
        pytest.param("AUC-16", marks=pytest.mark.rule("AUC-16", entry="page")),
        pytest.param("AUC-22", marks=pytest.mark.rule("AUC-22", entry="page")),
        pytest.param("AUC-31", marks=pytest.mark.rule("AUC-31", entry="page")),
        pytest.param("AUC-42", marks=pytest.mark.rule("AUC-42", entry="page")),
        pytest.param("AUC-44", marks=pytest.mark.rule("AUC-44", entry="page")),
    ],
)
def test_publication_rule_on_the_court_page(rule, court, judge, frozen_now):
    """The court auction page's publish button shows the refusal with its rule and leaves the
    draft; on the right side of the boundary it publishes."""
    _on_the_court_page(rule, court, judge)


# --- registration (报名) through the API and the auction page ----------------------------------

DEPOSIT = 10_000 * YUAN


def _scheduled(court, judge, *, restricted=False, claim_fen=50_000 * YUAN, overrides=None):
    """A scheduled auction of a fresh case whose creditor and debtor have verified accounts."""
    from tests.conftest import make_user

    from .engine_factories import make_case, make_identity, make_live_auction

    creditor_user, debtor_user = make_user("party"), make_user("party")
    make_identity(creditor_user)
    make_identity(debtor_user)
    _case, lot, creditor, debtor = make_case(
        court,
        judge=judge,
        restricted=restricted,
        creditor_user=creditor_user,
        debtor_user=debtor_user,
        claim_fen=claim_fen,
    )
    auction = make_live_auction(
        court,
        lot,
        state=AuctionState.SCHEDULED,
        starts_in=dt.timedelta(days=2),
        start=START,
        deposit=DEPOSIT,
        overrides=overrides,
    )
    return auction, creditor, debtor


def _api_register(user, auction, **body):
    return login(user).post(
        f"/api/bidding/auctions/{auction.pk}/registration",
        {"accept_terms": True, **body},
        content_type="application/json",
    )


def _page_register(user, auction, **form):
    return login(user).post(
        f"/bidding/auctions/{auction.pk}/register/", {"accept_terms": "on", **form}, follow=True
    )


def _registered(user, auction) -> bool:
    from bidding.models import Registration

    return Registration.objects.filter(auction=auction, user=user).exists()


@pytest.mark.rule("AUC-13", entry="api")
def test_auc13_restricted_house_needs_declared_eligibility_through_the_api(
    court, judge, frozen_now
):
    from .engine_factories import bidder_user

    auction, *_ = _scheduled(court, judge, restricted=True)
    user = bidder_user()
    r = _api_register(user, auction)
    assert r.status_code == 400
    assert r.json()["code"] == "eligibility_not_declared" and r.json()["rule"] == "AUC-13"
    assert "须声明具备购房资格" in r.json()["message"]
    assert not _registered(user, auction)
    r = _api_register(user, auction, eligibility_declared=True)
    assert r.status_code == 200 and r.json()["status"] == "pending_deposit"


@pytest.mark.rule("AUC-13", entry="page")
def test_auc13_restricted_house_needs_declared_eligibility_on_the_auction_page(
    court, judge, frozen_now
):
    from .engine_factories import bidder_user

    auction, *_ = _scheduled(court, judge, restricted=True)
    user = bidder_user()
    r = _page_register(user, auction)
    assert "本标的物为限购房产，须声明具备购房资格" in r.content.decode()
    assert not _registered(user, auction)
    r = _page_register(user, auction, eligibility_declared="on")
    assert "报名成功" in r.content.decode() and _registered(user, auction)


@pytest.mark.rule("AUC-12", entry="api")
def test_auc12_the_debtor_and_the_creditor_may_register_through_the_api(court, judge, frozen_now):
    """AUC-12: neither party is blocked by law; only the court's own policy setting bars the
    debtor, and then with its rule."""
    auction, creditor, debtor = _scheduled(court, judge)
    assert _api_register(debtor.user, auction).status_code == 200
    assert _api_register(creditor.user, auction).status_code == 200
    barred, _c, debtor2 = _scheduled(court, judge, overrides={"bar_debtor_from_bidding": True})
    r = _api_register(debtor2.user, barred)
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("debtor_barred", "AUC-12")


@pytest.mark.rule("AUC-12", entry="page")
def test_auc12_the_debtor_and_the_creditor_may_register_on_the_auction_page(
    court, judge, frozen_now
):
    auction, creditor, debtor = _scheduled(court, judge)
    assert "报名成功" in _page_register(debtor.user, auction).content.decode()
    assert "报名成功" in _page_register(creditor.user, auction).content.decode()
    assert _registered(debtor.user, auction) and _registered(creditor.user, auction)
    barred, _c, debtor2 = _scheduled(court, judge, overrides={"bar_debtor_from_bidding": True})
    assert "本院设置不允许被执行人竞买" in _page_register(debtor2.user, barred).content.decode()
    assert not _registered(debtor2.user, barred)


@pytest.mark.rule("AUC-18", entry="api")
def test_auc18_creditor_deposit_less_its_outstanding_claim_through_the_api(
    court, judge, frozen_now
):
    """AUC-18: deposit − claim (1 fen of deposit left to pay), and nothing once the claim
    covers the whole deposit."""
    auction, creditor, _d = _scheduled(court, judge, claim_fen=DEPOSIT - 1)
    r = _api_register(creditor.user, auction)
    assert r.status_code == 200 and r.json()["deposit_required_fen"] == 1
    covered, creditor2, _d = _scheduled(court, judge, claim_fen=DEPOSIT)
    r = _api_register(creditor2.user, covered)
    assert r.status_code == 200 and r.json()["deposit_required_fen"] == 0


@pytest.mark.rule("AUC-18", entry="page")
def test_auc18_creditor_deposit_less_its_outstanding_claim_on_the_auction_page(
    court, judge, frozen_now
):
    from bidding.models import Registration

    auction, creditor, _d = _scheduled(court, judge, claim_fen=DEPOSIT - 1)
    assert "报名成功" in _page_register(creditor.user, auction).content.decode()
    reg = Registration.objects.get(auction=auction, user=creditor.user)
    assert reg.deposit_required_fen == 1
    page = login(creditor.user).get(f"/bidding/auctions/{auction.pk}/").content.decode()
    assert "0.01" in page  # the page asks for what is left to pay
    covered, creditor2, _d = _scheduled(court, judge, claim_fen=DEPOSIT)
    _page_register(creditor2.user, covered)
    assert Registration.objects.get(auction=covered, user=creditor2.user).deposit_required_fen == 0


# --- bids through the API ------------------------------------------------------------------------

INC = 1_000 * YUAN


@pytest.fixture
def live(court, judge, frozen_now):
    from .engine_factories import make_case, make_live_auction

    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot, start=START, increment=INC)


def _api_bid(reg, auction, amount_fen):
    from .engine_factories import PASSWORD

    return login(reg.user).post(
        f"/api/bidding/auctions/{auction.pk}/bids",
        {"amount_fen": amount_fen, "password": PASSWORD},
        content_type="application/json",
    )


@pytest.mark.rule("AUC-20", entry="api")
def test_auc20_a_bid_below_the_start_is_refused_through_the_api(live):
    from .engine_factories import register_active

    reg = register_active(live)
    r = _api_bid(reg, live, START - 1)
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("bid_below_start", "AUC-20")
    assert r.json()["message"] == "出价不得低于起拍价"
    r = _api_bid(reg, live, START)
    assert r.status_code == 200 and r.json()["amount_fen"] == START


@pytest.mark.rule("AUC-23", entry="api")
def test_auc23_a_bid_in_the_last_five_minutes_extends_through_the_api(live):
    from .engine_factories import register_active

    a, b = register_active(live), register_active(live)
    end = live.end_at
    assert end is not None
    clock.set_time(end - dt.timedelta(minutes=5))  # t + 5 min == end: no extension
    assert _api_bid(a, live, START).status_code == 200
    live.refresh_from_db()
    assert (live.end_at, live.state) == (end, AuctionState.BIDDING)
    clock.advance(dt.timedelta(seconds=1))  # 4:59 left: end = t + 5 min
    assert _api_bid(b, live, START + INC).status_code == 200
    live.refresh_from_db()
    assert live.end_at == clock.now() + dt.timedelta(minutes=5)
    assert (live.extension_count, live.state) == (1, AuctionState.EXTENDED)


@pytest.mark.rule("AUC-26", entry="api")
def test_auc26_a_priority_holder_takes_the_lead_with_an_equal_bid_through_the_api(live):
    from .engine_factories import register_active

    ordinary = register_active(live)
    holder = register_active(live, priority_rank=1)
    assert _api_bid(ordinary, live, START).status_code == 200
    assert _api_bid(holder, live, START).status_code == 200  # equal: the holder leads
    live.refresh_from_db()
    assert live.leader_id == holder.pk
    r = _api_bid(ordinary, live, START)  # an ordinary bidder must beat it by an increment
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("equal_bid_not_allowed", "AUC-20")
    assert _api_bid(ordinary, live, START + INC).status_code == 200
    same_rank = register_active(live, priority_rank=1)
    assert _api_bid(same_rank, live, START + 2 * INC).status_code == 200
    r = _api_bid(holder, live, START + 2 * INC)  # the same rank bid it first: AUC-26 refuses
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("equal_bid_not_allowed", "AUC-26")
    assert r.json()["message"] == "同一顺序的优先购买权人已先出此价，须加价竞买"


# --- the worker's task ----------------------------------------------------------------------


def _worker_task(name: str):
    """The function the worker runs for ``name`` (``core.worker``'s registry)."""
    from core import worker

    return next(t.fn for t in worker.tasks() if t.name == name)


@pytest.mark.rule("AUC-03", entry="worker")
def test_auc03_the_worker_opens_bidding_at_the_start_not_before(court, judge, frozen_now):
    """AUC-03: SCHEDULED → BIDDING when the start comes, by the worker's task
    ``bidding.close_due``; a second before the start it stays 预告."""
    a = publishable_draft(court, judge)
    services.auction_publish(auction_id=a.pk, actor=judge)
    tick = _worker_task("bidding.close_due")
    assert a.start_at is not None
    clock.set_time(a.start_at - dt.timedelta(seconds=1))
    tick()
    a.refresh_from_db()
    assert a.state == AuctionState.SCHEDULED
    clock.set_time(a.start_at)
    tick()
    a.refresh_from_db()
    assert a.state == AuctionState.BIDDING


# --- AUC-15: a defaulting buyer is barred from every re-auction of the lot ---------------------


def _defaulter(auction):
    """A bidder the lot's earlier sale barred as a defaulter (the bar the default writes,
    ``after_sale``; its own path is proven in test_services_close.py)."""
    from bidding.models import DefaulterBar
    from tests.conftest import make_user

    from .engine_factories import make_identity

    user = make_user("bidder")
    identity = make_identity(user)
    DefaulterBar.objects.create(
        lot_id=auction.lot_id, identity=identity, auction=auction, created_at=clock.now()
    )
    return user


@pytest.mark.rule("AUC-15", entry="api")
def test_auc15_a_defaulter_cannot_register_for_the_lot_through_the_api(court, judge, frozen_now):
    from .engine_factories import bidder_user

    auction, *_ = _scheduled(court, judge)
    barred = _defaulter(auction)
    r = _api_register(barred, auction)
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("defaulter_barred", "AUC-15")
    assert r.json()["message"] == "悔拍人不得参加该标的物的再次拍卖"
    assert not _registered(barred, auction)
    other = bidder_user()
    assert _api_register(other, auction).status_code == 200


@pytest.mark.rule("AUC-15", entry="page")
def test_auc15_a_defaulter_cannot_register_for_the_lot_on_the_auction_page(
    court, judge, frozen_now
):
    from .engine_factories import bidder_user

    auction, *_ = _scheduled(court, judge)
    barred = _defaulter(auction)
    assert "悔拍人不得参加该标的物的再次拍卖" in _page_register(barred, auction).content.decode()
    assert not _registered(barred, auction)
    other = bidder_user()
    assert "报名成功" in _page_register(other, auction).content.decode()


@pytest.mark.rule("AUC-15", entry="page")
def test_auc15_a_defaulter_sees_why_on_the_auction_page_instead_of_the_form(
    court, judge, frozen_now
):
    """Issue 13: the barred defaulter is told before filling anything in; another bidder still
    gets the form; in English too."""
    from .engine_factories import bidder_user

    auction, *_ = _scheduled(court, judge)
    barred = _defaulter(auction)
    c = login(barred)
    html = c.get(f"/bidding/auctions/{auction.pk}/").content.decode()
    assert 'id="registration-barred"' in html
    assert "您不能报名本场拍卖" in html and "悔拍人不得参加该标的物的再次拍卖（AUC-15）" in html
    assert 'name="accept_terms"' not in html  # no form that would only be refused
    c.cookies["django_language"] = "en"
    html = c.get(f"/bidding/auctions/{auction.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You cannot register for this auction" in html
    assert "A defaulting buyer may not take part in the re-auction of this lot" in html
    assert "悔拍人" not in html
    other = login(bidder_user()).get(f"/bidding/auctions/{auction.pk}/").content.decode()
    assert 'name="accept_terms"' in other and 'id="registration-barred"' not in other


# --- REC-09: the reasons for a court action are published -------------------------------------


@pytest.mark.rule("REC-09", entry="api")
def test_rec09_a_suspension_needs_a_published_reason_through_the_api(live, judge):
    """A blank reason is refused (nothing to publish); a stated one is shown to everyone on the
    auction's public API."""
    c = login(judge)
    url = f"/api/bidding/court/auctions/{live.pk}/suspend"
    r = c.post(url, {"reason": "  ", "ground": "court_decision"}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("reason_required", "REC-09")
    assert r.json()["message"] == "须写明公开的理由"
    live.refresh_from_db()
    assert live.state == AuctionState.BIDDING
    reason = "申请执行人与被执行人达成和解，法院决定暂缓"
    r = c.post(url, {"reason": reason, "ground": "court_decision"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == AuctionState.SUSPENDED
    public = Client().get(f"/api/bidding/auctions/{live.pk}")  # anyone, signed out
    assert public.status_code == 200
    assert [a["reason"] for a in public.json()["court_actions"]] == [reason]


# --- AUC-43: a sale is set aside only on a ground the law names, with its ruling ---------------


@pytest.fixture
def sold(live):
    from .engine_factories import bid, register_active

    reg = register_active(live)
    bid(live, reg, START)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    assert services.auction_close_due() == [live.pk]
    live.refresh_from_db()
    assert live.state == AuctionState.SOLD
    return live


SET_ASIDE = {
    "reason": "标的物面积描述严重失实",
    "document": "（2026）测0102执异1号执行裁定书",
    "follow_up": "重新拍卖",
}


@pytest.mark.rule("AUC-43", entry="api")
def test_auc43_set_aside_only_on_a_named_ground_through_the_api(sold, judge):
    c = login(judge)
    url = f"/api/bidding/court/auctions/{sold.pk}/set-aside"
    body = {**SET_ASIDE, "ground": "price_too_low"}
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("invalid_ground", "AUC-43")
    assert r.json()["message"] == "撤销事由无效"
    sold.refresh_from_db()
    assert sold.state == AuctionState.SOLD
    body = {**SET_ASIDE, "ground": "untrue_description"}
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == AuctionState.SET_ASIDE


@pytest.mark.rule("AUC-43", entry="page")
def test_auc43_set_aside_only_on_a_named_ground_on_the_court_page(sold, judge):
    c = login(judge)
    url = f"/bidding/court/auctions/{sold.pk}/do/set_aside/"
    form = {f"set_aside-{k}": v for k, v in SET_ASIDE.items()}
    r = c.post(url, {**form, "set_aside-ground": "price_too_low"}, follow=True)
    assert "撤销事由（AUC-43）" in r.content.decode()  # the input error names the field
    sold.refresh_from_db()
    assert sold.state == AuctionState.SOLD
    r = c.post(url, {**form, "set_aside-ground": "untrue_description"}, follow=True)
    sold.refresh_from_db()
    assert sold.state == AuctionState.SET_ASIDE
    assert "标的物面积描述严重失实" in r.content.decode()


# --- AUC-25: codes and bids shown live; the full history stored and shown ----------------------


@pytest.mark.rule("AUC-25", entry="api")
def test_auc25_every_bid_is_shown_with_its_code_amount_and_server_time_through_the_api(live):
    from .engine_factories import register_active

    a, b = register_active(live), register_active(live)
    public = Client()  # signed out: the history is public
    assert public.get(f"/api/bidding/auctions/{live.pk}/bids").json() == []
    assert _api_bid(a, live, START).status_code == 200
    clock.advance(dt.timedelta(seconds=30))
    assert _api_bid(b, live, START + INC).status_code == 200
    rows = public.get(f"/api/bidding/auctions/{live.pk}/bids").json()
    assert [(r["seq"], r["code"], r["amount_fen"]) for r in rows] == [
        (1, a.bidder_code, START),
        (2, b.bidder_code, START + INC),
    ]
    assert rows[1]["at"] > rows[0]["at"]  # server times, in order
    assert all("name" not in r for r in rows)  # codes, never people (REC-05)
    snap = public.get(f"/api/bidding/auctions/{live.pk}/snapshot").json()
    assert snap["next_min_bid_fen"] == START + 2 * INC


# --- AUC-19: a priority code only after the court confirms the holder, with its rank -----------


@pytest.mark.rule("AUC-19", entry="page")
def test_auc19_priority_code_only_after_court_confirmation_on_the_court_page(
    court, judge, frozen_now
):
    """A holder not on this auction's list is refused and the registration keeps its ordinary
    code; the listed holder of rank 2 is confirmed and bids with a P2- code."""
    from bidding.models import PriorityHolder, Registration

    from .engine_factories import register_active

    auction, _creditor, _debtor = _scheduled(court, judge)
    holder = PriorityHolder.objects.create(
        auction=auction,
        name="共有人甲",
        rank=2,
        basis="共有人",
        added_by=judge,
        added_at=clock.now(),
    )
    reg = register_active(auction)
    code = reg.bidder_code
    assert code and not code.startswith("P")
    url = f"/bidding/court/auctions/{auction.pk}/do/confirm_priority/"
    c = login(judge)
    r = c.post(url, {"registration": reg.pk, "holder": holder.pk + 1000}, follow=True)
    assert "该优先购买权人不在本场拍卖的名单中（AUC-19）" in r.content.decode()
    reg = Registration.objects.get(pk=reg.pk)
    assert (reg.is_priority, reg.bidder_code) == (False, code)
    c.post(url, {"registration": reg.pk, "holder": holder.pk}, follow=True)
    reg = Registration.objects.get(pk=reg.pk)
    assert reg.is_priority and reg.priority_rank == 2
    assert reg.bidder_code and reg.bidder_code.startswith("P2-")


# --- AUC-32: the sale ruling after full payment, the handover after the ruling ----------------


@pytest.mark.rule("AUC-32", entry="page")
def test_auc32_ruling_after_full_payment_and_handover_after_service_on_the_court_page(live, judge):
    """Before the balance is paid the ruling cannot be served (nothing recorded) and the
    handover cannot start; paid, the ruling served on the page opens the 15-day handover."""
    from bidding.models import AuctionResult
    from core import calendar
    from settlement.services import balance_pay_request
    from settlement.services.confirmations import intent_confirm

    from .engine_factories import bid, register_paid

    reg = register_paid(live)
    bid(live, reg, START)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    assert services.auction_close_due() == [live.pk]
    c = login(judge)
    ruling_url = f"/bidding/court/auctions/{live.pk}/do/ruling/"
    handover_url = f"/bidding/court/auctions/{live.pk}/do/handover/"
    ruling = {"ruling-document": "（2026）测执裁9号"}
    page = c.post(ruling_url, ruling, follow=True).content.decode()
    assert "买受人付清全部价款后方可送达成交裁定（AUC-32）" in page
    page = c.post(handover_url, {"handover-state": "keys_handed"}, follow=True).content.decode()
    assert "成交裁定送达后方可办理移交（AUC-32）" in page
    result = AuctionResult.objects.get(auction=live)
    assert result.ruling_served_at is None
    intent = balance_pay_request(sale_ref=live.sale_ref, idempotency_key="auc32-page")
    intent_confirm(
        intent_id=intent.pk,
        success=True,
        psp_reference="PSP-AUC32-PAGE",
        amount_minor=intent.amount_fen,
        currency="CNY",
    )
    page = c.post(ruling_url, ruling, follow=True).content.decode()
    assert "已记录成交裁定的送达" in page
    result.refresh_from_db()
    assert result.ruling_served_at is not None
    assert result.handover_due_at == calendar.within_days(
        result.ruling_served_at, 15, court=live.court_id
    )
    c.post(handover_url, {"handover-state": "keys_handed", "handover-note": "已交付钥匙"})
    result.refresh_from_db()
    assert result.handover_state == "keys_handed"


# --- AUC-30: at the close the losers' deposits go back, the winner's goes to the price ---------


@pytest.mark.rule("AUC-30", entry="page")
def test_auc30_each_bidder_sees_the_deposit_refunded_or_applied_on_the_account_page(live):
    """Closed sold: the loser's refund starts at the close, due within 24 h (a tracked
    deadline), and the account page shows it being refunded; the winner's page shows the
    deposit applied to the price, never refunded."""
    from core.models import Deadline
    from settlement.models import DepositHold

    from .engine_factories import bid, register_paid

    winner, loser = register_paid(live), register_paid(live)
    bid(live, winner, START)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    assert services.auction_close_due() == [live.pk]
    lost = DepositHold.objects.get(ref=loser.money_ref)
    won = DepositHold.objects.get(ref=winner.money_ref)
    assert (lost.status, won.status) == ("releasing", "applied")
    due = Deadline.objects.get(rule_id="AUC-30", subject__endswith=loser.money_ref)
    assert due.due_at == live.end_at + dt.timedelta(hours=24)
    loser_page = login(loser.user).get("/marketplace/account/").content.decode()
    row = loser_page.rsplit(loser.bidder_code, 1)[1].split("</tr>")[0]
    assert "退还中" in row
    winner_page = login(winner.user).get("/marketplace/account/").content.decode()
    row = winner_page.rsplit(winner.bidder_code, 1)[1].split("</tr>")[0]
    assert "已转作价款" in row and "退还" not in row


# --- the court auction page's publish button for the pricing and record rules ----------------


def _publish_on_the_page(judge, auction: Auction) -> str:
    r = login(judge).post(f"/bidding/court/auctions/{auction.pk}/do/publish/", follow=True)
    assert r.status_code == 200
    auction.refresh_from_db()
    return r.content.decode()


def _draft_without_a_taxes_disclosure(court, judge, taxes_note: str) -> Auction:
    """A publishable draft whose assets disclose everything but who bears the taxes."""
    from cases.models import AssetFile, Disclosure

    from .engine_factories import make_case

    _case, lot, _creditor, _debtor = make_case(court, judge=judge)
    now = clock.now()
    for asset in lot.assets.all():
        for topic in Disclosure.Topic.values:
            if topic != Disclosure.Topic.TAXES:
                Disclosure.objects.create(
                    asset=asset, topic=topic, text="已查明", recorded_by=judge, recorded_at=now
                )
        AssetFile.objects.create(
            asset=asset,
            kind="photo",
            title="外观",
            file="assets/demo.jpg",
            uploaded_at=now,
            uploaded_by=judge,
        )
    start_at = now + dt.timedelta(days=31)
    auction = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=START,
        increment_fen=1_000 * YUAN,
        deposit_fen=START // 10,
        balance_period_days=30,
        start_at=start_at,
        end_at=start_at + dt.timedelta(hours=24),
        announcement="拍卖公告（示例）",
        bidding_rules="竞价规则（示例）",
        pricing_basis_note="参考价依据（示例）",
        priority_holders_note="无",
        court_contact="0791-00000000（执行局）",
        platform_chosen_by="creditor",
        platform_choice_note="申请执行人书面选择本平台",
        taxes_note=taxes_note,
    )
    serve_all(auction, judge, at=now - dt.timedelta(days=3))
    decide_all(auction, judge)
    auction.refresh_from_db()
    return auction


@pytest.mark.rule("AUC-45", entry="page")
def test_auc45_the_announcement_states_who_bears_the_taxes_on_the_court_page(
    court, judge, frozen_now
):
    """A blank taxes note and no taxes disclosure: refused naming AUC-45, still a draft; the
    same draft stating the payer is published."""
    refused = _draft_without_a_taxes_disclosure(court, judge, "  ")
    page = _publish_on_the_page(judge, refused)
    assert "（AUC-45）" in page and "税费" in page
    assert refused.state == AuctionState.DRAFT
    stated = _draft_without_a_taxes_disclosure(
        court, judge, "过户税费由买受人和被执行人各自依法承担"
    )
    _publish_on_the_page(judge, stated)
    assert stated.state == AuctionState.SCHEDULED


def _set_validity(lot, valid_until, grace_until=None):
    from pricing.models import ReferencePrice

    n = ReferencePrice.objects.filter(procedure__asset__in=lot.assets.all()).update(
        valid_until=valid_until, grace_until=grace_until
    )
    assert n == lot.assets.count()


@pytest.mark.rule("PRC-11", entry="page")
def test_prc11_bidding_starts_inside_validity_and_its_grace_on_the_court_page(
    court, judge, frozen_now
):
    """Announced inside validity, bidding may start up to 6 months after it: a minute later is
    refused on the page (still a draft); at the last moment it is published."""
    from core import calendar

    draft = publishable_draft(court, judge)
    valid_until = clock.now() + dt.timedelta(days=5)
    _set_validity(draft.lot, valid_until)
    last_start = calendar.months_after(valid_until, 6)
    late = last_start + dt.timedelta(minutes=1)
    Auction.objects.filter(pk=draft.pk).update(start_at=late, end_at=late + dt.timedelta(days=1))
    page = _publish_on_the_page(judge, draft)
    assert "竞价开始时参考价已过有效期（含宽限期）" in page and "（PRC-11）" in page
    assert draft.state == AuctionState.DRAFT
    Auction.objects.filter(pk=draft.pk).update(
        start_at=last_start, end_at=last_start + dt.timedelta(days=1)
    )
    _publish_on_the_page(judge, draft)
    assert draft.state == AuctionState.SCHEDULED


@pytest.mark.rule("PRC-13", entry="page")
def test_prc13_publishing_on_the_court_page_meets_the_10_day_start_deadline(
    court, judge, frozen_now
):
    """A price fixed by the pricing procedure opens the 10-day deadline to start the sale;
    the court page's publication meets it (a refused publication leaves it open)."""
    from core import calendar
    from core.models import Deadline
    from pricing.services import procedure_open
    from tests.pricing.conftest import fix_by_directed

    draft = publishable_draft(court, judge, basis_fen=None)
    asset = draft.lot.assets.get()
    price = fix_by_directed(procedure_open(asset=asset, actor=judge), judge, amount_fen=BASIS)
    deadline = Deadline.objects.get(rule_id="PRC-13", subject=price.procedure.subject)
    assert deadline.due_at == calendar.within_days(price.fixed_at, 10, court=court.pk)
    Auction.objects.filter(pk=draft.pk).update(starting_price_fen=BASIS // 2)  # AUC-05: < 70%
    page = _publish_on_the_page(judge, draft)
    assert "（AUC-05）" in page and draft.state == AuctionState.DRAFT
    deadline.refresh_from_db()
    assert deadline.status == "open"
    draft = _renumber(draft, judge, starting_price_fen=START)
    _publish_on_the_page(judge, draft)
    assert draft.state == AuctionState.SCHEDULED
    deadline.refresh_from_db()
    assert deadline.status == "met"


@pytest.mark.rule("PRC-20", entry="page")
def test_prc20_equity_start_above_the_enforcement_costs_on_the_court_page(court, judge, frozen_now):
    """Equity whose appraisal failed, priced on the creditor's written request: the 70% check
    is waived, but a start at the enforcement costs is refused; a fen above is published."""
    from pricing.services import (
        appraisal_failed,
        appraisal_start,
        equity_waiver_record,
        procedure_open,
    )
    from tests.pricing.conftest import check

    costs = 10_000 * YUAN
    draft = publishable_draft(court, judge, kind="equity", basis_fen=None)
    asset = draft.lot.assets.get()
    proc = check(procedure_open(asset=asset, actor=judge), judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    appraisal_failed(procedure_ref=proc.ref, reason="被执行人拒不提供公司财务资料")
    equity_waiver_record(
        procedure=proc,
        creditor_request_doc="（2026）申请书第 3 号",
        enforcement_costs_fen=costs,
        reason="无法评估，申请执行人书面申请",
        actor=judge,
    )
    draft = _renumber(draft, judge, starting_price_fen=costs, deposit_fen=costs // 10)
    page = _publish_on_the_page(judge, draft)
    assert "股权起拍价须高于执行费用（PRC-20）" in page
    assert draft.state == AuctionState.DRAFT
    draft = _renumber(draft, judge, starting_price_fen=costs + 1, deposit_fen=costs // 10)
    _publish_on_the_page(judge, draft)
    assert draft.state == AuctionState.SCHEDULED


@pytest.mark.rule("REC-06", entry="page")
def test_rec06_publishing_on_the_court_page_appends_the_announcement_to_the_record(
    court, judge, frozen_now
):
    """A refused publication leaves the auction record as it was; a publication appends the
    announcement version (numbers, times, texts) to the auction's chained, verified stream."""
    from core.audit import audit_verify
    from core.models import AuditEntry

    draft = publishable_draft(court, judge)
    stream = f"auction:{draft.pk}"
    before = AuditEntry.objects.filter(stream=stream).count()
    Auction.objects.filter(pk=draft.pk).update(announcement="")
    page = _publish_on_the_page(judge, draft)
    assert "拍卖公告正文" in page and draft.state == AuctionState.DRAFT
    assert AuditEntry.objects.filter(stream=stream).count() == before
    Auction.objects.filter(pk=draft.pk).update(announcement="拍卖公告（第一版）")
    _publish_on_the_page(judge, draft)
    assert draft.state == AuctionState.SCHEDULED
    entry = AuditEntry.objects.get(stream=stream, action="auction.published")
    pack = (entry.after or {})["announcement"]
    assert pack["announcement"] == "拍卖公告（第一版）"
    assert pack["starting_price_fen"] == draft.starting_price_fen
    assert "REC-06" in entry.rule_ids and entry.actor == judge
    assert audit_verify([stream]) == []
