"""Court actions with published reasons: suspend, halt, resume (AUC-40/41), withdraw (AUC-42),
set aside (AUC-43), third-party objection (AUC-40), in lieu (AUC-36), next round (AUC-35)."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import AuctionState, CourtAction, InLieuTaking
from core import clock
from core.errors import DomainError
from core.models import Deadline

from .engine_factories import YUAN, bid, make_case, make_live_auction, register_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot)


def _holds():
    from settlement.models import DepositHold

    return {h.ref: h for h in DepositHold.objects.all()}


def test_suspend_stops_bidding_and_publishes_the_reason_auc40(live, judge):
    a = register_paid(live)
    services.auction_suspend(auction_id=live.pk, actor=judge, reason="案外人提出书面异议，暂缓拍卖")
    live.refresh_from_db()
    assert live.state == AuctionState.SUSPENDED
    action = CourtAction.objects.get(auction=live)
    assert action.reason == "案外人提出书面异议，暂缓拍卖" and action.to_state == "suspended"
    with pytest.raises(DomainError) as exc:
        bid(live, a, live.starting_price_fen)
    assert exc.value.code == "auction_not_open"
    assert _holds()[a.money_ref].status == "held"  # 暂缓 keeps deposits


def test_reason_is_required_for_every_court_action(live, judge):
    with pytest.raises(DomainError) as exc:
        services.auction_suspend(auction_id=live.pk, actor=judge, reason="  ")
    assert exc.value.code == "reason_required"


def test_only_staff_of_the_auction_court_may_act(live, other_court):
    from tests.conftest import make_user

    with pytest.raises(DomainError) as exc:
        services.auction_suspend(
            auction_id=live.pk, actor=make_user("judge", other_court), reason="x"
        )
    assert exc.value.status == 403


def test_halt_refunds_deposits_within_24h_auc41(live, judge):
    a = register_paid(live)
    services.auction_halt(auction_id=live.pk, actor=judge, reason="执行依据被申请再审，中止拍卖")
    live.refresh_from_db()
    assert live.state == AuctionState.HALTED
    assert _holds()[a.money_ref].status in ("releasing", "released")
    deadline = Deadline.objects.get(rule_id="AUC-41")
    assert deadline.due_at == clock.now() + dt.timedelta(hours=24)


def test_ground_ended_opens_5_day_resume_deadline_and_resume_sets_new_period_auc40_auc22(
    live, judge
):
    services.auction_suspend(auction_id=live.pk, actor=judge, reason="暂缓")
    services.auction_ground_ended(auction_id=live.pk, actor=judge, reason="异议已驳回")
    deadline = Deadline.objects.get(rule_id="AUC-40", status="open")
    now = clock.now()
    with pytest.raises(DomainError) as exc:
        services.auction_resume(
            auction_id=live.pk,
            actor=judge,
            reason="恢复",
            start_at=now,
            end_at=now + dt.timedelta(hours=23),
        )
    assert exc.value.rule == "AUC-22"
    services.auction_resume(
        auction_id=live.pk,
        actor=judge,
        reason="异议已驳回，恢复拍卖",
        start_at=now + dt.timedelta(hours=1),
        end_at=now + dt.timedelta(hours=25),
    )
    live.refresh_from_db()
    deadline.refresh_from_db()
    assert live.state == AuctionState.SCHEDULED and live.end_at == now + dt.timedelta(hours=25)
    assert deadline.status == "met"


def test_halted_bidder_pays_again_after_resume_and_bids(live, judge):
    a = register_paid(live)
    services.auction_halt(auction_id=live.pk, actor=judge, reason="中止")
    now = clock.now()
    services.auction_resume(
        auction_id=live.pk,
        actor=judge,
        reason="恢复",
        start_at=now,
        end_at=now + dt.timedelta(hours=24),
    )
    from .engine_factories import pay_deposit

    a = pay_deposit(a)
    assert a.status == "active" and a.money_ref != a.ref
    bid(live, a, live.starting_price_fen)


def test_third_party_objection_forces_suspension_or_halt_auc40(live, judge):
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="主张系争房屋为其所有"
    )
    live.refresh_from_db()
    assert live.state == AuctionState.SUSPENDED
    kinds = list(CourtAction.objects.filter(auction=live).values_list("kind", flat=True))
    assert kinds == ["third_party_objection", "suspend"]
    services.auction_third_party_objection(
        auction_id=live.pk, actor=judge, objector="案外人张某", reason="补充材料", measure="halt"
    )
    live.refresh_from_db()
    assert live.state == AuctionState.HALTED


def test_withdraw_only_before_bidding_starts_auc42(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot)
    with pytest.raises(DomainError) as exc:
        services.auction_withdraw(
            auction_id=live.pk, actor=judge, ground="debt_paid", reason="已履行"
        )
    assert exc.value.rule == "AUC-42"
    scheduled = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=3)
    )
    services.auction_withdraw(
        auction_id=scheduled.pk,
        actor=judge,
        ground="debtor_paid_before_auction",
        reason="被执行人于拍卖日前全部清偿并申请停止拍卖",
    )
    scheduled.refresh_from_db()
    assert scheduled.state == AuctionState.WITHDRAWN


def test_set_aside_records_ground_decision_and_follow_up_auc43(live, judge):
    a, b = register_paid(live), register_paid(live)
    bid(live, a, live.starting_price_fen)
    with pytest.raises(DomainError):
        services.auction_set_aside(
            auction_id=live.pk,
            actor=judge,
            ground="system_fault",
            reason="数据错误",
            document="",
            follow_up="",
        )
    services.auction_set_aside(
        auction_id=live.pk,
        actor=judge,
        ground="system_fault",
        reason="平台数据错误导致出价记录异常",
        document="（2026）测执异1号裁定",
        follow_up="重新发布拍卖公告",
    )
    live.refresh_from_db()
    action = CourtAction.objects.get(auction=live, kind="set_aside")
    assert live.state == AuctionState.SET_ASIDE
    assert (action.ground, action.document, action.follow_up) == (
        "system_fault",
        "（2026）测执异1号裁定",
        "重新发布拍卖公告",
    )
    holds = _holds()
    assert holds[a.money_ref].status in ("releasing", "released") and holds[b.money_ref].status in (
        "releasing",
        "released",
    )


def test_creditor_takes_unsold_lot_in_lieu_at_that_rounds_start_auc36(court, judge, frozen_now):
    _case, lot, creditor, _debtor = make_case(court, judge=judge, claim_fen=60_000 * YUAN)
    auction = make_live_auction(court, lot, start=100_000 * YUAN)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    with pytest.raises(DomainError) as exc:
        services.auction_take_in_lieu(
            auction_id=auction.pk, actor=judge, party_id=creditor.pk, reason="申请以物抵债"
        )
    assert exc.value.code == "excess_period_required"
    taking = services.auction_take_in_lieu(
        auction_id=auction.pk,
        actor=judge,
        party_id=creditor.pk,
        reason="申请执行人申请以物抵债",
        excess_days=15,
    )
    auction.refresh_from_db()
    assert auction.state == AuctionState.IN_LIEU
    assert (taking.price_fen, taking.claim_fen, taking.excess_fen) == (
        100_000 * YUAN,
        60_000 * YUAN,
        40_000 * YUAN,
    )
    from settlement.models import BalanceDue

    assert BalanceDue.objects.get(sale_ref=auction.sale_ref).price_fen == 40_000 * YUAN
    assert InLieuTaking.objects.count() == 1


def test_in_lieu_refused_before_unsold_and_for_non_creditors_auc36(live, judge):
    with pytest.raises(DomainError) as exc:
        services.auction_take_in_lieu(auction_id=live.pk, actor=judge, party_id=1, reason="x")
    assert exc.value.rule == "AUC-36"


def test_next_round_after_unsold_is_a_linked_second_auction_draft_auc35(live, judge):
    clock.set_time(live.end_at)
    services.auction_close_due()
    second = services.auction_next_round_create(auction_id=live.pk, actor=judge)
    assert (second.round, second.previous_id, second.state, second.link) == (
        "2",
        live.pk,
        "draft",
        "next_round",
    )
    with pytest.raises(DomainError):
        services.auction_next_round_create(auction_id=live.pk, actor=judge)


# --- AUC-40: the platform may suspend first on a system failure --------------------------------


def test_auc40_platform_operator_suspends_first_on_a_system_failure_and_reports_at_once(
    live, judge, platform_operator
):
    from core.models import OutboxMessage

    action = services.auction_suspend(
        auction_id=live.pk,
        actor=platform_operator,
        ground="platform_failure",
        reason="竞价系统数据库故障，平台先行暂缓",
    )
    live.refresh_from_db()
    assert live.state == AuctionState.SUSPENDED
    assert action.decided_by == platform_operator and action.ground == "platform_failure"
    # reported to the case judge at once
    assert OutboxMessage.objects.filter(
        recipient=judge, topic="auction.platform_suspended"
    ).exists()


@pytest.mark.parametrize("ground", ["court_decision", "enforcement_objection", "other"])
def test_auc40_platform_operator_may_not_suspend_on_another_ground(live, platform_operator, ground):
    with pytest.raises(DomainError) as exc:
        services.auction_suspend(
            auction_id=live.pk, actor=platform_operator, ground=ground, reason="平台决定暂缓"
        )
    assert exc.value.code == "forbidden"
    live.refresh_from_db()
    assert live.state == AuctionState.BIDDING


def test_auc40_platform_operator_may_not_halt(live, platform_operator):
    with pytest.raises(DomainError):
        services.auction_halt(
            auction_id=live.pk, actor=platform_operator, ground="platform_failure", reason="故障"
        )
    live.refresh_from_db()
    assert live.state == AuctionState.BIDDING


@pytest.mark.rule("AUC-40", entry="api")
def test_auc40_platform_suspension_through_the_api(live, platform_operator, settings):
    from django.test import Client

    settings.GAVEL_STAFF_2FA_REQUIRED = False
    c = Client()
    c.force_login(platform_operator)
    url = f"/api/bidding/court/auctions/{live.pk}/suspend"
    r = c.post(url, {"reason": "平台先行暂缓", "ground": "other"}, content_type="application/json")
    assert r.status_code == 403
    r = c.post(
        url,
        {"reason": "竞价系统故障，平台先行暂缓", "ground": "platform_failure"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == AuctionState.SUSPENDED
