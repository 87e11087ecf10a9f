"""Deposits (保证金): request, hold, release, apply, forfeit (AUC-17, 18, 30, 33, 34, 37).

A deposit is known here only by its registration reference (REC-05): ledger accounts,
statements and audit entries name the reference, never the payer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import clock
from core.audit import audit_record
from core.deadlines import deadline_cancel, deadline_close, deadline_open
from core.errors import Conflict, DomainError, NotFound
from core.events import publish, publish_on_commit
from core.models import Deadline, Role
from core.rulesettings import get_setting
from core.types import Actor
from settlement import ledger, locks
from settlement.events import DepositForfeited, DepositHeld
from settlement.gateway import default_gateway_name, get_gateway
from settlement.models import (
    DepositHold,
    ForfeitSettlement,
    GatewayOperation,
    LedgerAccount,
    PaymentIntent,
    ShortfallClaim,
)
from settlement.services._common import (
    actor_or_none,
    case_or_404,
    is_captured,
    new_reference,
    queue_operation,
    require_text,
    stream,
)
from settlement.services.accounts import case_account_open, case_ledger_account

if TYPE_CHECKING:
    from cases.models import Case

Kind = LedgerAccount.Kind
Op = GatewayOperation.Kind


def deposit_required_fen(*, deposit_fen: int, outstanding_claim_fen: int) -> int:
    """AUC-18: a bidding applicant-creditor pays ``max(0, deposit − outstanding claim)``."""
    ledger.require_amount(deposit_fen, allow_zero=True, field="deposit_fen")
    ledger.require_amount(outstanding_claim_fen, allow_zero=True, field="outstanding_claim_fen")
    return max(0, deposit_fen - outstanding_claim_fen)


def hold_account(case: Case, ref: str) -> LedgerAccount:
    return ledger.account_for(
        court=case.court_id, kind=Kind.DEPOSIT_HOLD, case=case, ref=ref, name=f"竞买保证金 {ref}"
    )


def sale_account(case: Case, sale_ref: str) -> LedgerAccount:
    return ledger.account_for(
        court=case.court_id, kind=Kind.SALE, case=case, ref=sale_ref, name=f"成交价款 {sale_ref}"
    )


def forfeit_account(case: Case, ref: str) -> LedgerAccount:
    return ledger.account_for(
        court=case.court_id,
        kind=Kind.FORFEIT_SUSPENSE,
        case=case,
        ref=ref,
        name=f"没收保证金待处理 {ref}",
    )


def _hold_or_404(ref: str) -> DepositHold:
    hold = locks.deposit_hold_for_update(ref)
    if hold is None:
        raise NotFound("unknown_deposit", _("未找到该报名的保证金记录"), ref=ref)
    return hold


def _hold_locked(ref: str) -> DepositHold:
    hold = locks.deposit_hold_for_update(ref)
    if hold is None:
        raise NotFound("unknown_deposit", _("未找到该保证金记录"), ref=ref)
    return hold


def _intent_of(hold: DepositHold) -> PaymentIntent:
    """The hold's payment intent: ``deposit_request`` creates every hold with one."""
    intent = hold.intent
    if intent is None:
        raise RuntimeError(f"deposit hold {hold.ref} has no payment intent")
    return intent


def _remaining(hold: DepositHold) -> int:
    return hold.amount_fen - hold.applied_fen - hold.forfeited_fen - hold.released_fen


