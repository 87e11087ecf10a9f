"""Firm rules of bidding at their boundary (one value each side), and AUC-40's entrusted 15-day
resume (ASR 18) on the offline round: service, API and court page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bidding import services
from bidding.models import AuctionState, OfflineRound
from bidding.services.offline import deposit_minimum
from core import calendar, clock
from core.errors import Conflict, DomainError
from core.models import AuditEntry, Deadline
from core.rulesettings import setting_set
from tests.conftest import make_user

from .engine_factories import decide_all, make_case, publishable_draft, serve_all
from .test_services_close import make_party_users, setup  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

APPRAISAL = 1_000_000


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def pending(court, judge, frozen_now) -> OfflineRound:
    _case, lot, *_ = make_case(court, judge=judge)
    services.disposal_offline_record(
        lot_id=lot.pk, ground="unsuitable", reason="标的物不宜网络拍卖", actor=judge
    )
    return services.offline_round_record(
        lot_id=lot.pk,
        method="auction",
        appraisal_fen=APPRAISAL,
        start_price_fen=APPRAISAL,
        deposit_fen=deposit_minimum(APPRAISAL),
        held_at=clock.now() + dt.timedelta(days=10),
        actor=judge,
    )


def _resume_deadline(r: OfflineRound) -> Deadline:
    return Deadline.objects.get(subject=f"{r.ref}/resume", rule_id="AUC-40")


# ---- AUC-40 entrusted (offline) resume: 15 days after the ground ends ------------------------


def test_auc40_entrusted_resume_due_on_day_15_not_14_nor_16(pending, judge):
    """AUC-40 / ASR 18: an entrusted (offline) round is resumed within 15 days of the ground
    ending, not the online 5: the deadline falls on day 15 (after day 14, before day 16)."""
    services.offline_round_suspend(round_id=pending.pk, reason="案外人提出异议", actor=judge)
    clock.advance(dt.timedelta(days=2))
    ended = clock.now()
    r = services.offline_round_ground_ended(round_id=pending.pk, actor=judge)
    court = pending.route.lot.case.court_id
    due = calendar.within_days(ended, 15, court=court)
    assert r.resume_due_at == due == _resume_deadline(r).due_at
    assert (
        calendar.within_days(ended, 14, court=court)
        < due
        < calendar.within_days(ended, 16, court=court)
    )
    assert _resume_deadline(r).status == "open"
    assert AuditEntry.objects.filter(action="offline.round_ground_ended", subject=r.ref).exists()


def test_auc40_entrusted_resume_days_follow_the_courts_setting_never_above_15(
    pending, judge, court
):
    """AUC-40: ``resume_days_entrusted`` is read (a court may shorten it), and 16 is refused."""
    setting_set(key="resume_days_entrusted", value=10, court=court, reason="本院规定")
    with pytest.raises(DomainError):
        setting_set(key="resume_days_entrusted", value=16, court=court, reason="超限")
    services.offline_round_suspend(round_id=pending.pk, reason="暂缓", actor=judge)
    r = services.offline_round_ground_ended(round_id=pending.pk, actor=judge)
    assert r.resume_due_at == calendar.within_days(clock.now(), 10, court=court.pk)


def test_auc40_a_suspended_offline_round_takes_no_result_until_resumed(pending, judge):
    """AUC-40: while suspended the round cannot end; resuming closes the 15-day deadline."""
    services.offline_round_suspend(round_id=pending.pk, reason="暂缓", actor=judge)
    with pytest.raises(Conflict) as exc:
        services.offline_round_suspend(round_id=pending.pk, reason="再次", actor=judge)
    assert exc.value.code == "offline_round_suspended"
    clock.set_time(pending.held_at)
    with pytest.raises(Conflict) as exc:
        services.offline_round_result(round_id=pending.pk, outcome="unsold", actor=judge)
    assert (exc.value.code, exc.value.rule) == ("offline_round_suspended", "AUC-40")
    services.offline_round_ground_ended(round_id=pending.pk, actor=judge)
    with pytest.raises(DomainError) as exc2:  # a time of the hall in the past
        services.offline_round_resume(
            round_id=pending.pk, held_at=clock.now() - dt.timedelta(minutes=1), actor=judge
        )
    assert exc2.value.code == "held_at_in_past"
    later = clock.now() + dt.timedelta(days=7)
    r = services.offline_round_resume(round_id=pending.pk, held_at=later, actor=judge)
    assert (r.suspended_at, r.held_at) == (None, later)
    assert _resume_deadline(r).status == "met"
    clock.set_time(later)
    assert (
        services.offline_round_result(round_id=r.pk, outcome="unsold", actor=judge).outcome
        == "unsold"
    )


def test_auc40_ground_end_needs_a_suspension_and_a_time_not_before_it(pending, judge):
    with pytest.raises(Conflict) as exc:
        services.offline_round_ground_ended(round_id=pending.pk, actor=judge)
    assert (exc.value.code, exc.value.rule) == ("offline_round_not_suspended", "AUC-40")
    services.offline_round_suspend(round_id=pending.pk, reason="暂缓", actor=judge)
    with pytest.raises(DomainError) as exc2:
        services.offline_round_ground_ended(
            round_id=pending.pk, actor=judge, ended_at=clock.now() - dt.timedelta(seconds=1)
        )
    assert exc2.value.code == "ground_ended_at_invalid"


def test_auc40_entrusted_resume_through_the_api(client, pending, judge):
    client.force_login(judge)
    base = f"/api/bidding/court/offline-rounds/{pending.pk}"
    resp = client.post(f"{base}/suspend", {"reason": " "}, content_type="application/json")
    assert resp.status_code == 400 and resp.json()["rule"] == "AUC-40"
    resp = client.post(f"{base}/suspend", {"reason": "暂缓"}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    resp = client.post(f"{base}/ground-ended", {}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    court = pending.route.lot.case.court_id
    assert _resume_deadline(pending).due_at == calendar.within_days(clock.now(), 15, court=court)
    held = (clock.now() + dt.timedelta(days=3)).isoformat()
    resp = client.post(f"{base}/resume", {"held_at": held}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert _resume_deadline(pending).status == "met"


def test_auc40_entrusted_resume_through_the_lot_page(pending, judge, other_court):
    url = f"/bidding/court/lots/{pending.lot_id}/"
    stranger = Client()
    stranger.force_login(make_user("judge", other_court))
    post = {"action": "offline_suspend", "offline_suspend-round": str(pending.pk)}
    assert stranger.post(url, {**post, "offline_suspend-reason": "x"}).status_code == 403
    c = Client()
    c.force_login(judge)
    resp = c.post(url, {**post, "offline_suspend-reason": " "})
    assert "须写明暂缓或中止的理由（AUC-40）" in resp.content.decode()
    assert c.post(url, {**post, "offline_suspend-reason": "案外人异议"}).status_code == 302
    body = c.get(url).content.decode()
    assert "事由消除（AUC-40，十五日内恢复）" in body
    ended = {"action": "offline_ground_ended", "offline_ground_ended-round": str(pending.pk)}
    assert c.post(url, ended).status_code == 302
    r = OfflineRound.objects.get(pk=pending.pk)
    court = pending.route.lot.case.court_id
    assert r.resume_due_at == calendar.within_days(clock.now(), 15, court=court)
    new_time = (clock.now() + dt.timedelta(days=5)).astimezone(calendar.CST)
    resp = c.post(
        url,
        {
            "action": "offline_resume",
            "offline_resume-round": str(pending.pk),
            "offline_resume-held_at": new_time.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.suspended_at is None and r.held_at == new_time.replace(second=0, microsecond=0)


# ---- online auction rules with a number: one value each side --------------------------------


def _problems(auction) -> set[tuple[str, str | None]]:
    auction.refresh_from_db()
    return {(p.code, p.rule) for p in services.auction_publish_problems(auction)}


def test_auc05_first_round_start_at_exactly_70_percent_accepted_one_fen_less_refused(
    court, judge, frozen_now
):
    """AUC-05: a first auction's starting price may not be below 70% of the reference price."""
    at_70 = publishable_draft(court, judge, basis_fen=1_000_000, start=700_000)
    assert not any(rule == "AUC-05" for _, rule in _problems(at_70))
    below = publishable_draft(court, judge, basis_fen=1_000_000, start=699_999)
    assert ("start_below_ratio", "AUC-05") in _problems(below)


