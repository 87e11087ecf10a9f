"""The procedure per asset: open, PRC-02 checks, the PRC-03 cascade, fixing, PRC-11..14, 19, 20.

Every service is keyword-only, runs in one transaction and writes its audit entry to the
case's stream. Which next step is lawful is decided in one place, ``lawful_next_steps``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.models import Asset, Party
from core import calendar, clock
from core.audit import audit_record
from core.deadlines import deadline_cancel, deadline_close, deadline_open
from core.errors import Conflict, DomainError, NotFound
from core.events import publish_on_commit
from core.models import Deadline
from core.notifications import Message, text
from core.rulesettings import get_setting, settings_snapshot
from core.types import Actor
from pricing.events import ReferencePriceFixed
from pricing.models import Inquiry, Method, PricingProcedure, PricingStep, ReferencePrice
from pricing.models.procedure import FIXED_REASON

if TYPE_CHECKING:  # appraisers is imported where it is used: pricing runs without it
    from appraisers.models import AppraisalRequest

log = logging.getLogger("gavel.pricing")
State = PricingProcedure.State

CHECK_TOPICS = {
    "title": "权属状况",
    "encumbrances": "权利负担",
    "possession": "占有使用情况",
    "arrears": "欠缴税费",
    "defects": "瑕疵",
}
SETTING_KEYS = [
    "pricing_start_days_after_seizure",
    "inquiry_correction_days",
    "inquiry_reissue_days",
    "report_delivery_days",
    "mean_rounding",
    "result_validity_max_months",
    "validity_grace_months",
    "sale_start_days_after_price",
    "late_count_window",
    "allow_pricing_skip",
]
MAX_PLAUSIBLE_FEN = 10**14  # 1 万亿元: a price above this is a data error, not an asset
SUSPEND_GROUNDS = {
    "enforcement_suspended": gettext_noop("执行中止"),
    "enforcement_halted": gettext_noop("执行终结或暂缓"),
    "materials_wrong": gettext_noop("财产材料严重错误"),
}
WITHDRAW_GROUNDS_MUST = {
    "creditor_withdrew": gettext_noop("申请执行人撤回执行申请"),
    "debt_performed": gettext_noop("被执行人全部履行"),
    "title_set_aside": gettext_noop("执行依据被撤销或不予执行"),
}
WITHDRAW_GROUNDS_MAY = {
    "parties_agreed_price": gettext_noop("当事人协商一致确定价格"),
    "parties_agreed_not_to_sell": gettext_noop("当事人协商一致不再处置"),
}
SKIP_GROUNDS = {
    "low_value": gettext_noop("财产价值较低"),
    "easily_priced": gettext_noop("价格依照通常方法容易确定"),
    "parties_request": gettext_noop("当事人双方及其他执行债权人申请不进行定价"),
}


# --------------------------------------------------------------------------- helpers
def _setting(procedure: PricingProcedure, key: str) -> Any:
    return get_setting(key, court=procedure.court_id, snapshot=procedure.settings_snapshot or None)


def _lock(procedure: PricingProcedure | int) -> PricingProcedure:
    pk = procedure if isinstance(procedure, int) else procedure.pk
    try:
        return (
            PricingProcedure.objects.select_for_update().select_related("asset", "case").get(pk=pk)
        )
    except PricingProcedure.DoesNotExist as exc:
        raise NotFound("procedure_not_found", _("定价程序不存在")) from exc


def _audit(
    procedure: PricingProcedure,
    action: str,
    *,
    actor: Actor = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: tuple[str, ...] = (),
) -> None:
    audit_record(
        stream=procedure.stream,
        action=f"pricing.{action}",
        actor=actor,
        subject=procedure.ref,
        before=before,
        after=after,
        reason=reason,
        rules=rules,
    )


def _current_step(procedure: PricingProcedure) -> PricingStep | None:
    return procedure.steps.order_by("-started_at", "-pk").first()


def _end_step(step: PricingStep, outcome: str, reason: str) -> None:
    step.outcome = outcome
    step.outcome_reason = reason
    step.ended_at = clock.now()
    step.save(update_fields=["outcome", "outcome_reason", "ended_at"])


def _parties(
    procedure: PricingProcedure, roles: tuple[str, ...] = ("creditor", "debtor")
) -> list[Party]:
    return list(Party.objects.filter(case_id=procedure.case_id, role__in=roles).order_by("pk"))


def _notify_parties(
    procedure: PricingProcedure, *, topic: str, subject: Message, body: Message, key: str
) -> None:
    from core.notifications import notify

    for party in Party.objects.filter(case_id=procedure.case_id).exclude(user__isnull=True):
        notify(
            user=party.user,
            topic=topic,
            subject=subject,
            body=body,
            key=f"{key}:party:{party.pk}",
            link=f"/pricing/party/{procedure.pk}/",
            court=procedure.court_id,
            legal=True,
        )


def check_amount(amount_fen: object, *, what: str = "价格") -> int:
    """A price must be a positive whole number of fen and plausible for an asset."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise DomainError("invalid_amount", _("%(what)s必须为整数（分）") % {"what": what})
    if amount_fen <= 0:
        raise DomainError("non_positive_price", _("%(what)s必须大于零") % {"what": what})
    if amount_fen > MAX_PLAUSIBLE_FEN:
        raise DomainError(
            "implausible_price", _("%(what)s超出合理范围（高于一万亿元），请核对") % {"what": what}
        )
    return amount_fen