@transaction.atomic
def deposit_request(
    *,
    case_id: int,
    ref: str,
    payer_ref: str,
    payer_name: str,
    amount_fen: int,
    idempotency_key: str,
    mode: str = "authorise",
    currency: str = "CNY",
    actor: Actor = None,
    description: str = "",
    return_url: str = "",
) -> PaymentIntent:
    """Ask the bidder to pay or freeze the deposit (AUC-17); ``pay_url`` is where they do it.

    ``description`` is what the payer sees on the payment page (default: the reference);
    ``return_url`` is where the payment page sends them back to (an http(s) URL or a path).

    When the gateway confirms, the hold is posted and ``DepositHeld`` is published in that
    transaction. ``amount_fen == 0`` (AUC-18 full exemption) posts nothing and publishes
    ``DepositHeld(amount_fen=0)`` at once.
    """
    key = ledger.ikey("deposit_request", idempotency_key)
    found = PaymentIntent.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    ref = require_text(ref, "ref", _("报名引用"))
    payer_ref = require_text(payer_ref, "payer_ref", _("付款人引用"))
    payer_name = require_text(payer_name, "payer_name", _("付款人"))
    ledger.require_amount(amount_fen, allow_zero=True)
    ledger.require_currency(currency)
    if mode not in PaymentIntent.Mode.values:
        raise DomainError(
            "invalid_mode", _("缴纳方式只能是冻结（authorise）或支付（pay）"), mode=mode
        )
    case = case_or_404(case_id)
    case_account_open(case_id=case.pk)
    now = clock.now()
    hold = locks.deposit_hold_for_update(ref)
    if hold is not None:
        if hold.case_id != case.pk:
            raise Conflict("ref_other_case", _("该报名引用已用于其他案件"), ref=ref)
        if hold.status not in (DepositHold.Status.REQUESTED, DepositHold.Status.FAILED):
            raise Conflict(
                "deposit_already_held",
                _("该报名的保证金已缴纳或已处理，不能重复缴纳"),
                rule="AUC-17",
                ref=ref,
            )
    gateway_name = default_gateway_name()
    intent = PaymentIntent(
        reference=new_reference("GVL", case.court_id),
        court_id=case.court_id,
        case=case,
        purpose=PaymentIntent.Purpose.DEPOSIT,
        ref=ref,
        payer_ref=payer_ref,
        payer_name=payer_name,
        amount_fen=amount_fen,
        currency=currency,
        mode=mode,
        gateway=gateway_name,
        return_url=(return_url or "")[:500],
        idempotency_key=key,
        created_at=now,
    )
    if amount_fen == 0:
        intent.status = PaymentIntent.Status.EXEMPT
        intent.confirmed_at = now
    try:
        with transaction.atomic():
            intent.save(force_insert=True)
    except IntegrityError:
        return PaymentIntent.objects.get(idempotency_key=key)
    if hold is None:
        try:
            with transaction.atomic():
                hold = DepositHold.objects.create(
                    ref=ref,
                    court_id=case.court_id,
                    case=case,
                    intent=intent,
                    amount_fen=amount_fen,
                    ledger_account=hold_account(case, ref),
                    created_at=now,
                )
        except IntegrityError as exc:
            raise Conflict(
                "deposit_already_requested", _("该报名的保证金正在办理中"), ref=ref
            ) from exc
    else:
        hold.intent = intent
        hold.amount_fen = amount_fen
        hold.status = DepositHold.Status.REQUESTED
        hold.save(update_fields=["intent", "amount_fen", "status"])
    if amount_fen == 0:
        hold.status = DepositHold.Status.HELD
        hold.held_at = now
        hold.save(update_fields=["status", "held_at"])
    else:
        created = get_gateway(gateway_name).create_payment(
            intent=intent, description=(description or "").strip() or f"竞买保证金 {ref}"
        )
        intent.pay_url = created.pay_url
        intent.save(update_fields=["pay_url"])
    audit_record(
        stream=stream(case.pk),
        action="deposit.requested",
        actor=actor,
        subject=ref,
        after={
            "amount_fen": amount_fen,
            "mode": mode,
            "intent": intent.reference,
            "exempt": amount_fen == 0,
        },
        rules=["AUC-17"] + (["AUC-18"] if amount_fen == 0 else []),
    )
    if amount_fen == 0:
        publish(DepositHeld(case_id=case.pk, ref=ref, amount_fen=0))
    return intent


