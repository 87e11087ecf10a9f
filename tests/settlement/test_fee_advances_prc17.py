"""PRC-17: the creditor advances the inquiry and appraisal fees into the case account, the fee
is paid from the advance, and the debtor finally bears it: the distribution repays the
creditor first among the costs. An insurer's guarantee replaces the advance."""

from __future__ import annotations

import pytest

from cases.models import Party
from core.errors import Conflict, DomainError, PermissionDenied
from core.models import AuditEntry
from settlement import ledger
from settlement.models import DistributionLine, FeeAdvance, Payout
from settlement.services import (
    distribution_plan_approve,
    distribution_plan_draft,
    fee_advance_cover,
    fee_advance_guarantee,
    fee_advance_pay,
    fee_advance_receive,
    fee_charge,
)
from settlement.services.accounts import case_ledger_account
from tests.settlement.conftest import fund

pytestmark = pytest.mark.django_db
FEE = 800_000


def _creditor(case):
    return Party.objects.get(case=case, role=Party.Role.CREDITOR)


def _advance(case, actor, amount=FEE, **kw):
    args = {
        "case_id": case.pk,
        "kind": "appraisal_fee",
        "creditor_ref": f"party:{_creditor(case).pk}",
        "amount_fen": amount,
        "bank_reference": "ADV-1",
        "idempotency_key": "adv-1",
        "actor": actor,
        **kw,
    }
    return fee_advance_receive(**args)


def _charge(case, amount=FEE):
    return fee_charge(
        case_id=case.pk,
        ref=f"case:{case.pk}/appraisal:1",
        kind="appraisal_fee",
        amount_fen=amount,
        payee_ref="appraisal_firm:1",
        payee_name="某评估公司",
        idempotency_key="fee-1",
    )


def _case_balance(case):
    return ledger.balance(case_ledger_account(case.pk))


def test_prc17_the_advance_reaches_the_case_account_and_is_audited(case, officer):
    adv = _advance(case, officer)
    assert (adv.form, adv.status, adv.creditor_name) == ("cash", "held", "申请人甲")
    assert _case_balance(case) == FEE
    assert AuditEntry.objects.filter(action="fee_advance.received", subject=adv.ref).exists()
    assert _advance(case, officer).pk == adv.pk  # idempotent
    assert _case_balance(case) == FEE


def test_prc17_only_a_creditor_of_the_case_advances(case, officer):
    debtor = Party.objects.get(case=case, role=Party.Role.DEBTOR)
    with pytest.raises(DomainError) as exc:
        _advance(case, officer, creditor_ref=f"party:{debtor.pk}")
    assert (exc.value.code, exc.value.rule) == ("not_a_creditor", "PRC-17")


def test_prc17_only_court_staff_record_an_advance(case, party_user):
    with pytest.raises(PermissionDenied):
        _advance(case, party_user)


def test_prc17_fee_paid_from_an_advance_exactly_equal_to_it(case, officer):
    _advance(case, officer, amount=FEE)
    charge = _charge(case, amount=FEE)
    payout = fee_advance_pay(charge_id=charge.pk, actor=officer)
    assert (payout.payee_kind, payout.amount_fen) == (Payout.PayeeKind.FEE, FEE)
    assert _case_balance(case) == 0  # the fee is reserved from the advance
    assert not Payout.objects.filter(payee_kind=Payout.PayeeKind.REFUND).exists()
    assert FeeAdvance.objects.get().status == "applied"
    with pytest.raises(Conflict):
        fee_advance_pay(charge_id=charge.pk, actor=officer)


def test_prc17_an_advance_one_fen_short_cannot_pay_the_fee(case, officer):
    _advance(case, officer, amount=FEE - 1)
    charge = _charge(case, amount=FEE)
    with pytest.raises(DomainError) as exc:
        fee_advance_pay(charge_id=charge.pk, actor=officer)
    assert (exc.value.code, exc.value.rule) == ("fee_advance_short", "PRC-17")
    assert not Payout.objects.exists()


def test_prc17_an_advance_one_fen_over_refunds_the_fen(case, officer):
    _advance(case, officer, amount=FEE + 1)
    fee_advance_pay(charge_id=_charge(case, amount=FEE).pk, actor=officer)
    refund = Payout.objects.get(payee_kind=Payout.PayeeKind.REFUND)
    assert (refund.amount_fen, refund.payee_name) == (1, "申请人甲")
    assert _case_balance(case) == 0


def test_prc17_the_debtor_bears_the_fee_the_distribution_repays_the_creditor_first(
    case, officer, judge
):
    _advance(case, officer)
    charge = _charge(case)
    fee_advance_pay(charge_id=charge.pk, actor=officer)
    fund(case, 10_000_000)  # the sale proceeds (the debtor's money)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    lines = list(plan.lines.order_by("seq"))
    first = lines[0]
    assert (first.kind, first.charge_id, first.amount_fen) == (
        DistributionLine.Kind.COST,
        charge.pk,
        FEE,
    )
    assert first.payee_name == "申请人甲" and "PRC-17" in first.note
    creditor_line = lines[1]
    assert creditor_line.kind == DistributionLine.Kind.CREDITOR
    assert creditor_line.amount_fen == 10_000_000 - FEE
    distribution_plan_approve(plan_id=plan.pk, actor=judge)
    repay = Payout.objects.get(line=first)
    assert repay.payee_kind == Payout.PayeeKind.CREDITOR


def test_prc17_a_guarantee_replaces_the_advance_and_the_firm_is_paid_in_distribution(case, officer):
    g = fee_advance_guarantee(
        case_id=case.pk,
        kind="appraisal_fee",
        creditor_ref=f"party:{_creditor(case).pk}",
        amount_fen=FEE,
        insurer="某财产保险股份有限公司",
        guarantee_no="BH-2026-001",
        idempotency_key="g-1",
        actor=officer,
    )
    assert fee_advance_cover(case_id=case.pk, kind="appraisal_fee") == g
    assert _case_balance(case) == 0  # no money moved
    charge = _charge(case)
    with pytest.raises(DomainError) as exc:
        fee_advance_pay(charge_id=charge.pk, actor=officer)
    assert exc.value.code == "no_fee_advance"
    fund(case, 10_000_000)
    first = distribution_plan_draft(case_id=case.pk, actor=officer).lines.order_by("seq")[0]
    assert (first.charge_id, first.payee_name) == (charge.pk, "某评估公司")


def test_prc17_a_guarantee_needs_the_insurer_and_its_number(case, officer):
    with pytest.raises(DomainError):
        fee_advance_guarantee(
            case_id=case.pk,
            kind="inquiry_fee",
            creditor_ref=f"party:{_creditor(case).pk}",
            amount_fen=FEE,
            insurer="",
            guarantee_no="BH-1",
            idempotency_key="g-2",
            actor=officer,
        )
    assert not FeeAdvance.objects.exists()


def test_prc17_only_inquiry_and_appraisal_fees_are_advanced(case, officer):
    with pytest.raises(DomainError) as exc:
        _advance(case, officer, kind="tax")
    assert exc.value.rule == "PRC-17"
