"""Payouts (发放, FND-10..16): officer → bureau head / court leader → finance → bank.

The money is reserved when the payout is created (case account → the payout's payable
account, under the case account's row lock), so two payouts can never overdraw a case. It
leaves the court only when the gateway confirms the transfer. Deferral (FND-11), the panel
decision for third-party payees (FND-13) and escrow (FND-14) are steps of the same record.

Which step may follow which is ``Payout``'s state machine (django-fsm-2): a service asks it
(``can_proceed``) before doing anything, and a step it does not allow is a 409 ``Conflict``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django_fsm import can_proceed

from core import calendar, clock
from core.audit import audit_record
from core.deadlines import deadline_close, deadline_open, deadline_title
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.fsm import fire, require_allowed
from core.models import Deadline, Role, User
from core.notifications import Message, text
from core.permissions import is_court_staff_of
from core.rulesettings import get_setting
from core.types import Actor
from settlement import ledger, locks
from settlement.gateway import default_gateway_name
from settlement.models import (
    GatewayOperation,
    LedgerAccount,
    PanelDecision,
    Payout,
    PayoutApproval,
)
from settlement.services._common import (
    actor_or_none,
    case_or_404,
    queue_operation,
    require_text,
    stream,
)
from settlement.services.accounts import case_ledger_account

K = LedgerAccount.Kind
S = Payout.Status
Step = PayoutApproval.Step

_PAYABLE_KIND = {
    Payout.PayeeKind.CREDITOR: K.CREDITOR_PAYABLE,
    Payout.PayeeKind.DEBTOR: K.DEBTOR_PAYABLE,
    Payout.PayeeKind.FEE: K.FEE_PAYABLE,
    Payout.PayeeKind.COST: K.COST_PAYABLE,
    Payout.PayeeKind.REFUND: K.REFUND_PAYABLE,
    Payout.PayeeKind.THIRD_PARTY: K.THIRD_PARTY_PAYABLE,
}
LEADER_ROLES = (Role.BUREAU_HEAD, Role.JUDGE)
SUBMIT_ROLES = (Role.OFFICER, Role.JUDGE)


def _require_staff(actor: Actor, court_id: int, roles: tuple[str, ...], what: str) -> User:
    """The person signing: one of ``roles``, of the payout's own court (FND-12)."""
    if actor is None or not actor.is_authenticated or actor.role not in roles:
        raise PermissionDenied("forbidden", gettext("无权%(what)s") % {"what": what}, rule="FND-12")
    if not is_court_staff_of(actor, court_id, roles=roles):
        raise PermissionDenied("forbidden", gettext("只能办理本院案件的款项"), rule="FND-12")
    return actor


def leader_role_for(amount_fen: int, court_id: int) -> str:
    """FND-12 ``approval_tiers``: bands ``[{"up_to_fen": N or null, "role": "judge"}, …]``;
    the first band the amount fits names who approves. Empty (single tier): the bureau head."""
    for band in get_setting("approval_tiers", court=court_id) or []:
        up_to = band.get("up_to_fen") if isinstance(band, dict) else None
        role = band.get("role") if isinstance(band, dict) else None
        if role in LEADER_ROLES and (up_to is None or amount_fen <= int(up_to)):
            return role
    return Role.BUREAU_HEAD


def _approval(payout: Payout, step: str, actor: Actor, note: str = "") -> PayoutApproval:
    try:
        with transaction.atomic():
            return PayoutApproval.objects.create(
                payout=payout,
                step=step,
                actor=actor_or_none(actor),
                role=getattr(actor, "role", "") or "system",
                at=clock.now(),
                note=note[:300],
            )
    except IntegrityError as exc:
        raise Conflict(
            "already_approved", gettext("该环节已审批，不能重复审批"), rule="FND-12"
        ) from exc


