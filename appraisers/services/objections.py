"""Objections to an appraisal report (异议, APR-12..15) and expert technical review (专业技术评审).

Route: admissibility first (APR-14: late, against a correction, an explanation or a review
conclusion → refused with the reason). Grounds (3) unqualified appraiser and (4) seriously
unlawful procedure are decided first by the court (enforcement-objection track, REC-12); if
upheld, the materials go back within 3 days and the next-ranked firm re-appraises (APR-13).
Grounds (1)–(2) and objections to standard, method or result are forwarded to the firm within
3 days; the firm answers within 5; if it does not, or the objector is not satisfied, the court
sends the question to expert review in a period it sets; the conclusion is recorded (APR-13).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from appraisers.models import AppraisalRequest, Commission, Objection, Report
from appraisers.services._common import (
    audit,
    court_contacts,
    firm_users,
    notify_many,
    person,
)
from appraisers.services.commission import (
    CORRECTION_KIND,
    OBJECTION_DAYS,
    _transition,
    local_date,
    objection_window,
    require_firm_user,
)
from appraisers.services.offer import offer_next
from appraisers.services.report import _new_report, _serve
from appraisers.services.selection import link
from cases.models import Party
from core import calendar, clock
from core.deadlines import (
    ENFORCEMENT_ACT,
    deadline_cancel,
    deadline_close,
    deadline_open,
    deadline_title,
    objection_review_open,
    objection_ruling_served,
    title_word,
)
from core.errors import DomainError, PermissionDenied
from core.models import Deadline, User
from core.notifications import Message
from core.notifications import text as message_text
from core.rulesettings import get_setting
from core.types import Actor

G = Objection.Ground
S = Objection.Status
OC = Objection.Outcome
FORWARD_DAYS = 3  # APR-13 (firm)
ANSWER_DAYS = 5  # APR-13 (firm)


def _lock(o: Objection) -> Objection:
    return Objection.objects.select_for_update().select_related("commission__request").get(pk=o.pk)


def _lock_c(c: Commission) -> Commission:
    return Commission.objects.select_for_update().select_related("request", "firm").get(pk=c.pk)


def _owner(o: Objection) -> User | None:
    return o.commission.request.case.judge


def _notify_objector(o: Objection, *, subject: Message, body: Message, key: str) -> None:
    user = o.party.user
    if user is not None:
        notify_many(
            [user],
            topic="appraisal.objection",
            subject=subject,
            body=body,
            key=key,
            link=link("party_request", o.commission.request_id),
            court=o.commission.court,
        )


@transaction.atomic
def objection_file(
    *,
    commission: Commission,
    party: Party,
    grounds: list[str],
    text: str,
    actor: Actor,
    target: str = Objection.Target.REPORT,
    fraud_alleged: bool = False,
) -> Objection:
    """File an objection. An inadmissible one is recorded as refused, with the reason (APR-14)."""
    c = _lock_c(commission)
    if party.case_id != c.request.case_id:
        raise PermissionDenied("not_a_party", _("只有本案当事人可以提出异议"), rule="APR-12")
    grounds = list(dict.fromkeys(g for g in grounds if g))
    if not grounds or any(g not in G.values for g in grounds):
        raise DomainError("grounds_required", _("请选择异议事由"), rule="APR-12")
    if not (text or "").strip():
        raise DomainError("text_required", _("请书面写明异议内容和理由"), rule="APR-12")
    if target not in Objection.Target.values:
        raise DomainError("invalid_target", _("异议对象无效"))
    report = c.current_report()
    if c.state not in (Commission.State.SERVED, Commission.State.FINAL) or report is None:
        raise DomainError("report_not_served", _("评估报告尚未送达，暂不能提出异议"), rule="APR-12")
    now = clock.now()
    served, closes = objection_window(c, party)
    refusal = ""
    if target != Objection.Target.REPORT:
        refusal = f"不得对{Objection.Target(target).label}提出异议（APR-14）"
    elif not report.objectionable:
        refusal = f"现行报告为{report.get_source_display()}，不得对补正报告提出异议（APR-14）"
    elif c.state == Commission.State.FINAL or (closes is not None and now > closes):
        when = f"，至 {local_date(closes):%Y-%m-%d} 届满" if closes else ""
        refusal = f"超过异议期（收到报告之日起{OBJECTION_DAYS}日内{when}）（APR-14）"
    o = Objection(
        commission=c,
        report=report,
        party=party,
        filed_by=person(actor),
        filed_at=now,
        target=target,
        grounds=grounds,
        text=text.strip(),
        fraud_alleged=bool(fraud_alleged),
    )
    rules = ["APR-12"]
    if refusal:
        o.status, o.outcome, o.refusal_reason, o.closed_at = S.REFUSED, OC.REFUSED, refusal, now
        rules.append("APR-14")
        announced = c.request.first_announced_at
        if fraud_alleged and (announced is None or now < announced):
            # APR-14 exception: fraud, duress, collusion… raised before the first announcement or
            # direct sale goes to enforcement supervision (the same timing as pricing's path).
            o.outcome = OC.SUPERVISION
            o.refusal_reason = refusal + "；所主张欺诈、胁迫、恶意串通等情形转执行监督程序审查"
        elif fraud_alleged and announced is not None:
            o.refusal_reason = (
                refusal + f"；已于 {local_date(announced):%Y-%m-%d} 发布首次拍卖公告，"
                "所主张欺诈等情形不再转执行监督程序（APR-14）"
            )
        o.save()
    elif o.procedural:
        o.status = S.PROCEDURAL
        o.save()
        objection_review_open(
            track=ENFORCEMENT_ACT,
            subject=o.subject,
            what=title_word(gettext_noop("评估异议：评估人员资质/程序")),
            filed_at=now,
            court=c.court_id,
            owner=_owner(o),
            party_ref=f"party:{party.pk}",
            actor=actor,
        )
        rules.append("APR-13")
    else:
        o.status = S.TO_FORWARD
        o.save()
        deadline_open(
            rule_id="APR-13",
            title=gettext_noop("将评估异议转交评估机构"),
            subject=o.subject,
            start_event="objection.filed",
            started_at=now,
            period=FORWARD_DAYS,
            court=c.court_id,
            owner=_owner(o),
            owner_role="judge",
            party_ref=f"party:{party.pk}",
            actor=actor,
        )
        rules.append("APR-13")
    audit(
        c.request,
        action="objection.filed",
        actor=actor,
        subject=o.subject,
        after={
            "party": f"party:{party.pk}",
            "report": report.pk,
            "target": target,
            "grounds": grounds,
            "status": o.status,
            "refusal": o.refusal_reason,
            "served_at": served,
        },
        reason=o.text,
        rules=rules,
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.objection",
        subject=message_text(gettext_lazy("评估异议：%(asset)s"), asset=c.request.asset.name),
        body=message_text(
            gettext_lazy(
                "%(case)s：%(party)s对评估报告提出异议（%(grounds)s）。不予受理：%(refusal)s"
            )
            if refusal
            else gettext_lazy(
                "%(case)s：%(party)s对评估报告提出异议（%(grounds)s）。请依法处理（APR-13）。"
            ),
            case=c.request.case.number,
            party=party.name,
            grounds=lambda: gettext("、").join(str(g) for g in o.grounds_display()),
            refusal=o.refusal_reason,
        ),
        key=f"objection:{o.pk}:filed",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return o


@transaction.atomic
def appraisal_record_announcement(
    *,
    published_at: dt.datetime,
    procedure_ref: str = "",
    asset_id: int | None = None,
    actor: Actor = None,
) -> bool:
    """APR-14: the first auction announcement (or direct sale) of the asset was published —
    pricing tells us by procedure, bidding's offline channel by asset; from then on a late
    objection alleging fraud is refused like any late one. Only the first counts; returns
    whether this call recorded it."""
    qs = AppraisalRequest.objects.select_for_update().filter(first_announced_at__isnull=True)
    if procedure_ref:
        qs = qs.filter(procedure_ref=procedure_ref)
    elif asset_id is not None:
        qs = qs.filter(asset_id=asset_id)
    else:
        raise ValueError("procedure_ref or asset_id")
    recorded = False
    for req in qs.order_by("pk"):
        _record_announcement(req, published_at, actor)
        recorded = True
    return recorded


def _record_announcement(req: AppraisalRequest, published_at: dt.datetime, actor: Actor) -> None:
    req.first_announced_at = published_at
    req.save(update_fields=["first_announced_at"])
    audit(
        req,
        action="appraisal.first_announced",
        actor=actor,
        subject=f"appraisal_request:{req.pk}",
        after={"first_announced_at": published_at},
        rules=["APR-14"],
    )


def _replace_commission(c: Commission, *, reason: str, actor: Actor, rules: list[str]) -> None:
    """APR-13: the firm is replaced: materials back within 3 days, no fee, next-ranked firm."""
    before = _transition(c, "replace", rule="APR-13")
    now = clock.now()
    days = int(get_setting("late_return_materials_days", court=c.court_id))
    c.fee_forfeited = True
    c.ended_reason = reason[:300]
    c.materials_return_due_at = calendar.within_days(now, days, court=c.court_id)
    c.save()
    deadline_cancel(subject=c.subject, actor=actor, reason="评估机构已更换")
    deadline_open(
        rule_id="APR-13",
        title=deadline_title(gettext_noop("退回评估材料（%(firm)s）"), firm=c.firm.name),
        subject=c.subject,
        start_event="objection.upheld",
        started_at=now,
        period=days,
        court=c.court_id,
        owner=c.request.case.judge,
        owner_role="judge",
        party_ref=c.firm.ref,
        actor=actor,
    )
    for other in c.objections.select_for_update().exclude(status__in=[S.REFUSED, S.CLOSED]):
        other.status, other.closed_at = S.CLOSED, now
        if not other.outcome:
            other.procedural_reason = (
                other.procedural_reason + "\n" if other.procedural_reason else ""
            ) + "因评估机构更换而终结"
        other.save()
        deadline_cancel(subject=other.subject, actor=actor, reason="评估机构已更换")
    audit(
        c.request,
        action="commission.replaced",
        actor=actor,
        subject=c.subject,
        before={"state": before},
        after={
            "state": c.state,
            "fee_forfeited": True,
            "materials_return_due_at": c.materials_return_due_at,
        },
        reason=reason,
        rules=rules,
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.replaced",
        subject=gettext_lazy("委托已更换"),
        body=message_text(
            gettext_lazy("%(case)s：%(reason)s。请于 %(day)s 前退回评估材料（APR-13）。"),
            case=c.request.case.number,
            reason=reason,
            day=local_date(c.materials_return_due_at),
        ),
        key=f"commission:{c.pk}:replaced",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    req = AppraisalRequest.objects.select_for_update().get(pk=c.request_id)
    offer_next(request=req, actor=actor)


@transaction.atomic
def objection_decide_procedural(
    *, objection: Objection, upheld: bool, reason: str, actor: Actor
) -> Objection:
    """Grounds (3)/(4) first (APR-13): upheld → replacement; else the substantive part goes on."""
    o = _lock(objection)
    if o.status != S.PROCEDURAL:
        raise DomainError("invalid_state", _("该异议不处于程序事由审查阶段"), rule="APR-13")
    if not (reason or "").strip():
        raise DomainError("reason_required", _("须写明审查意见"), rule="APR-13")
    now = clock.now()
    o.procedural_upheld, o.procedural_reason, o.procedural_decided_at = (
        bool(upheld),
        reason.strip(),
        now,
    )
    # REC-12: the ruling is served on the objector (notified below); 10 days to reconsider.
    objection_ruling_served(
        track=ENFORCEMENT_ACT,
        subject=o.subject,
        what=title_word(gettext_noop("评估异议：评估人员资质/程序")),
        served_at=now,
        court=o.commission.court_id,
        owner=_owner(o),
        party_ref=f"party:{o.party_id}",
        actor=actor,
    )
    if upheld:
        o.status, o.outcome, o.closed_at = S.CLOSED, OC.UPHELD_REPLACED, now
        o.save()
        c = _lock_c(o.commission)
        _replace_commission(
            c,
            reason=f"异议成立（{'、'.join(o.grounds_display())}）：{reason.strip()}",
            actor=actor,
            rules=["APR-13", "APR-15"],
        )
    elif o.substantive:
        o.status = S.TO_FORWARD
        o.save()
        deadline_open(
            rule_id="APR-13",
            title=gettext_noop("将评估异议转交评估机构"),
            subject=o.subject,
            start_event="objection.procedural_rejected",
            started_at=now,
            period=FORWARD_DAYS,
            court=o.commission.court_id,
            owner=_owner(o),
            owner_role="judge",
            actor=actor,
        )
    else:
        o.status, o.outcome, o.closed_at = S.CLOSED, OC.REJECTED, now
        o.save()
    audit(
        o.commission.request,
        action="objection.procedural_decided",
        actor=actor,
        subject=o.subject,
        after={"upheld": bool(upheld), "status": o.status, "outcome": o.outcome},
        reason=reason,
        rules=["APR-13", "REC-12"],
    )
    _notify_objector(
        o,
        subject=gettext_lazy("评估异议审查结果"),
        body=message_text(
            gettext_lazy("您提出的评估异议（程序事由）成立，将更换评估机构重新评估：%(reason)s")
            if upheld
            else gettext_lazy("您提出的评估异议（程序事由）不成立：%(reason)s"),
            reason=reason.strip(),
        ),
        key=f"objection:{o.pk}:procedural",
    )
    return o


@transaction.atomic
def objection_forward(*, objection: Objection, actor: Actor) -> Objection:
    """Forward to the firm (within 3 days of filing); the firm answers within 5 days (APR-13)."""
    o = _lock(objection)
    if o.status != S.TO_FORWARD:
        raise DomainError("invalid_state", _("该异议不处于待转交阶段"), rule="APR-13")
    now = clock.now()
    o.status, o.forwarded_at = S.FORWARDED, now
    o.save()
    c = o.commission
    deadline_close(subject=o.subject, rule_id="APR-13", actor=actor)
    deadline_open(
        rule_id="APR-13",
        title=deadline_title(gettext_noop("评估机构答复异议（%(firm)s）"), firm=c.firm.name),
        subject=o.subject,
        start_event="objection.forwarded",
        started_at=now,
        period=ANSWER_DAYS,
        court=c.court_id,
        owner=_owner(o),
        owner_role="judge",
        party_ref=c.firm.ref,
        actor=actor,
    )
    audit(
        c.request,
        action="objection.forwarded",
        actor=actor,
        subject=o.subject,
        after={"forwarded_at": now},
        rules=["APR-13"],
    )
    notify_many(
        firm_users(c.firm),
        topic="appraisal.objection",
        subject=gettext_lazy("评估异议待答复"),
        body=message_text(
            gettext_lazy(
                "%(case)s：当事人对评估报告提出异议，请于%(days)s日内书面答复（APR-13）。"
            ),
            case=c.request.case.number,
            days=ANSWER_DAYS,
        ),
        key=f"objection:{o.pk}:forwarded",
        link=link("firm_commission", c.pk),
        court=c.court,
    )
    return o


def answer_due_at(o: Objection) -> dt.datetime | None:
    if o.forwarded_at is None:
        return None
    return calendar.within_days(o.forwarded_at, ANSWER_DAYS, court=o.commission.court_id)


@transaction.atomic
def objection_answer(
    *,
    objection: Objection,
    text: str,
    actor: Actor,
    upload: File | None = None,
    **report_data: Any,
) -> Objection:
    """The firm answers within 5 days, with an explanation or a corrected report (APR-13)."""
    o = _lock(objection)
    c = _lock_c(o.commission)
    actor = require_firm_user(c, actor)
    due = answer_due_at(o)
    if o.status != S.FORWARDED or due is None:  # a forwarded objection has its answer period
        raise DomainError("invalid_state", _("该异议不处于待答复阶段"), rule="APR-13")
    now = clock.now()
    if now > due:
        raise DomainError("answer_late", _("答复期限已过，法院将组织专业技术评审"), rule="APR-13")
    if not (text or "").strip():
        raise DomainError("text_required", _("须书面答复"), rule="APR-13")
    if upload is not None:
        report = _new_report(
            c,
            source=Report.Source.OBJECTION_CORRECTION,
            upload=upload,
            data=report_data,
            actor=actor,
        )
        o.corrected_report = report
        _serve(c, report, kind=CORRECTION_KIND, actor=actor)
    o.status, o.answer_text, o.answered_at = S.ANSWERED, text.strip(), now
    o.save()
    deadline_close(subject=o.subject, rule_id="APR-13", actor=actor)
    audit(
        c.request,
        action="objection.answered",
        actor=actor,
        subject=o.subject,
        after={"corrected_report": o.corrected_report_id},
        reason=o.answer_text,
        rules=["APR-13"],
    )
    _notify_objector(
        o,
        subject=gettext_lazy("评估机构已答复您的异议"),
        body=gettext_lazy("评估机构已答复并出具补正报告。请在线表明是否接受。")
        if upload is not None
        else gettext_lazy("评估机构已答复。请在线表明是否接受。"),
        key=f"objection:{o.pk}:answered",
    )
    notify_many(
        court_contacts(c.request),
        topic="appraisal.objection",
        subject=gettext_lazy("评估机构已答复异议"),
        body=message_text(
            gettext_lazy("%(case)s：「%(firm)s」已答复异议。"),
            case=c.request.case.number,
            firm=c.firm.name,
        ),
        key=f"objection:{o.pk}:answered:court",
        link=link("court_request", c.request_id),
        court=c.court,
        legal=False,
    )
    return o


@transaction.atomic
def objection_respond(*, objection: Objection, satisfied: bool, actor: Actor) -> Objection:
    """The objector accepts the answer (closed) or not (the court may order expert review)."""
    o = _lock(objection)
    if o.status != S.ANSWERED or o.objector_satisfied is not None:
        raise DomainError("invalid_state", _("没有待表态的答复"), rule="APR-13")
    o.objector_satisfied = bool(satisfied)
    if satisfied:
        o.status, o.closed_at = S.CLOSED, clock.now()
        o.outcome = OC.CORRECTED if o.corrected_report_id else OC.SATISFIED
    o.save()
    audit(
        o.commission.request,
        action="objection.responded",
        actor=actor,
        subject=o.subject,
        after={"satisfied": bool(satisfied), "status": o.status, "outcome": o.outcome},
        rules=["APR-13", "APR-15"],
    )
    if not satisfied:
        notify_many(
            court_contacts(o.commission.request),
            topic="appraisal.objection",
            subject=gettext_lazy("异议人不接受答复"),
            body=message_text(
                gettext_lazy(
                    "%(case)s：异议人不接受评估机构的答复，可组织专业技术评审（APR-13）。"
                ),
                case=o.commission.request.case.number,
            ),
            key=f"objection:{o.pk}:unsatisfied",
            link=link("court_request", o.commission.request_id),
            court=o.commission.court,
        )
    return o


def expert_review_allowed(o: Objection, *, now: dt.datetime | None = None) -> bool:
    """APR-13: only when the firm did not answer in time, or the objector is not satisfied."""
    now = now or clock.now()
    if o.status == S.FORWARDED:
        due = answer_due_at(o)
        return due is not None and now > due
    return o.status == S.ANSWERED and o.objector_satisfied is False


@transaction.atomic
def expert_review_start(
    *, objection: Objection, body: str, due_at: dt.datetime, actor: Actor
) -> Objection:
    """Send the question to the industry association's expert review in a court-set period."""
    o = _lock(objection)
    if not expert_review_allowed(o):
        raise DomainError(
            "expert_review_not_allowed",
            _("仅在评估机构逾期未答复或异议人不接受答复时，方可组织专业技术评审"),
            rule="APR-13",
        )
    if not (body or "").strip():
        raise DomainError("body_required", _("须写明组织评审的行业协会"), rule="APR-13")
    now = clock.now()
    if due_at <= now:
        raise DomainError("deadline_in_past", _("评审期限须晚于当前时间"), rule="APR-13")
    deadline_close(
        subject=o.subject,
        rule_id="APR-13",
        actor=actor,
        status=Deadline.Status.CANCELLED,
        reason="转专业技术评审",
    )
    o.status, o.expert_body, o.expert_started_at, o.expert_due_at = (
        S.EXPERT_REVIEW,
        body.strip(),
        now,
        due_at,
    )
    o.save()
    deadline_open(
        rule_id="APR-13",
        title=gettext_noop("专业技术评审"),
        subject=o.subject,
        start_event="expert_review.started",
        started_at=now,
        unit=Deadline.Unit.FIXED,
        due_at=due_at,
        court=o.commission.court_id,
        owner=_owner(o),
        owner_role="judge",
        actor=actor,
    )
    audit(
        o.commission.request,
        action="objection.expert_review_started",
        actor=actor,
        subject=o.subject,
        after={"body": o.expert_body, "due_at": due_at},
        rules=["APR-13"],
    )
    _notify_objector(
        o,
        subject=gettext_lazy("已组织专业技术评审"),
        body=message_text(
            gettext_lazy("法院已委托%(expert)s进行专业技术评审，期限至 %(day)s。"),
            expert=o.expert_body,
            day=local_date(due_at),
        ),
        key=f"objection:{o.pk}:expert",
    )
    return o