def test_auc22_bidding_period_of_exactly_24_hours_accepted_one_second_less_refused(
    court, judge, frozen_now
):
    """AUC-22: the bidding period is at least 24 hours."""
    a = publishable_draft(court, judge)
    assert a.start_at is not None
    a.end_at = a.start_at + dt.timedelta(hours=24)
    a.save(update_fields=["end_at"])
    assert ("bidding_period_too_short", "AUC-22") not in _problems(a)
    a.end_at = a.start_at + dt.timedelta(hours=24) - dt.timedelta(seconds=1)
    a.save(update_fields=["end_at"])
    assert ("bidding_period_too_short", "AUC-22") in _problems(a)


def _unsold(court, judge, kind):
    first = services.auction_publish(
        auction_id=publishable_draft(court, judge, kind=kind).pk, actor=judge
    )
    assert first.start_at is not None and first.end_at is not None
    clock.set_time(first.start_at)
    services.auction_clock_tick()
    clock.set_time(first.end_at)
    services.auction_close_due()
    first.refresh_from_db()
    assert first.state == AuctionState.UNSOLD and first.closed_at is not None
    return first


def _second_round(first, judge, *, lead_days: int):
    second = services.auction_next_round_create(
        auction_id=first.pk, actor=judge, starting_price_fen=first.starting_price_fen * 8 // 10
    )
    now = clock.now()
    second.start_at = now + dt.timedelta(days=lead_days)
    second.end_at = second.start_at + dt.timedelta(days=1)
    second.deposit_fen = second.starting_price_fen // 10
    second.save()
    serve_all(second, judge, at=now - dt.timedelta(days=3))
    decide_all(second, judge)
    return second


