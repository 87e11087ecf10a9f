"""Distribution plans (分配方案, FND-06, EWR 34): costs first (fees charged through
``fee_charge``, taxes per AUC-45), then creditors in priority order (equal rank shares
pro rata), the surplus back to the debtor. Approval turns each line into a payout."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.deadlines import deadline_close
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.models import Role
from core.permissions import is_court_staff_of
from core.types import Actor
from settlement import ledger, locks
from settlement.models import Charge, DistributionLine, DistributionPlan, Payout
from settlement.models.funds import PLAN_LINE_PURPOSE
from settlement.services._common import case_or_404, stream
from settlement.services.accounts import case_ledger_account
from settlement.services.fee_advances import advance_reimbursement
from settlement.services.payouts import payout_create

L = DistributionLine.Kind
PLAN_ROLES = (Role.OFFICER, Role.JUDGE)
APPROVE_ROLES = (Role.JUDGE, Role.BUREAU_HEAD)


def _charged_already(charge: Charge) -> int:
    return (
        DistributionLine.objects.filter(
            charge=charge, plan__status=DistributionPlan.Status.APPROVED
        ).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )


def paid_to_creditor_fen(party_id: int) -> int:
    """What approved distributions already gave this creditor on its claim: the claim still
    outstanding is the claim less this (distribution; AUC-18 for a bidding creditor's deposit)."""
    return _paid_to_party(party_id)


def _paid_to_party(party_id: int) -> int:
    return (
        DistributionLine.objects.filter(
            party_id=party_id, kind=L.CREDITOR, plan__status=DistributionPlan.Status.APPROVED
        ).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )


def pro_rata(total: int, claims: list[int]) -> list[int]:
    """Share ``total`` among ``claims`` in proportion, whole fen, largest remainders first; the
    shares sum exactly to ``min(total, sum(claims))`` and none exceeds its claim."""
    whole = sum(claims)
    if whole <= total:
        return list(claims)
    shares = [total * c // whole for c in claims]
    remainders = sorted(range(len(claims)), key=lambda i: (-(total * claims[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


@transaction.atomic
def distribution_plan_draft(*, case_id: int, actor: Actor) -> DistributionPlan:
    """Draft the plan for what the case account holds now (EWR 34 order)."""
    from cases.models import Party

    case = case_or_404(case_id)
    if actor is None or not is_court_staff_of(actor, case.court_id, roles=PLAN_ROLES):
        raise PermissionDenied("forbidden", _("只有承办人员可以制作分配方案"), rule="FND-06")
    available = ledger.balance(case_ledger_account(case.pk))
    if available <= 0:
        raise DomainError("nothing_to_distribute", _("案款账户没有可分配的款项"), rule="FND-06")
    DistributionPlan.objects.filter(case=case, status=DistributionPlan.Status.DRAFT).update(
        status=DistributionPlan.Status.CANCELLED
    )
    plan = DistributionPlan.objects.create(
        court_id=case.court_id,
        case=case,
        available_fen=available,
        created_at=clock.now(),
        created_by=actor,
    )
    left = available
    seq = 0
    lines: list[DistributionLine] = []
    # (1) Costs first, in the order they were charged.
    for charge in Charge.objects.filter(case=case).order_by("charged_at", "pk"):
        owed = charge.amount_fen - _charged_already(charge)
        if owed <= 0 or left <= 0:
            continue
        amount = min(owed, left)
        seq += 1
        # PRC-17: a fee paid from the creditor's advance is repaid to that creditor here.
        repay = advance_reimbursement(charge)
        payee_ref, payee_name = repay or (charge.payee_ref, charge.payee_name)
        lines.append(
            DistributionLine(
                plan=plan,
                seq=seq,
                kind=L.COST,
                charge=charge,
                payee_ref=payee_ref,
                payee_name=payee_name,
                claim_fen=owed,
                amount_fen=amount,
                note=charge.get_kind_display()
                + ("（返还申请执行人预交，PRC-17）" if repay else ""),
            )
        )
        left -= amount
    # (2) Creditors by priority (1 = first); equal priority shares pro rata; no rank comes last.
    creditors = list(Party.objects.filter(case=case, role=Party.Role.CREDITOR))
    ranks = sorted({p.priority for p in creditors}, key=lambda r: (r is None, r or 0))
    for rank in ranks:
        group = [p for p in creditors if p.priority == rank]
        claims = []
        for p in group:
            claim = (
                p.claim_fen
                if p.claim_fen is not None
                else (case.claim_fen if len(creditors) == 1 else 0)
            )
            claims.append(max(0, claim - _paid_to_party(p.pk)))
        shares = pro_rata(left, claims)
        for p, claim, share in zip(group, claims, shares, strict=True):
            if claim <= 0:
                continue
            seq += 1
            lines.append(
                DistributionLine(
                    plan=plan,
                    seq=seq,
                    kind=L.CREDITOR,
                    party=p,
                    payee_ref=f"party:{p.pk}",
                    payee_name=p.name,
                    priority=rank,
                    claim_fen=claim,
                    amount_fen=share,
                    note="同顺位按比例受偿" if len(group) > 1 else "",
                )
            )
            left -= share
    # (3) The surplus back to the debtor.
    if left > 0:
        debtor = Party.objects.filter(case=case, role=Party.Role.DEBTOR).order_by("pk").first()
        if debtor is not None:
            seq += 1
            lines.append(
                DistributionLine(
                    plan=plan,
                    seq=seq,
                    kind=L.SURPLUS,
                    party=debtor,
                    payee_ref=f"party:{debtor.pk}",
                    payee_name=debtor.name,
                    claim_fen=left,
                    amount_fen=left,
                    note="余款退还",
                )
            )
            left = 0
    DistributionLine.objects.bulk_create(lines)
    audit_record(
        stream=stream(case.pk),
        action="distribution.drafted",
        actor=actor,
        subject=f"plan:{plan.pk}",
        after={
            "available_fen": available,
            "lines": [(x.kind, x.payee_name, x.amount_fen) for x in lines],
            "undistributed_fen": left,
        },
        rules=["FND-06"],
    )
    return plan


# Who a creditor or surplus line pays; a cost line pays a fee or cost account (see below).
_PAYEE: dict[str, str] = {L.CREDITOR: Payout.PayeeKind.CREDITOR, L.SURPLUS: Payout.PayeeKind.DEBTOR}


@transaction.atomic
def distribution_plan_approve(*, plan_id: int, actor: Actor) -> DistributionPlan:
    """The judge or bureau head approves; every line becomes a payout awaiting the chain."""
    plan = locks.plan_for_update(plan_id)
    if plan is None:
        raise NotFound("unknown_plan", _("未找到分配方案"))
    if actor is None or not is_court_staff_of(actor, plan.court_id, roles=APPROVE_ROLES):
        raise PermissionDenied(
            "forbidden", _("只有承办法官或执行局长可以批准分配方案"), rule="FND-06"
        )
    if plan.status != DistributionPlan.Status.DRAFT:
        raise Conflict("plan_not_draft", _("该分配方案已批准或已作废"), rule="FND-06")
    if plan.created_by_id == actor.pk:
        raise PermissionDenied("same_person", _("制作人不能批准自己制作的分配方案"), rule="FND-06")
    for line in plan.lines.select_related("charge").order_by("seq"):
        kind: str
        if line.kind == L.COST and line.charge and advance_reimbursement(line.charge):
            kind = Payout.PayeeKind.CREDITOR  # PRC-17: the creditor's advance repaid
        elif line.kind == L.COST:
            kind = (
                Payout.PayeeKind.FEE
                if line.charge and line.charge.kind in Charge.FEE_KINDS
                else Payout.PayeeKind.COST
            )
        else:
            kind = _PAYEE[line.kind]
        payout_create(
            case_id=plan.case_id,
            payee_kind=kind,
            payee_ref=line.payee_ref,
            payee_name=line.payee_name,
            amount_fen=line.amount_fen,
            purpose=_plan_line_purpose(plan, line),
            idempotency_key=f"plan:{plan.pk}:line:{line.seq}",
            actor=plan.created_by,
            line=line,
            _checked=True,
        )
    plan.status = DistributionPlan.Status.APPROVED
    plan.approved_at = clock.now()
    plan.approved_by = actor
    plan.save(update_fields=["status", "approved_at", "approved_by"])
    # FND-10: accounting and fee settlement are done; each payout now carries its own deadline.
    from core.models import Deadline

    for d in Deadline.objects.filter(
        subject__startswith=f"case:{plan.case_id}/funds:",
        rule_id="FND-10",
        status=Deadline.Status.OPEN,
    ):
        deadline_close(
            subject=d.subject,
            rule_id="FND-10",
            actor=actor,
            reason=f"已制作并批准分配方案 #{plan.pk}",
        )
    audit_record(
        stream=stream(plan.case_id),
        action="distribution.approved",
        actor=actor,
        subject=f"plan:{plan.pk}",
        rules=["FND-06", "FND-10"],
    )
    return plan


def _plan_line_purpose(plan: DistributionPlan, line: DistributionLine) -> str:
    """The payout's purpose as stored: Chinese whatever the actor's language (the approval
    form, the bank memo); ``Payout.purpose_display`` shows it in the reader's language."""
    with translation.override(None):
        kind = str(line.get_kind_display())
    return PLAN_LINE_PURPOSE % {"plan": plan.pk, "seq": line.seq, "kind": kind}