@transaction.atomic
def expert_review_conclude(
    *, objection: Objection, conclusion: str, negative: bool, actor: Actor
) -> Objection:
    """Record the conclusion: no negative finding → the result stands (APR-15); otherwise the firm
    corrects within 3 days."""
    o = _lock(objection)
    if o.status != S.EXPERT_REVIEW:
        raise DomainError("invalid_state", _("该异议不处于专业技术评审阶段"), rule="APR-13")
    if not (conclusion or "").strip():
        raise DomainError("conclusion_required", _("须记录评审意见"), rule="APR-13")
    now = clock.now()
    o.expert_conclusion, o.expert_negative, o.expert_concluded_at = (
        conclusion.strip(),
        bool(negative),
        now,
    )
    deadline_close(subject=o.subject, rule_id="APR-13", actor=actor)
    c = o.commission
    if negative:
        days = int(get_setting("appraiser_explain_days", court=c.court_id))
        o.status = S.AWAITING_CORRECTION
        deadline_open(
            rule_id="APR-13",
            title=deadline_title(gettext_noop("按评审意见补正（%(firm)s）"), firm=c.firm.name),
            subject=o.subject,
            start_event="expert_review.concluded",
            started_at=now,
            period=days,
            court=c.court_id,
            owner=_owner(o),
            owner_role="judge",
            party_ref=c.firm.ref,
            actor=actor,
        )
        notify_many(
            firm_users(c.firm),
            topic="appraisal.objection",
            subject=gettext_lazy("请按专业技术评审意见补正"),
            body=message_text(
                gettext_lazy("%(case)s：评审意见：%(conclusion)s。请于%(days)s日内出具补正报告。"),
                case=c.request.case.number,
                conclusion=o.expert_conclusion,
                days=days,
            ),
            key=f"objection:{o.pk}:correct",
            link=link("firm_commission", c.pk),
            court=c.court,
        )
    else:
        o.status, o.outcome, o.closed_at = S.CLOSED, OC.EXPERT_NO_NEGATIVE, now
    o.save()
    audit(
        c.request,
        action="objection.expert_review_concluded",
        actor=actor,
        subject=o.subject,
        after={"negative": bool(negative), "status": o.status, "outcome": o.outcome},
        reason=o.expert_conclusion,
        rules=["APR-13", "APR-15"],
    )
    _notify_objector(
        o,
        subject=gettext_lazy("专业技术评审意见"),
        body=o.expert_conclusion,
        key=f"objection:{o.pk}:concluded",
    )
    return o