@pytest.mark.parametrize(("kind", "lead"), [("vehicle", 7), ("residential", 15)])
def test_auc35_second_round_lead_time_at_the_minimum_accepted_one_day_less_refused(
    court, judge, frozen_now, kind, lead
):
    """AUC-35: after an unsold round, the next one is announced at least 7 days (movables) or
    15 days (immovables and property rights) before bidding."""
    second = _second_round(_unsold(court, judge, kind), judge, lead_days=lead)
    assert ("lead_time_too_short", "AUC-35") not in _problems(second)
    second.start_at -= dt.timedelta(days=1)
    second.end_at -= dt.timedelta(days=1)
    second.save(update_fields=["start_at", "end_at"])
    assert ("lead_time_too_short", "AUC-35") in _problems(second)


def test_auc35_reauction_announced_on_day_30_accepted_a_second_later_refused(
    court, judge, frozen_now
):
    """AUC-35: the re-auction is announced within 30 days of the unsold round (REC-01)."""
    first = _unsold(court, judge, "vehicle")
    second = _second_round(first, judge, lead_days=8)
    due = calendar.within_days(first.closed_at, 30, court=court.pk)
    clock.set_time(due)
    assert ("reauction_too_late", "AUC-35") not in _problems(second)
    clock.set_time(due + dt.timedelta(seconds=1))
    assert ("reauction_too_late", "AUC-35") in _problems(second)


