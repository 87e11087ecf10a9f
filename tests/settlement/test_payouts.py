"""Distribution (FND-06, EWR 34) and payouts (FND-10..16): the approval chain, deferral, the
panel for third parties, escrow, and no overdraft."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import Conflict, DomainError, PermissionDenied
from core.models import Deadline, OutboxMessage
from core.rulesettings import setting_set
from settlement import ledger
from settlement.models import DistributionLine, GatewayOperation, Payout, PayoutApproval
from settlement.services import (
    distribution_plan_approve,
    distribution_plan_draft,
    fee_charge,
    panel_decision_record,
    payout_approve,
    payout_create,
    payout_defer_decide,
    payout_defer_request,
    payout_deferral_end,
    payout_escrow,
    payout_reject,
    payout_retry,
    payout_set_account,
)
from settlement.services.accounts import case_ledger_account
from settlement.services.distribution import pro_rata
from tests.conftest import make_user
from tests.settlement.conftest import fund, make_case

pytestmark = pytest.mark.django_db


def _payout(case, officer, amount=400_000, **kw):
    args = {
        "case_id": case.pk,
        "payee_kind": "creditor",
        "payee_ref": "party:1",
        "payee_name": "申请人甲",
        "amount_fen": amount,
        "purpose": "执行款发放",
        "idempotency_key": f"p{amount}",
        "actor": officer,
        "payee_account_no": "6222000011110000",
        "payee_bank": "测试银行",
        **kw,
    }
    return payout_create(**args)


def _balance(case):
    return ledger.balance(case_ledger_account(case.pk))


# ---- distribution --------------------------------------------------------------------------


def test_pro_rata_shares_are_exact_and_never_exceed_a_claim():
    assert pro_rata(100, [50, 50, 50]) == [34, 33, 33]
    assert pro_rata(1_000, [300, 200]) == [300, 200]
    shares = pro_rata(999_999, [1, 3, 5, 7])
    assert sum(shares) == 16 and shares == [1, 3, 5, 7]
    shares = pro_rata(10, [3, 3, 3, 3])
    assert sum(shares) == 10 and max(shares) <= 3


def test_costs_first_then_creditors_by_priority_then_surplus_to_the_debtor_EWR_34(
    court, officer, judge
):
    case = make_case(
        court,
        officer=officer,
        judge=judge,
        creditors=(
            ("抵押权人", 1, 3_000_000),
            ("普通债权人甲", 2, 4_000_000),
            ("普通债权人乙", 2, 2_000_000),
        ),
    )
    fee_charge(
        case_id=case.pk,
        ref="procedure:1",
        kind="appraisal_fee",
        amount_fen=200_000,
        payee_ref="firm:1",
        payee_name="评估公司",
        idempotency_key="f1",
    )
    fee_charge(
        case_id=case.pk,
        ref="auction:1",
        kind="tax",
        amount_fen=100_000,
        payee_ref="tax:1",
        payee_name="税务机关",
        idempotency_key="f2",
    )
    fund(case, 6_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    got = [(x.kind, x.payee_name, x.amount_fen) for x in plan.lines.order_by("seq")]
    # 60,000.00: costs 3,000.00; first rank 30,000.00; 27,000.00 shared 4:2 by the second rank.
    assert got == [
        ("cost", "评估公司", 200_000),
        ("cost", "税务机关", 100_000),
        ("creditor", "抵押权人", 3_000_000),
        ("creditor", "普通债权人甲", 1_800_000),
        ("creditor", "普通债权人乙", 900_000),
    ]
    assert sum(a for *_, a in got) == 6_000_000


def test_the_surplus_goes_back_to_the_debtor(court, officer, judge):
    case = make_case(court, officer=officer, judge=judge, creditors=(("申请人甲", 1, 1_000_000),))
    fund(case, 1_500_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    assert [(x.kind, x.amount_fen) for x in plan.lines.order_by("seq")] == [
        ("creditor", 1_000_000),
        ("surplus", 500_000),
    ]


def test_approving_a_plan_reserves_every_line_as_a_payout_and_closes_arrival_deadlines(
    case, officer, judge
):
    fund(case, 2_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    distribution_plan_approve(plan_id=plan.pk, actor=judge)
    payouts = list(Payout.objects.filter(case=case))
    assert len(payouts) == plan.lines.count()
    assert sum(p.amount_fen for p in payouts) == 2_000_000
    assert _balance(case) == 0
    assert not Deadline.objects.filter(
        rule_id="FND-10", subject__contains="/funds:", status="open"
    ).exists()
    with pytest.raises(Conflict):
        distribution_plan_approve(plan_id=plan.pk, actor=judge)


def test_a_plan_is_not_approved_by_its_maker(case, judge):
    fund(case, 1_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=judge)
    with pytest.raises(PermissionDenied):
        distribution_plan_approve(plan_id=plan.pk, actor=judge)


def test_nothing_to_distribute_is_refused(case, officer):
    with pytest.raises(DomainError):
        distribution_plan_draft(case_id=case.pk, actor=officer)


# ---- the approval chain (FND-12) ------------------------------------------------------------


def test_officer_then_bureau_head_then_finance_then_bank(
    case, officer, bureau_head, finance, drain, party_user
):
    from cases.models import Party

    creditor = Party.objects.get(case=case, role="creditor")
    Party.objects.filter(pk=creditor.pk).update(user=party_user)
    fund(case, 3_000_000)
    p = _payout(case, officer, amount=1_000_000, payee_ref=f"party:{creditor.pk}")
    assert _balance(case) == 2_000_000  # reserved at once
    assert p.status == Payout.Status.PENDING_LEADER
    with pytest.raises(PermissionDenied):
        payout_approve(payout_id=p.pk, actor=finance)  # out of turn
    p = payout_approve(payout_id=p.pk, actor=bureau_head)
    assert p.status == Payout.Status.PENDING_FINANCE
    p = payout_approve(payout_id=p.pk, actor=finance)
    assert p.status == Payout.Status.SENDING
    drain()
    p.refresh_from_db()
    assert p.status == Payout.Status.PAID
    assert ledger.balance(p.ledger_account) == 0
    assert list(p.approvals.values_list("step", flat=True)) == [
        "submit",
        "leader",
        "finance",
        "bank",
    ]
    assert OutboxMessage.objects.filter(
        recipient=party_user, topic="settlement.payout"
    ).exists()  # FND-16
    assert (
        Deadline.objects.get(subject=f"case:{case.pk}/payout:{p.pk}").status == Deadline.Status.MET
    )


def test_double_approval_is_refused(case, officer, bureau_head, finance):
    fund(case, 3_000_000)
    p = _payout(case, officer)
    payout_approve(payout_id=p.pk, actor=bureau_head)
    with pytest.raises(PermissionDenied):
        payout_approve(payout_id=p.pk, actor=bureau_head)  # the leader cannot also sign as finance
    payout_approve(payout_id=p.pk, actor=finance)
    with pytest.raises(Conflict):
        payout_approve(payout_id=p.pk, actor=finance)
    assert GatewayOperation.objects.filter(payout=p).count() == 1
    assert PayoutApproval.objects.filter(payout=p, step="finance").count() == 1


def test_the_submitter_cannot_approve(case, judge, court):
    fund(case, 3_000_000)
    setting_set(
        key="approval_tiers",
        value=[{"up_to_fen": 10_000_000, "role": "judge"}],
        court=court,
        reason="大连",
    )
    p = _payout(case, judge)
    with pytest.raises(PermissionDenied):
        payout_approve(payout_id=p.pk, actor=judge)


def test_approval_tiers_send_small_payouts_to_a_judge_and_large_ones_to_the_bureau_head(
    case, officer, court
):
    setting_set(
        key="approval_tiers",
        value=[{"up_to_fen": 10_000_000, "role": "judge"}],
        court=court,
        reason="大连",
    )
    fund(case, 30_000_000)
    small = _payout(case, officer, amount=9_999_999)
    large = _payout(case, officer, amount=10_000_001)
    assert (small.leader_role, large.leader_role) == ("judge", "bureau_head")
    judge2 = make_user("judge", court)
    payout_approve(payout_id=small.pk, actor=judge2)
    with pytest.raises(PermissionDenied):
        payout_approve(payout_id=large.pk, actor=judge2)


def test_a_payout_above_the_balance_is_refused(case, officer):
    fund(case, 500_000)
    with pytest.raises(DomainError) as err:
        _payout(case, officer, amount=500_001)
    assert err.value.code == "insufficient_funds"
    assert _balance(case) == 500_000


@pytest.mark.parametrize("amount", [0, -1, 10.0])
def test_zero_negative_or_fractional_payouts_are_refused(case, officer, amount):
    fund(case, 500_000)
    with pytest.raises(DomainError):
        _payout(case, officer, amount=amount)


def test_a_bidder_cannot_submit_a_payout(case, bidder):
    fund(case, 500_000)
    with pytest.raises(PermissionDenied):
        _payout(case, bidder)


def test_staff_of_another_court_cannot_act(case, officer, other_court):
    fund(case, 500_000)
    p = _payout(case, officer)
    with pytest.raises(PermissionDenied):
        payout_approve(payout_id=p.pk, actor=make_user("bureau_head", other_court))


def test_a_rejected_payout_returns_the_money_to_the_case(case, officer, bureau_head):
    fund(case, 500_000)
    p = _payout(case, officer, amount=400_000)
    payout_reject(payout_id=p.pk, actor=bureau_head, reason="收款人有误")
    assert _balance(case) == 500_000
    assert Payout.objects.get(pk=p.pk).status == Payout.Status.CANCELLED


def test_no_bank_account_no_payment_and_a_returned_transfer_can_be_retried(
    case, officer, bureau_head, finance, drain, settings
):
    fund(case, 500_000)
    p = _payout(case, officer, amount=500_000, payee_account_no="", payee_bank="")
    payout_approve(payout_id=p.pk, actor=bureau_head)
    with pytest.raises(DomainError) as err:
        payout_approve(payout_id=p.pk, actor=finance)
    assert err.value.code == "payee_account_missing"
    payout_set_account(payout_id=p.pk, account_no="6222 0000 1111", bank="测试银行", actor=officer)
    settings.GAVEL_SIMULATOR_FAILURE_RATE = 1.0
    payout_approve(payout_id=p.pk, actor=finance)
    drain()
    p.refresh_from_db()
    assert p.status == Payout.Status.FAILED
    assert ledger.balance(p.ledger_account) == 500_000  # nothing left the court
    settings.GAVEL_SIMULATOR_FAILURE_RATE = 0.0
    payout_retry(payout_id=p.pk, actor=finance)
    drain()
    p.refresh_from_db()
    assert p.status == Payout.Status.PAID


# ---- FND-13 third parties ------------------------------------------------------------------


def test_a_third_party_payee_needs_a_panel_decision_FND_13(case, officer, judge):
    fund(case, 500_000)
    with pytest.raises(DomainError) as err:
        _payout(case, officer, payee_kind="third_party", payee_ref="other:1", payee_name="案外人丙")
    assert err.value.rule == "FND-13"
    panel = panel_decision_record(
        case_id=case.pk,
        subject="向案外人丙支付",
        members="王、李、赵",
        decision="同意",
        actor=judge,
    )
    p = _payout(
        case,
        officer,
        payee_kind="third_party",
        payee_ref="other:1",
        payee_name="案外人丙",
        panel_decision_id=panel.pk,
    )
    assert p.panel_decision_id == panel.pk


def test_without_the_switch_no_panel_is_needed_FND_13(case, officer, court):
    setting_set(
        key="third_party_payout_requires_panel", value=False, court=court, reason="本院规定"
    )
    fund(case, 500_000)
    assert _payout(case, officer, payee_kind="third_party", payee_ref="o:1", payee_name="案外人").pk


# ---- FND-11 deferral -----------------------------------------------------------------------


def test_deferral_needs_a_listed_ground_and_leader_approval_then_10_days_after_it_ends_FND_11(
    case, officer, bureau_head, frozen_now
):
    fund(case, 500_000)
    p = _payout(case, officer)
    with pytest.raises(DomainError):
        payout_defer_request(payout_id=p.pk, reason="because", note="", actor=officer)
    with pytest.raises(DomainError):
        payout_defer_request(payout_id=p.pk, reason="other", note="", actor=officer)
    payout_defer_request(payout_id=p.pk, reason="frozen", note="另案冻结", actor=officer)
    with pytest.raises(PermissionDenied):
        payout_defer_decide(payout_id=p.pk, approve=True, actor=officer)
    p = payout_defer_decide(payout_id=p.pk, approve=True, actor=bureau_head)
    assert p.status == Payout.Status.DEFERRED
    ended = clock.now() + dt.timedelta(days=20)
    p = payout_deferral_end(payout_id=p.pk, ended_at=ended, actor=officer)
    assert p.status == Payout.Status.PENDING_LEADER
    d = Deadline.objects.get(rule_id="FND-11", subject=f"case:{case.pk}/payout:{p.pk}")
    assert d.period == 10 and d.due_at.date() >= (ended + dt.timedelta(days=10)).date()


def test_a_refused_deferral_returns_the_payout_to_where_it_was(case, officer, bureau_head):
    fund(case, 500_000)
    p = _payout(case, officer)
    payout_defer_request(payout_id=p.pk, reason="not_collected", note="", actor=officer)
    p = payout_defer_decide(payout_id=p.pk, approve=False, actor=bureau_head)
    assert p.status == Payout.Status.PENDING_LEADER


# ---- FND-14 escrow -------------------------------------------------------------------------


def test_escrow_with_evidence_and_the_fee_borne_by_the_creditor_FND_14(case, officer, bureau_head):
    fund(case, 500_000)
    p = _payout(case, officer, amount=500_000)
    with pytest.raises(DomainError):
        payout_escrow(
            payout_id=p.pk,
            ground="refused",
            evidence="",
            escrow_body="公证处",
            fee_fen=1_000,
            actor=bureau_head,
        )
    p = payout_escrow(
        payout_id=p.pk,
        ground="unreachable",
        evidence="三次送达未果",
        escrow_body="某公证处",
        fee_fen=5_000,
        actor=bureau_head,
    )
    assert p.status == Payout.Status.ESCROWED
    from settlement.models import LedgerAccount

    escrow = LedgerAccount.objects.get(kind="escrow", ref=f"payout:{p.pk}")
    fee = LedgerAccount.objects.get(kind="escrow", ref=f"payout:{p.pk}/fee")
    assert (ledger.balance(escrow), ledger.balance(fee)) == (500_000 - 5_000, 5_000)
    assert _balance(case) == 0


def test_escrow_fee_from_the_case_when_not_borne_by_the_creditor_FND_14(
    case, officer, bureau_head, court
):
    setting_set(key="escrow_fee_borne_by_creditor", value=False, court=court, reason="本院规定")
    fund(case, 600_000)
    p = _payout(case, officer, amount=500_000)
    payout_escrow(
        payout_id=p.pk,
        ground="refused",
        evidence="拒收",
        escrow_body="某公证处",
        fee_fen=5_000,
        actor=bureau_head,
    )
    from settlement.models import LedgerAccount

    assert ledger.balance(LedgerAccount.objects.get(kind="escrow", ref=f"payout:{p.pk}")) == 500_000
    assert _balance(case) == 95_000


# ---- FND-16 flags --------------------------------------------------------------------------


def test_a_payout_past_its_deadline_turns_yellow_and_the_approver_is_told_FND_16(
    case, officer, finance, frozen_now
):
    fund(case, 500_000)
    p = _payout(case, officer)
    clock.advance(dt.timedelta(days=40))
    from core.deadlines import deadlines_sweep

    deadlines_sweep()
    d = Deadline.objects.get(subject=f"case:{case.pk}/payout:{p.pk}")
    assert d.flag == Deadline.Flag.YELLOW
    assert OutboxMessage.objects.filter(recipient=finance, topic="deadline.overdue").exists()
    from settlement.selectors import flags

    assert d in flags(case.court_id)["yellow"]


# ---- concurrency on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_payouts_cannot_overdraw_a_case(court):
    """Two officers submit 700 and 600 against 1,000 at the same instant, each on its own
    connection: exactly one is reserved, the other is refused, the case never goes negative."""
    from tests import race

    officer_a = make_user("officer", court)
    case = make_case(court, officer=officer_a)
    fund(case, 1_000)

    def submit(amount):
        return lambda: _payout(case, officer_a, amount=amount, idempotency_key=f"race-{amount}")

    outcomes = race.codes(race.together(submit(700), submit(600)))
    assert outcomes == ["insufficient_funds", "ok"]
    assert Payout.objects.filter(case=case).count() == 1
    assert _balance(case) in (300, 400)
    assert DistributionLine.objects.count() == 0
