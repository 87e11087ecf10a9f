"""Commissions: offer, accept/decline (APR-05), inspection (APR-06), the report deadline and its
pause (APR-07), extensions (APR-08), lateness and replacement (APR-09), the report (APR-04), court
review (APR-11), service to the parties (PRC-10), the fixed result (APR-15), reissue (PRC-12).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.files.base import File
from django.db import transaction

from appraisers.events import AppraisalResultFixed
from appraisers.models import (
    AppraisalRequest,
    Appraiser,
    Commission,
    ExtensionRequest,
    Firm,
    RankedFirm,
    Report,
    ReviewRequest,
)
from appraisers.models.commission import WORKING_STATES
from appraisers.services._common import (
    audit,
    court_contacts,
    firm_users,
    notify_many,
    person,
    serve_on_parties,
)
from appraisers.services.selection import link, round_exhausted
from cases.models import Case, Party
from core import calendar, clock
from core.deadlines import deadline_cancel, deadline_close, deadline_extend, deadline_open
from core.errors import DomainError, NotFound, PermissionDenied
from core.events import publish
from core.models import Deadline, ServiceRecord, User
from core.rulesettings import get_setting
from core.service import recipient_served_at, service_receipt, service_record
from core.types import Actor

# APR-12/13: the 5-day objection window is a constant (RULES.md §8), never a setting.
OBJECTION_DAYS = 5
CASE_SUSPENDED_REASON = "案件中止执行（自动）"
PDF_MAGIC = b"%PDF-"
REPORT_KIND = "appraisal_report"
CORRECTION_KIND = "appraisal_report_correction"


def _report_rule(c: Commission) -> str:
    return "PRC-12" if c.kind == Commission.Kind.REISSUE else "APR-07"


def _report_due(c: Commission) -> dt.datetime:
    """The report deadline: every offered commission has one (only a skipped firm's has not)."""
    if c.report_due_at is None:
        raise DomainError("invalid_state", "该委托没有报告期限", rule=_report_rule(c))
    return c.report_due_at


def _lock(c: Commission) -> Commission:
    return Commission.objects.select_for_update().select_related("request", "firm").get(pk=c.pk)


def _transition(c: Commission, name: str, *, rule: str | None = None) -> str:
    """Run an FSM transition, turning "not allowed here" into a Chinese refusal."""
    before = c.state
    method = getattr(c, name)
    from django_fsm import can_proceed

    if not can_proceed(method):
        raise DomainError(
            "invalid_state", f"当前状态（{c.get_state_display()}）不能进行此操作", rule=rule
        )
    method()
    return before


def local_date(when: dt.datetime) -> dt.date:
    return when.astimezone(calendar.CST).date()


def require_firm_user(c: Commission, actor: Actor) -> User:
    """Only a user of the commissioned firm acts for it (REC-14); returns that user."""
    fu = (
        getattr(actor, "appraisal_firm_user", None)
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if actor is None or fu is None or not fu.is_active or fu.firm_id != c.firm_id:
        raise PermissionDenied("not_firm_user", "只有受托评估机构的用户可以办理", rule="REC-14")
    return actor


# --- offer ------------------------------------------------------------------------------------


def _materials(req: AppraisalRequest, due: dt.datetime) -> str:
    """APR-04: the item, its features, quantity, purpose and deadline, handed to the firm."""
    a = req.asset
    features = json.dumps(a.features or {}, ensure_ascii=False, sort_keys=True)
    return "\n".join(
        [
            f"案号：{req.case.number}",
            f"标的物：{a.name}（{a.get_kind_display()}）",
            f"坐落/存放地：{a.address or '—'}（区划 {a.division_code}）",
            f"特征：{features}",
            "数量：1",
            f"描述：{a.description or '—'}",
            f"评估目的：{req.purpose}",
            f"出具报告期限：{due.astimezone(calendar.CST):%Y-%m-%d}",
        ]
    )


def _offer(
    req: AppraisalRequest,
    *,
    firm: Firm,
    ranked: RankedFirm | None,
    actor: Actor,
    kind: str = Commission.Kind.ORIGINAL,
    reissue_of: Commission | None = None,
) -> Commission:
    now = clock.now()
    reissue = kind == Commission.Kind.REISSUE
    days = int(
        get_setting(
            "appraiser_reissue_days" if reissue else "appraisal_report_days", court=req.court_id
        )
    )
    due = calendar.within_days(now, days, court=req.court_id)
    c = Commission.objects.create(
        request=req,
        ranked=ranked,
        firm=firm,
        court_id=req.court_id,
        kind=kind,
        reissue_of=reissue_of,
        state=Commission.State.ACCEPTED if reissue else Commission.State.OFFERED,
        materials=_materials(req, due),
        offered_at=now,
        accepted_at=now if reissue else None,
        report_due_at=due,
    )
    rule = _report_rule(c)
    deadline_open(
        rule_id=rule,
        title=("重新出具评估报告" if reissue else "出具评估报告") + f"（{firm.name}）",
        subject=c.subject,
        start_event="commission.offered",
        started_at=now,
        period=days,
        court=req.court_id,
        owner=req.case.judge,
        owner_role="judge",
        party_ref=firm.ref,
        actor=actor,
    )
    accept_days = get_setting("appraiser_accept_days", court=req.court_id)
    if accept_days and not reissue:
        deadline_open(
            rule_id="APR-05",
            title=f"接受委托（{firm.name}）",
            subject=c.subject,
            start_event="commission.offered",
            started_at=now,
            period=int(accept_days),
            court=req.court_id,
            owner=req.case.judge,
            owner_role="judge",
            party_ref=firm.ref,
            actor=actor,
        )
    audit(
        req,
        action="commission.offered",
        actor=actor,
        subject=c.subject,
        after={
            "firm": firm.pk,
            "firm_name": firm.name,
            "kind": kind,
            "rank": ranked.rank if ranked else None,
            "round": ranked.round if ranked else None,
            "report_due_at": due,
        },
        rules=[rule, "APR-04"] + (["APR-05"] if not reissue else []),
    )
    notify_many(
        firm_users(firm),
        topic="appraisal.commission",
        subject=("重新出具评估报告：" if reissue else "委托评估：") + req.asset.name,
        body=(
            f"{req.case.number}：法院委托贵机构评估「{req.asset.name}」，请于 "
            f"{due.astimezone(calendar.CST):%Y-%m-%d} 前出具报告。"
            + ("" if reissue else "请尽快决定是否接受委托。")
        ),
        key=f"commission:{c.pk}:offered",
        link=link("firm_commission", c.pk),
        court=req.court,
    )
    return c


def offer_next(*, request: AppraisalRequest, actor: Actor) -> Commission | None:
    """Commission the next-ranked firm of the round (APR-04/05/09), or handle exhaustion (APR-10)."""
    req = request
    used = set(
        Commission.objects.filter(request=req, ranked__round=req.round).values_list(
            "ranked_id", flat=True
        )
    )
    for ranked in (
        RankedFirm.objects.filter(request=req, round=req.round)
        .exclude(pk__in=used)
        .order_by("rank")
    ):
        firm = ranked.firm
        if firm.status != firm.Status.ACTIVE or firm.is_barred(clock.now()):
            # Suspended or removed since the draw: skipped, and the skip is on the record.
            now = clock.now()
            c = Commission.objects.create(
                request=req,
                ranked=ranked,
                firm=firm,
                court_id=req.court_id,
                state=Commission.State.CANCELLED,
                offered_at=now,
                ended_reason=f"机构状态为{firm.get_status_display()}，跳过",
            )
            audit(
                req,
                action="commission.skipped",
                actor=actor,
                subject=c.subject,
                after={"firm": firm.pk, "status": firm.status},
                rules=["APR-01"],
            )
            continue
        return _offer(req, firm=firm, ranked=ranked, actor=actor)
    round_exhausted(req, actor=actor, reason="本轮选定的评估机构均未能完成评估")
    return None


def _close_open_deadlines(c: Commission, *, actor: Actor, reason: str, cancel: bool = True) -> None:
    fn = deadline_cancel if cancel else deadline_close
    fn(subject=c.subject, actor=actor, reason=reason)


def _end_commission(c: Commission, *, actor: Actor, reason: str) -> None:
    """Cancel an active commission (withdrawal, failure); its open deadlines are cancelled."""
    before = _transition(c, "cancel")
    c.ended_reason = reason[:300]
    c.save()
    _close_open_deadlines(c, actor=actor, reason=reason)
    audit(
        c.request,
        action="commission.cancelled",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        reason=reason,
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.commission",
        subject="委托已撤销",
        body=f"{c.request.case.number}：对「{c.request.asset.name}」的委托已撤销：{reason}",
        key=f"commission:{c.pk}:cancelled",
        link=link("firm_commission", c.pk),
        court=c.court,
    )


# --- accept / decline (APR-05) ----------------------------------------------------------------


@transaction.atomic
def commission_accept(*, commission: Commission, actor: Actor) -> Commission:
    c = _lock(commission)
    require_firm_user(c, actor)
    before = _transition(c, "accept", rule="APR-05")
    c.accepted_at = clock.now()
    c.save()
    deadline_close(subject=c.subject, rule_id="APR-05", actor=actor)
    audit(
        c.request,
        action="commission.accepted",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        rules=["APR-05"],
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.accepted",
        subject=f"评估机构已接受委托：{c.firm.name}",
        body=f"{c.request.case.number}：「{c.firm.name}」已接受委托。",
        key=f"commission:{c.pk}:accepted",
        link=link("court_request", c.request_id),
        court=c.court,
        legal=False,
    )
    return c


@transaction.atomic
def commission_decline(*, commission: Commission, reason: str, actor: Actor) -> Commission:
    """A declining firm passes the commission to the next-ranked firm (APR-05)."""
    if not (reason or "").strip():
        raise DomainError("reason_required", "拒绝委托须说明理由", rule="APR-05")
    c = _lock(commission)
    require_firm_user(c, actor)
    before = _transition(c, "decline", rule="APR-05")
    c.declined_at = clock.now()
    c.decline_reason = reason.strip()[:300]
    c.save()
    _close_open_deadlines(c, actor=actor, reason="机构拒绝委托")
    audit(
        c.request,
        action="commission.declined",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state},
        reason=reason,
        rules=["APR-05"],
    )
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    offer_next(request=req, actor=actor)
    return c


# --- inspection (APR-06) ----------------------------------------------------------------------


@transaction.atomic
def inspection_notice(
    *, commission: Commission, at: dt.datetime, place: str, actor: Actor
) -> Commission:
    """Tell the parties when and where the site inspection is (APR-06), with service records."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if c.state != Commission.State.ACCEPTED:
        raise DomainError("invalid_state", "接受委托后方可安排现场勘验", rule="APR-06")
    if at <= clock.now():
        raise DomainError(
            "inspection_in_past", "勘验时间须晚于当前时间，以便通知当事人", rule="APR-06"
        )
    if not (place or "").strip():
        raise DomainError("place_required", "须写明勘验地点", rule="APR-06")
    c.inspection_at, c.inspection_place = at, place.strip()[:300]
    c.save(update_fields=["inspection_at", "inspection_place"])
    when = at.astimezone(calendar.CST).strftime("%Y-%m-%d %H:%M")
    serve_on_parties(
        c.request.case,
        court=c.court,
        subject=c.subject,
        document="现场勘验通知书",
        document_kind="inspection_notice",
        actor=actor,
        topic="appraisal.inspection",
        title="现场勘验通知",
        body=(
            f"{c.request.case.number}：「{c.firm.name}」将于 {when} 在 {c.inspection_place} "
            "对标的物进行现场勘验。当事人可以到场；不到场不影响勘验（APR-06）。"
        ),
        key=f"commission:{c.pk}:inspection",
        link=link("party_request", c.request_id),
    )
    audit(
        c.request,
        action="commission.inspection_noticed",
        actor=actor,
        subject=c.subject,
        after={"at": at, "place": c.inspection_place},
        rules=["APR-06"],
    )
    return c


@transaction.atomic
def inspection_record(
    *, commission: Commission, witness: str, actor: Actor, attendees: str = "", note: str = ""
) -> Commission:
    """Record the inspection: a witness attends; absent parties do not stop it (APR-06)."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if c.inspection_at is None:
        raise DomainError("inspection_not_noticed", "须先通知当事人勘验时间和地点", rule="APR-06")
    if clock.now() < c.inspection_at:
        raise DomainError("inspection_not_yet", "未到通知的勘验时间", rule="APR-06")
    if not (witness or "").strip():
        raise DomainError("witness_required", "现场勘验须有见证人", rule="APR-06")
    before = _transition(c, "inspect", rule="APR-06")
    c.inspection_witness = witness.strip()[:200]
    c.inspection_attendees = (attendees or "").strip()[:300] or "当事人均未到场"
    c.inspection_note = note or ""
    c.save()
    audit(
        c.request,
        action="commission.inspected",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "witness": c.inspection_witness,
            "attendees": c.inspection_attendees,
        },
        rules=["APR-06"],
    )
    return c