def test_auc06_applicant_may_insist_until_day_5_not_a_second_later(court, judge, frozen_now):
    """AUC-06: the applicant insists on a low start within 5 days of the notice (REC-01)."""
    a = publishable_draft(court, judge)
    services.auction_low_start_notice(auction_id=a.pk, actor=judge)
    a.refresh_from_db()
    assert a.low_start_notified_at is not None
    due = calendar.within_days(a.low_start_notified_at, 5, court=court.pk)
    with pytest.raises(DomainError) as exc:
        services.auction_low_start_notice(
            auction_id=a.pk, actor=judge, insisted_at=due + dt.timedelta(seconds=1)
        )
    assert (exc.value.code, exc.value.rule) == ("insist_too_late", "AUC-06")
    services.auction_low_start_notice(auction_id=a.pk, actor=judge, insisted_at=due)
    a.refresh_from_db()
    assert a.applicant_insisted_at == due


def test_auc20_bid_one_fen_below_the_start_is_invalid_at_the_start_accepted(court, judge):
    """AUC-20: bids rise from the starting price; one fen below it is invalid."""
    from .engine_factories import bid, make_live_auction, register_active

    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=100_000_00, increment=1_000_00)
    reg = register_active(auction)
    with pytest.raises(DomainError) as exc:
        bid(auction, reg, 100_000_00 - 1)
    assert (exc.value.code, exc.value.rule) == ("bid_below_start", "AUC-20")
    bid(auction, reg, 100_000_00)
    auction.refresh_from_db()
    assert (auction.current_price_fen, auction.leader_id) == (100_000_00, reg.pk)


def test_auc40_online_resume_due_on_day_5_after_the_ground_ends(court, judge, frozen_now):
    """AUC-40: an online auction is resumed within 5 days after the ground ends (not 4, not 6)."""
    from .engine_factories import make_live_auction

    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot)
    services.auction_suspend(auction_id=live.pk, actor=judge, reason="暂缓")
    clock.advance(dt.timedelta(days=3))  # Thursday: days 4, 5 and 6 are working days (REC-01)
    services.auction_ground_ended(auction_id=live.pk, actor=judge, reason="事由消除")
    d = Deadline.objects.get(rule_id="AUC-40", status="open", subject__endswith="/resume")
    ended = clock.now()
    assert d.due_at == calendar.within_days(ended, 5, court=court.pk)
    assert calendar.within_days(ended, 4, court=court.pk) < d.due_at
    assert d.due_at < calendar.within_days(ended, 6, court=court.pk)


def test_auc32_ruling_due_in_10_days_of_payment_handover_15_days_after_service(
    setup,  # noqa: F811
    judge,
):
    """AUC-32: the sale ruling is served within 10 days of full payment; the lot is handed
    over within 15 days after service (each a tracked deadline on that day, not the day
    before)."""
    from bidding.models import AuctionResult
    from settlement.services import balance_pay_request
    from settlement.services.confirmations import intent_confirm

    from .engine_factories import bid, register_paid

    auction, _case = setup
    reg = register_paid(auction)
    bid(auction, reg, auction.starting_price_fen)
    clock.set_time(auction.end_at)
    services.auction_close_due()
    intent = balance_pay_request(sale_ref=auction.sale_ref, idempotency_key="b-auc32")
    intent_confirm(
        intent_id=intent.pk,
        success=True,
        psp_reference="PSP-AUC32",
        amount_minor=intent.amount_fen,
        currency="CNY",
    )
    result = AuctionResult.objects.get(auction=auction)
    paid, court = result.balance_paid_at, auction.court_id
    assert paid is not None and result.ruling_due_at is not None
    assert result.ruling_due_at == calendar.within_days(paid, 10, court=court)
    assert result.ruling_due_at > calendar.within_days(paid, 9, court=court)
    ruling = Deadline.objects.get(rule_id="AUC-32", subject__endswith="/ruling")
    assert ruling.due_at == result.ruling_due_at
    clock.advance(dt.timedelta(days=2))
    services.auction_ruling_served(auction_id=auction.pk, actor=judge, document="（2026）测执裁2号")
    result.refresh_from_db()
    served = result.ruling_served_at
    assert served is not None and result.handover_due_at is not None
    assert result.handover_due_at == calendar.within_days(served, 15, court=court)
    assert result.handover_due_at > calendar.within_days(served, 14, court=court)
    handover = Deadline.objects.get(rule_id="AUC-32", subject__endswith="/handover")
    assert handover.due_at == result.handover_due_at