def deposit_confirmed(intent: PaymentIntent, *, psp_reference: str) -> str:
    """The gateway confirmed a deposit payment: post the hold, publish ``DepositHeld``."""
    hold = locks.deposit_hold_for_update(intent.ref)
    if hold is None:  # pragma: no cover - an intent always has its hold
        raise NotFound("unknown_deposit", _("未找到保证金记录"), ref=intent.ref)
    account = hold.ledger_account
    ledger.transfer(
        court=intent.court_id,
        case=intent.case_id,
        kind="deposit_hold",
        idempotency_key=f"intent:{intent.reference}:confirmed",
        source=ledger.gateway_account(court=intent.court_id, gateway=intent.gateway),
        target=account,
        amount_fen=intent.amount_fen,
        external_ref=psp_reference,
        memo=f"竞买保证金到账 {intent.ref}",
        ref=intent.ref,
    )
    if hold.intent_id == intent.pk and hold.status in (
        DepositHold.Status.REQUESTED,
        DepositHold.Status.FAILED,
    ):
        hold.status = DepositHold.Status.HELD
        hold.held_at = clock.now()
        hold.save(update_fields=["status", "held_at"])
        audit_record(
            stream=stream(intent.case_id),
            action="deposit.held",
            subject=intent.ref,
            after={"amount_fen": intent.amount_fen, "mode": intent.mode},
            rules=["AUC-17"],
        )
        publish(DepositHeld(case_id=intent.case_id, ref=intent.ref, amount_fen=intent.amount_fen))
        return "deposit held"
    # Paid twice, or paid after the registration's deposit was already settled: send it back.
    intent.status = PaymentIntent.Status.REFUSED
    intent.save(update_fields=["status"])
    queue_operation(
        court_id=intent.court_id,
        case_id=intent.case_id,
        kind=Op.REFUND if is_captured(intent) else Op.CANCEL,
        gateway=intent.gateway,
        amount_fen=intent.amount_fen,
        idempotency_key=f"unwanted:{intent.reference}",
        context="unwanted_deposit",
        subject_ref=intent.ref,
        intent=intent,
        source_account=account,
        purpose="重复或迟到的保证金，原路退回",
    )
    audit_record(
        stream=stream(intent.case_id),
        action="deposit.unwanted_payment_returned",
        subject=intent.ref,
        after={"amount_fen": intent.amount_fen, "hold_status": hold.status},
        rules=["AUC-30"],
    )
    return "unwanted deposit payment: returned"


def _release_operation(
    hold: DepositHold, amount_fen: int, *, key: str, context: str, reason: str
) -> GatewayOperation:
    intent = _intent_of(hold)
    return queue_operation(
        court_id=hold.court_id,
        case_id=hold.case_id,
        kind=Op.REFUND if is_captured(intent) else Op.CANCEL,
        gateway=intent.gateway,
        amount_fen=amount_fen,
        idempotency_key=key,
        context=context,
        subject_ref=hold.ref,
        intent=intent,
        source_account=hold.ledger_account,
        purpose=reason,
    )