def procedure_for_asset(asset_id: int) -> PricingProcedure | None:
    """The asset's live procedure (not withdrawn), if any."""
    return PricingProcedure.objects.filter(asset_id=asset_id).exclude(state=State.WITHDRAWN).first()


# --------------------------------------------------------------------------- open and checks
@transaction.atomic
def procedure_open(*, asset: Asset, actor: Actor = None) -> PricingProcedure:
    """Start pricing an asset; this meets the PRC-01 deadline opened at the seizure."""
    asset = Asset.objects.select_related("case").get(pk=asset.pk)
    if procedure_for_asset(asset.pk) is not None:
        raise Conflict("procedure_exists", _("该财产已有进行中的定价程序"))
    if asset.case.status != "open":
        raise DomainError("case_not_open", _("案件不在执行中，不能启动定价"), rule="PRC-14")
    now = clock.now()
    court = asset.case.court_id
    proc = PricingProcedure.objects.create(
        court_id=court,
        case_id=asset.case_id,
        asset=asset,
        opened_at=now,
        opened_by=actor if getattr(actor, "pk", None) else None,
        settings_snapshot=settings_snapshot(court=court, keys=SETTING_KEYS),
    )
    closed = deadline_close(
        subject=proc.subject, rule_id="PRC-01", actor=actor, reason="定价程序已启动"
    )
    _audit(
        proc,
        "opened",
        actor=actor,
        after={"state": proc.state, "prc01_closed": closed},
        rules=("PRC-01",),
    )
    _notify_parties(
        proc,
        topic="pricing.started",
        subject=text(gettext_lazy("【定价启动】%(asset)s"), asset=asset.name),
        body=text(gettext_lazy("法院已启动对“%(asset)s”的参考价确定程序。"), asset=asset.name),
        key=f"pricing:{proc.pk}:started",
    )
    return proc


@transaction.atomic
def procedure_record_checks(
    *,
    procedure: PricingProcedure,
    checks: dict[str, str],
    has_tax_base_or_gov_price: bool,
    online_feasible: bool,
    needs_site_inspection: bool,
    law_requires_appraisal: bool,
    actor: Actor = None,
) -> PricingProcedure:
    """PRC-02: title, encumbrances, possession and use, unpaid taxes and fees, defects — each recorded."""
    proc = _lock(procedure)
    missing = [label for key, label in CHECK_TOPICS.items() if not str(checks.get(key, "")).strip()]
    if missing:
        raise DomainError(
            "checks_incomplete",
            _("定价前须核查并记录：%(missing)s") % {"missing": "、".join(missing)},
            rule="PRC-02",
        )
    if proc.state != State.OPENED:
        raise Conflict("checks_already_recorded", _("核查已记录"), rule="PRC-02")
    proc.checks = {k: str(checks[k]).strip() for k in CHECK_TOPICS}
    proc.checks_recorded_at = clock.now()
    proc.has_tax_base_or_gov_price = bool(has_tax_base_or_gov_price)
    proc.online_feasible = bool(online_feasible)
    proc.needs_site_inspection = bool(needs_site_inspection)
    proc.law_requires_appraisal = bool(law_requires_appraisal)
    proc.record_checks()
    proc.save()
    _audit(
        proc,
        "checks_recorded",
        actor=actor,
        after={
            "checks": proc.checks,
            "has_tax_base_or_gov_price": proc.has_tax_base_or_gov_price,
            "online_feasible": proc.online_feasible,
            "needs_site_inspection": proc.needs_site_inspection,
            "law_requires_appraisal": proc.law_requires_appraisal,
        },
        rules=("PRC-02",),
    )
    return proc


# --------------------------------------------------------------------------- the PRC-03 cascade
@dataclass(frozen=True)
class NextStep:
    method: str
    reason_code: str
    reason: str
    needs_joint_request: bool = False


def _online_possible(proc: PricingProcedure) -> bool:
    return proc.online_feasible and not proc.needs_site_inspection


def _after(proc: PricingProcedure, method: str) -> NextStep:
    """The one step PRC-03 requires after ``method`` failed (the cascade's "must")."""
    order: list[str] = [
        Method.PARTY_AGREEMENT,
        Method.DIRECTED_INQUIRY,
        Method.ONLINE_INQUIRY,
        Method.APPRAISAL,
    ]
    for nxt in order[order.index(method) + 1 :]:
        if nxt == Method.DIRECTED_INQUIRY and proc.has_tax_base_or_gov_price:
            return NextStep(
                nxt, "cascade_directed", "议价不成，财产有计税基准价或政府定价/指导价，应定向询价"
            )
        if nxt == Method.ONLINE_INQUIRY and _online_possible(proc):
            return NextStep(
                nxt, "cascade_online", f"{Method(method).label}未能确定参考价，具备网络询价条件"
            )
        if nxt == Method.APPRAISAL:
            why = (
                "网络询价未成功"
                if method == Method.ONLINE_INQUIRY
                else "不具备网络询价条件（需现场勘验或专业鉴定，或无法询价）"
            )
            return NextStep(nxt, "cascade_appraisal", f"{why}，应委托评估")
    raise AssertionError(method)