def _payout_deadline(payout: Payout) -> None:
    """FND-10/16: the payout is due by the earliest open arrival deadline of the case, else
    ``payout_days`` from now; past it, the flag turns yellow and the approver is told."""
    arrival = (
        Deadline.objects.filter(
            subject__startswith=f"case:{payout.case_id}/funds:",
            rule_id="FND-10",
            status=Deadline.Status.OPEN,
        )
        .order_by("due_at")
        .first()
    )
    due = (
        arrival.due_at
        if arrival
        else calendar.within_days(
            clock.now(),
            int(get_setting("payout_days", court=payout.court_id)),
            court=payout.court_id,
        )
    )
    deadline_open(
        rule_id="FND-10",
        title=deadline_title(gettext_noop("发放执行款：%(payee)s"), payee=payout.payee_name),
        subject=f"case:{payout.case_id}/payout:{payout.pk}",
        start_event="payout_created",
        started_at=clock.now(),
        unit=Deadline.Unit.FIXED,
        due_at=due,
        court=payout.court_id,
        owner_role=Role.FINANCE,
    )


@transaction.atomic
def payout_create(
    *,
    case_id: int,
    payee_kind: str,
    payee_ref: str,
    payee_name: str,
    amount_fen: int,
    purpose: str,
    idempotency_key: str,
    actor: Actor,
    payee_account_no: str = "",
    payee_bank: str = "",
    payee_bic: str = "",
    panel_decision_id: int | None = None,
    line: Any = None,
    _checked: bool = False,
) -> Payout:
    """The officer submits a payout; the amount is reserved from the case account at once."""
    key = ledger.ikey("payout_create", idempotency_key)
    found = Payout.objects.filter(idempotency_key=key).first()
    if found is not None:
        return found
    case = case_or_404(case_id)
    if not _checked:
        _require_staff(actor, case.court_id, SUBMIT_ROLES, gettext("提交发放申请"))
    if payee_kind not in Payout.PayeeKind.values:
        raise DomainError("invalid_payee_kind", gettext("收款人类别不正确"), payee_kind=payee_kind)
    payee_ref = require_text(payee_ref, "payee_ref", gettext("收款人引用"))
    payee_name = require_text(payee_name, "payee_name", gettext("收款人"))
    purpose = require_text(purpose, "purpose", gettext("用途"))
    ledger.require_amount(amount_fen)
    panel = None
    if payee_kind == Payout.PayeeKind.THIRD_PARTY and get_setting(
        "third_party_payout_requires_panel", court=case.court_id
    ):
        panel = (
            PanelDecision.objects.filter(pk=panel_decision_id, case=case).first()
            if panel_decision_id
            else None
        )
        if panel is None:
            raise DomainError(
                "panel_decision_required",
                gettext("向申请执行人以外的第三人付款须经合议庭合议"),
                rule="FND-13",
            )
    source = case_ledger_account(case.pk)
    token = uuid.uuid4().hex[:12]
    payable = ledger.account_for(
        court=case.court_id,
        kind=_PAYABLE_KIND[Payout.PayeeKind(payee_kind)],
        case=case,
        ref=f"payout:{token}",
        name=f"{Payout.PayeeKind(payee_kind).label}应付 {payee_name}",
    )
    # Reserve under the case account's row lock: a second payout waits and then sees this one.
    ledger.transfer(
        court=case.court_id,
        case=case,
        kind="payout_reserve",
        idempotency_key=f"{key}:reserve",
        source=source,
        target=payable,
        amount_fen=amount_fen,
        memo=f"发放申请：{payee_name} {purpose}",
        ref=f"payout:{token}",
        actor=actor_or_none(actor),
    )
    payout = Payout.objects.create(
        court_id=case.court_id,
        case=case,
        line=line,
        payee_kind=payee_kind,
        payee_ref=payee_ref,
        payee_name=payee_name,
        payee_account_no=payee_account_no.strip(),
        payee_bank=payee_bank.strip(),
        payee_bic=payee_bic.strip(),
        amount_fen=amount_fen,
        purpose=purpose,
        status=S.PENDING_LEADER,
        leader_role=leader_role_for(amount_fen, case.court_id),
        ledger_account=payable,
        panel_decision=panel,
        idempotency_key=key,
        created_at=clock.now(),
        created_by=actor_or_none(actor),
    )
    _approval(payout, Step.SUBMIT, actor)
    _payout_deadline(payout)
    audit_record(
        stream=stream(case.pk),
        action="payout.submitted",
        actor=actor,
        subject=f"payout:{payout.pk}",
        after={
            "payee": payee_name,
            "kind": payee_kind,
            "amount_fen": amount_fen,
            "purpose": purpose,
            "leader_role": payout.leader_role,
            "panel": panel.pk if panel else None,
        },
        rules=["FND-12"] + (["FND-13"] if panel else []),
    )
    return payout


