"""The report: delivery by the firm (APR-04/07, refused when late, APR-09), court review
(APR-11) and the firm's answer, service on the parties (PRC-10, REC-10).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from appraisers.models import Commission, Report, ReviewRequest
from appraisers.services._common import (
    audit,
    court_contacts,
    firm_users,
    notify_many,
    person,
    serve_on_parties,
)
from appraisers.services.commission import (
    CORRECTION_KIND,
    OBJECTION_DAYS,
    REPORT_KIND,
    _lock,
    _report_rule,
    _transition,
    local_date,
    report_checks,
    require_firm_user,
)
from appraisers.services.selection import link
from cases.models import Party
from core import calendar, clock
from core.deadlines import deadline_cancel, deadline_close, deadline_open, deadline_title
from core.errors import DomainError
from core.models import ServiceRecord, User
from core.notifications import text
from core.rulesettings import get_setting
from core.service import service_receipt, service_record
from core.types import Actor

PDF_MAGIC = b"%PDF-"


def _add_months(day: dt.date, months: int) -> dt.date:
    import calendar as _cal

    m0 = day.month - 1 + months
    year, month = day.year + m0 // 12, m0 % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, _cal.monthrange(year, month)[1]))


def _check_pdf(upload: File | None, *, court: int) -> tuple[str, int]:
    """A PDF by its magic bytes, within the size limit. Returns (sha256, size)."""
    if upload is None:
        raise DomainError("report_file_required", _("请上传评估报告 PDF 文件"), rule="APR-04")
    max_mb = int(get_setting("appraisal_report_max_mb", court=court))
    size = getattr(upload, "size", None)
    if size is not None and size > max_mb * 1024 * 1024:
        raise DomainError(
            "report_too_large",
            _("报告文件不得超过 %(max_mb)s MB") % {"max_mb": max_mb},
            rule="APR-04",
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise DomainError(
            "report_not_pdf", _("报告文件须为 PDF 格式（文件内容不是 PDF）"), rule="APR-04"
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
        raise DomainError(
            "report_too_large",
            _("报告文件不得超过 %(max_mb)s MB") % {"max_mb": max_mb},
            rule="APR-04",
        )
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
            raise DomainError(
                "report_field_required", _("报告须载明%(label)s") % {"label": label}, rule="APR-04"
            )
    try:
        amount = int(data["amount_fen"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DomainError("invalid_amount", _("评估结果金额无效"), rule="APR-04") from exc
    if amount <= 0:
        raise DomainError("invalid_amount", _("评估结果须大于零"), rule="APR-04")
    value_date, valid_until = data.get("value_date"), data.get("valid_until")
    if not isinstance(value_date, dt.date) or not isinstance(valid_until, dt.date):
        raise DomainError("dates_required", _("须载明评估基准日和有效期"), rule="APR-04")
    if value_date > clock.today():
        raise DomainError("value_date_future", _("评估基准日不能晚于今天"), rule="APR-04")
    months = int(get_setting("result_validity_max_months", court=c.court_id))
    if valid_until <= value_date or valid_until > _add_months(value_date, months):
        raise DomainError(
            "invalid_validity",
            _("有效期须在评估基准日之后且不超过 %(months)s 个月") % {"months": months},
            rule="PRC-11",
        )
    signers = [s.strip() for s in (data.get("signer_licences") or []) if str(s).strip()]
    if not signers:
        raise DomainError("signers_required", _("须填写签字评估师的执业证书编号"), rule="APR-04")
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


def _open_delivery_deadline(c: Commission, *, actor: Actor) -> None:
    """PRC-10: the court serves the report on the parties within 3 days of receiving it."""
    days = int(get_setting("report_delivery_days", court=c.court_id))
    deadline_open(
        rule_id="PRC-10",
        title=gettext_noop("向当事人送达评估报告"),
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
        raise DomainError("report_late", _("报告期限已届满，不能再提交（APR-09）"), rule="APR-09")
    source = Report.Source.REISSUE if c.kind == Commission.Kind.REISSUE else Report.Source.INITIAL
    if c.state == Commission.State.ACCEPTED and c.kind != Commission.Kind.REISSUE:
        raise DomainError("inspection_required", _("须先记录现场勘验"), rule="APR-06")
    from django_fsm import can_proceed

    if not can_proceed(c.deliver):
        raise DomainError(
            "invalid_state",
            _("当前状态（%(get_state_display)s）不能提交报告")
            % {"get_state_display": c.get_state_display()},
            rule="APR-07",
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
        subject=text(gettext_lazy("评估报告已提交：%(asset)s"), asset=c.request.asset.name),
        body=text(
            gettext_lazy(
                "%(case)s：「%(firm)s」已提交评估报告，请审查（APR-11）并于3日内送达当事人（PRC-10）。"
            ),
            case=c.request.case.number,
            firm=c.firm.name,
        ),
        key=f"report:{report.pk}:delivered",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return report


def _serve(c: Commission, report: Report, *, kind: str, actor: Actor) -> None:
    """PRC-10: the report reaches every party and interested person, with a service record."""
    doc = f"评估报告（{report.get_source_display()}，第{report.version}版）"
    serve_on_parties(
        c.request.case,
        court=c.court,
        subject=c.subject,
        document=doc,
        document_kind=kind,
        actor=actor,
        topic="appraisal.report",
        title=gettext_lazy("评估报告送达"),
        body=text(
            gettext_lazy("%(case)s：「%(asset)s」的评估报告（%(source)s，第%(version)s版）已送达。")
            if kind == CORRECTION_KIND
            else gettext_lazy(
                "%(case)s：「%(asset)s」的评估报告（%(source)s，第%(version)s版）已送达。"
                "如有异议，请在收到之日起%(days)s日内在线提出（APR-12）。"
            ),
            case=c.request.case.number,
            asset=c.request.asset.name,
            source=report.get_source_display,
            version=report.version,
            days=OBJECTION_DAYS,
        ),
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
        raise DomainError("invalid_state", _("没有待审查的报告"), rule="APR-11")
    grounds = [g for g in grounds if g]
    bad = [g for g in grounds if g not in ReviewRequest.Ground.values]
    if bad:
        raise DomainError(
            "invalid_ground", _("审查事由无效：%(join)s") % {"join": ", ".join(bad)}, rule="APR-11"
        )
    now = clock.now()
    if grounds:
        if not (note or "").strip():
            raise DomainError("note_required", _("须写明需说明或补正的具体问题"), rule="APR-11")
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
            title=deadline_title(gettext_noop("书面说明或补正（%(firm)s）"), firm=c.firm.name),
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
            subject=gettext_lazy("法院审查：请说明或补正"),
            body=text(
                gettext_lazy("%(case)s：%(note)s。请于 %(day)s 前书面说明或补正（APR-11）。"),
                case=c.request.case.number,
                note=note.strip(),
                day=local_date(due),
            ),
            key=f"review:{review.pk}",
            link=link("firm_commission", c.pk),
            court=c.court,
        )
        return c
    problems = report_checks(report)
    if problems:
        raise DomainError(
            "report_check_failed",
            _("%(problems)s。请要求机构说明或补正") % {"problems": "；".join(problems)},
            rule="APR-11",
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
        raise DomainError("invalid_state", _("没有待答复的审查意见"), rule="APR-11")
    now = clock.now()
    if upload is not None:
        report = _new_report(
            c, source=Report.Source.REVIEW_CORRECTION, upload=upload, data=report_data, actor=actor
        )
        review.answer_kind, review.corrected_report = ReviewRequest.Answer.CORRECTION, report
    elif (explanation or "").strip():
        review.answer_kind = ReviewRequest.Answer.EXPLANATION
    else:
        raise DomainError("answer_required", _("须提交书面说明或补正报告"), rule="APR-11")
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
        subject=text(gettext_lazy("机构已答复审查意见：%(firm)s"), firm=c.firm.name),
        body=text(
            gettext_lazy("%(case)s：「%(firm)s」已%(answer)s，请再次审查。"),
            case=c.request.case.number,
            firm=c.firm.name,
            answer=review.get_answer_kind_display,
        ),
        key=f"review:{review.pk}:answered",
        link=link("court_request", c.request_id),
        court=c.court,
    )
    return review


# --- service of the report on the parties (PRC-10, REC-10) ----------------------------------


@transaction.atomic
def report_service_receipt(
    *, record: ServiceRecord, received_at: dt.datetime, proof: str, actor: Actor
) -> ServiceRecord:
    if not (proof or "").strip():
        raise DomainError("proof_required", _("须登记送达凭证（如邮件回执号）"), rule="REC-10")
    return service_receipt(record=record, received_at=received_at, proof=proof.strip(), actor=actor)


@transaction.atomic
def report_service_publish(
    *, commission: Commission, party: Party, reason: str, actor: Actor
) -> ServiceRecord:
    """PRC-10: an unreachable party is served by publication on 中国执行信息公开网 (deemed 15 days)."""
    c = _lock(commission)
    report = c.current_report()
    if c.state != Commission.State.SERVED or report is None:
        raise DomainError("invalid_state", _("报告尚未进入送达阶段"), rule="PRC-10")
    if party.case_id != c.request.case_id:
        raise DomainError("not_a_party", _("不是本案当事人"))
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
