"""PRC-17 (RPR 33): the creditor advances the inquiry and appraisal fees; the debtor finally
bears them; an insurer's guarantee may replace the advance.

The ledger, step by step:

1. ``fee_advance_receive``: the creditor's cash reaches the case account (bank → case).
   ``fee_advance_guarantee`` records an insurer's guarantee instead (no money moves).
2. ``fee_advance_pay``: a charged inquiry/appraisal fee (``fee_charge``) is paid from the
   advance at once: a fee payout to the firm or platform reserved from the case account, and
   any excess of the advance back to the creditor (a refund payout).
3. ``distribution_plan_draft`` (FND-06) still lists the fee among the costs, paid first out of
   the debtor's proceeds, but to the creditor who advanced it (``advance_reimbursement``): the
   debtor bears the fee, the creditor gets the advance back before any claim. A fee covered
   by a guarantee is paid to the firm in the distribution as before.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound
from core.models import Role
from core.types import Actor
from settlement import ledger
from settlement.models import Charge, FeeAdvance, Payout
from settlement.services._common import case_or_404, require_text, stream
from settlement.services.accounts import case_ledger_account
from settlement.services.payouts import SUBMIT_ROLES, _require_staff, payout_create

#: Who records an advance or a guarantee: the case's officer or judge, or the court's finance.
RECORD_ROLES = (*SUBMIT_ROLES, Role.FINANCE)
F = FeeAdvance.Form
S = FeeAdvance.Status


def _creditor(case_id: int, creditor_ref: str) -> tuple[str, str]:
    """PRC-17: only a creditor of the case advances its fees."""
    from cases.models import Party

    ref = require_text(creditor_ref, "creditor_ref", _("申请执行人"))
    pk = ref.removeprefix("party:")
    party = (
        Party.objects.filter(case_id=case_id, pk=int(pk), role=Party.Role.CREDITOR).first()
        if pk.isdigit()
        else None
    )
    if party is None:
        raise DomainError(
            "not_a_creditor", _("预交询价费、评估费的应为本案申请执行人"), rule="PRC-17"
        )
    return f"party:{party.pk}", party.name


def _kind(kind: str) -> str:
    if kind not in FeeAdvance.Kind.values:
        raise DomainError("invalid_fee_kind", _("预交费用只能是询价费或评估费"), rule="PRC-17")
    return kind


def _create(key: str, **fields: object) -> FeeAdvance:
    try:
        with transaction.atomic():
            return FeeAdvance.objects.create(idempotency_key=key, **fields)
    except IntegrityError:
        return FeeAdvance.objects.get(idempotency_key=key)


@transaction.atomic
def fee_advance_receive(
    *,
    case_id: int,
    kind: str,
    creditor_ref: str,
    amount_fen: int,
    bank_reference: str,
    idempotency_key: str,
    actor: Actor,
) -> FeeAdvance:
    """The creditor's advance of an inquiry or appraisal fee arrives in the case account."""
    key = ledger.ikey("fee_advance", idempotency_key)
    found = FeeAdvance.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    case = case_or_404(case_id)
    person = _require_staff(actor, case.court_id, RECORD_ROLES, _("登记预交费用"))
    kind = _kind(kind)
    ref, name = _creditor(case.pk, creditor_ref)
    ledger.require_amount(amount_fen)
    bank_reference = require_text(bank_reference, "bank_reference", _("银行流水号"))
    advance = _create(
        key,
        court_id=case.court_id,
        case=case,
        kind=kind,
        form=F.CASH,
        creditor_ref=ref,
        creditor_name=name,
        amount_fen=amount_fen,
        status=S.HELD,
        received_at=clock.now(),
        received_by=person,
    )
    ledger.transfer(
        court=case.court_id,
        case=case,
        kind="fee_advance",
        idempotency_key=f"fee_advance:{advance.pk}:receive",
        source=ledger.bank_account(court=case.court_id),
        target=case_ledger_account(case.pk),
        amount_fen=amount_fen,
        external_ref=bank_reference,
        memo=f"{name} 预交{advance.get_kind_display()}"[:300],
        ref=advance.ref,
        actor=person,
    )
    audit_record(
        stream=stream(case.pk),
        action="fee_advance.received",
        actor=person,
        subject=advance.ref,
        after={"kind": kind, "creditor": name, "amount_fen": amount_fen, "form": F.CASH},
        rules=["PRC-17"],
    )
    return advance