# ---- issue 14: the remaining firm bidding rules at their boundary ------------------------------


@pytest.fixture
def creditor_world(court, judge, frozen_now):
    """A scheduled auction with a 10,000-yuan deposit and a creditor who may register."""
    from tests.bidding.engine_factories import YUAN, make_identity, make_live_auction

    creditor_user, debtor_user = make_user("party"), make_user("party")
    make_identity(creditor_user)
    make_identity(debtor_user)
    case, lot, creditor, _debtor = make_case(
        court,
        judge=judge,
        creditor_user=creditor_user,
        debtor_user=debtor_user,
        claim_fen=50_000 * YUAN,
    )
    auction = make_live_auction(
        court,
        lot,
        state=AuctionState.SCHEDULED,
        starts_in=dt.timedelta(days=2),
        deposit=10_000 * YUAN,
    )
    return auction, case, creditor


@pytest.mark.rule("AUC-18", entry="service")
@pytest.mark.parametrize(("claim_delta", "required"), [(-1, 1), (0, 0), (1, 0)])
def test_auc18_creditor_deposit_is_deposit_minus_claim_never_below_zero(
    creditor_world, claim_delta, required
):
    """AUC-18: a bidding creditor pays max(0, deposit − outstanding claim): a claim one fen
    short of the deposit leaves 1 fen to pay; a claim equal to it or one fen above, nothing."""
    auction, _case, creditor = creditor_world
    creditor.claim_fen = auction.deposit_fen + claim_delta
    creditor.save(update_fields=["claim_fen"])
    reg = services.registration_create(auction_id=auction.pk, user=creditor.user, accept_terms=True)
    assert reg.deposit_required_fen == required


@pytest.mark.rule("AUC-18", entry="service")
def test_auc18_outstanding_claim_is_the_claim_less_what_distribution_already_paid(
    creditor_world, officer, judge
):
    """AUC-18: only the claim still outstanding offsets the deposit: a creditor with a 50,000
    yuan claim of which an approved distribution already gave 45,000 pays 10,000 − 5,000 =
    5,000 yuan, not nothing."""
    from settlement.services import distribution_plan_approve, distribution_plan_draft
    from tests.bidding.engine_factories import YUAN
    from tests.settlement.conftest import fund

    auction, case, creditor = creditor_world
    creditor.claim_fen = 50_000 * YUAN
    creditor.save(update_fields=["claim_fen"])
    fund(case, 45_000 * YUAN)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    distribution_plan_approve(plan_id=plan.pk, actor=judge)
    reg = services.registration_create(auction_id=auction.pk, user=creditor.user, accept_terms=True)
    assert reg.deposit_required_fen == 5_000 * YUAN


@pytest.fixture
def live(court, judge, frozen_now):
    from tests.bidding.engine_factories import YUAN, make_live_auction

    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(court, lot, start=100_000 * YUAN, increment=1_000 * YUAN)


