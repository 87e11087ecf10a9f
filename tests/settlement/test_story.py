"""A case's whole money story through the services and the simulator: deposits held, losers
released within 24 h, the winner's applied, the balance paid, fees charged, a distribution,
payouts approved and paid, one escrowed — and the day reconciles with zero differences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from core import clock
from settlement import ledger
from settlement.models import DepositHold, LedgerLeg, Payout
from settlement.reconcile import reconcile
from settlement.services import (
    balance_due,
    balance_pay_request,
    deposit_apply,
    deposit_release,
    deposit_release_schedule,
    deposit_request,
    distribution_plan_approve,
    distribution_plan_draft,
    fee_charge,
    payout_approve,
    payout_escrow,
    payout_set_account,
)
from settlement.services.accounts import case_ledger_account
from settlement.simulator import simulate_payment
from tests.settlement.conftest import make_case

pytestmark = pytest.mark.django_db


def test_the_whole_money_story_reconciles_with_zero_differences(
    court, officer, judge, bureau_head, finance, drain, frozen_now
):
    case = make_case(
        court,
        officer=officer,
        judge=judge,
        creditors=(("抵押权人银行", 1, 60_000_000), ("申请人甲", 2, 50_000_000)),
    )
    sale = "sale-story:1/sale"
    refs = [f"story:1/registration:{i}" for i in range(3)]
    # Three bidders freeze a 100,000.00 deposit each (AUC-17).
    for i, ref in enumerate(refs):
        simulate_payment(
            deposit_request(
                case_id=case.pk,
                ref=ref,
                payer_ref=f"user:{i}",
                payer_name=f"竞买人{i}",
                amount_fen=10_000_000,
                idempotency_key=f"{ref}/deposit",
            )
        )
    assert all(h.status == "held" for h in DepositHold.objects.all())
    # Bidding ends; bidder 0 wins at 1,000,000.00; the losers are released within 24 h (AUC-30).
    closed = clock.now()
    deposit_release_schedule(case_id=case.pk, refs=refs[1:], closed_at=closed, hours=24)
    for ref in refs[1:]:
        deposit_release(ref=ref, reason="未成交", idempotency_key=f"{ref}/release")
    deposit_apply(ref=refs[0], sale_ref=sale, idempotency_key=f"{refs[0]}/apply")
    balance_due(
        case_id=case.pk,
        sale_ref=sale,
        payer_ref="user:0",
        payer_name="竞买人0",
        price_fen=100_000_000,
        deposit_applied_fen=10_000_000,
        due_at=closed + dt.timedelta(days=15),
        idempotency_key=f"{sale}/balance",
    )
    drain()
    assert [h.status for h in DepositHold.objects.order_by("ref")] == [
        "applied",
        "released",
        "released",
    ]
    # The buyer pays the balance; the price settles into the case account.
    clock.advance(dt.timedelta(days=3))
    simulate_payment(balance_pay_request(sale_ref=sale, idempotency_key=f"{sale}/pay"))
    assert ledger.balance(case_ledger_account(case.pk)) == 100_000_000
    # Appraisal fee and auction costs are charged by the apps above; they are paid first.
    fee_charge(
        case_id=case.pk,
        ref="procedure:1",
        kind="appraisal_fee",
        amount_fen=1_500_000,
        payee_ref="firm:1",
        payee_name="评估公司",
        idempotency_key="fee-1",
    )
    fee_charge(
        case_id=case.pk,
        ref="auction:1",
        kind="tax",
        amount_fen=500_000,
        payee_ref="tax:1",
        payee_name="税务机关",
        idempotency_key="fee-2",
    )
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    assert [(x.payee_name, x.amount_fen) for x in plan.lines.order_by("seq")] == [
        ("评估公司", 1_500_000),
        ("税务机关", 500_000),
        ("抵押权人银行", 60_000_000),
        ("申请人甲", 38_000_000),
    ]
    distribution_plan_approve(plan_id=plan.pk, actor=judge)
    # Every payout goes through officer → bureau head → finance → bank; one creditor is unreachable: escrow.
    for p in Payout.objects.filter(case=case).order_by("pk"):
        if p.payee_name == "申请人甲":
            payout_escrow(
                payout_id=p.pk,
                ground="unreachable",
                evidence="三次送达均未果",
                escrow_body="某公证处",
                fee_fen=20_000,
                actor=bureau_head,
            )
            continue
        payout_set_account(
            payout_id=p.pk, account_no="6222000000000001", bank="示例银行", actor=officer
        )
        payout_approve(payout_id=p.pk, actor=bureau_head)
        payout_approve(payout_id=p.pk, actor=finance)
    drain()
    statuses = sorted(Payout.objects.filter(case=case).values_list("status", flat=True))
    assert statuses == ["escrowed", "paid", "paid", "paid"]
    assert ledger.balance(case_ledger_account(case.pk)) == 0
    # Every fen is somewhere: in escrow, or back out through the gateway.
    held = LedgerLeg.objects.filter(account__may_go_negative=False).aggregate(s=Sum("amount_fen"))[
        "s"
    ]
    assert held == 38_000_000
    # FND-15: the ledger and the simulator's statements agree, line by line.
    for day in {frozen_now.date(), clock.now().date()}:
        result, _ = reconcile(court=court, source="simulator", start=day, end=day)
        assert result.differences == [], result.differences
    result, _ = reconcile(
        court=court, source="simulator", start=frozen_now.date(), end=clock.now().date()
    )
    assert result.differences == []
    assert result.ledger_total_fen == 3 * 10_000_000 - 2 * 10_000_000 + 90_000_000 - (
        1_500_000 + 500_000 + 60_000_000
    )