@transaction.atomic
def panel_decision_record(
    *, case_id: int, subject: str, members: str, decision: str, actor: Actor
) -> PanelDecision:
    """合议庭 decision for a payout to a third party (FND-13)."""
    case = case_or_404(case_id)
    staff = _require_staff(
        actor, case.court_id, (Role.JUDGE, Role.BUREAU_HEAD), gettext("记录合议")
    )
    pd = PanelDecision.objects.create(
        court_id=case.court_id,
        case=case,
        subject=require_text(subject, "subject", gettext("事项")),
        members=require_text(members, "members", gettext("合议庭成员")),
        decision=require_text(decision, "decision", gettext("合议意见")),
        decided_at=clock.now(),
        recorded_by=staff,
    )
    audit_record(
        stream=stream(case.pk),
        action="panel.decided",
        actor=actor,
        subject=f"panel:{pd.pk}",
        after={"subject": pd.subject, "members": pd.members, "decision": pd.decision},
        rules=["FND-13"],
    )
    return pd


def _payout_or_404(payout_id: int | None) -> Payout:
    payout = locks.payout_for_update(payout_id) if payout_id is not None else None
    if payout is None:
        raise NotFound("unknown_payout", gettext("未找到该笔发放"))
    return payout


@transaction.atomic
def payout_set_account(
    *, payout_id: int, account_no: str, bank: str, actor: Actor, bic: str = ""
) -> Payout:
    """The payee's own account (FND-13: pay by transfer to the creditor's own account)."""
    payout = _payout_or_404(payout_id)
    _require_staff(actor, payout.court_id, (*SUBMIT_ROLES, Role.FINANCE), gettext("填写收款账户"))
    if payout.status not in Payout.ACCOUNT_EDITABLE:
        raise Conflict(
            "payout_locked", gettext("该笔发放已付款或已结束，不能修改收款账户"), rule="FND-12"
        )
    before = {"account_no": payout.payee_account_no, "bank": payout.payee_bank}
    payout.payee_account_no = require_text(account_no, "account_no", gettext("收款账号"))
    payout.payee_bank = require_text(bank, "bank", gettext("开户行"))
    payout.payee_bic = (bic or "").strip()
    payout.save(update_fields=["payee_account_no", "payee_bank", "payee_bic"])
    audit_record(
        stream=stream(payout.case_id),
        action="payout.account_set",
        actor=actor,
        subject=f"payout:{payout.pk}",
        before=before,
        after={"account_no": payout.payee_account_no, "bank": payout.payee_bank},
        rules=["FND-12", "FND-13"],
    )
    return payout


def _signers(payout: Payout) -> set[int]:
    return set(
        payout.approvals.filter(step__in=[Step.SUBMIT, Step.LEADER]).values_list(
            "actor_id", flat=True
        )
    )


def _send(payout: Payout) -> GatewayOperation:
    """Finance approved: instruct the bank (the gateway) to pay, with the payout's key."""
    if not payout.payee_account_no or not payout.payee_bank:
        raise DomainError(
            "payee_account_missing", gettext("收款账户信息不全，不能付款"), rule="FND-12"
        )
    if ledger.balance(payout.ledger_account) < payout.amount_fen:
        raise DomainError("insufficient_funds", gettext("应付款余额不足，不能付款"), rule="FND-01")
    attempt = payout.operations.count()
    return queue_operation(
        court_id=payout.court_id,
        case_id=payout.case_id,
        kind=GatewayOperation.Kind.PAYOUT,
        gateway=default_gateway_name(),
        amount_fen=payout.amount_fen,
        idempotency_key=f"{payout.idempotency_key}:pay:{attempt}",
        context="payout",
        subject_ref=f"payout:{payout.pk}",
        payout=payout,
        source_account=payout.ledger_account,
        purpose=f"{payout.purpose}（{payout.payee_name}）",
    )