@pytest.mark.rule("AUC-26", entry="service")
def test_auc26_holder_equal_to_the_leader_takes_the_lead_one_increment_below_is_refused(live):
    """AUC-26: a priority holder may bid equal to the ordinary leader and then leads; one
    increment below the leader is refused; an ordinary bidder equal to the holder is refused and
    must go one increment above; at the end the holder who leads on an equal bid wins (AUC-28)."""
    from bidding.models import AuctionResult
    from tests.bidding.engine_factories import bid, register_active

    start, inc = live.starting_price_fen, live.increment_fen
    ordinary = register_active(live)
    holder = register_active(live, priority_rank=1)
    bid(live, ordinary, start + inc)
    with pytest.raises(DomainError) as exc:
        bid(live, holder, start)
    assert exc.value.rule in ("AUC-20", "AUC-26")
    live.refresh_from_db()
    assert live.leader_id == ordinary.pk
    bid(live, holder, start + inc)
    live.refresh_from_db()
    assert (live.leader_id, live.current_price_fen) == (holder.pk, start + inc)
    with pytest.raises(DomainError) as exc:
        bid(live, ordinary, start + inc)
    # An ordinary bidder must beat by an increment (AUC-20); equal bids are the holders' (AUC-26).
    assert exc.value.code == "equal_bid_not_allowed" and exc.value.rule in ("AUC-20", "AUC-26")
    assert live.end_at is not None
    clock.set_time(live.end_at)
    services.auction_close_due()
    live.refresh_from_db()
    result = AuctionResult.objects.get(auction=live)
    assert (live.state, result.winner_id) == (AuctionState.SOLD, holder.pk)


@pytest.mark.rule("AUC-28", entry="service")
@pytest.mark.parametrize(("bids", "state"), [(0, AuctionState.UNSOLD), (1, AuctionState.SOLD)])
def test_auc28_one_valid_bid_sells_none_is_unsold(live, bids, state):
    """AUC-28: at the end, no valid bid → UNSOLD (流拍); one valid bid by one bidder → SOLD to
    it (a bid below the start is invalid and does not count)."""
    from bidding.models import AuctionResult
    from tests.bidding.engine_factories import bid, register_paid

    a = register_paid(live)
    with pytest.raises(DomainError):
        bid(live, a, live.starting_price_fen - 1)
    if bids:
        bid(live, a, live.starting_price_fen)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    assert services.auction_close_due() == [live.pk]
    live.refresh_from_db()
    result = AuctionResult.objects.get(auction=live)
    assert live.state == state
    assert result.winner_id == (a.pk if bids else None)


@pytest.mark.rule("AUC-30", entry="service")
@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("refund_hours_after_close", 24, True),
        ("refund_hours_after_close", 25, False),
        ("winner_deposit_transfer_hours", 24, True),
        ("winner_deposit_transfer_hours", 25, False),
    ],
)
def test_auc30_refund_and_transfer_within_24_hours_a_court_may_not_allow_25(court, key, value, ok):
    """AUC-30: losers' deposits back and the winner's to the court account within 24 h: a court
    may set 24 (or less), 25 is refused citing AUC-30."""
    from core.rulesettings import get_setting

    if ok:
        setting_set(key=key, value=value, court=court, reason="本院规定")
        assert get_setting(key, court=court) == value
    else:
        with pytest.raises(DomainError) as exc:
            setting_set(key=key, value=value, court=court, reason="放宽")
        assert (exc.value.code, exc.value.rule) == ("setting_out_of_range", "AUC-30")