@transaction.atomic
def deposit_release(
    *, ref: str, reason: str, idempotency_key: str, actor: Actor = None
) -> DepositHold:
    """Refund the deposit or cancel its authorisation (AUC-30); ``DepositReleased`` follows
    when the gateway confirms. A deposit is released once: asking again returns it unchanged."""
    key = ledger.ikey("deposit_release", idempotency_key)
    reason = require_text(reason, "reason", _("退还原因"))
    hold = _hold_or_404(ref)
    if GatewayOperation.objects.filter(idempotency_key=key).exists():
        return hold
    S = DepositHold.Status
    if hold.status in (S.RELEASING, S.RELEASED):
        return hold
    if hold.status in (S.APPLIED, S.FORFEITED):
        raise Conflict(
            "deposit_not_releasable",
            _("该保证金已转作价款或已没收，不能退还"),
            rule="AUC-30",
            ref=ref,
        )
    now = clock.now()
    if hold.status in (S.REQUESTED, S.FAILED) or _remaining(hold) == 0:
        # Nothing was ever held (unpaid, failed, or exempt): close it at once.
        hold.status = S.RELEASED
        hold.released_at = now
        hold.release_reason = reason
        hold.save(update_fields=["status", "released_at", "release_reason"])
        deadline_close(subject=f"case:{hold.case_id}/{ref}", rule_id="AUC-30", actor=actor)
        audit_record(
            stream=stream(hold.case_id),
            action="deposit.released",
            actor=actor,
            subject=ref,
            after={"amount_fen": 0},
            reason=reason,
            rules=["AUC-30"],
        )
        from settlement.events import DepositReleased

        publish_on_commit(DepositReleased(case_id=hold.case_id, ref=ref, amount_fen=0))
        return hold
    amount = _remaining(hold)
    _release_operation(hold, amount, key=key, context="deposit_release", reason=reason)
    hold.status = S.RELEASING
    hold.release_reason = reason
    hold.save(update_fields=["status", "release_reason"])
    audit_record(
        stream=stream(hold.case_id),
        action="deposit.release_requested",
        actor=actor,
        subject=ref,
        after={"amount_fen": amount},
        reason=reason,
        rules=["AUC-30"],
    )
    return hold


@transaction.atomic
def deposit_release_schedule(
    *,
    case_id: int,
    refs: list[str],
    closed_at: dt.datetime,
    hours: int,
    rule_id: str = "AUC-30",
) -> list[Deadline]:
    """Open the refund deadlines (AUC-30: within 24 h of the close, exact hours, REC-03).

    The worker then releases each scheduled deposit still held, well within the deadline.
    """
    case = case_or_404(case_id)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24:
        raise DomainError(
            "refund_hours", _("保证金须在竞价结束后 24 小时内退还"), rule="AUC-30", hours=hours
        )
    if rule_id == "AUC-30" and hours > int(
        get_setting("refund_hours_after_close", court=case.court_id)
    ):
        raise DomainError("refund_hours", _("退还时限超过本院设定"), rule="AUC-30", hours=hours)
    out = []
    for ref in refs:
        subject = f"case:{case.pk}/{ref}"
        existing = Deadline.objects.filter(
            subject=subject, rule_id=rule_id, status=Deadline.Status.OPEN
        ).first()
        d = existing or deadline_open(
            rule_id=rule_id,
            title=gettext_noop("退还竞买保证金"),
            subject=subject,
            start_event="auction_closed",
            started_at=closed_at,
            period=hours,
            unit=Deadline.Unit.HOURS,
            court=case.court_id,
            owner_role=Role.FINANCE,
            alert_only=True,
        )
        hold = locks.deposit_hold_for_update(ref)
        if hold is not None and hold.case_id == case.pk and hold.release_due_at is None:
            hold.release_due_at = d.due_at
            hold.save(update_fields=["release_due_at"])
        out.append(d)
    return out


def releases_run_scheduled(*, limit: int = 200) -> int:
    """Worker: release every scheduled deposit still held (AUC-30)."""
    refs = list(
        DepositHold.objects.filter(release_due_at__isnull=False, status=DepositHold.Status.HELD)
        .order_by("release_due_at")
        .values_list("ref", flat=True)[:limit]
    )
    n = 0
    for ref in refs:
        failed = GatewayOperation.objects.filter(
            subject_ref=ref, context="deposit_release", status=GatewayOperation.Status.FAILED
        ).count()
        if failed >= 3:  # the AUC-30 deadline turns yellow; finance handles it by hand
            continue
        try:
            deposit_release(
                ref=ref,
                reason="竞价结束，退还未成交竞买人保证金（AUC-30）",
                idempotency_key=f"auto:{ref}:{failed}",
            )
            n += 1
        except DomainError:
            continue
    return n