def lawful_next_steps(procedure: PricingProcedure) -> list[NextStep]:
    """PRC-03: every step the court may take now, each with its reason (the rest is refused)."""
    proc = procedure
    if proc.state in (State.OPENED,):
        return []
    if proc.law_requires_appraisal and proc.state in (
        State.CHECKED,
        State.PARTY_AGREEMENT,
        State.DIRECTED_INQUIRY,
    ):
        return [NextStep(Method.APPRAISAL, "law_requires", "法律、行政法规规定须委托评估")]
    joint_appraisal = NextStep(
        Method.APPRAISAL,
        "parties_request_appraisal",
        "当事人双方申请委托评估",
        needs_joint_request=True,
    )
    if proc.state == State.CHECKED:
        steps = [NextStep(Method.PARTY_AGREEMENT, "cascade_first", "依序首先由当事人议价")]
        if proc.has_tax_base_or_gov_price:
            steps.append(
                NextStep(
                    Method.DIRECTED_INQUIRY,
                    "parties_skip_to_directed",
                    "当事人双方一致要求直接定向询价，且具备定向询价条件",
                    needs_joint_request=True,
                )
            )
        if _online_possible(proc):
            steps.append(
                NextStep(
                    Method.ONLINE_INQUIRY,
                    "parties_skip_to_online",
                    "当事人双方一致要求直接网络询价，且具备网络询价条件",
                    needs_joint_request=True,
                )
            )
        steps.append(joint_appraisal)
        return steps
    if proc.state in CASCADE_RUNNING:
        step = _current_step(proc)
        if step is None or step.outcome == PricingStep.Outcome.RUNNING:
            # While a step runs, only both parties asking for appraisal may cut it short.
            return (
                [joint_appraisal]
                if proc.state in (State.PARTY_AGREEMENT, State.DIRECTED_INQUIRY)
                else []
            )
        if step.outcome == PricingStep.Outcome.FAILED:
            if step.method == Method.APPRAISAL:
                return [
                    NextStep(Method.APPRAISAL, "appraisal_again", "委托评估未成功，重新委托评估")
                ]
            nxt = _after(proc, step.method)
            steps = [nxt]
            if nxt.method != Method.APPRAISAL and proc.state != State.ONLINE_INQUIRY:
                steps.append(joint_appraisal)
            return steps
    return []


CASCADE_RUNNING = (
    State.PARTY_AGREEMENT,
    State.DIRECTED_INQUIRY,
    State.ONLINE_INQUIRY,
    State.APPRAISAL,
)


def _check_lawful(proc: PricingProcedure, method: str, *, joint_request: bool) -> NextStep:
    for step in lawful_next_steps(proc):
        if step.method == method and (joint_request or not step.needs_joint_request):
            return step
    for step in lawful_next_steps(proc):
        if step.method == method and step.needs_joint_request:
            raise DomainError(
                "joint_request_required",
                _("%(method)s须经当事人双方一致申请") % {"method": Method(method).label},
                rule="PRC-03",
            )
    allowed = "、".join(f"{Method(s.method).label}" for s in lawful_next_steps(proc)) or "无"
    raise DomainError(
        "step_not_allowed",
        _("当前不得采用%(method)s（现可采用：%(allowed)s）")
        % {"method": Method(method).label, "allowed": allowed},
        rule="PRC-03",
    )


def _begin(
    proc: PricingProcedure,
    method: str,
    next_step: NextStep,
    *,
    actor: Actor,
    deadline_at: dt.datetime | None = None,
    **fields: Any,
) -> PricingStep:
    running = _current_step(proc)
    if running and running.outcome == PricingStep.Outcome.RUNNING:
        _end_step(running, PricingStep.Outcome.ABANDONED, next_step.reason)
    before = proc.state
    if proc.state not in (method, State.REISSUING):  # a reissue stays in ``reissuing`` until fixed
        begin: dict[str, Callable[[], object]] = {
            Method.PARTY_AGREEMENT: proc.begin_party_agreement,
            Method.DIRECTED_INQUIRY: proc.begin_directed_inquiry,
            Method.ONLINE_INQUIRY: proc.begin_online_inquiry,
            Method.APPRAISAL: proc.begin_appraisal,
        }
        begin[method]()
    proc.save()
    step = PricingStep.objects.create(
        procedure=proc,
        method=method,
        reason=next_step.reason,
        reason_code=next_step.reason_code,
        started_at=clock.now(),
        deadline_at=deadline_at,
        **fields,
    )
    _audit(
        proc,
        "step_started",
        actor=actor,
        before={"state": before},
        after={
            "state": proc.state,
            "method": method,
            "step": step.pk,
            "deadline_at": deadline_at.isoformat() if deadline_at else None,
        },
        reason=next_step.reason,
        rules=("PRC-03",),
    )
    return step


def _require_deadline(deadline_at: dt.datetime | None, rule: str) -> dt.datetime:
    if deadline_at is None:
        raise DomainError("deadline_required", _("须由法院指定期限"), rule=rule)
    if deadline_at <= clock.now():
        raise DomainError("deadline_in_past", _("指定期限须晚于当前时间"), rule=rule)
    return deadline_at


