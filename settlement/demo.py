"""Demo data for settlement (sample data, marked 示例). Idempotent: safe at every start.

Uses ``ctx["court"]``, ``ctx["users"]`` (core) and ``ctx["cases"]`` (cases) when present:
opens the case accounts, records a few bank receipts (one matched through a payment notice,
one unidentified to be claimed), charges an appraisal fee, and drafts and approves a
distribution plan so payouts wait for the bureau head's approval on the finance dashboard.
"""

from __future__ import annotations

import logging
from typing import Any

from core import clock

log = logging.getLogger("gavel.demo")
MARK = "（示例）"


def seed(ctx: dict[str, Any]) -> None:
    from settlement.models import DistributionPlan, PaymentNotice
    from settlement.services import (
        case_account_open,
        distribution_plan_approve,
        distribution_plan_draft,
        fee_charge,
        payment_notice_issue,
        receipt_record,
    )

    court = ctx.get("court")
    users = ctx.get("users") or {}
    cases = list(ctx.get("cases") or [])
    if court is None:
        return
    for case in cases:
        case_account_open(case_id=case.pk)
    now = clock.now()
    # A payment nobody can place yet: to be claimed within the FND-08 period.
    receipt_record(
        court_id=court.pk,
        amount_fen=1_288_00,
        bank_reference="DEMO-BANK-0003",
        received_at=now,
        payer_name=f"某贸易公司{MARK}",
        payer_account="6222020000000003",
        memo=f"代付款{MARK}",
        idempotency_key="demo:bank:0003",
    )
    if not cases:
        log.info("settlement demo: no cases in ctx, only an unidentified receipt was recorded")
        return
    first = cases[0]
    from cases.models import Party

    debtor = Party.objects.filter(case=first, role=Party.Role.DEBTOR).first()
    payer = debtor.name if debtor else f"被执行人{MARK}"
    account = case_account_open(case_id=first.pk)
    if not PaymentNotice.objects.filter(case=first, payer_name=payer).exists():
        payment_notice_issue(
            case_id=first.pk,
            payer_name=payer,
            purpose="履行生效法律文书确定的义务",
            amount_fen=80_000_00,
            actor=users.get("officer"),
        )
    receipt_record(
        court_id=court.pk,
        amount_fen=80_000_00,
        bank_reference="DEMO-BANK-0001",
        received_at=now,
        payer_name=payer,
        payer_account="6222020000000001",
        credited_account_no=account.account_no,
        memo=f"{first.number} 被执行人{payer} 付款人{payer} 履行义务",
        idempotency_key="demo:bank:0001",
    )
    fee_charge(
        case_id=first.pk,
        ref=f"case:{first.pk}/demo-appraisal",
        kind="appraisal_fee",
        amount_fen=3_200_00,
        payee_ref="firm:demo",
        payee_name=f"示例房地产估价有限公司{MARK}",
        idempotency_key="demo:fee:1",
        actor=users.get("officer"),
    )
    if len(cases) > 1:
        second = cases[1]
        acct2 = case_account_open(case_id=second.pk)
        debtor2 = Party.objects.filter(case=second, role=Party.Role.DEBTOR).first()
        name2 = debtor2.name if debtor2 else f"被执行人{MARK}"
        if not PaymentNotice.objects.filter(case=second, payer_name=name2).exists():
            payment_notice_issue(
                case_id=second.pk,
                payer_name=name2,
                purpose="履行义务",
                amount_fen=12_500_00,
                actor=users.get("officer"),
            )
        receipt_record(
            court_id=court.pk,
            amount_fen=12_500_00,
            bank_reference="DEMO-BANK-0002",
            received_at=now,
            payer_name=name2,
            credited_account_no=acct2.account_no,
            memo=f"{second.number} 履行款",
            idempotency_key="demo:bank:0002",
        )
    officer, judge = users.get("officer"), users.get("judge")
    if officer is None or judge is None:
        return
    if (
        DistributionPlan.objects.filter(case=first)
        .exclude(status=DistributionPlan.Status.CANCELLED)
        .exists()
    ):
        return
    from core.errors import DomainError

    try:
        plan = distribution_plan_draft(case_id=first.pk, actor=officer)
        distribution_plan_approve(plan_id=plan.pk, actor=judge)
    except DomainError as exc:  # nothing to distribute, or the case data differs: leave it
        log.info("settlement demo: no distribution plan (%s)", exc)
