"""The report deadline: extension (APR-08), pause while enforcement is suspended (APR-07, and
for pricing, PRC-14), lateness and replacement (APR-09), the return of the materials (APR-09/13).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from appraisers.models import AppraisalRequest, Commission, ExtensionRequest
from appraisers.models.commission import WORKING_STATES
from appraisers.services._common import audit, court_contacts, firm_users, notify_many
from appraisers.services.commission import (
    _lock,
    _report_due,
    _report_rule,
    _transition,
    local_date,
    require_firm_user,
)
from appraisers.services.offer import offer_next
from appraisers.services.selection import link
from core import calendar, clock
from core.deadlines import (
    deadline_cancel,
    deadline_close,
    deadline_extend,
    deadline_open,
    deadline_title,
)
from core.errors import DomainError, NotFound
from core.models import Deadline
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor


def _open_report_deadline(c: Commission) -> Deadline | None:
    return Deadline.objects.filter(
        subject=c.subject, rule_id=_report_rule(c), status=Deadline.Status.OPEN
    ).first()


@transaction.atomic
def extension_request(
    *, commission: Commission, days: int, reason: str, actor: Actor
) -> ExtensionRequest:
    """APR-08: in writing, at least 5 days before the deadline, at most 2 of at most 15 days."""
    c = _lock(commission)
    actor = require_firm_user(c, actor)
    if c.state not in WORKING_STATES or c.report_due_at is None:
        raise DomainError("invalid_state", _("当前状态不能申请延期"), rule="APR-08")
    if not (reason or "").strip():
        raise DomainError("reason_required", _("延期申请须书面说明理由"), rule="APR-08")
    court = c.court_id
    max_days = int(get_setting("appraisal_ext_max_days", court=court))
    max_count = int(get_setting("appraisal_ext_max_count", court=court))
    lead = int(get_setting("appraisal_ext_request_lead_days", court=court))
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise DomainError("invalid_days", _("延长日数无效")) from exc
    if days < 1 or days > max_days:
        raise DomainError(
            "extension_too_long",
            _("每次延期不得超过 %(max_days)s 日") % {"max_days": max_days},
            rule="APR-08",
        )
    pending = c.extensions.filter(status=ExtensionRequest.Status.PENDING).count()
    if pending:
        raise DomainError("extension_pending", _("已有待决定的延期申请"), rule="APR-08")
    if c.extensions_granted >= max_count:
        raise DomainError(
            "extension_count_exceeded",
            _("延期至多 %(max_count)s 次") % {"max_count": max_count},
            rule="APR-08",
        )
    if c.paused_at is None:
        # REC-01 "at least N days before X": the request date + N must not pass the due date.
        earliest_due = calendar.at_least_days_before(clock.now(), lead)
        if earliest_due > local_date(c.report_due_at):
            raise DomainError(
                "extension_too_late",
                _("延期申请须在报告期限（%(local_date)s）届满 %(lead)s 日前提出")
                % {"local_date": format(local_date(c.report_due_at), "%Y-%m-%d"), "lead": lead},
                rule="APR-08",
            )
    ext = ExtensionRequest.objects.create(
        commission=c,
        days=days,
        reason=reason.strip(),
        requested_at=clock.now(),
        requested_by=actor,
        due_at_when_requested=c.report_due_at,
    )
    audit(
        c.request,
        action="commission.extension_requested",
        actor=actor,
        subject=c.subject,
        after={"extension": ext.pk, "days": days, "due_at": c.report_due_at},
        reason=reason,
        rules=["APR-08"],
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.extension",
        subject=text(gettext_lazy("评估延期申请：%(firm)s"), firm=c.firm.name),
        body=text(
            gettext_lazy("%(case)s：「%(firm)s」申请延期 %(days)s 日，请决定。"),
            case=c.request.case.number,
            firm=c.firm.name,
            days=days,
        ),
        key=f"extension:{ext.pk}",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return ext


@transaction.atomic
def extension_decide(
    *, extension: ExtensionRequest, approve: bool, reason: str, actor: Actor
) -> ExtensionRequest:
    """The judge grants or refuses (APR-08); a grant moves the report deadline."""
    ext = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    c = _lock(ext.commission)
    if ext.status != ExtensionRequest.Status.PENDING:
        raise DomainError("already_decided", _("该延期申请已决定"))
    if not approve and not (reason or "").strip():
        raise DomainError("reason_required", _("不予准许须说明理由"), rule="APR-08")
    now = clock.now()
    if approve:
        if c.state not in WORKING_STATES:
            raise DomainError("invalid_state", _("委托已不在评估中"), rule="APR-08")
        if c.extensions_granted >= int(get_setting("appraisal_ext_max_count", court=c.court_id)):
            raise DomainError("extension_count_exceeded", _("延期次数已达上限"), rule="APR-08")
        new_due = calendar.within_days(_report_due(c), ext.days, court=c.court_id)
        before = c.report_due_at
        c.report_due_at = new_due
        c.extensions_granted += 1
        c.save(update_fields=["report_due_at", "extensions_granted"])
        d = _open_report_deadline(c)
        if d is not None:
            deadline_extend(
                deadline=d, due_at=new_due, actor=actor, reason=f"准许延期 {ext.days} 日（APR-08）"
            )
        ext.status = ExtensionRequest.Status.APPROVED
        after = {"due_at": new_due, "granted": c.extensions_granted}
    else:
        before = c.report_due_at
        ext.status = ExtensionRequest.Status.REFUSED
        after = {"due_at": c.report_due_at}
    ext.decided_at, ext.decided_by, ext.decision_reason = now, actor, (reason or "").strip()[:300]
    ext.save()
    audit(
        c.request,
        action=f"commission.extension_{ext.status}",
        actor=actor,
        subject=c.subject,
        before={"due_at": before},
        after=after,
        reason=reason,
        rules=["APR-08"],
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.extension",
        subject=gettext_lazy("延期申请已准许") if approve else gettext_lazy("延期申请不予准许"),
        body=text(
            gettext_lazy("%(case)s：报告期限为 %(day)s。%(reason)s"),
            case=c.request.case.number,
            day=local_date(_report_due(c)),
            reason=reason or "",
        ),
        key=f"extension:{ext.pk}:decided",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return ext


@transaction.atomic
def commission_pause(*, commission: Commission, reason: str, actor: Actor = None) -> Commission:
    """APR-07: the report clock stops while enforcement is suspended or halted."""
    if not (reason or "").strip():
        raise DomainError("reason_required", _("中止计算期限须说明理由"), rule="APR-07")
    c = _lock(commission)
    if c.state not in WORKING_STATES:
        raise DomainError("invalid_state", _("委托不在评估中，无需中止期限"), rule="APR-07")
    if c.paused_at is not None:
        raise DomainError("already_paused", _("期限已中止"))
    c.paused_at = clock.now()
    c.pause_reason = reason.strip()[:300]
    c.save(update_fields=["paused_at", "pause_reason"])
    deadline_cancel(
        subject=c.subject, rule_id=_report_rule(c), actor=actor, reason=f"期限中止：{reason}"
    )
    audit(
        c.request,
        action="commission.paused",
        actor=actor,
        subject=c.subject,
        after={"paused_at": c.paused_at, "due_at": c.report_due_at},
        reason=reason,
        rules=["APR-07"],
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.pause",
        subject=gettext_lazy("评估期限中止"),
        body=text(
            gettext_lazy("%(case)s：因%(reason)s，评估报告期限自 %(day)s 起中止计算。"),
            case=c.request.case.number,
            reason=reason,
            day=local_date(c.paused_at),
        ),
        key=f"commission:{c.pk}:pause:{c.paused_at.timestamp():.0f}",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return c


@transaction.atomic
def commission_resume(*, commission: Commission, actor: Actor = None) -> Commission:
    """The clock runs again: the due date moves by the whole days it was paused (REC-01)."""
    c = _lock(commission)
    if c.paused_at is None:
        raise DomainError("not_paused", _("期限未中止"))
    now = clock.now()
    paused_days = (local_date(now) - local_date(c.paused_at)).days
    new_due_date = calendar.next_working_day(
        local_date(_report_due(c)) + dt.timedelta(days=paused_days), court=c.court_id
    )
    before = c.report_due_at
    c.report_due_at = calendar.end_of_day(new_due_date)
    c.paused_days_total += paused_days
    paused_at = c.paused_at
    c.paused_at, c.pause_reason = None, ""
    c.save(update_fields=["report_due_at", "paused_days_total", "paused_at", "pause_reason"])
    deadline_open(
        rule_id=_report_rule(c),
        title=deadline_title(gettext_noop("出具评估报告（%(firm)s，恢复计算）"), firm=c.firm.name),
        subject=c.subject,
        start_event="commission.resumed",
        started_at=now,
        unit=Deadline.Unit.FIXED,
        due_at=c.report_due_at,
        court=c.court_id,
        owner=c.request.case.judge,
        owner_role="judge",
        party_ref=c.firm.ref,
        actor=actor,
    )
    audit(
        c.request,
        action="commission.resumed",
        actor=actor,
        subject=c.subject,
        before={"due_at": before, "paused_at": paused_at},
        after={"due_at": c.report_due_at, "paused_days": paused_days},
        rules=["APR-07"],
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.pause",
        subject=gettext_lazy("评估期限恢复计算"),
        body=text(
            gettext_lazy("%(case)s：报告期限顺延 %(days)s 日，至 %(day)s。"),
            case=c.request.case.number,
            days=paused_days,
            day=new_due_date,
        ),
        key=f"commission:{c.pk}:resume:{now.timestamp():.0f}",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return c


def _working_commission(procedure_ref: str) -> Commission | None:
    req = AppraisalRequest.objects.filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", _("评估申请不存在"))
    return req.commissions.filter(state__in=WORKING_STATES).order_by("-pk").first()


@transaction.atomic
def appraisal_suspend(*, procedure_ref: str, reason: str, actor: Actor = None) -> Commission | None:
    """For pricing (PRC-14) or the court: stop the report clock of the running commission."""
    c = _working_commission(procedure_ref)
    if c is None or c.paused_at is not None:
        return c
    return commission_pause(commission=c, reason=reason, actor=actor)


@transaction.atomic
def appraisal_resume(*, procedure_ref: str, actor: Actor = None) -> Commission | None:
    c = _working_commission(procedure_ref)
    if c is None or c.paused_at is None:
        return c
    return commission_resume(commission=c, actor=actor)


@transaction.atomic
def commission_mark_late(*, commission: Commission, actor: Actor = None) -> Commission:
    """APR-09: no report by the deadline and no extension → materials back in 3 days, next firm,
    and the replaced firm gets no fee (PRC-16)."""
    c = _lock(commission)
    if c.state not in WORKING_STATES or c.paused_at is not None:
        raise DomainError("invalid_state", _("该委托不在计算期限的评估中"), rule="APR-09")
    now = clock.now()
    if c.report_due_at is None or now <= c.report_due_at:
        raise DomainError("not_late", _("报告期限尚未届满"), rule="APR-09")
    if c.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise DomainError("extension_pending", _("有待法院决定的延期申请"), rule="APR-08")
    before = _transition(c, "mark_late", rule="APR-09")
    days = int(get_setting("late_return_materials_days", court=c.court_id))
    c.fee_forfeited = True
    c.ended_reason = "逾期未出具评估报告且未获准延期（APR-09）"
    c.materials_return_due_at = calendar.within_days(now, days, court=c.court_id)
    c.save()
    deadline_cancel(subject=c.subject, actor=actor, reason="逾期未出具，已更换机构")
    deadline_open(
        rule_id="APR-09",
        title=deadline_title(gettext_noop("退回评估材料（%(firm)s）"), firm=c.firm.name),
        subject=c.subject,
        start_event="commission.late",
        started_at=now,
        period=days,
        court=c.court_id,
        owner=c.request.case.judge,
        owner_role="judge",
        party_ref=c.firm.ref,
        actor=actor,
    )
    audit(
        c.request,
        action="commission.late",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "fee_forfeited": True,
            "materials_return_due_at": c.materials_return_due_at,
        },
        rules=["APR-09", "PRC-16"],
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.late",
        subject=gettext_lazy("逾期未出具评估报告，委托已更换"),
        body=text(
            gettext_lazy(
                "%(case)s：贵机构未在期限内出具报告且未获准延期，法院已另行委托。"
                "请于 %(day)s 前退回评估材料；本次委托不支付评估费（APR-09）。"
            ),
            case=c.request.case.number,
            day=local_date(c.materials_return_due_at),
        ),
        key=f"commission:{c.pk}:late",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    offer_next(request=req, actor=actor)
    return c


@transaction.atomic
def materials_returned(*, commission: Commission, actor: Actor, note: str = "") -> Commission:
    """The replaced firm has returned the materials (APR-09/APR-13)."""
    c = _lock(commission)
    if c.materials_return_due_at is None or c.materials_returned_at is not None:
        raise DomainError("nothing_to_return", _("无需退回材料或已退回"))
    c.materials_returned_at = clock.now()
    c.save(update_fields=["materials_returned_at"])
    deadline_close(subject=c.subject, rule_id="APR-09", actor=actor)
    deadline_close(subject=c.subject, rule_id="APR-13", actor=actor)
    audit(
        c.request,
        action="commission.materials_returned",
        actor=actor,
        subject=c.subject,
        reason=note,
        after={"returned_at": c.materials_returned_at},
        rules=["APR-09", "APR-13"],
    )
    return c