@transaction.atomic
def deposit_apply(
    *, ref: str, sale_ref: str, idempotency_key: str, actor: Actor = None
) -> DepositHold:
    """The winner's deposit counts toward the price (AUC-30): hold → the sale's account.

    A frozen deposit is captured (within 24 h, tracked by a deadline). From here the buyer's
    name may appear on the sale (the winner is revealed after the close, REC-05).
    """
    ledger.ikey("deposit_apply", idempotency_key)
    sale_ref = require_text(sale_ref, "sale_ref", _("成交引用"))
    hold = _hold_or_404(ref)
    S = DepositHold.Status
    if hold.status == S.APPLIED:
        if hold.applied_sale_ref == sale_ref:
            return hold
        raise Conflict("deposit_applied_elsewhere", _("该保证金已转作另一笔成交的价款"), ref=ref)
    if hold.status != S.HELD:
        raise Conflict(
            "deposit_not_held", _("保证金尚未缴纳或已处理，不能转作价款"), rule="AUC-30", ref=ref
        )
    from settlement.models import BalanceDue

    bd = BalanceDue.objects.filter(sale_ref=sale_ref).first()
    if bd is not None and bd.case_id != hold.case_id:
        raise Conflict("sale_other_case", _("成交与保证金不属于同一案件"), sale_ref=sale_ref)
    case = hold.case
    amount = _remaining(hold)
    if amount:
        ledger.transfer(
            court=hold.court_id,
            case=hold.case_id,
            kind="deposit_apply",
            idempotency_key=ledger.ikey("deposit_apply", idempotency_key),
            source=hold.ledger_account,
            target=sale_account(case, sale_ref),
            amount_fen=amount,
            memo=f"保证金转作价款 {ref} → {sale_ref}",
            ref=sale_ref,
            actor=actor_or_none(actor),
        )
    hold.status = S.APPLIED
    hold.applied_sale_ref = sale_ref
    hold.applied_fen = amount
    hold.save(update_fields=["status", "applied_sale_ref", "applied_fen"])
    deadline_close(
        subject=f"case:{hold.case_id}/{ref}",
        rule_id="AUC-30",
        actor=actor,
        reason="买受人保证金转作价款",
    )
    intent = hold.intent
    if amount and intent is not None and not is_captured(intent):
        hours = int(get_setting("winner_deposit_transfer_hours", court=hold.court_id))
        deadline_open(
            rule_id="AUC-30",
            title=gettext_noop("买受人冻结保证金转入法院账户"),
            subject=f"case:{hold.case_id}/{ref}/capture",
            start_event="deposit_applied",
            started_at=clock.now(),
            period=hours,
            unit=Deadline.Unit.HOURS,
            court=hold.court_id,
            owner_role=Role.FINANCE,
        )
        queue_operation(
            court_id=hold.court_id,
            case_id=hold.case_id,
            kind=Op.CAPTURE,
            gateway=intent.gateway,
            amount_fen=amount,
            idempotency_key=f"capture:{intent.reference}",
            context="capture",
            subject_ref=ref,
            intent=intent,
            purpose="买受人保证金扣款转入法院账户",
        )
    audit_record(
        stream=stream(hold.case_id),
        action="deposit.applied",
        actor=actor,
        subject=ref,
        after={"sale_ref": sale_ref, "amount_fen": amount},
        rules=["AUC-30"],
    )
    from settlement.services.balances import sale_try_settle

    sale_try_settle(sale_ref)
    return hold


