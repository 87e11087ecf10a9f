"""Publication (公告) is refused, naming the rule, until every check holds (AUC-04..10, 16, 22, 31, 35, 37)."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import Auction, AuctionState
from core import clock
from core.errors import DomainError

from .engine_factories import YUAN, decide_all, make_case, publishable_draft, serve_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(court, judge, frozen_now):
    return publishable_draft(court, judge)


def problems(auction):
    auction.refresh_from_db()
    return {(p.code, p.rule) for p in services.auction_publish_problems(auction)}


def test_a_complete_draft_publishes_with_a_settings_snapshot(draft, judge):
    a = services.auction_publish(auction_id=draft.pk, actor=judge)
    assert a.state == AuctionState.SCHEDULED and a.published_at == clock.now()
    assert a.settings_snapshot is not None
    assert a.settings_snapshot["first_auction_min_start_ratio"] == "0.70"
    assert "悔拍的，交纳的保证金不予退还" in a.warnings_text  # AUC-09 warnings always present
    assert a.price_basis


def test_settings_are_read_from_the_snapshot_after_publication(draft, judge, court):
    from core.rulesettings import setting_set

    a = services.auction_publish(auction_id=draft.pk, actor=judge)
    setting_set(
        key="forbid_rebid_while_leading", value=False, court=court, actor=judge, reason="测试"
    )
    a.refresh_from_db()
    assert services.setting(a, "forbid_rebid_while_leading") is True


def test_refusal_lists_every_problem_with_its_rule(draft, judge):
    draft.balance_period_days = None
    draft.deposit_fen = 1 * YUAN
    draft.save()
    with pytest.raises(DomainError) as exc:
        services.auction_publish(auction_id=draft.pk, actor=judge)
    err = exc.value
    assert err.code == "publication_refused"
    rules = {p["rule"] for p in err.data["problems"]}
    assert {"AUC-31", "AUC-16", "AUC-04"} <= rules  # deposit no longer matches its panel decision
    assert "AUC-31" in err.message and "尾款" in err.message


def test_panel_decision_required_for_each_number_auc04(court, judge, frozen_now):
    a = publishable_draft(court, judge)
    # A fresh draft without any decision.
    _case, lot, *_ = make_case(court, judge=judge)
    b = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=a.starting_price_fen,
        increment_fen=a.increment_fen,
        deposit_fen=a.deposit_fen,
    )
    got = problems(b)
    assert ("panel_decision_missing", "AUC-04") in got


def test_a_new_panel_decision_supersedes_never_edits_auc04(draft, judge):
    services.panel_decision_record(
        auction_id=draft.pk,
        actor=judge,
        topic="starting_price",
        value_fen=draft.starting_price_fen + 1000 * YUAN,
        panel_members="王、李、赵",
        decided_at=clock.now(),
    )
    assert ("panel_decision_mismatch", "AUC-04") in problems(draft)
    decisions = draft.panel_decisions.filter(topic="starting_price").order_by("pk")
    assert decisions.count() == 2 and decisions[1].supersedes_id == decisions[0].pk


def test_first_round_start_below_70_percent_of_basis_refused_auc05(court, judge, frozen_now):
    a = publishable_draft(court, judge, basis_fen=150_000 * YUAN, start=100_000 * YUAN)
    assert ("start_below_ratio", "AUC-05") in problems(a)
    b = publishable_draft(court, judge, basis_fen=100_000 * YUAN // 7 * 10, start=100_000 * YUAN)
    assert not any(rule == "AUC-05" for _, rule in problems(b))


def test_no_usable_price_basis_refuses_publication_prc11(court, judge, frozen_now):
    a = publishable_draft(court, judge, basis_fen=None)
    assert ("no_price_basis", "PRC-11") in problems(a)


def test_lead_time_movables_15_immovables_30_days_auc08(court, judge, frozen_now):
    house = publishable_draft(court, judge, lead_days=29)
    assert ("lead_time_too_short", "AUC-08") in problems(house)
    house.start_at += dt.timedelta(days=1)
    house.end_at += dt.timedelta(days=1)
    house.save()
    assert not any(rule == "AUC-08" for _, rule in problems(house))
    car = publishable_draft(court, judge, kind="vehicle", lead_days=14)
    assert ("lead_time_too_short", "AUC-08") in problems(car)
    car2 = publishable_draft(court, judge, kind="vehicle", lead_days=15)
    assert not any(rule == "AUC-08" for _, rule in problems(car2))


def test_disclosure_pack_must_be_complete_and_lists_what_is_missing_auc09(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    now = clock.now()
    a = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=100_000 * YUAN,
        increment_fen=1_000 * YUAN,
        deposit_fen=10_000 * YUAN,
        balance_period_days=30,
        start_at=now + dt.timedelta(days=31),
        end_at=now + dt.timedelta(days=32),
    )
    refusal = next(p for p in services.auction_publish_problems(a) if p.rule == "AUC-09")
    for item in ("拍卖公告正文", "竞价规则", "权属状况", "照片或视频", "优先购买权人情况"):
        assert item in refusal.message


def test_announcement_must_say_who_bears_the_transfer_taxes_auc45(court, judge, frozen_now):
    """AUC-45: without a statement of who pays the taxes (a disclosure or the auction's
    taxes note) publication is refused naming the rule; with the note that item is gone."""
    _case, lot, *_ = make_case(court, judge=judge)
    now = clock.now()
    a = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=100_000 * YUAN,
        increment_fen=1_000 * YUAN,
        deposit_fen=10_000 * YUAN,
        balance_period_days=30,
        start_at=now + dt.timedelta(days=31),
        end_at=now + dt.timedelta(days=32),
    )
    refusal = next(p for p in services.auction_publish_problems(a) if p.rule == "AUC-09")
    assert "AUC-45" in refusal.message
    a.taxes_note = "过户税费由买受人和被执行人按照法律规定各自承担"
    a.save(update_fields=["taxes_note"])
    refusal = next(p for p in services.auction_publish_problems(a) if p.rule == "AUC-09")
    assert "AUC-45" not in refusal.message


def test_parties_must_be_served_three_days_before_auc10(court, judge, frozen_now):
    _case, lot, _creditor, _debtor = make_case(court, judge=judge)
    from .engine_factories import full_disclosures

    full_disclosures(lot, judge)
    now = clock.now()
    a = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=100_000 * YUAN,
        increment_fen=1_000 * YUAN,
        deposit_fen=10_000 * YUAN,
        balance_period_days=30,
        start_at=now + dt.timedelta(days=31),
        end_at=now + dt.timedelta(days=32),
        announcement="公告",
        bidding_rules="规则",
        pricing_basis_note="依据",
        priority_holders_note="无",
    )
    decide_all(a, judge)
    assert ("parties_not_served", "AUC-10") in problems(a)
    serve_all(a, judge, at=now - dt.timedelta(days=2))
    assert ("parties_not_served", "AUC-10") in problems(a)
    clock.advance(dt.timedelta(days=1))
    assert ("parties_not_served", "AUC-10") not in problems(a)


def test_unreachable_party_counts_as_served_after_deemed_notice_auc10(court, judge, frozen_now):
    _case, lot, creditor, debtor = make_case(court, judge=judge)
    a = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=100_000 * YUAN,
        increment_fen=1_000 * YUAN,
        deposit_fen=10_000 * YUAN,
    )
    now = clock.now()
    for party in (creditor, debtor):
        services.auction_notice_record(
            auction_id=a.pk,
            actor=judge,
            recipient=party,
            method="platform_publication",
            sent_at=now,
            unreachable_reason="下落不明，电话、邮寄均无法送达",
        )
    assert ("parties_not_served", "AUC-10") in problems(a)
    clock.advance(dt.timedelta(days=10))
    assert ("parties_not_served", "AUC-10") not in problems(a)


def test_known_priority_purchasers_must_be_served_too_auc10(draft, judge):
    from bidding.models import PriorityHolder

    PriorityHolder.objects.create(
        auction=draft, name="承租人甲", rank=1, basis="承租人", added_by=judge, added_at=clock.now()
    )
    assert ("parties_not_served", "AUC-10") in problems(draft)


@pytest.mark.parametrize(
    "deposit_yuan,ok", [(4_999, False), (5_000, True), (20_000, True), (20_001, False)]
)
def test_deposit_between_5_and_20_percent_auc16(court, judge, frozen_now, deposit_yuan, ok):
    a = publishable_draft(court, judge)
    a.deposit_fen = deposit_yuan * YUAN
    a.save()
    services.panel_decision_record(
        auction_id=a.pk,
        actor=judge,
        topic="deposit",
        value_fen=a.deposit_fen,
        panel_members="王、李、赵",
        decided_at=clock.now(),
    )
    assert (("deposit_out_of_range", "AUC-16") not in problems(a)) is ok


def test_bidding_period_at_least_24_hours_auc22(draft):
    draft.end_at = draft.start_at + dt.timedelta(hours=23, minutes=59)
    draft.save()
    assert ("bidding_period_too_short", "AUC-22") in problems(draft)


def test_balance_period_required_no_default_auc31(draft):
    draft.balance_period_days = None
    draft.save()
    assert ("balance_period_required", "AUC-31") in problems(draft)


def test_low_start_needs_notice_and_applicant_insisting_auc06(draft, judge):
    draft.priority_claims_fen = 90_000 * YUAN
    draft.costs_estimate_fen = 20_000 * YUAN
    draft.save()
    assert ("low_start_notice_required", "AUC-06") in problems(draft)
    services.auction_low_start_notice(auction_id=draft.pk, actor=judge)
    assert ("applicant_not_insisted", "AUC-06") in problems(draft)
    with pytest.raises(DomainError):
        services.auction_low_start_notice(
            auction_id=draft.pk, actor=judge, insisted_at=clock.now() + dt.timedelta(days=8)
        )  # REC-01: day 5 is a Saturday → Monday
    services.auction_low_start_notice(
        auction_id=draft.pk, actor=judge, insisted_at=clock.now() + dt.timedelta(days=2)
    )
    assert ("low_start_not_exceeding", "AUC-06") in problems(draft)
    # The applicant insisted: the court re-sets a start above priority claims + costs.
    services.auction_draft_update(
        auction_id=draft.pk,
        actor=judge,
        starting_price_fen=111_000 * YUAN,
        deposit_fen=11_100 * YUAN,
    )
    for topic, value in (("starting_price", 111_000 * YUAN), ("deposit", 11_100 * YUAN)):
        services.panel_decision_record(
            auction_id=draft.pk,
            actor=judge,
            topic=topic,
            value_fen=value,
            panel_members="王、李、赵",
            decided_at=clock.now(),
        )
    assert not any(rule == "AUC-06" for _, rule in problems(draft))
    a = services.auction_publish(auction_id=draft.pk, actor=judge)
    assert a.applicant_bears_costs


def test_proceeds_covering_the_debt_block_further_lots_unless_debtor_consents_auc07(
    court, judge, frozen_now
):
    from bidding.models import AuctionResult

    a = publishable_draft(court, judge, claim_fen=80_000 * YUAN)
    # Another lot of the same case already sold for more than the debt.
    from cases.models import Lot

    other_lot = Lot.objects.create(case=a.case, title="另一拍品", created_at=clock.now())
    other = Auction.objects.create(
        court=court,
        case=a.case,
        lot=other_lot,
        title="已成交",
        state=AuctionState.SOLD,
        starting_price_fen=1,
        increment_fen=1,
        deposit_fen=0,
        created_at=clock.now(),
    )
    AuctionResult.objects.create(
        auction=other, outcome="sold", closed_at=clock.now(), price_fen=90_000 * YUAN
    )
    assert ("proceeds_cover_debt", "AUC-07") in problems(a)
    services.auction_debtor_consent(auction_id=a.pk, actor=judge, note="被执行人书面同意继续拍卖")
    assert ("proceeds_cover_debt", "AUC-07") not in problems(a)


def _unsold_first_round(court, judge):
    first = publishable_draft(court, judge)
    first = services.auction_publish(auction_id=first.pk, actor=judge)
    assert first.start_at is not None
    clock.set_time(first.start_at)
    services.auction_clock_tick()
    assert first.end_at is not None
    clock.set_time(first.end_at)
    services.auction_close_due()
    first.refresh_from_db()
    assert first.state == AuctionState.UNSOLD
    return first


def _ready(a, judge):
    now = clock.now()
    a.start_at = now + dt.timedelta(days=16)
    a.end_at = a.start_at + dt.timedelta(days=1)
    a.save()
    serve_all(a, judge, at=now - dt.timedelta(days=3))
    decide_all(a, judge, at=now)
    return a


def test_second_round_cut_at_most_20_percent_within_30_days_auc35(court, judge, frozen_now):
    first = _unsold_first_round(court, judge)
    second = services.auction_next_round_create(
        auction_id=first.pk, actor=judge, starting_price_fen=first.starting_price_fen * 79 // 100
    )
    second.deposit_fen = second.starting_price_fen // 10
    second.save()
    _ready(second, judge)
    assert ("cut_too_deep", "AUC-35") in problems(second)
    services.auction_draft_update(
        auction_id=second.pk,
        actor=judge,
        starting_price_fen=first.starting_price_fen * 8 // 10,
        deposit_fen=first.starting_price_fen * 8 // 100,
    )
    decide_all(second, judge)
    assert not any(rule == "AUC-35" for _, rule in problems(second))
    # Immovable second round: at least 15 days' lead (AUC-35).
    second.start_at = clock.now() + dt.timedelta(days=14)
    second.end_at = second.start_at + dt.timedelta(days=1)
    second.save()
    assert ("lead_time_too_short", "AUC-35") in problems(second)
    _ready(second, judge)
    clock.advance(
        dt.timedelta(days=35)
    )  # past 30 days even when day 30 falls on a weekend (REC-01)
    second.start_at = clock.now() + dt.timedelta(days=16)
    second.end_at = second.start_at + dt.timedelta(days=1)
    second.save()
    assert ("reauction_too_late", "AUC-35") in problems(second)


def test_sale_after_second_unsold_needs_full_price_and_60_day_period_auc37(
    court, judge, frozen_now
):
    first = _unsold_first_round(court, judge)
    second = services.auction_next_round_create(auction_id=first.pk, actor=judge)
    _ready(second, judge)
    second = services.auction_publish(auction_id=second.pk, actor=judge)
    assert second.start_at is not None
    clock.set_time(second.start_at)
    services.auction_clock_tick()
    assert second.end_at is not None
    clock.set_time(second.end_at)
    services.auction_close_due()
    second.refresh_from_db()
    sale = services.auction_next_round_create(auction_id=second.pk, actor=judge)
    assert (
        sale.round == "sale"
        and sale.deposit_fen == sale.starting_price_fen == second.starting_price_fen
    )
    now = clock.now()
    sale.start_at = now + dt.timedelta(days=16)
    sale.end_at = sale.start_at + dt.timedelta(days=30)
    sale.save()
    serve_all(sale, judge, at=now - dt.timedelta(days=3))
    decide_all(sale, judge)
    assert ("sale_period", "AUC-37") in problems(sale)
    sale.end_at = sale.start_at + dt.timedelta(days=60)
    sale.save()
    assert not any(rule in ("AUC-37", "AUC-38", "AUC-16") for _, rule in problems(sale))
    sale.deposit_fen = sale.starting_price_fen // 10
    sale.save()
    assert ("sale_full_payment", "AUC-37") in problems(sale)


def test_after_unsold_the_lot_goes_on_through_the_next_round_not_a_new_first_auction_auc35(
    court, judge, frozen_now
):
    """AUC-35: after 流拍 the lot is re-auctioned within 30 days at no less than 80% of the
    previous start. A fresh 一拍 for the same lot (floor 70% of the basis) is refused while
    that window runs; the next round from "准备下一轮" is not."""
    first = _unsold_first_round(court, judge)
    fresh = services.auction_draft_create(
        lot=first.lot,
        actor=judge,
        starting_price_fen=first.starting_price_fen * 7 // 10 * 12 // 10,
        increment_fen=first.increment_fen,
        deposit_fen=first.starting_price_fen // 10,
        balance_period_days=30,
        announcement="拍卖公告（示例）",
        bidding_rules="竞价规则（示例）",
        pricing_basis_note="参考价依据（示例）",
        priority_holders_note="无",
        platform_chosen_by=Auction.PlatformChoice.CREDITOR,
    )
    _ready(fresh, judge)
    fresh.start_at = clock.now() + dt.timedelta(days=31)
    fresh.end_at = fresh.start_at + dt.timedelta(days=1)
    fresh.save()
    assert ("next_round_due", "AUC-35") in problems(fresh)
    with pytest.raises(DomainError):
        services.auction_publish(auction_id=fresh.pk, actor=judge)
    second = services.auction_next_round_create(auction_id=first.pk, actor=judge)
    _ready(second, judge)
    assert not any(code == "next_round_due" for code, _ in problems(second))
    # Once the next round exists, the lot is no longer waiting for it.
    assert services.lot_unsold_awaiting_next_round(first.lot_id) is None


def test_the_parties_announcement_names_the_round_once(court, judge, frozen_now):
    """REC-11: the parties are told of the announcement; "（一拍）" is said once even when the
    court already put it in the title."""
    from core.models import OutboxMessage
    from tests.conftest import make_user

    creditor = make_user("party")
    draft = publishable_draft(court, judge, creditor_user=creditor)
    draft.title = "东湖区示例路8号502室（一拍）"
    draft.save(update_fields=["title"])
    services.auction_publish(auction_id=draft.pk, actor=judge)
    message = OutboxMessage.objects.filter(recipient=creditor, topic="auction.announced").first()
    assert message is not None
    body = message.body
    assert body.startswith("东湖区示例路8号502室（一拍）已公告") and body.count("（一拍）") == 1