@transaction.atomic
def fee_advance_guarantee(
    *,
    case_id: int,
    kind: str,
    creditor_ref: str,
    amount_fen: int,
    insurer: str,
    guarantee_no: str,
    idempotency_key: str,
    actor: Actor,
) -> FeeAdvance:
    """An insurer's guarantee replaces the creditor's cash advance (PRC-17): nothing moves now;
    the fee is paid to the firm among the costs of the distribution."""
    key = ledger.ikey("fee_advance", idempotency_key)
    found = FeeAdvance.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    case = case_or_404(case_id)
    person = _require_staff(actor, case.court_id, RECORD_ROLES, _("登记保险担保"))
    kind = _kind(kind)
    ref, name = _creditor(case.pk, creditor_ref)
    ledger.require_amount(amount_fen)
    insurer = require_text(insurer, "insurer", _("担保保险公司"))
    guarantee_no = require_text(guarantee_no, "guarantee_no", _("保函编号"))
    advance = _create(
        key,
        court_id=case.court_id,
        case=case,
        kind=kind,
        form=F.GUARANTEE,
        creditor_ref=ref,
        creditor_name=name,
        amount_fen=amount_fen,
        insurer=insurer,
        guarantee_no=guarantee_no,
        status=S.GUARANTEED,
        received_at=clock.now(),
        received_by=person,
    )
    audit_record(
        stream=stream(case.pk),
        action="fee_advance.guaranteed",
        actor=person,
        subject=advance.ref,
        after={
            "kind": kind,
            "creditor": name,
            "amount_fen": amount_fen,
            "insurer": insurer,
            "guarantee_no": guarantee_no,
        },
        rules=["PRC-17"],
    )
    return advance


def fee_advance_cover(*, case_id: int, kind: str) -> FeeAdvance | None:
    """PRC-17: the advance (cash still held) or the guarantee that covers the next fee of this
    kind in the case, if any."""
    return (
        FeeAdvance.objects.filter(case_id=case_id, kind=kind, status__in=[S.HELD, S.GUARANTEED])
        .order_by("status", "received_at", "pk")  # cash ("held") before a guarantee
        .first()
    )


@transaction.atomic
def fee_advance_pay(*, charge_id: int, actor: Actor) -> Payout:
    """Pay a charged inquiry/appraisal fee from the creditor's cash advance: a fee payout to the
    payee (reserved from the case account, then the approval chain, FND-12) and the excess
    of the advance, if any, back to the creditor."""
    charge = Charge.objects.select_for_update().filter(pk=charge_id).first()
    if charge is None:
        raise NotFound("unknown_charge", _("未找到该费用"))
    person = _require_staff(actor, charge.court_id, SUBMIT_ROLES, _("以预交款支付费用"))
    if charge.kind not in FeeAdvance.Kind.values:
        raise DomainError(
            "not_an_advanced_fee", _("只有询价费、评估费由申请执行人预交"), rule="PRC-17"
        )
    if FeeAdvance.objects.filter(charge=charge).exists():
        raise Conflict("fee_already_paid", _("该费用已以预交款支付"), rule="PRC-17")
    advance = (
        FeeAdvance.objects.select_for_update()
        .filter(case_id=charge.case_id, kind=charge.kind, status=S.HELD)
        .order_by("received_at", "pk")
        .first()
    )
    if advance is None:
        raise DomainError(
            "no_fee_advance",
            _("申请执行人尚未预交该项费用（有保险担保的，费用在分配时支付）"),
            rule="PRC-17",
        )
    if advance.amount_fen < charge.amount_fen:
        raise DomainError(
            "fee_advance_short",
            _("预交款 %(advance).2f 元不足以支付费用 %(fee).2f 元")
            % {"advance": advance.amount_fen / 100, "fee": charge.amount_fen / 100},
            rule="PRC-17",
        )
    payout = payout_create(
        case_id=charge.case_id,
        payee_kind=Payout.PayeeKind.FEE,
        payee_ref=charge.payee_ref,
        payee_name=charge.payee_name,
        amount_fen=charge.amount_fen,
        purpose=f"以申请执行人预交款支付{charge.get_kind_display()}（PRC-17）",
        idempotency_key=f"{advance.ref}:fee",
        actor=person,
    )
    excess = advance.amount_fen - charge.amount_fen
    if excess > 0:
        payout_create(
            case_id=charge.case_id,
            payee_kind=Payout.PayeeKind.REFUND,
            payee_ref=advance.creditor_ref,
            payee_name=advance.creditor_name,
            amount_fen=excess,
            purpose=f"退还预交{advance.get_kind_display()}余额（PRC-17）",
            idempotency_key=f"{advance.ref}:excess",
            actor=person,
        )
    advance.status, advance.charge, advance.payout = S.APPLIED, charge, payout
    advance.save(update_fields=["status", "charge", "payout"])
    audit_record(
        stream=stream(charge.case_id),
        action="fee_advance.applied",
        actor=person,
        subject=advance.ref,
        before={"status": S.HELD},
        after={
            "status": S.APPLIED,
            "charge": charge.ref,
            "fee_fen": charge.amount_fen,
            "excess_refunded_fen": excess,
        },
        rules=["PRC-17"],
    )
    return payout


def advance_reimbursement(charge: Charge) -> tuple[str, str] | None:
    """For the distribution (FND-06): the creditor to repay, first among the costs, when this
    fee was paid from their cash advance (the debtor bears it, PRC-17); otherwise None."""
    advance = FeeAdvance.objects.filter(charge=charge, status=S.APPLIED).first()
    if advance is None:
        return None
    return advance.creditor_ref, advance.creditor_name


__all__ = [
    "advance_reimbursement",
    "fee_advance_cover",
    "fee_advance_guarantee",
    "fee_advance_pay",
    "fee_advance_receive",
]