def _refuse_if_paused(proc: PricingProcedure) -> None:
    if proc.state == State.SUSPENDED:
        raise DomainError("procedure_suspended", _("定价程序已暂缓，恢复后方可继续"), rule="PRC-14")
    if proc.state == State.WITHDRAWN:
        raise DomainError("procedure_withdrawn", _("定价程序已撤回"), rule="PRC-14")


def _step_of(proc: PricingProcedure, method: str) -> PricingStep:
    _refuse_if_paused(proc)
    step = _current_step(proc)
    if step is None or step.method != method or step.outcome != PricingStep.Outcome.RUNNING:
        raise Conflict(
            "no_running_step", _("当前没有进行中的%(method)s") % {"method": Method(method).label}
        )
    return step


def _fail_step(
    proc: PricingProcedure, step: PricingStep, reason: str, *, actor: Actor, rule: str
) -> None:
    _end_step(step, PricingStep.Outcome.FAILED, reason)
    nxt = lawful_next_steps(proc)
    _audit(
        proc,
        "step_failed",
        actor=actor,
        after={"method": step.method, "step": step.pk, "next": [s.method for s in nxt]},
        reason=reason,
        rules=(rule, "PRC-03"),
    )


# --- party agreement (PRC-04) ---
@transaction.atomic
def party_agreement_start(
    *, procedure: PricingProcedure, deadline_at: dt.datetime | None, actor: Actor = None
) -> PricingStep:
    proc = _lock(procedure)
    nxt = _check_lawful(proc, Method.PARTY_AGREEMENT, joint_request=False)
    deadline = _require_deadline(deadline_at, "PRC-04")
    if len({p.role for p in _parties(proc)}) < 2:
        raise DomainError("parties_missing", _("议价须有申请执行人和被执行人"), rule="PRC-04")
    step = _begin(proc, Method.PARTY_AGREEMENT, nxt, actor=actor, deadline_at=deadline)
    _notify_parties(
        proc,
        topic="pricing.agreement",
        subject=gettext_lazy("【当事人议价】请在期限内报价"),
        body=text(
            gettext_lazy("请于 %(day)s 前提交议价结果。"),
            day=calendar.end_of_day(deadline.astimezone(calendar.CST).date())
            .astimezone(calendar.CST)
            .date(),
        ),
        key=f"pricing:{proc.pk}:agreement:{step.pk}",
    )
    return step


@transaction.atomic
def party_agreement_quote(
    *,
    procedure: PricingProcedure,
    party: Party,
    amount_fen: int | None = None,
    refused: bool = False,
    unreachable: bool = False,
    actor: Actor = None,
) -> PricingStep:
    """Record one party's quote, refusal or unreachability (PRC-04)."""
    proc = _lock(procedure)
    step = _step_of(proc, Method.PARTY_AGREEMENT)
    if party.case_id != proc.case_id or party.role not in ("creditor", "debtor"):
        raise DomainError("not_a_party", _("只有本案申请执行人和被执行人可以议价"), rule="PRC-04")
    now = clock.now()
    if step.deadline_at and now > step.deadline_at:
        raise DomainError("agreement_deadline_passed", _("议价期限已届满"), rule="PRC-04")
    if not refused and not unreachable:
        check_amount(amount_fen, what=_("议价"))
    step.quotes[f"party:{party.pk}"] = {
        "amount_fen": None if (refused or unreachable) else amount_fen,
        "refused": bool(refused),
        "unreachable": bool(unreachable),
        "at": now.isoformat(),
        "role": party.role,
    }
    step.save(update_fields=["quotes"])
    _audit(
        proc,
        "agreement_quote",
        actor=actor,
        after={"party": party.pk, **step.quotes[f"party:{party.pk}"]},
        rules=("PRC-04",),
    )
    if refused or unreachable:
        why = "当事人拒绝议价" if refused else "当事人下落不明或无法联系"
        _fail_step(proc, step, f"{why}，不再议价", actor=actor, rule="PRC-04")
    return step


def _agreed_amount(proc: PricingProcedure, step: PricingStep) -> int | None:
    parties = _parties(proc)
    amounts = set()
    for p in parties:
        q = step.quotes.get(f"party:{p.pk}")
        if not q or q.get("amount_fen") is None:
            return None
        amounts.add(q["amount_fen"])
    return amounts.pop() if len(amounts) == 1 else None


@transaction.atomic
def party_agreement_confirm(
    *, procedure: PricingProcedure, harms_no_one: bool, note: str = "", actor: Actor = None
) -> ReferencePrice | None:
    """The judge confirms identical quotes that harm no one (PRC-04); otherwise the step fails."""
    proc = _lock(procedure)
    step = _step_of(proc, Method.PARTY_AGREEMENT)
    amount = _agreed_amount(proc, step)
    if amount is None:
        raise DomainError("no_agreement", _("双方报价尚不一致或未全部提交"), rule="PRC-04")
    if not harms_no_one:
        _fail_step(
            proc, step, f"议价结果损害他人合法权益：{note}".rstrip("："), actor=actor, rule="PRC-04"
        )
        return None
    step.result_fen = amount
    step.result_received_at = clock.now()
    step.save(update_fields=["result_fen", "result_received_at"])
    return _fix_price(
        proc,
        step=step,
        amount_fen=amount,
        source_valid_until=None,
        basis={"rule": "PRC-04", "quotes": step.quotes, "note": note},
        actor=actor,
    )