# --- the report deadline: extension (APR-08), pause (APR-07), lateness (APR-09) ----------------


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
        raise DomainError("invalid_state", "当前状态不能申请延期", rule="APR-08")
    if not (reason or "").strip():
        raise DomainError("reason_required", "延期申请须书面说明理由", rule="APR-08")
    court = c.court_id
    max_days = int(get_setting("appraisal_ext_max_days", court=court))
    max_count = int(get_setting("appraisal_ext_max_count", court=court))
    lead = int(get_setting("appraisal_ext_request_lead_days", court=court))
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise DomainError("invalid_days", "延长日数无效") from exc
    if days < 1 or days > max_days:
        raise DomainError("extension_too_long", f"每次延期不得超过 {max_days} 日", rule="APR-08")
    pending = c.extensions.filter(status=ExtensionRequest.Status.PENDING).count()
    if pending:
        raise DomainError("extension_pending", "已有待决定的延期申请", rule="APR-08")
    if c.extensions_granted >= max_count:
        raise DomainError("extension_count_exceeded", f"延期至多 {max_count} 次", rule="APR-08")
    if c.paused_at is None:
        # REC-01 "at least N days before X": the request date + N must not pass the due date.
        earliest_due = calendar.at_least_days_before(clock.now(), lead)
        if earliest_due > local_date(c.report_due_at):
            raise DomainError(
                "extension_too_late",
                f"延期申请须在报告期限（{local_date(c.report_due_at):%Y-%m-%d}）届满 {lead} 日前提出",
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
        subject=f"评估延期申请：{c.firm.name}",
        body=f"{c.request.case.number}：「{c.firm.name}」申请延期 {days} 日，请决定。",
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
        raise DomainError("already_decided", "该延期申请已决定")
    if not approve and not (reason or "").strip():
        raise DomainError("reason_required", "不予准许须说明理由", rule="APR-08")
    now = clock.now()
    if approve:
        if c.state not in WORKING_STATES:
            raise DomainError("invalid_state", "委托已不在评估中", rule="APR-08")
        if c.extensions_granted >= int(get_setting("appraisal_ext_max_count", court=c.court_id)):
            raise DomainError("extension_count_exceeded", "延期次数已达上限", rule="APR-08")
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
        subject="延期申请已准许" if approve else "延期申请不予准许",
        body=f"{c.request.case.number}：报告期限为 {local_date(_report_due(c)):%Y-%m-%d}。{reason or ''}",
        key=f"extension:{ext.pk}:decided",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return ext


@transaction.atomic
def commission_pause(*, commission: Commission, reason: str, actor: Actor = None) -> Commission:
    """APR-07: the report clock stops while enforcement is suspended or halted."""
    if not (reason or "").strip():
        raise DomainError("reason_required", "中止计算期限须说明理由", rule="APR-07")
    c = _lock(commission)
    if c.state not in WORKING_STATES:
        raise DomainError("invalid_state", "委托不在评估中，无需中止期限", rule="APR-07")
    if c.paused_at is not None:
        raise DomainError("already_paused", "期限已中止")
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
        subject="评估期限中止",
        body=f"{c.request.case.number}：因{reason}，评估报告期限自 {local_date(c.paused_at):%Y-%m-%d} 起中止计算。",
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
        raise DomainError("not_paused", "期限未中止")
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
        title=f"出具评估报告（{c.firm.name}，恢复计算）",
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
        subject="评估期限恢复计算",
        body=f"{c.request.case.number}：报告期限顺延 {paused_days} 日，至 {new_due_date:%Y-%m-%d}。",
        key=f"commission:{c.pk}:resume:{now.timestamp():.0f}",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return c


def _working_commission(procedure_ref: str) -> Commission | None:
    req = AppraisalRequest.objects.filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", "评估申请不存在")
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
        raise DomainError("invalid_state", "该委托不在计算期限的评估中", rule="APR-09")
    now = clock.now()
    if c.report_due_at is None or now <= c.report_due_at:
        raise DomainError("not_late", "报告期限尚未届满", rule="APR-09")
    if c.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise DomainError("extension_pending", "有待法院决定的延期申请", rule="APR-08")
    before = _transition(c, "mark_late", rule="APR-09")
    days = int(get_setting("late_return_materials_days", court=c.court_id))
    c.fee_forfeited = True
    c.ended_reason = "逾期未出具评估报告且未获准延期（APR-09）"
    c.materials_return_due_at = calendar.within_days(now, days, court=c.court_id)
    c.save()
    deadline_cancel(subject=c.subject, actor=actor, reason="逾期未出具，已更换机构")
    deadline_open(
        rule_id="APR-09",
        title=f"退回评估材料（{c.firm.name}）",
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
        subject="逾期未出具评估报告，委托已更换",
        body=(
            f"{c.request.case.number}：贵机构未在期限内出具报告且未获准延期，法院已另行委托。请于 "
            f"{local_date(c.materials_return_due_at):%Y-%m-%d} 前退回评估材料；本次委托不支付评估费（APR-09）。"
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
        raise DomainError("nothing_to_return", "无需退回材料或已退回")
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


@transaction.atomic
def costs_declare(
    *, commission: Commission, amount_fen: int, note: str, actor: Actor
) -> Commission:
    """The firm declares its actual costs: the fee when unsold or withdrawn (PRC-16)."""
    c = _lock(commission)
    require_firm_user(c, actor)
    if hasattr(c, "fee"):
        raise DomainError("fee_settled", "评估费已结算，不能再申报")
    if amount_fen is None or int(amount_fen) < 0:
        raise DomainError("invalid_amount", "实际费用不能为负")
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


# --- the report (APR-04) and court review (APR-11) --------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar as _cal

    m0 = day.month - 1 + months
    year, month = day.year + m0 // 12, m0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, _cal.monthrange(year, month)[1]))


def _check_pdf(upload: File | None, *, court: int) -> tuple[str, int]:
    """A PDF by its magic bytes, within the size limit. Returns (sha256, size)."""
    if upload is None:
        raise DomainError("report_file_required", "请上传评估报告 PDF 文件", rule="APR-04")
    max_mb = int(get_setting("appraisal_report_max_mb", court=court))
    size = getattr(upload, "size", None)
    if size is not None and size > max_mb * 1024 * 1024:
        raise DomainError("report_too_large", f"报告文件不得超过 {max_mb} MB", rule="APR-04")
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise DomainError(
            "report_not_pdf", "报告文件须为 PDF 格式（文件内容不是 PDF）", rule="APR-04"
        )
    upload.seek(0)
    h = hashlib.sha256()
    total = 0
    for chunk in (
        upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    ):
        h.update(chunk)
        total += len(chunk)
    if total > max_mb * 1024 * 1024:
        raise DomainError("report_too_large", f"报告文件不得超过 {max_mb} MB", rule="APR-04")
    upload.seek(0)
    return h.hexdigest(), total


def _validate_report(c: Commission, data: dict[str, Any]) -> dict[str, Any]:
    """APR-04: the report states facts, method, standards, result and validity (PRC-11)."""
    required = {
        "facts": "基本事实",
        "method": "评估方法",
        "standards": "评估依据/准则",
        "signing_firm_name": "出具机构名称",
        "signing_firm_licence": "出具机构资质证书编号",
    }
    for key, label in required.items():
        if not str(data.get(key) or "").strip():
            raise DomainError("report_field_required", f"报告须载明{label}", rule="APR-04")
    try:
        amount = int(data["amount_fen"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("invalid_amount", "评估结果金额无效", rule="APR-04") from exc
    if amount <= 0:
        raise DomainError("invalid_amount", "评估结果须大于零", rule="APR-04")
    value_date, valid_until = data.get("value_date"), data.get("valid_until")
    if not isinstance(value_date, dt.date) or not isinstance(valid_until, dt.date):
        raise DomainError("dates_required", "须载明评估基准日和有效期", rule="APR-04")
    if value_date > clock.today():
        raise DomainError("value_date_future", "评估基准日不能晚于今天", rule="APR-04")
    months = int(get_setting("result_validity_max_months", court=c.court_id))
    if valid_until <= value_date or valid_until > _add_months(value_date, months):
        raise DomainError(
            "invalid_validity", f"有效期须在评估基准日之后且不超过 {months} 个月", rule="PRC-11"
        )
    signers = [s.strip() for s in (data.get("signer_licences") or []) if str(s).strip()]
    if not signers:
        raise DomainError("signers_required", "须填写签字评估师的执业证书编号", rule="APR-04")
    out: dict[str, Any] = {k: str(data[k]).strip() for k in required}
    out.update(
        amount_fen=amount, value_date=value_date, valid_until=valid_until, signer_licences=signers
    )
    return out


def _new_report(
    c: Commission, *, source: str, upload: File | None, data: dict[str, Any], actor: User
) -> Report:
    clean = _validate_report(c, data)
    sha, size = _check_pdf(upload, court=c.court_id)
    previous = c.current_report()
    version = (c.reports.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    report = Report(
        commission=c,
        version=version,
        source=source,
        file_sha256=sha,
        file_size=size,
        uploaded_at=clock.now(),
        uploaded_by=actor,
        supersedes=previous,
        is_current=True,
        **clean,
    )
    name = f"report-c{c.pk}-v{version}.pdf"
    report.file.save(
        name, upload if isinstance(upload, File) else File(upload, name=name), save=False
    )
    report.save()
    audit(
        c.request,
        action="report.submitted",
        actor=actor,
        subject=f"{c.subject}/report:{report.pk}",
        after={
            "version": version,
            "source": source,
            "amount_fen": report.amount_fen,
            "sha256": sha,
            "value_date": report.value_date,
            "valid_until": report.valid_until,
            "supersedes": previous.pk if previous else None,
        },
        rules=["APR-04"],
    )
    return report


def report_checks(report: Report) -> list[str]:
    """APR-11 grounds the engine can check itself: the signing firm and the signers' licences."""
    c = report.commission
    problems = []
    if report.signing_firm_licence != c.firm.licence_no or report.signing_firm_name != c.firm.name:
        problems.append(
            f"出具机构（{report.signing_firm_name} {report.signing_firm_licence}）与受托机构"
            f"（{c.firm.name} {c.firm.licence_no}）不一致"
        )
    known = {a.licence_no: a for a in Appraiser.objects.filter(firm=c.firm, is_active=True)}
    for lic in report.signer_licences:
        if lic not in known:
            problems.append(f"签字评估师执业证书 {lic} 不是受托机构在册评估师")
    return problems


def _open_delivery_deadline(c: Commission, *, actor: Actor) -> None:
    """PRC-10: the court serves the report on the parties within 3 days of receiving it."""
    days = int(get_setting("report_delivery_days", court=c.court_id))
    deadline_open(
        rule_id="PRC-10",
        title="向当事人送达评估报告",
        subject=c.subject,
        start_event="report.received",
        started_at=clock.now(),
        period=days,
        court=c.court_id,
        owner=c.request.case.judge,
        owner_role="judge",
        actor=actor,
    )


@transaction.atomic
def report_submit(
    *, commission: Commission, upload: File | None, actor: Actor, **data: Any
) -> Report:
    """The firm delivers its report (APR-04/07); late delivery is refused (APR-09)."""
    c = _lock(commission)
    actor = require_firm_user(c, actor)
    if c.paused_at is None and c.report_due_at is not None and clock.now() > c.report_due_at:
        raise DomainError("report_late", "报告期限已届满，不能再提交（APR-09）", rule="APR-09")
    source = Report.Source.REISSUE if c.kind == Commission.Kind.REISSUE else Report.Source.INITIAL
    if c.state == Commission.State.ACCEPTED and c.kind != Commission.Kind.REISSUE:
        raise DomainError("inspection_required", "须先记录现场勘验", rule="APR-06")
    from django_fsm import can_proceed

    if not can_proceed(c.deliver):
        raise DomainError(
            "invalid_state", f"当前状态（{c.get_state_display()}）不能提交报告", rule="APR-07"
        )
    report = _new_report(c, source=source, upload=upload, data=data, actor=actor)
    before = _transition(c, "deliver", rule="APR-07")
    c.delivered_at = clock.now()
    c.paused_at = None
    c.save()
    deadline_close(subject=c.subject, rule_id=_report_rule(c), actor=actor)
    deadline_close(subject=c.subject, rule_id="APR-05", actor=actor)
    _open_delivery_deadline(c, actor=actor)
    audit(
        c.request,
        action="commission.report_delivered",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state, "report": report.pk},
        rules=[_report_rule(c)],
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.report",
        subject=f"评估报告已提交：{c.request.asset.name}",
        body=f"{c.request.case.number}：「{c.firm.name}」已提交评估报告，请审查（APR-11）并于3日内送达当事人（PRC-10）。",
        key=f"report:{report.pk}:delivered",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return report


def _serve(c: Commission, report: Report, *, kind: str, actor: Actor) -> None:
    """PRC-10: the report reaches every party and interested person, with a service record."""
    doc = f"评估报告（{report.get_source_display()}，第{report.version}版）"
    extra = (
        ""
        if kind == CORRECTION_KIND
        else f"如有异议，请在收到之日起{OBJECTION_DAYS}日内在线提出（APR-12）。"
    )
    serve_on_parties(
        c.request.case,
        court=c.court,
        subject=c.subject,
        document=doc,
        document_kind=kind,
        actor=actor,
        topic="appraisal.report",
        title="评估报告送达",
        body=f"{c.request.case.number}：「{c.request.asset.name}」的{doc}已送达。{extra}",
        key=f"report:{report.pk}:served",
        link=link("party_request", c.request_id),
    )


@transaction.atomic
def report_review(
    *,
    commission: Commission,
    actor: Actor,
    grounds: list[str] | tuple[str, ...] = (),
    note: str = "",
) -> Commission:
    """Court review (APR-11): approve and serve (PRC-10), or ask the firm to explain or correct."""
    c = _lock(commission)
    report = c.current_report()
    if c.state != Commission.State.REPORT_DELIVERED or report is None:
        raise DomainError("invalid_state", "没有待审查的报告", rule="APR-11")
    grounds = [g for g in grounds if g]
    bad = [g for g in grounds if g not in ReviewRequest.Ground.values]
    if bad:
        raise DomainError("invalid_ground", f"审查事由无效：{', '.join(bad)}", rule="APR-11")
    now = clock.now()
    if grounds:
        if not (note or "").strip():
            raise DomainError("note_required", "须写明需说明或补正的具体问题", rule="APR-11")
        days = int(get_setting("appraiser_explain_days", court=c.court_id))
        due = calendar.within_days(now, days, court=c.court_id)
        review = ReviewRequest.objects.create(
            commission=c,
            report=report,
            grounds=grounds,
            note=note.strip(),
            requested_at=now,
            requested_by=person(actor),
            due_at=due,
        )
        before = _transition(c, "ask_explanation", rule="APR-11")
        c.save()
        deadline_cancel(subject=c.subject, rule_id="PRC-10", actor=actor, reason="待机构说明或补正")
        deadline_open(
            rule_id="APR-11",
            title=f"书面说明或补正（{c.firm.name}）",
            subject=c.subject,
            start_event="review.requested",
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
            action="report.review_requested",
            actor=actor,
            subject=c.subject,
            before={"state": before},
            after={"state": c.state, "grounds": grounds, "due_at": due, "review": review.pk},
            reason=note,
            rules=["APR-11"],
        )
        notify_many(
            firm_users(c.firm),
            topic="appraisal.review",
            subject="法院审查：请说明或补正",
            body=f"{c.request.case.number}：{note.strip()}。请于 {local_date(due):%Y-%m-%d} 前书面说明或补正（APR-11）。",
            key=f"review:{review.pk}",
            link=link("firm_commission", c.pk),
            court=c.court,
        )
        return c
    problems = report_checks(report)
    if problems:
        raise DomainError(
            "report_check_failed", "；".join(problems) + "。请要求机构说明或补正", rule="APR-11"
        )
    before = _transition(c, "approve", rule="APR-11")
    c.approved_at = now
    c.save()
    _serve(c, report, kind=REPORT_KIND, actor=actor)
    deadline_close(subject=c.subject, rule_id="PRC-10", actor=actor)
    audit(
        c.request,
        action="report.approved_and_served",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={"state": c.state, "report": report.pk},
        rules=["APR-11", "PRC-10"],
    )
    return c


@transaction.atomic
def review_answer(
    *,
    review: ReviewRequest,
    actor: Actor,
    explanation: str = "",
    upload: File | None = None,
    **report_data: Any,
) -> ReviewRequest:
    """The firm answers court review with a written explanation or a corrected report (APR-11)."""
    review = ReviewRequest.objects.select_for_update().get(pk=review.pk)
    c = _lock(review.commission)
    actor = require_firm_user(c, actor)
    if review.answered_at or c.state != Commission.State.UNDER_REVIEW:
        raise DomainError("invalid_state", "没有待答复的审查意见", rule="APR-11")
    now = clock.now()
    if upload is not None:
        report = _new_report(
            c, source=Report.Source.REVIEW_CORRECTION, upload=upload, data=report_data, actor=actor
        )
        review.answer_kind, review.corrected_report = ReviewRequest.Answer.CORRECTION, report
    elif (explanation or "").strip():
        review.answer_kind = ReviewRequest.Answer.EXPLANATION
    else:
        raise DomainError("answer_required", "须提交书面说明或补正报告", rule="APR-11")
    review.explanation = (explanation or "").strip()
    review.answered_at = now
    review.save()
    before = _transition(c, "answer_review", rule="APR-11")
    c.save()
    deadline_close(subject=c.subject, rule_id="APR-11", actor=actor)
    _open_delivery_deadline(c, actor=actor)
    audit(
        c.request,
        action="report.review_answered",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "answer": review.answer_kind,
            "report": review.corrected_report_id,
        },
        rules=["APR-11"],
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.review",
        subject=f"机构已答复审查意见：{c.firm.name}",
        body=f"{c.request.case.number}：「{c.firm.name}」已{review.get_answer_kind_display()}，请再次审查。",
        key=f"review:{review.pk}:answered",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return review


# --- service receipts, objection windows, the fixed result (APR-15) --------------------------


@transaction.atomic
def report_service_receipt(
    *, record: ServiceRecord, received_at: dt.datetime, proof: str, actor: Actor
) -> ServiceRecord:
    if not (proof or "").strip():
        raise DomainError("proof_required", "须登记送达凭证（如邮件回执号）", rule="REC-10")
    return service_receipt(record=record, received_at=received_at, proof=proof.strip(), actor=actor)


@transaction.atomic
def report_service_publish(
    *, commission: Commission, party: Party, reason: str, actor: Actor
) -> ServiceRecord:
    """PRC-10: an unreachable party is served by publication on 中国执行信息公开网 (deemed 15 days)."""
    c = _lock(commission)
    report = c.current_report()
    if c.state != Commission.State.SERVED or report is None:
        raise DomainError("invalid_state", "报告尚未进入送达阶段", rule="PRC-10")
    if party.case_id != c.request.case_id:
        raise DomainError("not_a_party", "不是本案当事人")
    rec = service_record(
        court=c.court,
        subject=c.subject,
        document=f"评估报告（第{report.version}版，公示送达）",
        document_kind=REPORT_KIND,
        recipient_ref=f"party:{party.pk}",
        recipient_name=party.name,
        method=ServiceRecord.Method.ENFORCEMENT_INFO_PUBLICATION,
        unreachable_reason=reason,
        actor=actor,
    )
    audit(
        c.request,
        action="report.published_for_service",
        actor=actor,
        subject=c.subject,
        after={"party": f"party:{party.pk}", "deemed_at": rec.deemed_at},
        reason=reason,
        rules=["PRC-10"],
    )
    return rec


def objection_window(c: Commission, party: Party) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(served_at, window closes) for one party: 5 days from receipt (APR-12, REC-01)."""
    served = recipient_served_at(
        subject=c.subject, recipient_ref=f"party:{party.pk}", document_kind=REPORT_KIND
    )
    if served is None:
        return None, None
    return served, calendar.within_days(served, OBJECTION_DAYS, court=c.court_id)


def objection_windows(c: Commission) -> list[dict[str, Any]]:
    out = []
    for party in c.request.case.parties.all().order_by("pk"):
        served, closes = objection_window(c, party)
        out.append({"party": party, "served_at": served, "closes_at": closes})
    return out


def result_fix_blockers(c: Commission, *, now: dt.datetime | None = None) -> list[str]:
    now = now or clock.now()
    if c.state != Commission.State.SERVED:
        return [f"状态为「{c.get_state_display()}」"]
    out = []
    for w in objection_windows(c):
        if w["served_at"] is None:
            out.append(f"{w['party'].name} 尚未送达")
        elif now <= w["closes_at"]:
            out.append(f"{w['party'].name} 的异议期至 {local_date(w['closes_at']):%Y-%m-%d}")
    open_objections = [o for o in c.objections.all() if o.is_open]
    if open_objections:
        out.append(f"有 {len(open_objections)} 件异议未办结")
    return out


@transaction.atomic
def result_fix(*, commission: Commission, actor: Actor = None) -> Report:
    """APR-15: once every objection window has closed and every objection is settled, the current
    report (original or corrected) is the result; ``AppraisalResultFixed`` goes out in this
    transaction."""
    c = _lock(commission)
    blockers = result_fix_blockers(c)
    if blockers:
        raise DomainError(
            "result_not_ready", "暂不能确定评估结果：" + "；".join(blockers), rule="APR-15"
        )
    report = c.current_report()
    if report is None:  # a served commission has its report; refused rather than crashing
        raise DomainError("invalid_state", "没有可确定为结果的评估报告", rule="APR-15")
    before = _transition(c, "finalize", rule="APR-15")
    c.finalized_at = clock.now()
    c.save()
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    req.status = AppraisalRequest.Status.FIXED
    req.closed_at = c.finalized_at
    req.save(update_fields=["status", "closed_at"])
    valid_until = calendar.end_of_day(report.valid_until)
    audit(
        req,
        action="appraisal.result_fixed",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "report": report.pk,
            "version": report.version,
            "amount_fen": report.amount_fen,
            "valid_until": valid_until,
        },
        rules=["APR-15"],
    )
    publish(
        AppraisalResultFixed(
            procedure_ref=req.procedure_ref,
            case_id=req.case_id,
            asset_id=req.asset_id,
            amount_fen=report.amount_fen,
            report_id=report.pk,
            valid_until=valid_until,
        )
    )
    parties = [p.user for p in req.case.parties.exclude(user=None) if p.user is not None]
    notify_many(
        parties + court_contacts(req) + firm_users(c.firm),
        topic="appraisal.fixed",
        subject="评估结果已确定",
        body=f"{req.case.number}：「{req.asset.name}」评估结果已确定（第{report.version}版报告）。",
        key=f"report:{report.pk}:fixed",
        link=link("party_request", req.pk),
        court=req.court,
        legal=False,
    )
    return report


# --- reissue (PRC-12) -----------------------------------------------------------------------


@transaction.atomic
def appraisal_reissue_request(
    *, procedure_ref: str, reason: str, actor: Actor = None
) -> Commission:
    """The result lapsed before the announcement: the original firm reissues within 15 days at
    30% of the fee (PRC-12, PRC-16)."""
    req = AppraisalRequest.objects.select_for_update().filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", "评估申请不存在")
    if req.status != AppraisalRequest.Status.FIXED:
        raise DomainError("not_fixed", "评估结果尚未确定，不能要求重新出具", rule="PRC-12")
    last = (
        req.commissions.filter(state=Commission.State.FINAL)
        .order_by("-finalized_at", "-pk")
        .first()
    )
    if last is None:
        raise DomainError("no_final_commission", "没有已确定结果的委托", rule="PRC-12")
    req.status = AppraisalRequest.Status.COMMISSIONED
    req.closed_at = None
    req.save(update_fields=["status", "closed_at"])
    audit(
        req,
        action="appraisal.reissue_requested",
        actor=actor,
        subject=req.subject,
        reason=reason or "",
        after={"firm": last.firm_id, "of": last.pk},
        rules=["PRC-12"],
    )
    return _offer(
        req,
        firm=last.firm,
        ranked=None,
        actor=actor,
        kind=Commission.Kind.REISSUE,
        reissue_of=last.reissue_of or last,
    )


# --- the periodic sweep ---------------------------------------------------------------------


def appraisers_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Agreement windows that lapsed, case suspensions, late firms, results ready to fix.

    Safe with several workers: each item is taken with ``skip_locked``.
    """
    from appraisers.services.selection import agreement_refresh

    now = now or clock.now()
    counts = {"agreement_lapsed": 0, "paused": 0, "resumed": 0, "late": 0, "fixed": 0}
    for pk in AppraisalRequest.objects.filter(
        status=AppraisalRequest.Status.AGREEMENT, agreement_deadline__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            req = AppraisalRequest.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if req is not None:
                agreement_refresh(request=req)
                counts["agreement_lapsed"] += 1
    working = Commission.objects.filter(state__in=WORKING_STATES).select_related("request__case")
    for c in working:
        suspended = c.request.case.status == Case.Status.SUSPENDED
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=c.pk).first()
            if locked is None:
                continue
            if suspended and locked.paused_at is None:
                commission_pause(commission=locked, reason=CASE_SUSPENDED_REASON)
                counts["paused"] += 1
            elif (
                not suspended
                and locked.paused_at is not None
                and locked.pause_reason == CASE_SUSPENDED_REASON
            ):
                commission_resume(commission=locked)
                counts["resumed"] += 1
    late = Commission.objects.filter(
        state__in=WORKING_STATES, paused_at__isnull=True, report_due_at__lt=now
    )
    for pk in late.values_list("pk", flat=True):
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if (
                locked is None
                or locked.extensions.filter(status=ExtensionRequest.Status.PENDING).exists()
            ):
                continue
            try:
                commission_mark_late(commission=locked)
                counts["late"] += 1
            except DomainError:
                continue
    for pk in Commission.objects.filter(state=Commission.State.SERVED).values_list("pk", flat=True):
        c = Commission.objects.get(pk=pk)
        if result_fix_blockers(c, now=now):
            continue
        with transaction.atomic():
            locked = Commission.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None:
                continue
            try:
                result_fix(commission=locked)
                counts["fixed"] += 1
            except DomainError:
                continue
    return counts