@pytest.mark.rule("AUC-30", entry="service")
def test_auc30_loser_refund_due_exactly_24_hours_after_the_close_no_weekend_shift(
    court, judge, frozen_now
):
    """AUC-30 / REC-03: bidding ends Friday 11-06 20:00 → each loser's deposit is due back by
    Saturday 11-07 20:00 exactly (elapsed hours, not moved off the weekend): not overdue at that
    instant, overdue (yellow) a second later while the refund is still with the gateway; the
    schedule refuses 25 hours; the winner's deposit is applied to the price at the close."""
    from core.deadlines import deadlines_sweep
    from settlement.models import DepositHold
    from settlement.services import deposit_release_schedule
    from tests.bidding.engine_factories import YUAN, bid, make_live_auction, register_paid

    _case, lot, *_ = make_case(court, judge=judge)
    clock.set_time(dt.datetime(2026, 11, 5, 20, 0, tzinfo=calendar.CST))
    auction = make_live_auction(
        court, lot, start=100_000 * YUAN, deposit=10_000 * YUAN, hours=24, starts_in=dt.timedelta(0)
    )
    loser, winner = register_paid(auction), register_paid(auction)
    bid(auction, loser, auction.starting_price_fen)
    bid(auction, winner, auction.starting_price_fen + auction.increment_fen)
    assert auction.end_at is not None
    closed = dt.datetime(2026, 11, 6, 20, 0, tzinfo=calendar.CST)
    assert auction.end_at == closed
    clock.set_time(closed)
    services.auction_close_due()
    case_id = auction.case_id
    assert case_id is not None
    d = Deadline.objects.get(subject=f"case:{case_id}/{loser.money_ref}", rule_id="AUC-30")
    assert d.due_at == closed + dt.timedelta(hours=24)
    hold = DepositHold.objects.get(ref=loser.money_ref)
    assert hold.release_due_at == closed + dt.timedelta(hours=24)
    assert DepositHold.objects.get(ref=winner.money_ref).status == "applied"
    assert d.status == "open"  # the refund awaits the gateway: alerted only after the 24th hour
    clock.set_time(d.due_at)
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "green"
    clock.set_time(d.due_at + dt.timedelta(seconds=1))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == "yellow"
    with pytest.raises(DomainError) as exc:
        deposit_release_schedule(
            case_id=case_id, refs=[loser.money_ref], closed_at=closed, hours=25
        )
    assert (exc.value.code, exc.value.rule) == ("refund_hours", "AUC-30")


@pytest.mark.rule("AUC-45", entry="service")
@pytest.mark.parametrize(("note", "stated"), [("", False), ("   ", False), ("由买受人承担", True)])
def test_auc45_a_blank_taxes_note_does_not_state_who_pays_one_statement_does(
    court, judge, frozen_now, note, stated
):
    """AUC-45: the announcement states who bears the transfer taxes: an empty or blank note does
    not (publication refused naming AUC-45); a statement does."""
    from tests.bidding.engine_factories import YUAN

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
    a.taxes_note = note
    a.save(update_fields=["taxes_note"])
    messages = " ".join(p.message for p in services.auction_publish_problems(a))
    assert ("AUC-45" in messages) is not stated


@pytest.mark.rule("REC-06", entry="service")
@pytest.mark.parametrize(("years", "ok"), [(9, False), (10, True), (11, True)])
def test_rec06_auction_record_kept_at_least_10_years(court, years, ok):
    """REC-06: ``auction_data_retention_years`` is at least 10: 9 is refused citing REC-06, 10
    and 11 are taken."""
    from core.rulesettings import get_setting

    if ok:
        setting_set(key="auction_data_retention_years", value=years, court=court, reason="本院规定")
        assert get_setting("auction_data_retention_years", court=court) == years
    else:
        with pytest.raises(DomainError) as exc:
            setting_set(key="auction_data_retention_years", value=years, court=court, reason="缩短")
        assert (exc.value.code, exc.value.rule) == ("setting_out_of_range", "REC-06")
        assert get_setting("auction_data_retention_years", court=court) == 10


@pytest.mark.rule("REC-06", entry="service")
def test_rec06_every_accepted_bid_is_recorded_with_code_amount_and_server_time_a_refused_one_not(
    live,
):
    """REC-06: the record holds every accepted bid (code, amount, server time) in an unbroken
    chain; a bid one fen below the start is refused and leaves no bid row."""
    from bidding.models import Bid
    from core.audit import audit_verify
    from tests.bidding.engine_factories import bid, register_active

    a = register_active(live)
    with pytest.raises(DomainError):
        bid(live, a, live.starting_price_fen - 1)
    assert not Bid.objects.filter(auction=live).exists()
    at = clock.now()
    bid(live, a, live.starting_price_fen)
    [row] = Bid.objects.filter(auction=live)
    assert (row.bidder_code, row.amount_fen, row.at) == (a.bidder_code, live.starting_price_fen, at)
    assert audit_verify([f"auction:{live.pk}"]) == []


# ---- issue 14 (bounds): AUC-07, AUC-20 increment, AUC-35 cut, one value (1 fen) each side -----