# --- directed inquiry (PRC-05) ---
@transaction.atomic
def directed_inquiry_start(
    *,
    procedure: PricingProcedure,
    body_name: str,
    letter_ref: str,
    deadline_at: dt.datetime | None,
    joint_request: bool = False,
    actor: Actor = None,
) -> PricingStep:
    proc = _lock(procedure)
    nxt = _check_lawful(proc, Method.DIRECTED_INQUIRY, joint_request=joint_request)
    deadline = _require_deadline(deadline_at, "PRC-05")
    if not body_name.strip() or not letter_ref.strip():
        raise DomainError(
            "directed_fields_required", _("须写明询价机构和询价函文号"), rule="PRC-05"
        )
    return _begin(
        proc,
        Method.DIRECTED_INQUIRY,
        nxt,
        actor=actor,
        deadline_at=deadline,
        body_name=body_name.strip(),
        letter_ref=letter_ref.strip(),
    )


@transaction.atomic
def directed_inquiry_result(
    *,
    procedure: PricingProcedure,
    amount_fen: int,
    received_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    actor: Actor = None,
) -> ReferencePrice | None:
    """A timely result is the reference price (PRC-05); a late one ends the step."""
    proc = _lock(procedure)
    step = _step_of(proc, Method.DIRECTED_INQUIRY)
    check_amount(amount_fen, what=_("定向询价结果"))
    received_at = received_at or clock.now()
    step.result_fen = amount_fen
    step.result_received_at = received_at
    step.result_valid_until = valid_until
    step.save(update_fields=["result_fen", "result_received_at", "result_valid_until"])
    if step.deadline_at and received_at > step.deadline_at:
        _fail_step(proc, step, "定向询价结果逾期，不予采用", actor=actor, rule="PRC-05")
        return None
    return _fix_price(
        proc,
        step=step,
        amount_fen=amount_fen,
        source_valid_until=valid_until,
        basis={"rule": "PRC-05", "body": step.body_name, "letter": step.letter_ref},
        actor=actor,
    )


@transaction.atomic
def step_lapse(*, procedure: PricingProcedure, actor: Actor = None) -> bool:
    """A party-agreement or directed-inquiry deadline passed without a result: the step fails."""
    proc = _lock(procedure)
    step = _current_step(proc)
    if step is None or step.outcome != PricingStep.Outcome.RUNNING:
        return False
    if step.method not in (Method.PARTY_AGREEMENT, Method.DIRECTED_INQUIRY):
        return False
    if step.deadline_at is None or clock.now() <= step.deadline_at:
        raise DomainError("deadline_not_reached", _("指定期限尚未届满"))
    if step.method == Method.PARTY_AGREEMENT:
        _fail_step(proc, step, "议价期限届满未形成一致结果", actor=actor, rule="PRC-04")
    else:
        _fail_step(proc, step, "定向询价期限届满未收到结果", actor=actor, rule="PRC-05")
    return True


# --- entrusted appraisal (hand-over to appraisers) ---
def _commission(proc: PricingProcedure, *, purpose: str, actor: Actor) -> AppraisalRequest:
    try:
        from appraisers.services import commission_request
    except ImportError as exc:
        raise DomainError(
            "appraisers_unavailable", _("委托评估模块尚不可用，暂不能委托评估")
        ) from exc
    return commission_request(
        case_id=proc.case_id,
        asset_id=proc.asset_id,
        procedure_ref=proc.ref,
        purpose=purpose,
        actor=actor,
    )


@transaction.atomic
def appraisal_start(
    *,
    procedure: PricingProcedure,
    purpose: str = "确定财产处置参考价",
    joint_request: bool = False,
    actor: Actor = None,
) -> PricingStep:
    """Hand over to appraisers (``commission_request``), in this transaction (rolls back together)."""
    proc = _lock(procedure)
    nxt = _check_lawful(proc, Method.APPRAISAL, joint_request=joint_request)
    step = _begin(proc, Method.APPRAISAL, nxt, actor=actor)
    req = _commission(proc, purpose=purpose, actor=actor)
    _audit(
        proc,
        "appraisal_requested",
        actor=actor,
        after={"request": getattr(req, "pk", None)},
        rules=("PRC-03",),
    )
    return step


def switch_to_appraisal(
    *, procedure: PricingProcedure, reason: str, actor: Actor = None
) -> PricingStep | None:
    """PRC-07: online inquiry failed entirely → appraisal. Refused quietly if appraisers is absent."""
    try:
        with transaction.atomic():
            return appraisal_start(procedure=procedure, actor=actor)
    except DomainError as exc:
        if exc.code != "appraisers_unavailable":
            raise
        log.warning(
            "online inquiry failed for %s but appraisers is unavailable: %s", procedure.ref, reason
        )
        return None


