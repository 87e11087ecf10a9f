"""Court pages for other disposal routes (AUC-01, AUC-44) and for 以物抵债 among several
creditors (AUC-36, APR-03): staff of the lot's court only, refusals in Chinese on the form with
the input kept, the current route shown on the lot, auction and case pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from appraisers import draw_algorithm as algo
from bidding import in_lieu, services
from bidding.models import AuctionState, DisposalRoute, InLieuApplication, InLieuDraw
from core import clock
from core.models import AuditEntry
from tests.conftest import make_user

from .engine_factories import YUAN, bidder_user, make_case, make_live_auction, publishable_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def lot(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return lot


def test_lot_page_is_for_staff_of_the_lots_court_only(lot, judge, other_court):
    url = f"/bidding/court/lots/{lot.pk}/"
    assert login(judge).get(url).status_code == 200
    stranger = make_user("judge", other_court)
    assert login(stranger).get(url).status_code == 403
    assert login(bidder_user()).get(url).status_code == 403
    # Nor can they post a route (AUC-01).
    for user in (stranger, bidder_user()):
        r = login(user).post(
            url, {"action": "offline", "offline-ground": "unsuitable", "offline-reason": "x"}
        )
        assert r.status_code == 403
    assert not DisposalRoute.objects.exists()


def test_auc01_offline_route_needs_a_reason_error_in_chinese_input_kept(lot, judge):
    url = f"/bidding/court/lots/{lot.pk}/"
    r = login(judge).post(
        url, {"action": "offline", "offline-ground": "unsuitable", "offline-reason": "   "}
    )
    body = r.content.decode()
    assert r.status_code == 200  # the form again, with the refusal
    assert "不采用网络拍卖须记录具体理由（AUC-01）" in body
    assert 'value="unsuitable" selected' in body  # the choice is kept
    r = login(judge).post(
        url, {"action": "offline", "offline-ground": "", "offline-reason": "依法须进场交易"}
    )
    body = r.content.decode()
    assert "须说明理由：法律、行政法规规定须由其他途径处置，或不宜网络拍卖（AUC-01）" in body
    assert "依法须进场交易" in body  # the typed reason is kept
    assert not DisposalRoute.objects.exists()


@pytest.mark.rule("AUC-01", entry="page")
def test_auc01_recorded_route_shows_on_lot_auction_list_and_case_pages(court, judge, frozen_now):
    draft = publishable_draft(court, judge)
    c = login(judge)
    r = c.post(
        f"/bidding/court/lots/{draft.lot_id}/",
        {
            "action": "offline",
            "offline-ground": "required_by_law",
            "offline-reason": "股权须在产权交易所处置",
        },
        follow=True,
    )
    body = r.content.decode()
    assert "已记录其他处置途径及理由" in body
    assert "线下拍卖/变卖" in body and "股权须在产权交易所处置" in body
    route = DisposalRoute.objects.get()
    assert route.ground == "required_by_law" and route.decided_by == judge
    assert AuditEntry.objects.filter(action="disposal.offline", rule_ids="AUC-01").exists()
    detail = c.get(f"/bidding/court/auctions/{draft.pk}/").content.decode()
    assert 'id="disposal-route"' in detail and "线下拍卖/变卖" in detail
    # The case page links each lot to its disposal route (through bidding's case section).
    case_page = c.get(f"/cases/{draft.case_id}/").content.decode()
    assert f"/bidding/court/lots/{draft.lot_id}/" in case_page
    assert "线下拍卖/变卖" in case_page
    # And publication is refused (AUC-01).
    r = c.post(f"/bidding/court/auctions/{draft.pk}/do/publish/", follow=True)
    draft.refresh_from_db()
    assert draft.state == AuctionState.DRAFT
    assert "法院已决定以其他途径处置该拍品（AUC-01）" in r.content.decode()


def test_auc01_no_other_route_while_an_auction_is_announced(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    make_live_auction(court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=3))
    r = login(judge).post(
        f"/bidding/court/lots/{lot.pk}/",
        {"action": "offline", "offline-ground": "unsuitable", "offline-reason": "不宜网拍"},
    )
    assert "该拍品有正在进行或已公告的拍卖，须先依法撤回（AUC-01）" in r.content.decode()
    assert not DisposalRoute.objects.exists()


def test_auc44_self_sale_over_the_maximum_period_is_refused_with_inputs_kept(lot, judge):
    r = login(judge).post(
        f"/bidding/court/lots/{lot.pk}/",
        {
            "action": "self_sale",
            "self_sale-supervised_price_fen": "850,000.00",
            "self_sale-days": "61",
            "self_sale-reason": "被执行人申请自行变卖",
        },
    )
    body = r.content.decode()
    assert r.status_code == 200  # the form again, with the refusal
    assert "自行处置期限须为 1 至 60 日（AUC-44）" in body
    assert 'value="850,000.00"' in body and 'value="61"' in body and "被执行人申请自行变卖" in body
    assert not DisposalRoute.objects.exists()


def test_auc44_authorise_then_complete_with_proceeds_in_the_case_account(lot, judge):
    from core.rulesettings import setting_set
    from settlement.services.receipts import receipt_record

    c = login(judge)
    url = f"/bidding/court/lots/{lot.pk}/"
    r = c.post(
        url,
        {
            "action": "self_sale",
            "self_sale-supervised_price_fen": "500000",
            "self_sale-days": "30",
            "self_sale-reason": "被执行人申请自行变卖，价格经合议庭确定",
        },
        follow=True,
    )
    body = r.content.decode()
    assert "已准许被执行人自行处置" in body
    assert "被执行人自行处置" in body and "500,000.00" in body
    route = DisposalRoute.objects.get()
    assert route.supervised_price_fen == 500_000 * YUAN
    setting_set(
        key="strict_three_way_match",
        value=False,
        court=lot.case.court,
        actor=judge,
        reason="测试：按案号匹配",
    )
    clock.advance(dt.timedelta(days=5))
    short = receipt_record(
        court_id=lot.case.court_id,
        amount_fen=400_000 * YUAN,
        bank_reference="SS-1",
        received_at=clock.now(),
        payer_name="买受人甲",
        memo=f"{lot.case.number} 自行处置款",
    )
    r = c.post(url, {"action": "complete", "complete-receipt": str(short.pk)})
    body = r.content.decode()
    assert "处置价款低于法院监督价（AUC-44）" in body
    assert f'value="{short.pk}" selected' in body  # the choice is kept
    full = receipt_record(
        court_id=lot.case.court_id,
        amount_fen=520_000 * YUAN,
        bank_reference="SS-2",
        received_at=clock.now(),
        payer_name="买受人甲",
        memo=f"{lot.case.number} 自行处置款",
    )
    assert "SS-2" in c.get(url).content.decode()  # offered in the form
    r = c.post(url, {"action": "complete", "complete-receipt": str(full.pk)}, follow=True)
    assert "已记录自行处置完成" in r.content.decode()
    route.refresh_from_db()
    assert route.status == "completed" and route.proceeds_fen == 520_000 * YUAN
    # The same receipt cannot be the proceeds of another sale.
    second = services.self_sale_authorize(
        lot_id=lot.pk, supervised_price_fen=1, days=10, reason="再次准许", actor=judge
    )
    from core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        services.self_sale_complete(route_id=second.pk, receipt_id=full.pk, actor=judge)
    assert (exc.value.code, exc.value.rule) == ("receipt_already_used", "AUC-44")


def test_auc44_proceeds_must_arrive_within_the_period(lot, judge):
    from core.errors import DomainError
    from core.rulesettings import setting_set
    from settlement.services.receipts import receipt_record

    setting_set(
        key="strict_three_way_match",
        value=False,
        court=lot.case.court,
        actor=judge,
        reason="测试：按案号匹配",
    )
    early = receipt_record(
        court_id=lot.case.court_id,
        amount_fen=900_000 * YUAN,
        bank_reference="EARLY",
        received_at=clock.now() - dt.timedelta(days=1),
        payer_name="某人",
        memo=f"{lot.case.number} 执行款",
    )
    route = services.self_sale_authorize(
        lot_id=lot.pk, supervised_price_fen=100 * YUAN, days=10, reason="准许", actor=judge
    )
    with pytest.raises(DomainError) as exc:
        services.self_sale_complete(route_id=route.pk, receipt_id=early.pk, actor=judge)
    assert (exc.value.code, exc.value.rule) == ("proceeds_outside_period", "AUC-44")


# ---- 以物抵债 pages (AUC-36, APR-03) ------------------------------------------------------------


@pytest.fixture
def unsold(court, judge, frozen_now):
    _case, lot, _first, _debtor = make_case(court, judge=judge, claim_fen=60_000 * YUAN)
    auction = make_live_auction(court, lot, start=100_000 * YUAN)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    return auction


def creditor(case, name, priority, user=None):
    from cases.models import Party

    return Party.objects.create(
        case=case,
        role="creditor",
        kind="organisation",
        name=name,
        priority=priority,
        claim_fen=50_000 * YUAN,
        user=user,
    )


def test_in_lieu_page_is_for_staff_of_the_court_only(unsold, judge, other_court):
    url = f"/bidding/court/auctions/{unsold.pk}/in-lieu/"
    assert login(judge).get(url).status_code == 200
    assert login(make_user("judge", other_court)).get(url).status_code == 403
    assert login(bidder_user()).get(url).status_code == 403
    party = creditor(unsold.case, "甲公司", 1)
    r = login(make_user("judge", other_court)).post(
        url, {"action": "apply", "apply-party": str(party.pk)}
    )
    assert r.status_code == 403 and not InLieuApplication.objects.exists()


@pytest.mark.rule("AUC-36", entry="page")
def test_auc36_apply_and_decide_by_priority_through_the_page(unsold, judge):
    a = creditor(unsold.case, "甲银行", 1)
    b = creditor(unsold.case, "乙公司", 2)
    c = login(judge)
    url = f"/bidding/court/auctions/{unsold.pk}/in-lieu/"
    r = c.post(url, {"action": "apply", "apply-party": "", "apply-note": "电话申请"})
    body = r.content.decode()
    assert "以物抵债须为本案申请执行人或其他债权人（AUC-36）" in body and "电话申请" in body
    for p in (b, a):
        r = c.post(url, {"action": "apply", "apply-party": str(p.pk), "apply-note": "书面申请"})
        assert r.status_code == 302
    body = c.get(url).content.decode()
    assert "受偿顺位在先的申请人" in body and "甲银行" in body
    r = c.post(url, {"action": "decide", "decide-reason": "", "decide-excess_days": "20"})
    body = r.content.decode()
    assert "须写明以物抵债的理由（AUC-36）" in body and 'value="20"' in body
    r = c.post(
        url,
        {"action": "decide", "decide-reason": "顺位在先", "decide-excess_days": "20"},
        follow=True,
    )
    body = r.content.decode()
    assert "已决定以物抵债" in body and 'id="in-lieu-taking"' in body
    unsold.refresh_from_db()
    assert unsold.state == AuctionState.IN_LIEU and unsold.in_lieu.party_id == a.pk


def test_auc36_apr03_equal_ranks_draw_through_the_pages(unsold, judge):
    """AUC-36 / APR-03: equal-rank applicants → freeze the list, the court commits and reveals
    on the draw page, runs the draw; a party sees the record; the winner takes the lot."""
    user_a = make_user("party")
    a = creditor(unsold.case, "甲公司", 2, user=user_a)
    b = creditor(unsold.case, "乙公司", 2)
    for p in (a, b):
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=p.pk, actor=judge)
    c = login(judge)
    url = f"/bidding/court/auctions/{unsold.pk}/in-lieu/"
    body = c.get(url).content.decode()
    assert "须摇号决定" in body
    r = c.post(url, {"action": "decide", "decide-reason": "抵债", "decide-excess_days": "10"})
    assert "须先摇号决定（AUC-36）" in r.content.decode()
    now = clock.now()
    r = c.post(
        url,
        {
            "action": "draw",
            "draw-commit_deadline": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "draw-scheduled_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        },
    )
    assert "承诺截止时间须晚于现在，且不晚于摇号时间（APR-03）" in r.content.decode()
    local = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8)))
    r = c.post(
        url,
        {
            "action": "draw",
            "draw-commit_deadline": (local + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "draw-scheduled_at": (local + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        },
    )
    assert r.status_code == 302
    draw = InLieuDraw.objects.get()
    draw_url = f"/bidding/court/in-lieu-draws/{draw.pk}/"
    secret = "court-secret-0123456789abcdef"
    r = c.post(draw_url, {"action": "commit", "participant": "court", "commitment": "abc"})
    assert "承诺值应为64位十六进制的 SHA-256 值（APR-03）" in r.content.decode()
    r = c.post(
        draw_url,
        {"action": "commit", "participant": "court", "commitment": algo.commitment_of(secret)},
    )
    assert r.status_code == 302
    # The party sees the draw and may commit for itself only; strangers may not see it.
    assert login(user_a).get(draw_url).status_code == 200
    assert login(bidder_user()).get(draw_url).status_code == 403
    r = login(user_a).post(
        draw_url,
        {"action": "commit", "participant": "court", "commitment": algo.commitment_of("x" * 20)},
    )
    assert "您不能以该参与方身份提交" in r.content.decode()
    clock.advance(dt.timedelta(hours=1))
    r = c.post(draw_url, {"action": "reveal", "participant": "court", "secret": "wrong" * 5})
    body = r.content.decode()
    assert "揭示值与承诺值不符（SHA-256 不一致）（APR-03）" in body and "wrong" * 5 in body
    c.post(draw_url, {"action": "reveal", "participant": "court", "secret": secret})
    r = c.post(draw_url, {"action": "run"})
    assert "未到通知的摇号时间（APR-03）" in r.content.decode()
    clock.advance(dt.timedelta(hours=1))
    r = c.post(draw_url, {"action": "run"}, follow=True)
    body = r.content.decode()
    assert "摇号已完成" in body and 'id="draw-verified"' in body
    draw.refresh_from_db()
    record = c.get(f"/bidding/court/in-lieu-draws/{draw.pk}/record.json").json()
    assert in_lieu.in_lieu_draw_recompute(record)["ok"] and record["result"] == draw.result
    body = c.get(url).content.decode()
    assert "经摇号由" in body
    c.post(url, {"action": "decide", "decide-reason": "摇号决定", "decide-excess_days": "10"})
    unsold.refresh_from_db()
    assert unsold.state == AuctionState.IN_LIEU and unsold.in_lieu.party_id == draw.winner_id