def _refund_forfeit_remainder(
    hold: DepositHold, *, source: LedgerAccount, rest: int, key: str, ref: str
) -> None:
    """AUC-37: the part of a deposit above what is forfeited goes back on the original payment."""
    if source.pk != hold.ledger_account.pk:
        ledger.transfer(
            court=hold.court_id,
            case=hold.case_id,
            kind="forfeit_remainder",
            idempotency_key=f"{key}:rest",
            source=source,
            target=hold.ledger_account,
            amount_fen=rest,
            memo=f"悔拍超出没收部分退回保证金户 {ref}",
            ref=ref,
        )
    intent = _intent_of(hold)
    queue_operation(
        court_id=hold.court_id,
        case_id=hold.case_id,
        kind=Op.REFUND,
        gateway=intent.gateway,
        amount_fen=rest,
        idempotency_key=f"{key}:refund",
        context="forfeit_remainder",
        subject_ref=ref,
        intent=intent,
        source_account=hold.ledger_account,
        purpose="悔拍超出没收金额部分退还",
    )


@transaction.atomic
def deposit_forfeit(
    *,
    ref: str,
    sale_ref: str,
    reason: str,
    idempotency_key: str,
    actor: Actor = None,
    forfeit_fen: int | None = None,
) -> DepositHold:
    """悔拍: the deposit goes into forfeit suspense (AUC-33); ``DepositForfeited`` informs.

    ``forfeit_fen`` forfeits only part (变卖 full-price prepayment, AUC-37: the announced
    deposit amount) and refunds the rest on the original payment.
    """
    key = ledger.ikey("deposit_forfeit", idempotency_key)
    reason = require_text(reason, "reason", _("没收原因"))
    sale_ref = require_text(sale_ref, "sale_ref", _("成交引用"))
    hold = _hold_or_404(ref)
    S = DepositHold.Status
    if hold.status == S.FORFEITED:
        return hold
    if hold.status == S.HELD:
        source = hold.ledger_account
        available = _remaining(hold)
    elif hold.status == S.APPLIED and hold.applied_sale_ref == sale_ref:
        source = sale_account(hold.case, sale_ref)
        available = hold.applied_fen
    else:
        raise Conflict(
            "deposit_not_forfeitable", _("保证金未缴纳或已退还，不能没收"), rule="AUC-33", ref=ref
        )
    if forfeit_fen is None:
        forfeit_fen = available
    ledger.require_amount(forfeit_fen, allow_zero=True, field="forfeit_fen")
    if forfeit_fen > available:
        raise DomainError(
            "forfeit_above_deposit", _("没收金额超过保证金"), rule="AUC-37", available_fen=available
        )
    intent = hold.intent
    if forfeit_fen:
        ledger.transfer(
            court=hold.court_id,
            case=hold.case_id,
            kind="deposit_forfeit",
            idempotency_key=key,
            source=source,
            target=forfeit_account(hold.case, ref),
            amount_fen=forfeit_fen,
            memo=f"悔拍没收保证金 {ref}",
            ref=ref,
            actor=actor_or_none(actor),
        )
        if intent is not None and not is_captured(intent):
            # A frozen deposit must be captured before the court can keep any of it.
            queue_operation(
                court_id=hold.court_id,
                case_id=hold.case_id,
                kind=Op.CAPTURE,
                gateway=intent.gateway,
                amount_fen=intent.amount_fen,
                idempotency_key=f"capture:{intent.reference}",
                context="capture",
                subject_ref=ref,
                intent=intent,
                purpose="悔拍保证金扣款",
            )
    rest = available - forfeit_fen
    if rest:
        _refund_forfeit_remainder(hold, source=source, rest=rest, key=key, ref=ref)
    if hold.status == S.APPLIED:
        hold.applied_fen = 0
        # AUC-30/33: the sale no longer stands, so its duty to move the winner's frozen deposit
        # toward the price ends here (the capture queued above serves the forfeit instead).
        deadline_cancel(
            subject=f"case:{hold.case_id}/{ref}/capture",
            rule_id="AUC-30",
            actor=actor,
            reason="买受人悔拍，保证金已没收，不再转作价款（AUC-33）",
        )
    hold.status = S.FORFEITED
    hold.forfeited_fen = forfeit_fen
    hold.forfeit_reason = reason
    hold.applied_sale_ref = hold.applied_sale_ref or sale_ref
    hold.save(
        update_fields=[
            "status",
            "forfeited_fen",
            "forfeit_reason",
            "applied_sale_ref",
            "applied_fen",
        ]
    )
    audit_record(
        stream=stream(hold.case_id),
        action="deposit.forfeited",
        actor=actor,
        subject=ref,
        after={"forfeited_fen": forfeit_fen, "refunded_fen": rest, "sale_ref": sale_ref},
        reason=reason,
        rules=["AUC-33"] + (["AUC-37"] if rest else []),
    )
    publish_on_commit(DepositForfeited(case_id=hold.case_id, ref=ref, amount_fen=forfeit_fen))
    return hold