@pytest.mark.rule("AUC-07", entry="service")
def test_auc07_proceeds_equal_to_debt_and_costs_block_the_next_lot_one_fen_less_do_not(
    court, judge, frozen_now
):
    """AUC-07: once the case's proceeds cover the debt and the costs, its further lots are not
    auctioned without the debtor's consent. Another lot sold for exactly claim + costs blocks the
    publication (``proceeds_cover_debt``) and the publication is refused; one fen less does not."""
    from bidding.models import Auction, AuctionResult
    from cases.models import Lot

    from .engine_factories import YUAN

    a = publishable_draft(court, judge, claim_fen=80_000 * YUAN)
    a.costs_estimate_fen = 2_000 * YUAN
    a.save(update_fields=["costs_estimate_fen"])
    cover = 82_000 * YUAN
    other_lot = Lot.objects.create(case=a.case, title="同案另一拍品", created_at=clock.now())
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
    result = AuctionResult.objects.create(
        auction=other, outcome="sold", closed_at=clock.now(), price_fen=cover - 1
    )
    assert ("proceeds_cover_debt", "AUC-07") not in _problems(a)
    result.price_fen = cover
    result.save(update_fields=["price_fen"])
    assert ("proceeds_cover_debt", "AUC-07") in _problems(a)
    with pytest.raises(DomainError) as exc:
        services.auction_publish(auction_id=a.pk, actor=judge)
    assert ("proceeds_cover_debt", "AUC-07") in {
        (p["code"], p["rule"]) for p in exc.value.data["problems"]
    }
    a.refresh_from_db()
    assert a.state == AuctionState.DRAFT


@pytest.mark.rule("AUC-20", entry="service")
@pytest.mark.parametrize("over", [0, 1])
def test_auc20_bid_one_fen_short_of_leader_plus_increment_refused_exactly_one_increment_accepted(
    court, judge, frozen_now, over
):
    """AUC-20: an ordinary bid must beat the leader by at least one increment. With the AUC-21
    grid off (a practice setting; on, an off-grid amount is refused first as ``bid_not_on_grid``),
    one fen short is refused (``bid_too_low``, leader, price and record unchanged); exactly one
    increment, or one fen more, leads."""
    from bidding.models import Bid
    from tests.bidding.engine_factories import YUAN, bid, make_live_auction, register_active

    setting_set(key="bids_on_increment_grid", value=False, court=court, reason="本院不设加价阶梯")
    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot, start=100_000 * YUAN, increment=1_000 * YUAN)
    start, inc = live.starting_price_fen, live.increment_fen
    a, b = register_active(live), register_active(live)
    bid(live, a, start)
    with pytest.raises(DomainError) as exc:
        bid(live, b, start + inc - 1)
    assert (exc.value.code, exc.value.rule) == ("bid_too_low", "AUC-20")
    live.refresh_from_db()
    assert (live.leader_id, live.current_price_fen) == (a.pk, start)
    assert Bid.objects.filter(auction=live).count() == 1
    bid(live, b, start + inc + over)
    live.refresh_from_db()
    assert (live.leader_id, live.current_price_fen) == (b.pk, start + inc + over)


@pytest.mark.rule("AUC-35", entry="service")
def test_auc35_second_round_start_at_exactly_80_percent_accepted_one_fen_less_refused(
    court, judge, frozen_now
):
    """AUC-35: a re-auction's starting price is at least 80% of the previous one (cut ≤ 20%)."""
    first = _unsold(court, judge, "vehicle")
    assert first.starting_price_fen % 10 == 0
    at_80 = first.starting_price_fen * 8 // 10
    second = _second_round(first, judge, lead_days=8)
    assert second.starting_price_fen == at_80
    assert ("cut_too_deep", "AUC-35") not in _problems(second)
    second.starting_price_fen = at_80 - 1
    second.save(update_fields=["starting_price_fen"])
    assert ("cut_too_deep", "AUC-35") in _problems(second)