@transaction.atomic
def payout_approve(*, payout_id: int, actor: Actor, note: str = "") -> Payout:
    """The next signature: the leader (bureau head / court leader, per tier), then finance, who
    sends it to the bank. Signing twice, or out of turn, is refused (FND-12)."""
    payout = _payout_or_404(payout_id)
    refusal = Conflict(
        "payout_not_pending",
        gettext("该笔发放当前不在待审批状态（不能重复审批）"),
        rule="FND-12",
        status=payout.status,
    )
    if can_proceed(payout.approve_as_leader):
        staff = _require_staff(
            actor, payout.court_id, (payout.leader_role, Role.BUREAU_HEAD), gettext("审批该笔发放")
        )
        if staff.pk in _signers(payout):
            raise PermissionDenied(
                "same_person", gettext("提交人不能审批自己提交的发放"), rule="FND-12"
            )
        _approval(payout, Step.LEADER, staff, note)
        fire(payout.approve_as_leader, refusal)
        action = "payout.leader_approved"
    elif can_proceed(payout.approve_as_finance):
        staff = _require_staff(actor, payout.court_id, (Role.FINANCE,), gettext("财务审核"))
        if staff.pk in _signers(payout):
            raise PermissionDenied(
                "same_person", gettext("同一人不能在发放流程中签署两次"), rule="FND-12"
            )
        _approval(payout, Step.FINANCE, staff, note)
        _send(payout)
        fire(payout.approve_as_finance, refusal)
        action = "payout.finance_approved"
    else:
        raise refusal
    payout.save(update_fields=["status"])
    audit_record(
        stream=stream(payout.case_id),
        action=action,
        actor=actor,
        subject=f"payout:{payout.pk}",
        after={"status": payout.status},
        reason=note,
        rules=["FND-12"],
    )
    return payout


@transaction.atomic
def payout_retry(*, payout_id: int, actor: Actor) -> Payout:
    """A failed bank transfer (wrong account, returned) goes again after finance checks it."""
    payout = _payout_or_404(payout_id)
    _require_staff(actor, payout.court_id, (Role.FINANCE,), gettext("重新付款"))
    refusal = Conflict(
        "payout_not_failed", gettext("只有付款失败的款项可以重新付款"), rule="FND-12"
    )
    require_allowed(payout.retry, refusal)
    _send(payout)
    fire(payout.retry, refusal)
    payout.save(update_fields=["status"])
    audit_record(
        stream=stream(payout.case_id),
        action="payout.retried",
        actor=actor,
        subject=f"payout:{payout.pk}",
        rules=["FND-12"],
    )
    return payout


@transaction.atomic
def payout_reject(*, payout_id: int, actor: Actor, reason: str) -> Payout:
    """The leader or finance sends it back: the reserved money returns to the case account."""
    payout = _payout_or_404(payout_id)
    reason = require_text(reason, "reason", gettext("退回理由"))
    refusal = Conflict("payout_not_pending", gettext("该笔发放当前不能退回"), rule="FND-12")
    require_allowed(payout.reject, refusal)
    # Who sends it back: whoever's signature it awaits (the leader, else finance).
    if payout.status == S.PENDING_LEADER:
        _require_staff(
            actor, payout.court_id, (payout.leader_role, Role.BUREAU_HEAD), gettext("退回该笔发放")
        )
    else:
        _require_staff(
            actor, payout.court_id, (Role.FINANCE, Role.BUREAU_HEAD), gettext("退回该笔发放")
        )
    _approval(payout, Step.REJECT, actor, reason)
    ledger.transfer(
        court=payout.court_id,
        case=payout.case_id,
        kind="payout_cancel",
        idempotency_key=f"{payout.idempotency_key}:cancel",
        source=payout.ledger_account,
        target=case_ledger_account(payout.case_id),
        amount_fen=payout.amount_fen,
        memo=f"发放退回：{payout.payee_name} {reason}",
        ref=f"payout:{payout.pk}",
        actor=actor_or_none(actor),
    )
    fire(payout.reject, refusal)
    payout.save(update_fields=["status"])
    deadline_close(
        subject=f"case:{payout.case_id}/payout:{payout.pk}",
        actor=actor,
        status=Deadline.Status.CANCELLED,
        reason=reason,
    )
    audit_record(
        stream=stream(payout.case_id),
        action="payout.rejected",
        actor=actor,
        subject=f"payout:{payout.pk}",
        reason=reason,
        rules=["FND-12"],
    )
    return payout


