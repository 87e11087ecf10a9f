"""Appraisal fees (PRC-16, PRC-17), settled once the sale outcome is known.

Basis (PRC-16): unsold → actual costs (the firm declares them with ``costs_declare``); sold at
or above the appraisal value → the fee on the appraisal value; sold below → the fee on the sale
price; withdrawn → actual costs; a reissue (PRC-12) → 30% of the original fee; a replaced firm
(APR-09, APR-13) → nothing. The fee on a value follows the court's ``appraisal_fee_schedule``
(cumulative bands: an engine default, see docs/appraisers.md). Each fee is charged to the case
through ``settlement.services.fee_charge``; the creditor advances it and the debtor finally bears
it (PRC-17), which is settlement's ledger.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisers.models import AppraisalFee, AppraisalRequest, Commission
from appraisers.services._common import audit, firm_users, notify_many
from appraisers.services.commission import _lock, require_firm_user
from appraisers.services.selection import link
from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.models import Court
from core.money import ratio_of, yuan
from core.notifications import text as message_text
from core.rulesettings import get_setting
from core.types import Actor

OUTCOMES = ("sold", "unsold", "withdrawn")
B = AppraisalFee.Basis


def fee_on_value(
    value_fen: int, *, court: Court | int | None = None, schedule: list[list[Any]] | None = None
) -> int:
    """The fee on a value by the cumulative band table ``[[upper_yuan | None, rate], …]`` (JSON)."""
    bands = schedule if schedule is not None else get_setting("appraisal_fee_schedule", court=court)
    total = Decimal(0)
    lower = 0
    for upper_yuan, rate in bands:
        upper = None if upper_yuan is None else int(upper_yuan) * 100
        top = value_fen if upper is None else min(value_fen, upper)
        if top > lower:
            total += Decimal(top - lower) * Decimal(str(rate))
        if upper is None or value_fen <= upper:
            break
        lower = upper
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _actual(c: Commission) -> tuple[AppraisalFee.Basis, int | None, int, str]:
    if c.actual_costs_fen is None:
        return B.ACTUAL_COSTS, None, 0, "按实际支出费用计收；机构未申报实际费用，暂按 0 元"
    return B.ACTUAL_COSTS, c.actual_costs_fen, c.actual_costs_fen, "按机构申报的实际支出费用计收"


def _original_fee(
    c: Commission, *, outcome: str, sale_price_fen: int | None, appraisal_value_fen: int
) -> tuple[AppraisalFee.Basis, int | None, int, str]:
    if outcome == "sold":
        if sale_price_fen is None:  # never: appraisal_fee_settle requires it for a sale
            raise DomainError("sale_price_required", _("成交须提供成交价"), rule="PRC-16")
        if sale_price_fen >= appraisal_value_fen:
            amount = fee_on_value(appraisal_value_fen, court=c.court_id)
            return (
                B.APPRAISAL_VALUE,
                appraisal_value_fen,
                amount,
                f"成交价不低于评估价，按评估价 {yuan(appraisal_value_fen)} 元计费",
            )
        amount = fee_on_value(sale_price_fen, court=c.court_id)
        return (
            B.SALE_PRICE,
            sale_price_fen,
            amount,
            f"成交价低于评估价，按成交价 {yuan(sale_price_fen)} 元计费",
        )
    return _actual(c)


@transaction.atomic
def appraisal_fee_settle(
    *, procedure_ref: str, outcome: str, sale_price_fen: int | None = None, actor: Actor = None
) -> list[AppraisalFee]:
    """Compute every firm's fee for this appraisal and charge it to the case (contract, PRC-16).

    Idempotent: the same call again returns the fees already computed; a different outcome is
    refused.
    """
    if outcome not in OUTCOMES:
        raise DomainError(
            "invalid_outcome", _("处置结果应为 sold、unsold 或 withdrawn"), rule="PRC-16"
        )
    if outcome == "sold":
        if sale_price_fen is None or int(sale_price_fen) <= 0:
            raise DomainError("sale_price_required", _("成交须提供成交价"), rule="PRC-16")
        sale_price_fen = int(sale_price_fen)
    else:
        sale_price_fen = None
    req = AppraisalRequest.objects.select_for_update().filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", _("评估申请不存在"))
    existing = list(req.fees.order_by("pk"))
    if existing:
        first = existing[0]
        if first.outcome != outcome or first.sale_price_fen != sale_price_fen:
            raise Conflict("fee_already_settled", _("评估费已按其他处置结果结算"), rule="PRC-16")
        return existing
    finals = list(
        req.commissions.filter(state=Commission.State.FINAL).order_by("finalized_at", "pk")
    )
    if outcome == "sold" and not finals:
        raise DomainError(
            "no_fixed_result", _("评估结果尚未确定，不能按成交结算评估费"), rule="PRC-16"
        )
    appraisal_value = 0
    if finals:
        final_report = finals[-1].current_report()
        if final_report is None:  # never: a fixed result is a report
            raise DomainError("no_fixed_result", _("评估结果尚未确定"), rule="PRC-16")
        appraisal_value = final_report.amount_fen
    now = clock.now()
    fees: list[AppraisalFee] = []
    original_amounts: dict[int, int] = {}
    commissions = list(req.commissions.select_related("firm").order_by("offered_at", "pk"))
    # Originals first, so a reissue can take 30% of its original's fee.
    commissions.sort(key=lambda c: (c.kind == Commission.Kind.REISSUE, c.offered_at, c.pk))
    S = Commission.State
    for c in commissions:
        if c.state in (S.LATE, S.REPLACED):
            rule = "APR-09" if c.state == S.LATE else "APR-13"
            basis, basis_fen, amount, text = (
                B.NONE,
                None,
                0,
                f"机构已被更换，不支付评估费（{rule}、PRC-16）",
            )
        elif c.state == S.DECLINED or (c.state == S.CANCELLED and c.accepted_at is None):
            basis, basis_fen, amount, text = B.NONE, None, 0, "未接受委托或未开展评估"
        elif c.kind == Commission.Kind.REISSUE:
            original = original_amounts.get(c.reissue_of_id, 0) if c.reissue_of_id else 0
            ratio = get_setting("reissue_fee_ratio", court=c.court_id)
            basis, basis_fen = B.REISSUE, original
            amount = ratio_of(original, ratio)
            text = f"重新出具报告，按原评估费 {yuan(original)} 元的 {Decimal(ratio) * 100:.0f}% 计收（PRC-12、PRC-16）"
        elif c.state == S.FINAL:
            basis, basis_fen, amount, text = _original_fee(
                c,
                outcome=outcome,
                sale_price_fen=sale_price_fen,
                appraisal_value_fen=appraisal_value,
            )
        else:
            # Withdrawn (or ended) while the firm was working: its actual costs (PRC-16).
            basis, basis_fen, amount, text = _actual(c)
        if c.kind == Commission.Kind.ORIGINAL:
            original_amounts[c.pk] = amount
        fee = AppraisalFee.objects.create(
            request=req,
            commission=c,
            firm=c.firm,
            outcome=outcome,
            sale_price_fen=sale_price_fen,
            basis=basis,
            basis_fen=basis_fen,
            amount_fen=amount,
            explanation=text[:300],
            status=AppraisalFee.Status.NONE if amount == 0 else AppraisalFee.Status.CHARGED,
            computed_at=now,
        )
        if amount > 0:
            _charge(req, fee, actor=actor)
        fees.append(fee)
        audit(
            req,
            action="fee.computed",
            actor=actor,
            subject=f"{c.subject}/fee:{fee.pk}",
            after={
                "firm": c.firm_id,
                "basis": basis,
                "basis_fen": basis_fen,
                "amount_fen": amount,
                "outcome": outcome,
                "sale_price_fen": sale_price_fen,
            },
            reason=text,
            rules=["PRC-16", "PRC-17"],
        )
        notify_many(
            firm_users(c.firm),
            topic="appraisal.fee",
            subject=gettext_lazy("评估费结算"),
            body=message_text(
                gettext_lazy("%(case)s：%(explanation)s，金额 %(amount)s 元。"),
                case=req.case.number,
                # The stored explanation, in the reader's language where it is a fixed phrase.
                explanation=message_text(text),
                amount=yuan(amount),
            ),
            key=f"fee:{fee.pk}",
            link=link("firm_fees"),
            court=req.court,
            legal=False,
        )
    return fees


def _charge(req: AppraisalRequest, fee: AppraisalFee, *, actor: Actor) -> None:
    """Charge the fee to the case account through settlement (contract: ``fee_charge``)."""
    from settlement.services import fee_charge

    ref = f"{req.procedure_ref}/appraisal_fee:{fee.commission_id}"
    fee_charge(
        case_id=req.case_id,
        ref=ref,
        kind="appraisal_fee",
        amount_fen=fee.amount_fen,
        payee_ref=fee.firm.ref,
        payee_name=fee.firm.name,
        idempotency_key=f"appraisers:fee:{fee.commission_id}",
        actor=actor,
    )
    fee.charge_ref, fee.charged_at = ref, clock.now()
    fee.save(update_fields=["charge_ref", "charged_at"])


@transaction.atomic
def appraisal_fee_mark_paid(
    *, fee: AppraisalFee, payment_reference: str, actor: Actor
) -> AppraisalFee:
    """Court finance records that the firm was paid (shown on the firm's fee statement)."""
    fee = AppraisalFee.objects.select_for_update().get(pk=fee.pk)
    if fee.status != AppraisalFee.Status.CHARGED:
        raise DomainError("not_payable", _("该评估费无需支付或已支付"))
    if not (payment_reference or "").strip():
        raise DomainError("reference_required", _("须登记支付凭证号"))
    fee.status, fee.paid_at, fee.payment_reference = (
        AppraisalFee.Status.PAID,
        clock.now(),
        payment_reference.strip(),
    )
    fee.save(update_fields=["status", "paid_at", "payment_reference"])
    audit(
        fee.request,
        action="fee.paid",
        actor=actor,
        subject=f"{fee.commission.subject}/fee:{fee.pk}",
        after={"amount_fen": fee.amount_fen, "reference": fee.payment_reference},
        rules=["PRC-16"],
    )
    return fee


# --- the declared costs ---------------------------------------------------------------------


@transaction.atomic
def costs_declare(
    *, commission: Commission, amount_fen: int, note: str, actor: Actor
) -> Commission:
    """The firm declares its actual costs: the fee when unsold or withdrawn (PRC-16)."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if hasattr(c, "fee"):
        raise DomainError("fee_settled", _("评估费已结算，不能再申报"))
    if amount_fen is None or int(amount_fen) < 0:
        raise DomainError("invalid_amount", _("实际费用不能为负"))
    before = c.actual_costs_fen
    c.actual_costs_fen, c.actual_costs_note = int(amount_fen), (note or "")[:300]
    c.save(update_fields=["actual_costs_fen", "actual_costs_note"])
    audit(
        c.request,
        action="commission.costs_declared",
        actor=actor,
        subject=c.subject,
        before={"actual_costs_fen": before},
        after={"actual_costs_fen": c.actual_costs_fen},
        reason=note,
        rules=["PRC-16"],
    )
    return c