@transaction.atomic
def appraisal_result_fixed(
    *, procedure_ref: str, amount_fen: int, report_id: int, valid_until: dt.datetime | None
) -> ReferencePrice | None:
    """Handler side of ``AppraisalResultFixed`` (APR-15): the appraisal result is the reference price."""
    pk = int(procedure_ref.rsplit("pricing:", 1)[1])
    proc = _lock(pk)
    if proc.state == State.REISSUING:
        step = _current_step(proc)
    else:
        if proc.state != State.APPRAISAL:
            raise Conflict("not_appraising", _("该定价程序不在委托评估阶段"), rule="APR-15")
        step = _current_step(proc)
    if step is None or step.method != Method.APPRAISAL:
        raise Conflict("not_appraising", _("该定价程序不在委托评估阶段"), rule="APR-15")
    check_amount(amount_fen, what=_("评估结果"))
    step.result_fen = amount_fen
    step.result_received_at = clock.now()
    step.result_valid_until = valid_until
    step.save(update_fields=["result_fen", "result_received_at", "result_valid_until"])
    return _fix_price(
        proc,
        step=step,
        amount_fen=amount_fen,
        source_valid_until=valid_until,
        basis={"rule": "APR-15", "report_id": report_id},
        actor=None,
    )


@transaction.atomic
def appraisal_failed(*, procedure_ref: str, reason: str) -> None:
    """Handler side of ``AppraisalFailed``: the appraisal step fails (PRC-20 may follow for equity)."""
    pk = int(procedure_ref.rsplit("pricing:", 1)[1])
    proc = _lock(pk)
    step = _current_step(proc)
    if (
        step is None
        or step.method != Method.APPRAISAL
        or step.outcome != PricingStep.Outcome.RUNNING
    ):
        return
    _fail_step(proc, step, f"委托评估未成功：{reason}", actor=None, rule="PRC-03")


# --------------------------------------------------------------------------- fixing and validity
def _fix_price(
    proc: PricingProcedure,
    *,
    step: PricingStep | None,
    amount_fen: int,
    source_valid_until: dt.datetime | None,
    basis: dict[str, Any],
    actor: Actor,
    kind: str = ReferencePrice.Kind.REFERENCE,
    ground: str = "",
) -> ReferencePrice:
    _refuse_if_paused(proc)
    now = clock.now()
    cap = calendar.months_after(now, int(_setting(proc, "result_validity_max_months")))  # PRC-11
    valid_until = min(source_valid_until, cap) if source_valid_until else cap
    if valid_until <= now:
        raise DomainError(
            "result_already_expired", _("结果有效期已届满，不能作为参考价"), rule="PRC-11"
        )
    old = list(proc.prices.filter(status=ReferencePrice.Status.ACTIVE))
    for p in old:
        p.status = ReferencePrice.Status.SUPERSEDED
        p.save(update_fields=["status"])
    if kind == ReferencePrice.Kind.REFERENCE:
        proc.fix()
    elif kind == ReferencePrice.Kind.MARKET:
        proc.skip_pricing()
    else:
        proc.waive_for_equity()
    proc.save()
    price = ReferencePrice.objects.create(
        procedure=proc,
        kind=kind,
        method=step.method if step else "",
        amount_fen=amount_fen,
        fixed_at=now,
        valid_until=valid_until,
        ground=ground,
        basis=basis,
    )
    if step is not None:
        _end_step(
            step, PricingStep.Outcome.FIXED, FIXED_REASON % {"amount": f"{amount_fen / 100:,.2f}"}
        )
    # PRC-13: the sale is to start within 10 days of the price being fixed (alerted, not refused).
    deadline_cancel(subject=proc.subject, rule_id="PRC-13", actor=actor, reason="重新确定价格")
    deadline_open(
        rule_id="PRC-13",
        title=gettext_noop("确定参考价后启动变价程序"),
        subject=proc.subject,
        start_event="pricing.fixed",
        started_at=now,
        period=int(_setting(proc, "sale_start_days_after_price")),
        unit=Deadline.Unit.CALENDAR_DAYS,
        court=proc.court_id,
        owner=proc.case.judge if proc.case.judge_id else None,
        owner_role="" if proc.case.judge_id else "judge",
        actor=actor,
    )
    _audit(
        proc,
        "price_fixed",
        actor=actor,
        before={"superseded": [p.pk for p in old]},
        after={
            "price": price.pk,
            "kind": kind,
            "method": price.method,
            "amount_fen": amount_fen,
            "valid_until": valid_until.isoformat(),
            "basis": basis,
        },
        reason=ground,
        rules=("PRC-11", "PRC-13"),
    )
    _notify_parties(
        proc,
        topic="pricing.fixed",
        subject=text(
            gettext_lazy("【%(kind)s已确定】%(asset)s"),
            kind=price.get_kind_display,
            asset=proc.asset.name,
        ),
        body=text(
            gettext_lazy("%(kind)s：%(amount)s 元，有效期至 %(day)s。"),
            kind=price.get_kind_display,
            amount=f"{amount_fen / 100:,.2f}",
            day=valid_until.astimezone(calendar.CST).date(),
        ),
        key=f"pricing:{proc.pk}:fixed:{price.pk}",
    )
    from core.documents import document_request
    from pricing.documents import PRICING_NOTICE

    # The sealed 定价通知书 (PRC-10), issued by the worker (issue 16).
    document_request(doc_type=PRICING_NOTICE.code, subject=f"{proc.ref}/price:{price.pk}")
    publish_on_commit(
        ReferencePriceFixed(
            case_id=proc.case_id,
            asset_id=proc.asset_id,
            procedure_ref=proc.ref,
            kind=kind,
            amount_fen=amount_fen,
            valid_until=valid_until,
        )
    )
    return price