#: What an application of a forfeited deposit records (its audit entry names each part).
_FORFEIT_PARTS = (
    "forfeited_fen",
    "to_costs_fen",
    "to_shortfall_fen",
    "to_debt_fen",
    "to_defaulter_fen",
    "pursued_fen",
)


@transaction.atomic
def deposit_forfeit_settle(
    *,
    ref: str,
    original_price_fen: int,
    resale_price_fen: int | None,
    costs_fen: int = 0,
    idempotency_key: str,
    actor: Actor = None,
    label: str = "",
) -> ForfeitSettlement:
    """Apply a forfeited deposit once the re-auction is known (AUC-33 order, AUC-34 switches).

    (1) auction costs and losses, (2) the re-sale shortfall, then (3)/(4) the debtor's debts
    (into the case account) — unless ``return_forfeit_surplus_to_defaulter`` sends the surplus
    back. With ``pursue_shortfall_from_defaulter``, what the deposit cannot cover is recorded
    as a claim against the defaulter. ``resale_price_fen=None``: no re-sale price, no shortfall.
    """
    key = ledger.ikey("deposit_forfeit_settle", idempotency_key)
    hold = _hold_locked(ref)  # exactly once: concurrent callers serialise on the hold's row
    found = ForfeitSettlement.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    if hold.status != DepositHold.Status.FORFEITED:
        raise Conflict("deposit_not_forfeited", _("该保证金未被没收"), rule="AUC-33", ref=ref)
    if ForfeitSettlement.objects.filter(hold=hold).exists():
        raise Conflict("forfeit_already_settled", _("该没收保证金已处理"), rule="AUC-33", ref=ref)
    ledger.require_amount(original_price_fen, field="original_price_fen")
    if resale_price_fen is not None:
        ledger.require_amount(resale_price_fen, allow_zero=True, field="resale_price_fen")
    ledger.require_amount(costs_fen, allow_zero=True, field="costs_fen")
    court = hold.court_id
    give_back = bool(get_setting("return_forfeit_surplus_to_defaulter", court=court))
    pursue = bool(get_setting("pursue_shortfall_from_defaulter", court=court))
    suspense = forfeit_account(hold.case, ref)
    pot = ledger.balance(suspense)
    shortfall = max(0, original_price_fen - resale_price_fen) if resale_price_fen is not None else 0
    to_costs = min(pot, costs_fen)
    to_shortfall = min(pot - to_costs, shortfall)
    surplus = pot - to_costs - to_shortfall
    to_defaulter = surplus if give_back else 0
    to_debt = surplus - to_defaulter
    pursued = max(0, costs_fen + shortfall - pot) if pursue else 0
    case_acct = case_ledger_account(hold.case_id)
    for part, what, amount in (
        ("costs", "（1）拍卖费用及损失", to_costs),
        ("shortfall", "（2）再次拍卖差价", to_shortfall),
        ("debt", "（3）（4）清偿被执行人债务", to_debt),
    ):
        if amount:
            ledger.transfer(
                court=court,
                case=hold.case_id,
                kind="forfeit_apply",
                idempotency_key=f"{key}:{part}",
                source=suspense,
                target=case_acct,
                amount_fen=amount,
                memo=f"悔拍保证金依 AUC-33 用于{what}{' · ' + label if label else ''}"[:300],
                ref=ref,
                actor=actor_or_none(actor),
            )
    if to_defaulter:
        intent = _intent_of(hold)
        queue_operation(
            court_id=court,
            case_id=hold.case_id,
            kind=Op.REFUND,
            gateway=intent.gateway,
            amount_fen=to_defaulter,
            idempotency_key=f"{key}:surplus",
            context="forfeit_surplus",
            subject_ref=ref,
            intent=intent,
            source_account=suspense,
            purpose="没收保证金扣除费用及差价后余额退还悔拍人（AUC-34）",
        )
    if pursued:
        ShortfallClaim.objects.create(
            court_id=court,
            case_id=hold.case_id,
            ref=ref,
            amount_fen=pursued,
            created_at=clock.now(),
        )
    used = {
        "return_forfeit_surplus_to_defaulter": give_back,
        "pursue_shortfall_from_defaulter": pursue,
    }
    settlement = ForfeitSettlement.objects.create(
        hold=hold,
        original_price_fen=original_price_fen,
        resale_price_fen=resale_price_fen,
        forfeited_fen=pot,
        costs_fen=costs_fen,
        shortfall_fen=shortfall,
        to_costs_fen=to_costs,
        to_shortfall_fen=to_shortfall,
        to_debt_fen=to_debt,
        to_defaulter_fen=to_defaulter,
        pursued_fen=pursued,
        settings_used=used,
        label=label[:300],
        settled_at=clock.now(),
        idempotency_key=key,
    )
    audit_record(
        stream=stream(hold.case_id),
        action="deposit.forfeit_settled",
        actor=actor,
        subject=ref,
        after={f: getattr(settlement, f) for f in _FORFEIT_PARTS} | used,
        rules=["AUC-33", "AUC-34", "FND-06"],
    )
    return settlement