def payout_paid(op: GatewayOperation) -> None:
    """The bank confirmed the transfer (called from the confirmation path)."""
    payout = _payout_or_404(op.payout_id)
    if payout.status == S.PAID:
        return
    payout.mark_paid()
    payout.paid_at = clock.now()
    payout.save(update_fields=["status", "paid_at"])
    _approval(payout, Step.BANK, None, f"银行流水 {op.psp_reference}")
    deadline_close(subject=f"case:{payout.case_id}/payout:{payout.pk}", reason="已发放")
    from core.documents import document_request

    # The sealed approval sheet (发放审批单), issued by the worker (issue 16).
    document_request(doc_type="settlement.payout_approval", subject=f"payout:{payout.pk}")
    audit_record(
        stream=stream(payout.case_id),
        action="payout.paid",
        subject=f"payout:{payout.pk}",
        after={"amount_fen": payout.amount_fen, "psp": op.psp_reference},
        rules=["FND-10", "FND-16"],
    )
    _notify_payee(
        payout,
        gettext_lazy("【执行款已发放】"),
        text(
            gettext_lazy("执行款 %(amount)s 元已汇至您的账户，请注意查收。"),
            amount=f"{payout.amount_fen / 100:,.2f}",
        ),
    )


def payout_failed(op: GatewayOperation) -> None:
    """The bank refused the transfer, or returned it after confirming (FND-16)."""
    payout = _payout_or_404(op.payout_id)
    if can_proceed(payout.mark_failed):
        payout.mark_failed()
        payout.failure_note = op.last_error[:300]
        payout.paid_at = None
        payout.save(update_fields=["status", "failure_note", "paid_at"])
        audit_record(
            stream=stream(payout.case_id),
            action="payout.failed",
            subject=f"payout:{payout.pk}",
            after={"error": op.last_error},
            rules=["FND-16"],
        )


def _notify_payee(payout: Payout, subject: Message, body: Message) -> None:
    """FND-16: notify the creditor on payout (a party with a user account)."""
    from cases.models import Party
    from core.notifications import notify

    kind, _, pk = payout.payee_ref.partition(":")
    if kind != "party" or not pk.isdigit():
        return
    party = (
        Party.objects.filter(pk=int(pk), case_id=payout.case_id, user__isnull=False)
        .select_related("user")
        .first()
    )
    if party is not None:
        notify(
            user=party.user,
            topic="settlement.payout",
            subject=subject + payout.case.number,
            body=body,
            key=f"payout:{payout.pk}:{payout.status}:{party.user_id}",
            court=payout.court_id,
            legal=True,
        )


# ---- deferral (FND-11) ----------------------------------------------------------------------


@transaction.atomic
def payout_defer_request(*, payout_id: int, reason: str, note: str, actor: Actor) -> Payout:
    """暂缓发放: only on an FND-11 ground, and only once a leader approves it."""
    payout = _payout_or_404(payout_id)
    _require_staff(actor, payout.court_id, SUBMIT_ROLES, gettext("申请暂缓发放"))
    if reason not in Payout.DeferralReason.values:
        raise DomainError(
            "invalid_deferral_reason", gettext("暂缓事由须为规定情形之一"), rule="FND-11"
        )
    if reason == Payout.DeferralReason.OTHER and not (note or "").strip():
        raise DomainError(
            "deferral_note_required", gettext("以其他正当理由暂缓的，须写明理由"), rule="FND-11"
        )
    refusal = Conflict("payout_not_deferrable", gettext("该笔发放当前不能暂缓"), rule="FND-11")
    require_allowed(payout.request_deferral, refusal)
    fire(payout.request_deferral, refusal)  # keeps where it stood (status_before_deferral)
    payout.deferral_reason = reason
    payout.deferral_note = (note or "").strip()[:300]
    payout.save(
        update_fields=["status_before_deferral", "status", "deferral_reason", "deferral_note"]
    )
    _approval(payout, Step.DEFERRAL_REQUEST, actor, payout.deferral_note)
    audit_record(
        stream=stream(payout.case_id),
        action="payout.deferral_requested",
        actor=actor,
        subject=f"payout:{payout.pk}",
        after={"reason": reason, "note": payout.deferral_note},
        rules=["FND-11"],
    )
    return payout


