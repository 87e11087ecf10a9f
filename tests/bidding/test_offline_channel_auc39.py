"""AUC-39: the offline channel follows the court-sale rules (ASR 10, 13, 23–26, 32): deposit
≥ 5% of the appraisal, refunds within 3 days, re-auction within 60 days (each cut ≤ 20%), a
third auction only for immovables, a sale (变卖) at ≥ ½ of the appraisal, same-rank ties by
lot. Each at its boundary, one value each side."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding import services
from bidding.models import DisposalRoute, OfflineRound
from bidding.services.offline import deposit_minimum
from core import calendar, clock
from core.errors import Conflict, DomainError
from core.models import AuditEntry, Deadline

from .engine_factories import make_case

pytestmark = pytest.mark.django_db
APPRAISAL = 1_000_000_01  # 1,000,000.01 yuan: 5% is 50,000.0005 yuan → 5,000,001 fen


def _offline_lot(court, judge, kind="residential"):
    _case, lot, *_ = make_case(court, judge=judge, kind=kind)
    services.disposal_offline_record(
        lot_id=lot.pk, ground="unsuitable", reason="标的物不宜网络拍卖", actor=judge
    )
    return lot


def _record(lot, judge, **kw):
    args = {
        "lot_id": lot.pk,
        "method": "auction",
        "appraisal_fen": APPRAISAL,
        "start_price_fen": APPRAISAL,
        "deposit_fen": deposit_minimum(APPRAISAL),
        "held_at": clock.now() + dt.timedelta(days=1),
        "actor": judge,
        **kw,
    }
    return services.offline_round_record(**args)


def _held_unsold(r, judge):
    clock.set_time(r.held_at)
    return services.offline_round_result(round_id=r.pk, outcome="unsold", actor=judge)


def test_auc39_deposit_at_5_percent_is_accepted_one_fen_less_refused(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    assert deposit_minimum(APPRAISAL) == 5_000_001  # rounded up to the fen
    with pytest.raises(DomainError) as exc:
        _record(lot, judge, deposit_fen=5_000_000)
    assert (exc.value.code, exc.value.rule) == ("offline_deposit_too_low", "AUC-39")
    r = _record(lot, judge, deposit_fen=5_000_001)
    assert (r.round, r.deposit_fen) == (1, 5_000_001)
    assert AuditEntry.objects.filter(action="offline.round_recorded", subject=r.ref).exists()


def test_auc39_no_offline_round_without_an_offline_route(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    with pytest.raises(Conflict) as exc:
        _record(lot, judge)
    assert exc.value.code == "no_offline_route"


def test_auc39_deposits_refunded_within_3_days_of_the_auction(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    r = _held_unsold(_record(lot, judge), judge)
    due = calendar.within_days(r.held_at, 3, court=court.pk)
    assert r.deposit_refund_due_at == due
    d = Deadline.objects.get(subject=f"{r.ref}/refund", rule_id="AUC-39")
    assert d.due_at == due and d.due_at > calendar.within_days(r.held_at, 2, court=court.pk)


def test_auc39_reauction_on_day_60_accepted_day_61_refused(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    first = _held_unsold(_record(lot, judge), judge)
    due = first.next_round_due_at
    assert due == calendar.within_days(first.held_at, 60, court=court.pk)
    assert Deadline.objects.filter(subject=first.ref, rule_id="AUC-39", status="open").exists()
    with pytest.raises(DomainError) as exc:
        _record(lot, judge, held_at=due + dt.timedelta(seconds=1), start_price_fen=APPRAISAL)
    assert exc.value.code == "offline_reauction_late"
    second = _record(lot, judge, held_at=due, start_price_fen=APPRAISAL)
    assert second.round == 2
    assert not Deadline.objects.filter(subject=first.ref, rule_id="AUC-39", status="open").exists()


def test_auc39_each_cut_at_most_20_percent(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    _held_unsold(_record(lot, judge, start_price_fen=1_000_000), judge)
    with pytest.raises(DomainError) as exc:
        _record(lot, judge, start_price_fen=799_999, held_at=clock.now() + dt.timedelta(days=5))
    assert exc.value.code == "offline_cut_too_deep"
    assert (
        _record(
            lot, judge, start_price_fen=800_000, held_at=clock.now() + dt.timedelta(days=5)
        ).round
        == 2
    )


@pytest.mark.parametrize(("kind", "allowed"), [("residential", True), ("vehicle", False)])
def test_auc39_a_third_auction_only_for_immovables(court, judge, frozen_now, kind, allowed):
    lot = _offline_lot(court, judge, kind=kind)
    first = _held_unsold(_record(lot, judge), judge)
    second = _record(lot, judge, held_at=first.held_at + dt.timedelta(days=10))
    second = _held_unsold(second, judge)
    assert (second.next_round_due_at is not None) is allowed
    later = second.held_at + dt.timedelta(days=10)
    if allowed:
        assert _record(lot, judge, held_at=later).round == 3
    else:
        with pytest.raises(DomainError) as exc:
            _record(lot, judge, held_at=later)
        assert exc.value.code == "offline_round_limit"


def test_auc39_sale_at_half_the_appraisal_accepted_one_fen_less_refused(court, judge, frozen_now):
    lot = _offline_lot(court, judge, kind="vehicle")
    appraisal = 1_000_001  # half is 500,000.5 fen → at least 500,001
    with pytest.raises(DomainError) as exc:
        _record(lot, judge, method="sale", appraisal_fen=appraisal, start_price_fen=500_000)
    assert (exc.value.code, exc.value.rule) == ("offline_sale_below_half", "AUC-39")
    r = _record(lot, judge, method="sale", appraisal_fen=appraisal, start_price_fen=500_001)
    clock.set_time(r.held_at)
    done = services.offline_round_result(
        round_id=r.pk, outcome="sold", price_fen=500_001, buyer_name="买受人甲", actor=judge
    )
    assert done.outcome == "sold" and done.deposit_fen == 0
    route = DisposalRoute.objects.get(pk=r.route_id)
    assert (route.status, route.proceeds_fen) == ("completed", 500_001)


def test_auc39_same_rank_tie_is_decided_by_a_reproducible_lot(court, judge, frozen_now):
    from appraisers import draw_algorithm as alg

    lot = _offline_lot(court, judge)
    r = _record(lot, judge)
    clock.set_time(r.held_at)
    done = services.offline_round_result(
        round_id=r.pk,
        outcome="sold",
        price_fen=APPRAISAL,
        tied_same_rank=["共有人甲", "共有人乙"],
        public_value="4711",
        actor=judge,
    )
    draw = done.tie_draw
    assert draw is not None and done.buyer_name == draw["winner"]
    seed = alg.seed_of(
        draw_id=r.pk, list_hash_hex=draw["list_hash"], reveals=[], public_value="4711"
    )
    assert draw["order"] == alg.ordering(seed, [1, 2])
    assert done.buyer_name == ["共有人甲", "共有人乙"][draw["order"][0] - 1]


def test_auc39_a_tie_needs_two_names_and_the_public_value(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    r = _record(lot, judge)
    clock.set_time(r.held_at)
    for tied, value in ((["共有人甲"], "1"), (["共有人甲", "共有人乙"], "")):
        with pytest.raises(DomainError):
            services.offline_round_result(
                round_id=r.pk,
                outcome="sold",
                price_fen=APPRAISAL,
                tied_same_rank=tied,
                public_value=value,
                actor=judge,
            )
    assert OfflineRound.objects.get(pk=r.pk).outcome == "pending"


def test_auc39_no_result_before_the_round_is_held_nor_below_the_start(court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    r = _record(lot, judge)
    clock.set_time(r.held_at - dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as exc:
        services.offline_round_result(round_id=r.pk, outcome="unsold", actor=judge)
    assert exc.value.code == "offline_not_held"
    clock.set_time(r.held_at)
    with pytest.raises(DomainError) as exc:
        services.offline_round_result(
            round_id=r.pk, outcome="sold", price_fen=APPRAISAL - 1, buyer_name="甲", actor=judge
        )
    assert exc.value.code == "offline_price_too_low"


@pytest.mark.rule("AUC-39", entry="api")
def test_auc39_through_the_api_deposit_boundary_and_result(client, court, judge, frozen_now):
    lot = _offline_lot(court, judge)
    client.force_login(judge)
    url = f"/api/bidding/court/lots/{lot.pk}/offline-rounds"
    body = {
        "method": "auction",
        "appraisal_fen": APPRAISAL,
        "start_price_fen": APPRAISAL,
        "held_at": (clock.now() + dt.timedelta(days=1)).isoformat(),
    }
    resp = client.post(url, {**body, "deposit_fen": 5_000_000}, content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "offline_deposit_too_low"
    assert resp.json()["rule"] == "AUC-39"
    resp = client.post(url, {**body, "deposit_fen": 5_000_001}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    round_id = resp.json()["id"]
    clock.advance(dt.timedelta(days=1))
    resp = client.post(
        f"/api/bidding/court/offline-rounds/{round_id}/result",
        {"outcome": "unsold"},
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["next_round_due_at"] is not None


@pytest.mark.rule("AUC-39", entry="api")
def test_auc39_the_api_refuses_a_party(client, court, judge, party_user, frozen_now):
    lot = _offline_lot(court, judge)
    client.force_login(party_user)
    resp = client.post(
        f"/api/bidding/court/lots/{lot.pk}/offline-rounds",
        {
            "method": "sale",
            "appraisal_fen": 1000,
            "start_price_fen": 1000,
            "held_at": clock.now().isoformat(),
        },
        content_type="application/json",
    )
    assert resp.status_code == 403
    assert not OfflineRound.objects.exists()


@pytest.mark.rule("AUC-39", entry="service")
def test_auc39_offline_refund_due_at_the_end_of_day_3_overdue_a_second_later(
    court, judge, frozen_now
):
    """AUC-39: offline deposits are refunded within 3 days of the auction (ASR 10). Held on
    Tuesday 2026-11-03, the refund is due at the end of Friday 11-06 (the starting day not
    counted, REC-01): still open (green) at that instant, overdue (yellow) one second later."""
    from core.deadlines import deadlines_sweep

    lot = _offline_lot(court, judge)
    r = _held_unsold(_record(lot, judge), judge)
    assert r.held_at.astimezone(calendar.CST).date() == dt.date(2026, 11, 3)
    due = calendar.end_of_day(dt.date(2026, 11, 6))
    assert r.deposit_refund_due_at == due
    d = Deadline.objects.get(subject=f"{r.ref}/refund", rule_id="AUC-39")
    assert d.due_at == due
    clock.set_time(due)
    deadlines_sweep()
    d.refresh_from_db()
    assert (d.status, d.flag) == ("open", "green")
    clock.set_time(due + dt.timedelta(seconds=1))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "yellow"