@transaction.atomic
def pricing_skip(
    *, asset: Asset, ground: str, market_price_fen: int, note: str = "", actor: Actor = None
) -> ReferencePrice:
    """PRC-19: no pricing procedure for a low-value or easily priced item; market price as basis."""
    if ground not in SKIP_GROUNDS:
        raise DomainError(
            "skip_ground_required",
            _("不经定价须说明理由（价值较低、易于确定或当事人一致申请）"),
            rule="PRC-19",
        )
    check_amount(market_price_fen, what=_("市场价"))
    proc = procedure_for_asset(asset.pk)
    if proc is None:
        proc = procedure_open(asset=asset, actor=actor)
    proc = _lock(proc)
    if not get_setting("allow_pricing_skip", court=proc.court_id):
        raise DomainError("skip_disabled", _("本院未启用不经定价程序"), rule="PRC-19")
    if proc.state not in (State.OPENED, State.CHECKED):
        raise Conflict("skip_too_late", _("定价程序已进入定价方式，不能再不经定价"), rule="PRC-19")
    text = SKIP_GROUNDS[ground] + (f"：{note}" if note else "")
    return _fix_price(
        proc,
        step=None,
        amount_fen=market_price_fen,
        source_valid_until=None,
        basis={"rule": "PRC-19", "ground": ground},
        actor=actor,
        kind=ReferencePrice.Kind.MARKET,
        ground=text,
    )


@transaction.atomic
def equity_waiver_record(
    *,
    procedure: PricingProcedure,
    creditor_request_doc: str,
    enforcement_costs_fen: int,
    reason: str,
    actor: Actor = None,
) -> ReferencePrice:
    """PRC-20: equity whose appraisal failed for lack of materials; on the creditor's written request
    the starting price may be set above enforcement costs (the 70% check is waived)."""
    proc = _lock(procedure)
    if proc.asset.kind != Asset.Kind.EQUITY:
        raise DomainError("not_equity", _("仅股权可依申请确定起拍价"), rule="PRC-20")
    step = _current_step(proc)
    if proc.state != State.APPRAISAL or step is None or step.outcome != PricingStep.Outcome.FAILED:
        raise DomainError("appraisal_not_failed", _("须委托评估因缺乏材料未能完成"), rule="PRC-20")
    if not creditor_request_doc.strip() or not reason.strip():
        raise DomainError(
            "creditor_request_required", _("须有申请执行人的书面申请并记录理由"), rule="PRC-20"
        )
    check_amount(enforcement_costs_fen, what=_("执行费用"))
    return _fix_price(
        proc,
        step=None,
        amount_fen=enforcement_costs_fen,
        source_valid_until=None,
        basis={"rule": "PRC-20", "creditor_request": creditor_request_doc.strip()},
        actor=actor,
        kind=ReferencePrice.Kind.EQUITY_WAIVER,
        ground=reason.strip(),
    )


# --------------------------------------------------------------------------- PRC-14
@transaction.atomic
def procedure_suspend(
    *, procedure: PricingProcedure, ground: str, note: str = "", actor: Actor = None
) -> PricingProcedure:
    proc = _lock(procedure)
    if ground not in SUSPEND_GROUNDS:
        raise DomainError("suspend_ground_invalid", _("暂缓定价须有法定事由"), rule="PRC-14")
    before = proc.state
    if proc.state not in (State.OPENED, State.CHECKED, *CASCADE_RUNNING, State.REISSUING):
        raise Conflict("cannot_suspend", _("当前状态不能暂缓定价"), rule="PRC-14")
    proc.suspend()
    proc.ended_reason = SUSPEND_GROUNDS[ground] + (f"：{note}" if note else "")
    proc.save()
    if before == State.APPRAISAL:
        _appraisal_pause(proc, resume=False, reason=proc.ended_reason, actor=actor)
    _audit(
        proc,
        "suspended",
        actor=actor,
        before={"state": before},
        after={"state": proc.state},
        reason=proc.ended_reason,
        rules=("PRC-14",),
    )
    return proc


@transaction.atomic
def procedure_resume(
    *, procedure: PricingProcedure, note: str = "", actor: Actor = None
) -> PricingProcedure:
    proc = _lock(procedure)
    if proc.state != State.SUSPENDED:
        raise Conflict("not_suspended", _("定价程序未暂缓"), rule="PRC-14")
    proc.resume()
    proc.save()
    if proc.state == State.APPRAISAL:
        _appraisal_pause(proc, resume=True, reason=note, actor=actor)
    _audit(
        proc,
        "resumed",
        actor=actor,
        before={"state": State.SUSPENDED},
        after={"state": proc.state},
        reason=note,
        rules=("PRC-14",),
    )
    return proc