@transaction.atomic
def expert_correction_submit(
    *, objection: Objection, actor: Actor, upload: File | None, **report_data: Any
) -> Report:
    """The firm's correction after a negative expert finding becomes the result (APR-15)."""
    o = _lock(objection)
    c = _lock_c(o.commission)
    actor = require_firm_user(c, actor)
    if o.status != S.AWAITING_CORRECTION:
        raise DomainError("invalid_state", _("没有待补正的评审意见"), rule="APR-13")
    report = _new_report(
        c, source=Report.Source.EXPERT_CORRECTION, upload=upload, data=report_data, actor=actor
    )
    _serve(c, report, kind=CORRECTION_KIND, actor=actor)
    o.corrected_report, o.status, o.outcome, o.closed_at = (
        report,
        S.CLOSED,
        OC.EXPERT_CORRECTED,
        clock.now(),
    )
    o.save()
    deadline_close(subject=o.subject, rule_id="APR-13", actor=actor)
    audit(
        c.request,
        action="objection.expert_corrected",
        actor=actor,
        subject=o.subject,
        after={"report": report.pk, "amount_fen": report.amount_fen},
        rules=["APR-13", "APR-15"],
    )
    return report


@transaction.atomic
def objection_new_appraisal(*, objection: Objection, reason: str, actor: Actor) -> Objection:
    """APR-15 "upheld → correction or new appraisal": the court orders a new appraisal instead
    of waiting for a correction the firm did not deliver."""
    o = _lock(objection)
    if o.status != S.AWAITING_CORRECTION:
        raise DomainError(
            "invalid_state", _("仅在评审认为结果有误且待补正时可决定重新评估"), rule="APR-15"
        )
    if not (reason or "").strip():
        raise DomainError("reason_required", _("须说明理由"), rule="APR-15")
    o.status, o.outcome, o.closed_at = S.CLOSED, OC.UPHELD_REPLACED, clock.now()
    o.save()
    deadline_cancel(subject=o.subject, actor=actor, reason="决定重新评估")
    c = _lock_c(o.commission)
    _replace_commission(
        c,
        reason=f"专业技术评审认为结果有误，决定重新评估：{reason.strip()}",
        actor=actor,
        rules=["APR-13", "APR-15"],
    )
    return o