@transaction.atomic
def payout_defer_decide(*, payout_id: int, approve: bool, actor: Actor, note: str = "") -> Payout:
    """The bureau head or court leader approves (or refuses) the deferral (FND-11)."""
    payout = _payout_or_404(payout_id)
    staff = _require_staff(actor, payout.court_id, LEADER_ROLES, gettext("批准暂缓发放"))
    refusal = Conflict("no_deferral_request", gettext("没有待审批的暂缓申请"), rule="FND-11")
    require_allowed(payout.approve_deferral if approve else payout.refuse_deferral, refusal)
    if staff.pk in set(
        payout.approvals.filter(step=Step.DEFERRAL_REQUEST).values_list("actor_id", flat=True)
    ):
        raise PermissionDenied(
            "same_person", gettext("申请人不能批准自己的暂缓申请"), rule="FND-11"
        )
    if approve:
        _approval(payout, Step.DEFERRAL_APPROVE, actor, note)
        fire(payout.approve_deferral, refusal)
        deadline_close(
            subject=f"case:{payout.case_id}/payout:{payout.pk}",
            rule_id="FND-10",
            actor=actor,
            status=Deadline.Status.CANCELLED,
            reason="经批准暂缓发放",
        )
    else:
        _approval(payout, Step.REJECT, actor, note or "不同意暂缓")
        fire(payout.refuse_deferral, refusal)  # back where it stood
    payout.save(update_fields=["status"])
    audit_record(
        stream=stream(payout.case_id),
        action="payout.deferral_" + ("approved" if approve else "refused"),
        actor=actor,
        subject=f"payout:{payout.pk}",
        reason=note,
        rules=["FND-11"],
    )
    return payout


@transaction.atomic
def payout_deferral_end(*, payout_id: int, ended_at: dt.datetime, actor: Actor) -> Payout:
    """The ground ended: the payout resumes and is due within ``deferral_release_days`` (FND-11)."""
    payout = _payout_or_404(payout_id)
    _require_staff(actor, payout.court_id, SUBMIT_ROLES + LEADER_ROLES, gettext("登记暂缓事由消除"))
    refusal = Conflict("payout_not_deferred", gettext("该笔发放未处于暂缓状态"), rule="FND-11")
    require_allowed(payout.end_deferral, refusal)
    fire(payout.end_deferral, refusal)  # back where it stood (else to finance)
    payout.deferral_ended_at = ended_at
    payout.save(update_fields=["status", "deferral_ended_at"])
    _approval(payout, Step.DEFERRAL_END, actor)
    deadline_open(
        rule_id="FND-11",
        title=deadline_title(
            gettext_noop("暂缓事由消除后发放：%(payee)s"), payee=payout.payee_name
        ),
        subject=f"case:{payout.case_id}/payout:{payout.pk}",
        start_event="deferral_ended",
        started_at=ended_at,
        period=int(get_setting("deferral_release_days", court=payout.court_id)),
        unit=Deadline.Unit.CALENDAR_DAYS,
        court=payout.court_id,
        owner_role=Role.FINANCE,
    )
    audit_record(
        stream=stream(payout.case_id),
        action="payout.deferral_ended",
        actor=actor,
        subject=f"payout:{payout.pk}",
        after={"ended_at": ended_at.isoformat()},
        rules=["FND-11"],
    )
    return payout


# ---- escrow (FND-14) -----------------------------------------------------------------------