@transaction.atomic
def procedure_withdraw(
    *, procedure: PricingProcedure, ground: str, note: str = "", actor: Actor = None
) -> PricingProcedure:
    """PRC-14: withdraw (must, or may on the parties' agreement); no inquiry fee is due after (PRC-15)."""
    from pricing.models import Inquiry

    proc = _lock(procedure)
    grounds = {**WITHDRAW_GROUNDS_MUST, **WITHDRAW_GROUNDS_MAY}
    if ground not in grounds:
        raise DomainError("withdraw_ground_invalid", _("撤回定价须有法定事由"), rule="PRC-14")
    if proc.state == State.WITHDRAWN:
        raise Conflict("already_withdrawn", _("定价程序已撤回"), rule="PRC-14")
    had_appraisal = proc.steps.filter(method=Method.APPRAISAL).exists()
    before = proc.state
    proc.withdraw()
    proc.ended_reason = grounds[ground] + (f"：{note}" if note else "")
    proc.save()
    proc.prices.filter(status=ReferencePrice.Status.ACTIVE).update(
        status=ReferencePrice.Status.WITHDRAWN
    )
    step = _current_step(proc)
    if step and step.outcome == PricingStep.Outcome.RUNNING:
        _end_step(step, PricingStep.Outcome.ABANDONED, "定价程序撤回")
    Inquiry.objects.filter(procedure=proc, status__in=["open", "extended", "reported"]).update(
        status="cancelled"
    )
    for d in Deadline.objects.filter(subject__startswith=proc.subject, status=Deadline.Status.OPEN):
        deadline_cancel(subject=d.subject, rule_id=d.rule_id, actor=actor, reason="定价程序撤回")
    if had_appraisal:
        _appraisal_fee_settle(proc, outcome="withdrawn", sale_price_fen=None, actor=actor)
    _audit(
        proc,
        "withdrawn",
        actor=actor,
        before={"state": before},
        after={"state": proc.state},
        reason=proc.ended_reason,
        rules=("PRC-14", "PRC-15", "PRC-16"),
    )
    return proc


def _appraisal_pause(proc: PricingProcedure, *, resume: bool, reason: str, actor: Actor) -> None:
    """APR-07: the appraisal clock pauses while pricing is suspended (appraisers' own service)."""
    try:
        from appraisers.services import appraisal_resume, appraisal_suspend
    except ImportError:
        return
    if resume:
        appraisal_resume(procedure_ref=proc.ref, actor=actor)
    else:
        appraisal_suspend(procedure_ref=proc.ref, reason=reason or "定价程序暂缓", actor=actor)


def _appraisal_fee_settle(
    proc: PricingProcedure, *, outcome: str, sale_price_fen: int | None, actor: Actor
) -> bool:
    try:
        from appraisers.services import appraisal_fee_settle
    except ImportError:
        log.warning(
            "appraisers.appraisal_fee_settle unavailable; PRC-16 fee for %s not settled", proc.ref
        )
        return False
    appraisal_fee_settle(
        procedure_ref=proc.ref, outcome=outcome, sale_price_fen=sale_price_fen, actor=actor
    )
    return True


# --------------------------------------------------------------------------- PRC-12 reissue
@transaction.atomic
def reference_price_reissue(
    *, procedure: PricingProcedure, actor: Actor = None
) -> Inquiry | PricingStep:
    """PRC-12: the price lapsed before any announcement → ask the same source to reissue."""
    proc = _lock(procedure)
    price = proc.prices.filter(status=ReferencePrice.Status.ACTIVE).first()
    if proc.state != State.FIXED or price is None or price.kind != ReferencePrice.Kind.REFERENCE:
        raise Conflict("nothing_to_reissue", _("没有可重新出具的参考价"), rule="PRC-12")
    if price.announcement_published_at is not None:
        raise DomainError(
            "already_announced",
            _("已在有效期内发布拍卖公告，适用宽限期，无须重新出具"),
            rule="PRC-11",
        )
    if clock.now() <= price.valid_until:
        raise DomainError("still_valid", _("参考价仍在有效期内"), rule="PRC-12")
    if price.method == Method.ONLINE_INQUIRY:
        from pricing.services.inquiry import inquiry_reissue

        proc.begin_reissue()
        proc.save()
        _audit(
            proc,
            "reissue_started",
            actor=actor,
            after={"price": price.pk, "method": price.method},
            rules=("PRC-12",),
        )
        return inquiry_reissue(procedure=proc, price=price, actor=actor)
    if price.method == Method.APPRAISAL:
        try:
            from appraisers.services import appraisal_reissue_request
        except ImportError as exc:
            raise DomainError(
                "appraisal_reissue_unavailable",
                _("委托评估模块尚未提供重新出具评估报告的接口（PRC-12）"),
                rule="PRC-12",
            ) from exc
        proc.begin_reissue()
        proc.save()
        step = PricingStep.objects.create(
            procedure=proc,
            method=Method.APPRAISAL,
            reason="参考价有效期届满，原评估机构重新出具",
            reason_code="reissue",
            started_at=clock.now(),
        )
        _audit(
            proc,
            "reissue_started",
            actor=actor,
            after={"price": price.pk, "method": price.method},
            rules=("PRC-12",),
        )
        appraisal_reissue_request(
            procedure_ref=proc.ref,
            reason="参考价有效期届满且尚未发布拍卖公告（PRC-12）",
            actor=actor,
        )
        return step
    raise DomainError(
        "reissue_not_applicable",
        _("议价或定向询价结果过期，请撤回后重新启动定价程序"),
        rule="PRC-12",
    )
