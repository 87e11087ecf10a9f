"""The procedure per asset: PRC-01 deadline, PRC-02 checks, the PRC-03 cascade with its skips and
mandatory jumps, party agreement (PRC-04), directed inquiry (PRC-05), PRC-14, PRC-19, PRC-20."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.deadlines import deadline_open
from core.errors import DomainError
from core.models import Deadline
from core.rulesettings import setting_set
from pricing.models import PricingStep
from pricing.services import (
    directed_inquiry_result,
    directed_inquiry_start,
    equity_waiver_record,
    inquiry_send,
    lawful_next_steps,
    party_agreement_confirm,
    party_agreement_quote,
    party_agreement_start,
    pricing_skip,
    procedure_open,
    procedure_record_checks,
    procedure_resume,
    procedure_suspend,
    procedure_withdraw,
    reference_price_valid_for,
    step_lapse,
)
from tests.pricing.conftest import CHECKS, check, make_asset

DAY = dt.timedelta(days=1)


def methods(proc):
    proc.refresh_from_db()
    return [(s.method, s.needs_joint_request) for s in lawful_next_steps(proc)]


# ------------------------------------------------------------------ PRC-01, PRC-02
def test_opening_the_procedure_meets_the_prc01_deadline(asset, judge, now):
    """PRC-01: cases opens the 30-day deadline at the seizure; starting pricing meets it."""
    subject = f"case:{asset.case_id}/asset:{asset.pk}"
    deadline_open(
        rule_id="PRC-01",
        title="查封后启动定价",
        subject=subject,
        start_event="seizure",
        started_at=now - 5 * DAY,
        period=30,
        court=asset.case.court,
    )
    proc = procedure_open(asset=asset, actor=judge)
    assert Deadline.objects.get(subject=subject, rule_id="PRC-01").status == "met"
    assert proc.state == "opened"
    with pytest.raises(DomainError):
        procedure_open(asset=asset, actor=judge)  # one live procedure per asset


def test_checks_must_cover_every_topic_before_any_method(procedure, judge, now):
    """PRC-02: title, encumbrances, possession, arrears and defects, each recorded."""
    assert lawful_next_steps(procedure) == []
    with pytest.raises(DomainError) as err:
        procedure_record_checks(
            procedure=procedure,
            checks={**CHECKS, "defects": " "},
            actor=judge,
            has_tax_base_or_gov_price=False,
            online_feasible=True,
            needs_site_inspection=False,
            law_requires_appraisal=False,
        )
    assert (err.value.code, err.value.rule) == ("checks_incomplete", "PRC-02")
    assert "瑕疵" in str(err.value.message)
    with pytest.raises(DomainError):
        party_agreement_start(procedure=procedure, deadline_at=now + 5 * DAY, actor=judge)


# ------------------------------------------------------------------ PRC-03 from the start
def test_cascade_starts_with_party_agreement_and_joint_requests_may_skip(procedure, judge, now):
    """PRC-03: party agreement first; both parties jointly may skip to directed/online inquiry
    (if its conditions hold) or ask for appraisal."""
    check(procedure, judge, has_tax_base_or_gov_price=True)
    assert methods(procedure) == [
        ("party_agreement", False),
        ("directed_inquiry", True),
        ("online_inquiry", True),
        ("appraisal", True),
    ]
    with pytest.raises(DomainError) as err:
        directed_inquiry_start(
            procedure=procedure,
            body_name="税务局",
            letter_ref="函 1",
            deadline_at=now + 5 * DAY,
            actor=judge,
        )
    assert (err.value.code, err.value.rule) == ("joint_request_required", "PRC-03")


def test_no_skip_to_directed_inquiry_without_a_tax_base(procedure, judge, now):
    """PRC-03: directed inquiry only with a tax base or government-set/guided price."""
    check(procedure, judge, has_tax_base_or_gov_price=False)
    with pytest.raises(DomainError) as err:
        directed_inquiry_start(
            procedure=procedure,
            body_name="税务局",
            letter_ref="函 1",
            deadline_at=now + 5 * DAY,
            joint_request=True,
            actor=judge,
        )
    assert (err.value.code, err.value.rule) == ("step_not_allowed", "PRC-03")


def test_no_online_inquiry_when_a_site_inspection_is_needed(procedure, judge, now):
    """PRC-03: online inquiry only if feasible and no site inspection or expert appraisal is needed."""
    check(procedure, judge, needs_site_inspection=True)
    assert ("online_inquiry", True) not in methods(procedure)
    with pytest.raises(DomainError):
        inquiry_send(procedure=procedure, joint_request=True, actor=judge)


def test_law_requiring_appraisal_leaves_only_appraisal(procedure, judge, now):
    """PRC-03: appraisal is mandatory when a law requires it."""
    check(procedure, judge, law_requires_appraisal=True)
    assert methods(procedure) == [("appraisal", False)]
    with pytest.raises(DomainError):
        party_agreement_start(procedure=procedure, deadline_at=now + 5 * DAY, actor=judge)


# ------------------------------------------------------------------ PRC-04 party agreement
def test_party_agreement_needs_a_court_set_deadline(procedure, judge, now):
    check(procedure, judge)
    with pytest.raises(DomainError) as err:
        party_agreement_start(procedure=procedure, deadline_at=None, actor=judge)
    assert (err.value.code, err.value.rule) == ("deadline_required", "PRC-04")


def test_identical_quotes_confirmed_become_the_reference_price(procedure, judge, parties, now):
    """PRC-04: identical results from both parties in time, harming no one → the reference price."""
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    creditor, debtor = parties
    party_agreement_quote(procedure=procedure, party=creditor, amount_fen=900_000_00)
    party_agreement_quote(procedure=procedure, party=debtor, amount_fen=950_000_00)
    with pytest.raises(DomainError) as err:
        party_agreement_confirm(procedure=procedure, harms_no_one=True, actor=judge)
    assert err.value.code == "no_agreement"
    party_agreement_quote(procedure=procedure, party=debtor, amount_fen=900_000_00)
    price = party_agreement_confirm(procedure=procedure, harms_no_one=True, actor=judge)
    assert price is not None
    assert (price.method, price.amount_fen) == ("party_agreement", 900_000_00)
    procedure.refresh_from_db()
    assert procedure.state == "fixed"


def test_agreement_harming_others_is_not_used(procedure, judge, parties, now):
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    for p in parties:
        party_agreement_quote(procedure=procedure, party=p, amount_fen=1_00)
    assert (
        party_agreement_confirm(
            procedure=procedure,
            harms_no_one=False,
            note="明显低于市价，损害其他债权人",
            actor=judge,
        )
        is None
    )
    assert PricingStep.objects.get(procedure=procedure).outcome == "failed"


def test_refusal_skips_agreement_to_directed_inquiry_when_there_is_a_tax_base(
    procedure, judge, parties, now
):
    """PRC-04: a party refuses → skipped; PRC-03/PRC-05: with a tax base directed inquiry must follow."""
    check(procedure, judge, has_tax_base_or_gov_price=True)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    party_agreement_quote(procedure=procedure, party=parties[1], refused=True)
    assert methods(procedure) == [("directed_inquiry", False), ("appraisal", True)]
    with pytest.raises(DomainError):
        inquiry_send(procedure=procedure, actor=judge)  # directed inquiry may not be skipped
    step = PricingStep.objects.get(procedure=procedure)
    assert "拒绝" in step.outcome_reason


def test_unreachable_party_skips_agreement_to_online_inquiry_without_tax_base(
    procedure, judge, parties, now
):
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    party_agreement_quote(procedure=procedure, party=parties[1], unreachable=True)
    assert methods(procedure) == [("online_inquiry", False), ("appraisal", True)]


def test_agreement_deadline_passes_then_quotes_are_refused_and_the_step_lapses(
    procedure, judge, parties, now
):
    """PRC-04 with the controllable clock: a quote after the court-set deadline is refused."""
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    party_agreement_quote(procedure=procedure, party=parties[0], amount_fen=800_000_00)
    with pytest.raises(DomainError):
        step_lapse(procedure=procedure)  # not yet
    clock.advance(8 * DAY)
    with pytest.raises(DomainError) as err:
        party_agreement_quote(procedure=procedure, party=parties[1], amount_fen=800_000_00)
    assert err.value.code == "agreement_deadline_passed"
    assert step_lapse(procedure=procedure) is True
    assert methods(procedure)[0] == ("online_inquiry", False)


def test_the_sweep_lapses_overdue_court_set_deadlines(procedure, judge, parties, now):
    from pricing.services import pricing_sweep

    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 2 * DAY, actor=judge)
    clock.advance(3 * DAY)
    assert pricing_sweep()["lapsed"] == 1
    assert PricingStep.objects.get(procedure=procedure).outcome == "failed"


# ------------------------------------------------------------------ PRC-05 directed inquiry
def test_directed_inquiry_needs_body_letter_and_deadline(procedure, judge, now):
    check(procedure, judge, has_tax_base_or_gov_price=True)
    with pytest.raises(DomainError) as err:
        directed_inquiry_start(
            procedure=procedure,
            body_name="税务局",
            letter_ref="函 1",
            deadline_at=None,
            joint_request=True,
            actor=judge,
        )
    assert err.value.rule == "PRC-05"
    with pytest.raises(DomainError):
        directed_inquiry_start(
            procedure=procedure,
            body_name="",
            letter_ref="函 1",
            deadline_at=now + DAY,
            joint_request=True,
            actor=judge,
        )


def test_late_directed_result_fails_and_online_inquiry_follows(procedure, judge, now):
    """PRC-05: only a timely result is the reference price; then PRC-03 moves on."""
    check(procedure, judge, has_tax_base_or_gov_price=True)
    directed_inquiry_start(
        procedure=procedure,
        body_name="南昌市税务局",
        letter_ref="函 2",
        deadline_at=now + 5 * DAY,
        joint_request=True,
        actor=judge,
    )
    clock.advance(6 * DAY)
    assert (
        directed_inquiry_result(procedure=procedure, amount_fen=1_000_000_00, actor=judge) is None
    )
    # online inquiry must follow; both parties together may still ask for appraisal instead
    assert methods(procedure) == [("online_inquiry", False), ("appraisal", True)]
    assert reference_price_valid_for(asset_id=procedure.asset_id, at=clock.now()) is None


def test_directed_failure_goes_to_appraisal_when_online_is_not_feasible(procedure, judge, now):
    """PRC-03: online inquiry impossible → appraisal is mandatory."""
    check(procedure, judge, has_tax_base_or_gov_price=True, online_feasible=False)
    directed_inquiry_start(
        procedure=procedure,
        body_name="物价局",
        letter_ref="函 3",
        deadline_at=now + 5 * DAY,
        joint_request=True,
        actor=judge,
    )
    clock.advance(6 * DAY)
    step_lapse(procedure=procedure)
    assert methods(procedure) == [("appraisal", False)]


# ------------------------------------------------------------------ PRC-14
def test_suspension_pauses_and_resumption_returns_to_the_same_step(procedure, judge, parties, now):
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    with pytest.raises(DomainError):
        procedure_suspend(procedure=procedure, ground="no_reason", actor=judge)
    procedure_suspend(procedure=procedure, ground="enforcement_suspended", actor=judge)
    procedure.refresh_from_db()
    assert procedure.state == "suspended"
    with pytest.raises(DomainError):
        party_agreement_quote(procedure=procedure, party=parties[0], amount_fen=1_00)
    procedure_resume(procedure=procedure, actor=judge)
    procedure.refresh_from_db()
    assert procedure.state == "party_agreement"


def test_withdrawal_needs_a_ground_and_cancels_the_open_deadlines(procedure, judge, now):
    from tests.pricing.conftest import fix_by_directed

    fix_by_directed(procedure, judge)
    assert Deadline.objects.filter(
        subject=procedure.subject, rule_id="PRC-13", status="open"
    ).exists()
    with pytest.raises(DomainError) as err:
        procedure_withdraw(procedure=procedure, ground="because", actor=judge)
    assert err.value.rule == "PRC-14"
    procedure_withdraw(procedure=procedure, ground="creditor_withdrew", actor=judge)
    assert Deadline.objects.get(subject=procedure.subject, rule_id="PRC-13").status == "cancelled"
    # a new procedure may start for the same asset
    assert procedure_open(asset=procedure.asset, actor=judge).state == "opened"


# ------------------------------------------------------------------ PRC-19, PRC-20
def test_skip_refused_when_the_court_disabled_it(asset, judge, now):
    setting_set(key="allow_pricing_skip", value=False, court=asset.case.court, reason="本院不适用")
    with pytest.raises(DomainError) as err:
        pricing_skip(asset=asset, ground="easily_priced", market_price_fen=1_000_00, actor=judge)
    assert (err.value.code, err.value.rule) == ("skip_disabled", "PRC-19")


def test_skip_refused_once_the_cascade_has_begun(procedure, judge, now):
    check(procedure, judge)
    party_agreement_start(procedure=procedure, deadline_at=now + 7 * DAY, actor=judge)
    with pytest.raises(DomainError):
        pricing_skip(
            asset=procedure.asset, ground="low_value", market_price_fen=1_000_00, actor=judge
        )


def test_equity_waiver_only_for_equity_after_failed_appraisal(case, parties, judge, now):
    """PRC-20: equity whose appraisal failed → on the creditor's written request, costs as the floor."""
    from pricing.services import appraisal_failed, appraisal_start

    flat = make_asset(case)
    proc_flat = check(procedure_open(asset=flat, actor=judge), judge)
    with pytest.raises(DomainError) as err:
        equity_waiver_record(
            procedure=proc_flat,
            creditor_request_doc="申请书",
            enforcement_costs_fen=10_000_00,
            reason="缺少财务资料",
            actor=judge,
        )
    assert err.value.code == "not_equity"
    shares = make_asset(
        case,
        kind="equity",
        name="某公司 30% 股权",
        features={"company": "某公司", "share_pct": "30"},
    )
    proc = check(procedure_open(asset=shares, actor=judge), judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    with pytest.raises(DomainError) as err:
        equity_waiver_record(
            procedure=proc,
            creditor_request_doc="申请书",
            enforcement_costs_fen=10_000_00,
            reason="缺少财务资料",
            actor=judge,
        )
    assert err.value.code == "appraisal_not_failed"
    appraisal_failed(procedure_ref=proc.ref, reason="被执行人拒不提供公司财务资料")
    price = equity_waiver_record(
        procedure=proc,
        creditor_request_doc="（2026）申请书第 3 号",
        enforcement_costs_fen=10_000_00,
        reason="无法评估，申请执行人书面申请",
        actor=judge,
    )
    basis = reference_price_valid_for(asset_id=shares.pk, at=now)
    assert basis is not None
    assert (basis.kind, basis.amount_fen) == ("equity_waiver", 10_000_00)
    assert "书面申请" in basis.ground and price.basis["creditor_request"]
