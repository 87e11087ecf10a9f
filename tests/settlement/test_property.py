"""Property: whatever happens — deposits, releases, applications, forfeits, receipts, fees,
payouts, gateway failures — the ledger balances, no custody account goes below zero, and every
fen is accounted for by the business records (hypothesis)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from settlement import ledger
from settlement.models import (
    DepositHold,
    GatewayOperation,
    LedgerAccount,
    LedgerLeg,
    LedgerTransaction,
    PaymentIntent,
    Receipt,
)
from settlement.services import (
    deposit_apply,
    deposit_forfeit,
    deposit_release,
    deposit_request,
    fee_charge,
    payout_approve,
    payout_create,
)
from settlement.worker import drain
from tests.settlement.conftest import fund, pay

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=5_000_000)
regs = st.integers(min_value=0, max_value=2)
fails = st.sampled_from([False, False, False, False, False, True])  # the gateway fails this step
ops = st.one_of(
    st.tuples(st.just("deposit"), regs, amounts, st.sampled_from(["authorise", "pay"]), fails),
    st.tuples(st.just("deposit"), regs, amounts, st.sampled_from(["authorise", "pay"]), fails),
    st.tuples(st.just("release"), regs, fails),
    st.tuples(st.just("apply"), regs, fails),
    st.tuples(st.just("forfeit"), regs, st.sampled_from([None, 1, 2]), fails),
    st.tuples(st.just("receipt"), amounts, fails),
    st.tuples(st.just("fee"), amounts, fails),
    st.tuples(st.just("payout"), amounts, st.booleans(), fails),
)


class _Rollback(Exception):
    pass


def _check(case) -> None:
    # 1. The ledger balances, in total and per transaction.
    assert (LedgerLeg.objects.aggregate(s=Sum("amount_fen"))["s"] or 0) == 0
    unbalanced = (
        LedgerLeg.objects.values("transaction_id").annotate(s=Sum("amount_fen")).exclude(s=0)
    )
    assert not unbalanced.exists()
    # 2. No custody account below zero.
    negative = (
        LedgerLeg.objects.filter(account__may_go_negative=False)
        .values("account_id")
        .annotate(s=Sum("amount_fen"))
        .filter(s__lt=0)
    )
    assert not negative.exists()
    # 3. Every fen accounted for: what the business records say came in and went out equals
    #    what the custody accounts hold.
    came_in = (
        PaymentIntent.objects.filter(confirmed_at__isnull=False)
        .exclude(status="exempt")
        .aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    came_in += Receipt.objects.aggregate(s=Sum("amount_fen"))["s"] or 0
    went_out = (
        GatewayOperation.objects.filter(status="confirmed")
        .exclude(kind="capture")
        .aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    held = (
        LedgerLeg.objects.filter(account__may_go_negative=False).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )
    assert held == came_in - went_out
    # 4. Each deposit hold holds what its record says.
    for hold in DepositHold.objects.all():
        bal = ledger.balance(hold.ledger_account)
        in_flight = (
            GatewayOperation.objects.filter(
                source_account=hold.ledger_account, status__in=["queued", "sent"]
            ).aggregate(s=Sum("amount_fen"))["s"]
            or 0
        )
        if hold.status in (DepositHold.Status.HELD,):
            assert bal == hold.amount_fen - hold.released_fen
        elif hold.status in (DepositHold.Status.APPLIED, DepositHold.Status.RELEASED):
            assert bal in (0, in_flight)  # an unwanted second payment may be on its way back
        assert bal >= 0


@given(steps=st.lists(ops, min_size=6, max_size=24))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_ledger_always_balances_and_accounts_for_every_fen(
    case, officer, bureau_head, finance, steps
):
    try:
        with transaction.atomic():
            for n, step in enumerate(steps):
                kind, failing = step[0], step[-1]
                with override_settings(GAVEL_SIMULATOR_FAILURE_RATE=1.0 if failing else 0.0):
                    try:
                        if kind == "deposit":
                            _, i, amount, mode, _ = step
                            pay(
                                deposit_request(
                                    case_id=case.pk,
                                    ref=f"prop/registration:{i}",
                                    payer_ref=f"u{i}",
                                    payer_name=f"竞买人{i}",
                                    amount_fen=amount,
                                    mode=mode,
                                    idempotency_key=f"dep{n}",
                                )
                            )
                        elif kind == "release":
                            deposit_release(
                                ref=f"prop/registration:{step[1]}",
                                reason="未成交",
                                idempotency_key=f"rel{n}",
                            )
                        elif kind == "apply":
                            deposit_apply(
                                ref=f"prop/registration:{step[1]}",
                                sale_ref=f"prop/sale:{step[1]}",
                                idempotency_key=f"app{n}",
                            )
                        elif kind == "forfeit":
                            _, i, part, _ = step
                            hold = DepositHold.objects.filter(ref=f"prop/registration:{i}").first()
                            forfeit = (
                                None
                                if part is None or hold is None
                                else max(0, hold.amount_fen // (part + 1))
                            )
                            deposit_forfeit(
                                ref=f"prop/registration:{i}",
                                sale_ref=f"prop/sale:{i}",
                                reason="悔拍",
                                idempotency_key=f"ff{n}",
                                forfeit_fen=forfeit,
                            )
                        elif kind == "receipt":
                            fund(case, step[1], ref=f"R{n}")
                        elif kind == "fee":
                            fee_charge(
                                case_id=case.pk,
                                ref=f"x:{n}",
                                kind="auction_cost",
                                amount_fen=step[1],
                                payee_ref="p",
                                payee_name="拍辅机构",
                                idempotency_key=f"fee{n}",
                            )
                        elif kind == "payout":
                            _, amount, approve, _ = step
                            p = payout_create(
                                case_id=case.pk,
                                payee_kind="creditor",
                                payee_ref="party:1",
                                payee_name="申请人甲",
                                amount_fen=amount,
                                purpose="发放",
                                idempotency_key=f"po{n}",
                                actor=officer,
                                payee_account_no="622200",
                                payee_bank="测试银行",
                            )
                            if approve:
                                payout_approve(payout_id=p.pk, actor=bureau_head)
                                payout_approve(payout_id=p.pk, actor=finance)
                    except DomainError:
                        pass  # a refusal is a legitimate outcome; the invariants must still hold
                    drain()
                _check(case)
            raise _Rollback
    except _Rollback:
        pass
    assert LedgerTransaction.objects.count() == 0  # each example starts clean
    assert LedgerAccount.objects.filter(kind="deposit_hold").count() == 0