def deposits_capture_expiring(*, limit: int = 100) -> int:
    """Worker: capture a frozen deposit before its authorisation lapses (capture-on-payment fallback)."""
    n = 0
    ids = list(
        PaymentIntent.objects.filter(
            purpose=PaymentIntent.Purpose.DEPOSIT,
            mode=PaymentIntent.Mode.AUTHORISE,
            status=PaymentIntent.Status.AUTHORISED,
            captured_at__isnull=True,
            authorisation_expires_at__isnull=False,
        ).values_list("pk", "court_id", "authorisation_expires_at")[: limit * 5]
    )
    now = clock.now()
    for pk, court_id, expires in ids:
        if expires is None:  # excluded by the query; narrows the type
            continue
        margin = dt.timedelta(hours=int(get_setting("capture_before_expiry_hours", court=court_id)))
        if expires - margin > now:
            continue
        with transaction.atomic():
            intent = locks.intent_for_update(pk)
            hold = DepositHold.objects.filter(
                ref=intent.ref, intent=intent, status=DepositHold.Status.HELD
            ).first()
            if hold is None or is_captured(intent):
                continue
            queue_operation(
                court_id=intent.court_id,
                case_id=intent.case_id,
                kind=Op.CAPTURE,
                gateway=intent.gateway,
                amount_fen=intent.amount_fen,
                idempotency_key=f"capture:{intent.reference}",
                context="capture",
                subject_ref=intent.ref,
                intent=intent,
                purpose="预授权即将到期，转为扣款（退还时原路退款）",
            )
            audit_record(
                stream=stream(intent.case_id),
                action="deposit.capture_before_expiry",
                subject=intent.ref,
                after={"expires_at": expires.isoformat()},
                rules=["AUC-17"],
            )
            n += 1
        if n >= limit:
            break
    return n