@transaction.atomic
def payout_escrow(
    *,
    payout_id: int,
    ground: str,
    evidence: str,
    escrow_body: str,
    fee_fen: int,
    actor: Actor,
) -> Payout:
    """提存: when the money cannot be paid in time, approved with evidence; the escrow fee is
    borne by the creditor and deducted (``escrow_fee_borne_by_creditor``), else by the case."""
    payout = _payout_or_404(payout_id)
    _require_staff(actor, payout.court_id, LEADER_ROLES, gettext("批准提存"))
    if ground not in Payout.EscrowGround.values:
        raise DomainError(
            "invalid_escrow_ground", gettext("提存事由须为规定情形之一"), rule="FND-14"
        )
    evidence = require_text(evidence, "evidence", gettext("提存证据"))
    escrow_body = require_text(escrow_body, "escrow_body", gettext("提存机构"))
    ledger.require_amount(fee_fen, allow_zero=True, field="fee_fen")
    refusal = Conflict("payout_not_escrowable", gettext("该笔发放当前不能提存"), rule="FND-14")
    require_allowed(payout.escrow, refusal)
    borne_by_creditor = bool(get_setting("escrow_fee_borne_by_creditor", court=payout.court_id))
    if borne_by_creditor and fee_fen >= payout.amount_fen:
        raise DomainError("escrow_fee_too_high", gettext("提存费不得超过提存金额"), rule="FND-14")
    _approval(payout, Step.ESCROW, actor, f"{ground}：{evidence}")
    escrow = ledger.account_for(
        court=payout.court_id,
        kind=K.ESCROW,
        case=payout.case_id,
        ref=f"payout:{payout.pk}",
        name=f"提存款 {payout.payee_name}",
    )
    fee_account = ledger.account_for(
        court=payout.court_id,
        kind=K.ESCROW,
        case=payout.case_id,
        ref=f"payout:{payout.pk}/fee",
        name=f"提存费 {escrow_body}",
    )
    key = f"{payout.idempotency_key}:escrow"
    legs = [ledger.Leg(payout.ledger_account, -payout.amount_fen)]
    if borne_by_creditor:
        legs.append(ledger.Leg(escrow, payout.amount_fen - fee_fen))
    else:
        legs.append(ledger.Leg(escrow, payout.amount_fen))
        if fee_fen:
            legs.append(ledger.Leg(case_ledger_account(payout.case_id), -fee_fen))
    if fee_fen:
        legs.append(ledger.Leg(fee_account, fee_fen))
    ledger.post(
        court=payout.court_id,
        case=payout.case_id,
        kind="escrow",
        idempotency_key=key,
        legs=legs,
        memo=f"提存：{payout.payee_name}，提存机构 {escrow_body}",
        ref=f"payout:{payout.pk}",
        actor=actor_or_none(actor),
    )
    fire(payout.escrow, refusal)
    payout.escrow_ground = ground
    payout.escrow_evidence = evidence[:300]
    payout.escrow_body = escrow_body[:200]
    payout.escrow_fee_fen = fee_fen
    payout.escrowed_at = clock.now()
    payout.save(
        update_fields=[
            "status",
            "escrow_ground",
            "escrow_evidence",
            "escrow_body",
            "escrow_fee_fen",
            "escrowed_at",
        ]
    )
    deadline_close(
        subject=f"case:{payout.case_id}/payout:{payout.pk}", actor=actor, reason="已提存"
    )
    audit_record(
        stream=stream(payout.case_id),
        action="payout.escrowed",
        actor=actor,
        subject=f"payout:{payout.pk}",
        after={
            "ground": ground,
            "evidence": evidence,
            "body": escrow_body,
            "fee_fen": fee_fen,
            "fee_borne_by_creditor": borne_by_creditor,
        },
        rules=["FND-14"],
    )
    _notify_payee(
        payout,
        gettext_lazy("【执行款已提存】"),
        text(
            gettext_lazy("执行款已提存于%(escrow)s，提存费 %(fee)s 元。"),
            escrow=escrow_body,
            fee=f"{fee_fen / 100:,.2f}",
        ),
    )
    return payout
