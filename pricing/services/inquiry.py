"""Online inquiry (网络询价): send to every platform (PRC-06), collect within 3 days (PRC-07),
corrections (PRC-08), delivery (PRC-10), objections (APR-12/14/15), the PRC-09 mean."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.models import Party
from core import calendar, clock
from core.deadlines import (
    deadline_close,
    deadline_open,
    deadline_title,
    title_word,
)
from core.errors import Conflict, DomainError, NotFound
from core.models import ServiceRecord
from core.notifications import text
from core.service import recipient_served_at, service_record
from core.types import Actor
from pricing.models import (
    Inquiry,
    InquiryPlatform,
    InquiryReport,
    InquiryRequest,
    Method,
    Objection,
    PricingProcedure,
    PricingStep,
    ReferencePrice,
    ReportDelivery,
)
from pricing.platforms import PlatformReport, Submission, adapter_for
from pricing.services.contract import mean_half_up
from pricing.services.procedure import (
    NextStep,
    _audit,
    _begin,
    _check_lawful,
    _fail_step,
    _fix_price,
    _lock,
    _refuse_if_paused,
    _setting,
    check_amount,
    switch_to_appraisal,
)
from pricing.services.roster import active_platforms, lateness_record

log = logging.getLogger("gavel.pricing")
State = PricingProcedure.State
REPORT_DAYS = 3  # PRC-07: each platform reports within 3 days of receipt (constant, RULES §8)
EXTENSION_DAYS = 3  # PRC-07: one 3-day extension
OBJECTION_DAYS = 5  # APR-12: objections within 5 days of receipt (constant)
R = InquiryRequest.Status


def _msgid(label_of: Any) -> str:
    """A choice label's msgid (its Chinese words), whatever language is active."""
    with translation.override(None):
        return str(label_of())


def _lock_inquiry(inquiry: Inquiry | int) -> Inquiry:
    pk = inquiry if isinstance(inquiry, int) else inquiry.pk
    try:
        return Inquiry.objects.select_for_update().select_related("procedure").get(pk=pk)
    except Inquiry.DoesNotExist as exc:
        raise NotFound("inquiry_not_found", _("询价不存在")) from exc


def build_mandate(
    proc: PricingProcedure, *, purpose: str, quantity: int, deadline: dt.datetime
) -> dict:
    """PRC-06: the mandate states item, features, quantity, purpose and deadline."""
    asset = proc.asset
    return {
        "item": {
            "ref": proc.subject,
            "name": asset.name,
            "kind": asset.kind,
            "division_code": asset.division_code,
            "address": asset.address,
            "features": asset.features or {},
            "latitude": float(asset.latitude) if asset.latitude is not None else None,
            "longitude": float(asset.longitude) if asset.longitude is not None else None,
            "description": asset.description,
        },
        "quantity": quantity,
        "purpose": purpose,
        "deadline": deadline.isoformat(),
        "court": proc.court.name,
        "case": proc.case.number,
        "checks": proc.checks,
    }


# --------------------------------------------------------------------------- send and collect
@transaction.atomic
def inquiry_send(
    *,
    procedure: PricingProcedure,
    purpose: str = "确定财产处置参考价",
    fee_fen: int = 0,
    quantity: int = 1,
    platforms: list[InquiryPlatform] | None = None,
    joint_request: bool = False,
    actor: Actor = None,
) -> Inquiry:
    """PRC-06: one mandate to every platform on the roster at once; a subset is refused."""
    proc = _lock(procedure)
    nxt = _check_lawful(proc, Method.ONLINE_INQUIRY, joint_request=joint_request)
    roster = list(active_platforms())
    if not roster:
        raise DomainError(
            "no_platforms", _("名单库中没有可用的询价平台，无法网络询价"), rule="PRC-06"
        )
    if platforms is not None and {p.pk for p in platforms} != {p.pk for p in roster}:
        raise DomainError(
            "platform_subset", _("网络询价须同时向名单库中全部平台发出"), rule="PRC-06"
        )
    if fee_fen < 0:
        raise DomainError("invalid_fee", _("询价费不能为负"))
    if quantity < 1:
        raise DomainError("invalid_quantity", _("数量至少为 1"), rule="PRC-06")
    step = _begin(proc, Method.ONLINE_INQUIRY, nxt, actor=actor)
    return _create_inquiry(
        proc,
        step=step,
        roster=roster,
        purpose=purpose,
        quantity=quantity,
        fee_fen=fee_fen,
        kind=Inquiry.Kind.ORIGINAL,
        days=REPORT_DAYS,
        actor=actor,
    )


def _create_inquiry(
    proc: PricingProcedure,
    *,
    step: PricingStep,
    roster: list[InquiryPlatform],
    purpose: str,
    quantity: int,
    fee_fen: int,
    kind: str,
    days: int,
    actor: Actor,
) -> Inquiry:
    now = clock.now()
    due = calendar.within_days(now, days, court=proc.court_id)  # REC-01
    inquiry = Inquiry.objects.create(
        procedure=proc,
        step=step,
        kind=kind,
        sent_at=now,
        due_at=due,
        fee_fen=fee_fen,
        mandate=build_mandate(proc, purpose=purpose, quantity=quantity, deadline=due),
        sent_by=actor if getattr(actor, "pk", None) else None,
    )
    for platform in roster:
        InquiryRequest.objects.create(inquiry=inquiry, platform=platform, sent_at=now, due_at=due)
    _audit(
        proc,
        "inquiry_sent",
        actor=actor,
        after={
            "inquiry": inquiry.pk,
            "kind": kind,
            "platforms": [p.code for p in roster],
            "due_at": due.isoformat(),
            "fee_fen": fee_fen,
        },
        rules=("PRC-06", "PRC-07", "REC-01"),
    )
    transaction.on_commit(lambda: inquiry_dispatch(inquiry=inquiry.pk))
    return inquiry


def inquiry_dispatch(*, inquiry: Inquiry | int) -> dict[str, int]:
    """Call each platform whose report is still due (outside any transaction: HTTP may be slow)."""
    pk = inquiry if isinstance(inquiry, int) else inquiry.pk
    counts = {"reported": 0, "accepted": 0, "error": 0}
    waiting = list(
        InquiryRequest.objects.select_related("platform", "inquiry")
        .filter(
            inquiry_id=pk,
            inquiry__status__in=[
                Inquiry.Status.OPEN,
                Inquiry.Status.EXTENDED,
                Inquiry.Status.REPORTED,
            ],
        )
        .filter(status__in=[R.PENDING, R.ACCEPTED])
        # a platform that failed waits for its backoff (``retry_delay``)
        .exclude(next_attempt_at__gt=clock.now())
    )
    corrections = list(
        InquiryRequest.objects.select_related("platform", "inquiry")
        .filter(inquiry_id=pk)
        .exclude(correction_kind="")
    )
    for req in waiting:
        counts[_call(req, kind=req.inquiry.kind)] += 1
    for req in corrections:
        counts[_call(req, kind=req.correction_kind)] += 1
    return counts


def _call(req: InquiryRequest, *, kind: str) -> str:
    ref = f"{req.inquiry.procedure.ref}/inquiry:{req.inquiry_id}/request:{req.pk}"
    try:
        adapter = adapter_for(req.platform)
        if req.status == R.ACCEPTED and req.remote_id and not req.correction_kind:
            sub = adapter.poll(request_ref=ref, remote_id=req.remote_id)
        else:
            mandate = dict(req.inquiry.mandate)
            if req.correction_kind:
                # Re-read the item: the court may have corrected the asset's facts meanwhile.
                proc = req.inquiry.procedure
                mandate = build_mandate(
                    proc,
                    purpose=mandate.get("purpose", ""),
                    quantity=mandate.get("quantity", 1),
                    deadline=req.correction_due_at or req.due_at,
                )
            sub = adapter.submit(
                request_ref=ref, kind=kind, mandate=mandate, note=req.correction_note
            )
    except Exception as exc:  # an adapter bug must not stop the other platforms
        log.exception("platform %s failed", req.platform.code)
        sub = Submission(status="error", error=f"调用平台出错：{exc.__class__.__name__}")
    return _apply_submission(req.pk, sub)


RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=1)


def retry_delay(failures: int) -> dt.timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure in a row, at most an hour."""
    return min(RETRY_FIRST * 2 ** max(failures - 1, 0), RETRY_MAX)


def _recovered(req: InquiryRequest) -> None:
    """A platform that had failed answered again: one history entry, the backoff cleared."""
    if req.last_error:
        _audit(
            req.inquiry.procedure,
            "platform_recovered",
            after={"platform": req.platform.code},
            rules=("PRC-07",),
        )
    req.failures = 0
    req.next_attempt_at = None
    req.last_error = ""


@transaction.atomic
def _apply_submission(request_id: int, sub: Submission) -> str:
    req = (
        InquiryRequest.objects.select_for_update()
        .select_related("inquiry__procedure", "platform")
        .get(pk=request_id)
    )
    req.last_attempt_at = clock.now()
    if sub.status in ("report", "accepted"):
        _recovered(req)
    if sub.status == "report" and sub.report is not None:
        try:
            inquiry_report_record(request=req, report=sub.report)
        except DomainError as exc:
            return _failed(req, str(exc.message), "platform_report_refused", exc.rule, exc.code)
        req.save(update_fields=["failures", "next_attempt_at", "last_attempt_at", "last_error"])
        return "reported"
    if sub.status == "accepted":
        req.status = R.ACCEPTED if req.status == R.PENDING else req.status
        req.remote_id = sub.remote_id
        req.last_error = ""
        req.save(
            update_fields=[
                "status",
                "remote_id",
                "last_error",
                "last_attempt_at",
                "failures",
                "next_attempt_at",
            ]
        )
        return "accepted"
    return _failed(req, sub.error or "未知错误", "platform_error")


def _failed(
    req: InquiryRequest, error: str, action: str, rule: str | None = None, code: str = ""
) -> str:
    """A failed call: retried with backoff; the case history gets an entry only when the
    platform's trouble changes (a new message), not at every retry."""
    changed = error != req.last_error
    req.failures += 1
    req.next_attempt_at = clock.now() + retry_delay(req.failures)
    req.last_error = error
    req.save(update_fields=["last_error", "last_attempt_at", "failures", "next_attempt_at"])
    if changed:
        after: dict[str, object] = {"platform": req.platform.code}
        if code:
            after["code"] = code
        _audit(req.inquiry.procedure, action, after=after, reason=error, rules=(rule or "PRC-07",))
    return "error"


def _effective_due(req: InquiryRequest) -> dt.datetime:
    return req.due_at


@transaction.atomic
def inquiry_report_record(
    *, request: InquiryRequest, report: PlatformReport, received_at: dt.datetime | None = None
) -> InquiryReport:
    """A platform's report reaches the court. Only CNY reports can enter a reference price."""
    req = (
        InquiryRequest.objects.select_for_update()
        .select_related("inquiry__procedure", "platform")
        .get(pk=request.pk)
    )
    inquiry = req.inquiry
    proc = inquiry.procedure
    received_at = received_at or clock.now()
    if report.currency != "CNY":
        model = report.model_info or {}
        raise DomainError(
            "foreign_currency_report",
            _(
                "该平台结果以 %(currency)s 计价（训练数据：%(dataset)s），境外价格不得作为人民币参考价"
            )
            % {"currency": report.currency, "dataset": model.get("dataset") or _("未说明")},
            rule="PRC-09",
        )
    check_amount(report.amount_fen, what=_("询价结果"))
    low, high = report.interval_low_fen, report.interval_high_fen
    if low is not None and high is not None and not (0 < low <= report.amount_fen <= high):
        raise DomainError("invalid_interval", _("询价区间不合理"), rule="PRC-07")
    validity_cap = calendar.months_after(
        received_at, int(_setting(proc, "result_validity_max_months"))
    )
    valid_until = min(report.valid_until, validity_cap) if report.valid_until else validity_cap
    correcting = bool(req.correction_kind)
    if correcting:
        kind = req.correction_kind
        corrects = req.correction_of
        on_time = req.correction_due_at is None or received_at <= req.correction_due_at
    else:
        if req.status not in (R.PENDING, R.ACCEPTED, R.MISSING):
            raise Conflict("already_reported", _("该平台已出具报告"), rule="PRC-07")
        kind = (
            InquiryReport.Kind.REISSUE
            if inquiry.kind == Inquiry.Kind.REISSUE
            else InquiryReport.Kind.ORIGINAL
        )
        corrects = None
        on_time = received_at <= _effective_due(req) and req.status != R.MISSING
    rep = InquiryReport.objects.create(
        request=req,
        kind=kind,
        corrects=corrects,
        received_at=received_at,
        on_time=on_time,
        currency=report.currency,
        amount_fen=report.amount_fen,
        interval_low_fen=low,
        interval_high_fen=high,
        interval_level=report.interval_level,
        method=report.method,
        facts=report.facts,
        samples=report.samples,
        explanation=report.explanation,
        model_info=report.model_info,
        valid_until=valid_until,
        raw=report.raw,
    )
    if correcting:
        if kind == InquiryReport.Kind.OBJECTION_CORRECTION:
            Objection.objects.filter(report=corrects, status=Objection.Status.UPHELD).update(
                status=Objection.Status.CORRECTED, correction=rep
            )
        req.correction_kind = ""
        req.correction_of = None
        req.correction_note = ""
        req.correction_due_at = None
    else:
        req.status = R.REPORTED if on_time else R.LATE
        if not on_time and not hasattr(req, "lateness"):
            lateness_record(request=req, due_at=_effective_due(req))
    req.last_error = ""
    req.save()
    _audit(
        proc,
        "report_received",
        after={
            "inquiry": inquiry.pk,
            "platform": req.platform.code,
            "report": rep.pk,
            "kind": kind,
            "amount_fen": rep.amount_fen,
            "on_time": on_time,
            "valid_until": valid_until.isoformat(),
        },
        rules=("PRC-07", "PRC-08") if correcting else ("PRC-07",),
    )
    if on_time:
        # PRC-10: served on the parties within 3 days of the court's receipt.
        deadline_open(
            rule_id="PRC-10",
            title=deadline_title(
                gettext_noop("送达%(report)s（%(platform)s）"),
                report=title_word(_msgid(rep.get_kind_display)),
                platform=req.platform.name,
            ),
            subject=rep.subject,
            start_event="pricing.report_received",
            started_at=received_at,
            period=int(_setting(proc, "report_delivery_days")),
            court=proc.court_id,
            owner=proc.case.officer or proc.case.judge,
            owner_role="" if (proc.case.officer_id or proc.case.judge_id) else "officer",
        )
    if (
        not correcting
        and inquiry.status in (Inquiry.Status.OPEN, Inquiry.Status.EXTENDED)
        and not inquiry.requests.filter(status__in=[R.PENDING, R.ACCEPTED]).exists()
    ):
        _close_window(inquiry, actor=None)
    return rep


@transaction.atomic
def inquiry_request_extension(
    *, request: InquiryRequest, reason: str, actor: Actor = None
) -> InquiryRequest:
    """PRC-07: a platform asks for an extension before its deadline (decided when the window closes)."""
    req = (
        InquiryRequest.objects.select_for_update()
        .select_related("inquiry__procedure", "platform")
        .get(pk=request.pk)
    )
    if req.status not in (R.PENDING, R.ACCEPTED):
        raise Conflict("already_reported", _("该平台已出具报告，无须延期"), rule="PRC-07")
    if clock.now() > req.due_at:
        raise DomainError("extension_too_late", _("延期须在报告期限届满前申请"), rule="PRC-07")
    if req.extension_requested_at is not None:
        raise DomainError("extension_once", _("每个平台只能申请一次延期"), rule="PRC-07")
    if not reason.strip():
        raise DomainError("extension_reason_required", _("须说明延期理由"), rule="PRC-07")
    req.extension_requested_at = clock.now()
    req.extension_reason = reason.strip()
    req.save(update_fields=["extension_requested_at", "extension_reason"])
    _audit(
        req.inquiry.procedure,
        "extension_requested",
        actor=actor,
        after={"platform": req.platform.code, "request": req.pk},
        reason=reason,
        rules=("PRC-07",),
    )
    return req


def _close_window(inquiry: Inquiry, *, actor: Actor) -> str:
    """PRC-07 at the deadline: some on time → others' extensions refused; none on time → one 3-day
    extension for the applicants; all failed and none applied (or the extension failed too) → appraisal."""
    proc = _lock(inquiry.procedure_id)
    now = clock.now()
    requests = list(inquiry.requests.select_related("platform").select_for_update())
    reported = [r for r in requests if r.status == R.REPORTED]
    waiting = [r for r in requests if r.status in (R.PENDING, R.ACCEPTED)]
    if reported or not waiting:
        for r in waiting:
            if r.extension_requested_at and r.extension_granted is None:
                r.extension_granted = False  # PRC-07: others reported on time
            r.status = R.MISSING
            r.save()
            lateness_record(request=r, due_at=r.due_at)
        inquiry.status = Inquiry.Status.REPORTED if reported else Inquiry.Status.FAILED
        inquiry.window_closed_at = now
        inquiry.save(update_fields=["status", "window_closed_at"])
        _audit(
            proc,
            "inquiry_window_closed",
            actor=actor,
            after={
                "inquiry": inquiry.pk,
                "on_time": [r.platform.code for r in reported],
                "missing": [r.platform.code for r in waiting],
            },
            rules=("PRC-07",),
        )
        if not reported:
            return _inquiry_failed(proc, inquiry, actor=actor)
        return inquiry.status
    applicants = [r for r in waiting if r.extension_requested_at and r.extension_granted is None]
    if inquiry.status == Inquiry.Status.OPEN and applicants:
        new_due = calendar.within_days(inquiry.due_at, EXTENSION_DAYS, court=proc.court_id)
        for r in waiting:
            if r in applicants:
                r.extension_granted = True
                r.due_at = new_due
            else:
                r.status = R.MISSING
                lateness_record(request=r, due_at=r.due_at)
            r.save()
        inquiry.status = Inquiry.Status.EXTENDED
        inquiry.extended_due_at = new_due
        inquiry.save(update_fields=["status", "extended_due_at"])
        _audit(
            proc,
            "inquiry_extended",
            actor=actor,
            after={
                "inquiry": inquiry.pk,
                "granted": [r.platform.code for r in applicants],
                "due_at": new_due.isoformat(),
            },
            rules=("PRC-07",),
        )
        return inquiry.status
    for r in waiting:
        r.status = R.MISSING
        r.save()
        lateness_record(request=r, due_at=r.due_at)
    inquiry.status = Inquiry.Status.FAILED
    inquiry.window_closed_at = now
    inquiry.save(update_fields=["status", "window_closed_at"])
    return _inquiry_failed(proc, inquiry, actor=actor)


def _inquiry_failed(proc: PricingProcedure, inquiry: Inquiry, *, actor: Actor) -> str:
    inquiry.status = Inquiry.Status.FAILED
    inquiry.save(update_fields=["status"])
    step = inquiry.step
    if step.outcome == PricingStep.Outcome.RUNNING:
        _fail_step(
            proc, step, "全部平台均未按期出具报告（PRC-07），转委托评估", actor=actor, rule="PRC-07"
        )
    if proc.state == State.REISSUING:
        return inquiry.status
    transaction.on_commit(lambda: switch_to_appraisal(procedure=proc, reason="PRC-07", actor=None))
    return inquiry.status


@transaction.atomic
def inquiry_close_window(*, inquiry: Inquiry, actor: Actor = None) -> str:
    """Settle the report window once its deadline passed (the worker calls this). Not while
    pricing is suspended (PRC-14): the window is settled once it resumes."""
    inq = _lock_inquiry(inquiry)
    if inq.status not in (Inquiry.Status.OPEN, Inquiry.Status.EXTENDED):
        return inq.status
    _refuse_if_paused(inq.procedure)
    due = inq.extended_due_at if inq.status == Inquiry.Status.EXTENDED else inq.due_at
    if due is None:  # never: an extension sets the new due date
        raise DomainError("window_open", _("报告期限未确定"), rule="PRC-07")
    if clock.now() <= due:
        raise DomainError("window_open", _("报告期限尚未届满"), rule="PRC-07")
    return _close_window(inq, actor=actor)


# --------------------------------------------------------------------------- results
def _latest_correction(rep: InquiryReport, kind: str) -> InquiryReport | None:
    return rep.corrections.filter(kind=kind).order_by("-received_at", "-pk").first()


def on_time_reports(inquiry: Inquiry) -> list[InquiryReport]:
    """Each platform's on-time original (or reissued) report."""
    return list(
        InquiryReport.objects.select_related("request__platform")
        .filter(
            request__inquiry=inquiry,
            on_time=True,
            kind__in=[InquiryReport.Kind.ORIGINAL, InquiryReport.Kind.REISSUE],
        )
        .order_by("request__platform__sort_order", "request__platform_id")
    )


def final_results(inquiry: Inquiry) -> list[InquiryReport]:
    """On-time results, each replaced by its PRC-08 correction and then by its post-objection
    correction where there is one."""
    out = []
    for rep in on_time_reports(inquiry):
        current = _latest_correction(rep, InquiryReport.Kind.CORRECTION) or rep
        current = _latest_correction(rep, InquiryReport.Kind.OBJECTION_CORRECTION) or current
        out.append(current)
    return out


def prc09_basis(inquiry: Inquiry) -> tuple[list[InquiryReport], str]:
    """PRC-09: which results the mean is taken over, and which case applies.

    - none objected: all on-time results;
    - some objected: those not objected to;
    - all objected: once every objection was rejected or the result corrected, the results
      after rejection (original) or correction.
    """
    originals = on_time_reports(inquiry)
    if not originals:
        raise DomainError("no_results", _("没有按期出具的询价结果"), rule="PRC-09")
    objected: dict[int, list[Objection]] = {}
    for obj in Objection.objects.filter(report__in=originals).exclude(
        status=Objection.Status.SUPERVISION
    ):
        objected.setdefault(obj.report_id, []).append(obj)
    current = {
        rep.pk: (_latest_correction(rep, InquiryReport.Kind.CORRECTION) or rep) for rep in originals
    }
    if not objected:
        return [current[r.pk] for r in originals], "all_on_time"
    if len(objected) < len(originals):
        return [current[r.pk] for r in originals if r.pk not in objected], "not_objected"
    used = []
    for rep in originals:
        objs = objected[rep.pk]
        if any(o.status in (Objection.Status.PENDING, Objection.Status.UPHELD) for o in objs):
            raise DomainError(
                "objections_pending",
                _("全部结果均有异议，须待异议处理完毕（驳回或补正）"),
                rule="PRC-09",
            )
        corrected = _latest_correction(rep, InquiryReport.Kind.OBJECTION_CORRECTION)
        used.append(corrected or current[rep.pk])
    return used, "all_objected_resolved"


# --------------------------------------------------------------------------- PRC-08 corrections
@transaction.atomic
def report_review(
    *, report: InquiryReport, fact_error: bool, note: str = "", actor: Actor = None
) -> InquiryReport:
    """The court's review of a report: a basic-fact error, or beyond/missing part of the item (PRC-08)."""
    rep = (
        InquiryReport.objects.select_for_update()
        .select_related("request__inquiry__procedure")
        .get(pk=report.pk)
    )
    if fact_error and not note.strip():
        raise DomainError("review_note_required", _("认定报告有误须写明审查意见"), rule="PRC-08")
    rep.fact_error = bool(fact_error)
    rep.fact_error_note = note.strip()
    rep.reviewed_at = clock.now()
    rep.save(update_fields=["fact_error", "fact_error_note", "reviewed_at"])
    _audit(
        rep.request.inquiry.procedure,
        "report_reviewed",
        actor=actor,
        after={"report": rep.pk, "fact_error": rep.fact_error},
        reason=rep.fact_error_note,
        rules=("PRC-08",),
    )
    return rep


@transaction.atomic
def inquiry_request_corrections(
    *, inquiry: Inquiry, note: str, actor: Actor = None
) -> list[InquiryRequest]:
    """PRC-08: only if every on-time report has a basic-fact or scope error, all platforms correct
    within 3 days; if any report is clean, none is asked."""
    inq = _lock_inquiry(inquiry)
    if inq.status != Inquiry.Status.REPORTED:
        raise Conflict("window_not_closed", _("报告期限结算后方可要求补正"), rule="PRC-08")
    if inq.corrections_requested_at is not None:
        raise Conflict("corrections_already_requested", _("已要求补正"), rule="PRC-08")
    reports = on_time_reports(inq)
    if not reports or any(r.reviewed_at is None for r in reports):
        raise DomainError("review_incomplete", _("须先审查全部按期报告"), rule="PRC-08")
    clean = [r for r in reports if not r.fact_error]
    if clean:
        raise DomainError(
            "correction_not_allowed",
            _("%(items)s的报告无误，不得要求任何平台补正")
            % {"items": "、".join(r.platform.name for r in clean)},
            rule="PRC-08",
        )
    now = clock.now()
    due = calendar.within_days(
        now, int(_setting(inq.procedure, "inquiry_correction_days")), court=inq.procedure.court_id
    )
    inq.corrections_requested_at = now
    inq.corrections_due_at = due
    inq.save(update_fields=["corrections_requested_at", "corrections_due_at"])
    out = []
    for rep in reports:
        req = rep.request
        req.correction_kind = InquiryReport.Kind.CORRECTION
        req.correction_of = rep
        req.correction_note = note or rep.fact_error_note
        req.correction_due_at = due
        req.save()
        out.append(req)
    _audit(
        inq.procedure,
        "corrections_requested",
        actor=actor,
        after={
            "inquiry": inq.pk,
            "platforms": [r.platform.code for r in out],
            "due_at": due.isoformat(),
        },
        reason=note,
        rules=("PRC-08",),
    )
    transaction.on_commit(lambda: inquiry_dispatch(inquiry=inq.pk))
    return out


# --------------------------------------------------------------------------- PRC-10 delivery
def _recipients(proc: PricingProcedure) -> list[Party]:
    return list(Party.objects.filter(case_id=proc.case_id).order_by("pk"))


def _reports_to_deliver(inquiry: Inquiry) -> list[InquiryReport]:
    return list(InquiryReport.objects.filter(request__inquiry=inquiry, on_time=True).order_by("pk"))


@transaction.atomic
def report_deliver(
    *,
    report: InquiryReport,
    party: Party,
    method: str,
    received_at: dt.datetime | None = None,
    proof: str = "",
    unreachable_reason: str = "",
    actor: Actor = None,
) -> ReportDelivery:
    """PRC-10: serve a report on one party (electronic service allowed; publication if unreachable)."""
    rep = InquiryReport.objects.select_related(
        "request__inquiry__procedure__case", "request__platform"
    ).get(pk=report.pk)
    proc = rep.request.inquiry.procedure
    if party.case_id != proc.case_id:
        raise DomainError("not_a_party", _("受送达人不是本案当事人"), rule="PRC-10")
    if ReportDelivery.objects.filter(report=rep, party=party).exists():
        raise Conflict("already_delivered", _("该报告已向此当事人送达"), rule="PRC-10")
    if method == ServiceRecord.Method.PLATFORM_PUBLICATION:
        raise DomainError(
            "wrong_publication", _("无法送达的，应在中国执行信息公开网公示"), rule="PRC-10"
        )
    rec = service_record(
        court=proc.court_id,
        subject=rep.subject,
        document=f"{rep.get_kind_display()}（{rep.platform.name}）",
        document_kind="pricing_report",
        recipient_ref=f"party:{party.pk}",
        recipient_name=party.name,
        recipient_user=party.user,
        method=method,
        received_at=received_at,
        proof=proof,
        unreachable_reason=unreachable_reason,
        actor=actor,
    )
    delivery = ReportDelivery.objects.create(report=rep, party=party, service=rec)
    from core.documents import document_request
    from pricing.documents import INQUIRY_RESULT_NOTICE

    # The sealed 询价结果通知书 (PRC-10), once per report, issued by the worker (issue 16).
    document_request(doc_type=INQUIRY_RESULT_NOTICE.code, subject=rep.subject)
    if party.user_id:
        from core.notifications import notify

        notify(
            user=party.user,
            topic="pricing.report",
            subject=text(gettext_lazy("【询价报告送达】%(asset)s"), asset=proc.asset.name),
            body=text(
                gettext_lazy(
                    "%(platform)s出具的%(kind)s已送达，可在 %(days)s 日内就网络询价报告提出书面异议。"
                ),
                platform=rep.platform.name,
                kind=rep.get_kind_display,
                days=OBJECTION_DAYS,
            ),
            key=f"pricing:report:{rep.pk}:party:{party.pk}",
            link=f"/pricing/party/{proc.pk}/",
            court=proc.court_id,
            legal=True,
        )
    remaining = {p.pk for p in _recipients(proc)} - set(
        ReportDelivery.objects.filter(report=rep).values_list("party_id", flat=True)
    )
    if not remaining:
        deadline_close(
            subject=rep.subject, rule_id="PRC-10", actor=actor, reason="已向全部当事人送达"
        )
    _audit(
        proc,
        "report_delivered",
        actor=actor,
        after={"report": rep.pk, "party": party.pk, "method": method, "service": rec.pk},
        rules=("PRC-10",),
    )
    return delivery


@transaction.atomic
def inquiry_deliver_electronic(*, inquiry: Inquiry, actor: Actor = None) -> int:
    """Serve every on-time report on every party who has an account, electronically (inbox)."""
    inq = Inquiry.objects.select_related("procedure").get(pk=inquiry.pk)
    n = 0
    now = clock.now()
    for rep in _reports_to_deliver(inq):
        for party in _recipients(inq.procedure):
            if (
                party.user_id is None
                or ReportDelivery.objects.filter(report=rep, party=party).exists()
            ):
                continue
            report_deliver(
                report=rep,
                party=party,
                method=ServiceRecord.Method.ELECTRONIC,
                received_at=now,
                proof="站内电子送达",
                actor=actor,
            )
            n += 1
    return n


def objection_window_end(*, report: InquiryReport, party: Party) -> dt.datetime | None:
    """APR-12: 5 days from the party's receipt of the report (REC-01); None if not yet served."""
    served = recipient_served_at(subject=report.subject, recipient_ref=f"party:{party.pk}")
    if served is None:
        return None
    return calendar.within_days(served, OBJECTION_DAYS)


# --------------------------------------------------------------------------- fixing (PRC-09)
def fix_blockers(inquiry: Inquiry, *, at: dt.datetime | None = None) -> list[str]:
    """What still stands between this inquiry and a reference price (shown on the judge's page)."""
    at = at or clock.now()
    inquiry = Inquiry.objects.select_related("procedure").get(pk=inquiry.pk)
    out: list[str] = []
    if inquiry.status in (Inquiry.Status.OPEN, Inquiry.Status.EXTENDED):
        out.append("报告期限尚未结算（PRC-07）")
        return out
    if inquiry.status != Inquiry.Status.REPORTED:
        out.append(f"询价状态为“{inquiry.get_status_display()}”")
        return out
    if inquiry.requests.exclude(correction_kind="").exists():
        out.append("有平台尚未提交补正报告（PRC-08/APR-15）")
    parties = _recipients(inquiry.procedure)
    for rep in _reports_to_deliver(inquiry):
        delivered = set(
            ReportDelivery.objects.filter(report=rep).values_list("party_id", flat=True)
        )
        missing = [p.name for p in parties if p.pk not in delivered]
        if missing:
            out.append(
                f"{rep.platform.name}{rep.get_kind_display()}尚未向 {'、'.join(missing)} 送达（PRC-10）"
            )
            continue
        if rep.kind in (InquiryReport.Kind.ORIGINAL, InquiryReport.Kind.REISSUE):
            for p in parties:
                end = objection_window_end(report=rep, party=p)
                if end is None or at <= end:
                    when = f"{end.astimezone(calendar.CST):%Y-%m-%d}" if end else "送达后"
                    out.append(f"{p.name}对{rep.platform.name}报告的异议期至 {when}（APR-12）")
    if not out:
        try:
            prc09_basis(inquiry)
        except DomainError as exc:
            out.append(str(exc.message))
    return out


@transaction.atomic
def inquiry_fix(*, inquiry: Inquiry, actor: Actor = None) -> ReferencePrice:
    """PRC-09: the reference price is the mean of the results PRC-09 selects, 0.01 yuan half-up."""
    inq = _lock_inquiry(inquiry)
    proc = _lock(inq.procedure_id)
    blockers = fix_blockers(inq)
    if blockers:
        raise DomainError(
            "not_ready",
            _("尚不能确定参考价：%(blockers)s") % {"blockers": _("；").join(blockers)},
            rule="PRC-09",
        )
    used, case = prc09_basis(inq)
    amount = mean_half_up([r.amount_fen for r in used])
    valid_until = min(r.valid_until for r in used)
    step = inq.step
    price = _fix_price(
        proc,
        step=step,
        amount_fen=amount,
        source_valid_until=valid_until,
        basis={
            "rule": "PRC-09",
            "case": case,
            "inquiry_id": inq.pk,
            "results": [
                {
                    "platform": r.platform.code,
                    "platform_name": r.platform.name,  # what the price card shows
                    "report": r.pk,
                    "kind": r.kind,
                    "amount_fen": r.amount_fen,
                }
                for r in used
            ],
        },
        actor=actor,
    )
    inq.status = Inquiry.Status.FIXED
    inq.save(update_fields=["status"])
    return price


# --------------------------------------------------------------------------- PRC-12 reissue
def inquiry_reissue(
    *, procedure: PricingProcedure, price: ReferencePrice, actor: Actor = None
) -> Inquiry:
    """PRC-12: the platforms whose results made the lapsed price reissue within 3 days."""
    proc = procedure
    old = Inquiry.objects.get(pk=price.basis["inquiry_id"])
    codes = {r["platform"] for r in price.basis.get("results", [])}
    roster = [p for p in active_platforms() if p.code in codes]
    if not roster:
        raise DomainError(
            "no_platforms", _("原询价平台均已不在名单库中，请重新启动定价"), rule="PRC-12"
        )
    step = _begin(
        proc,
        Method.ONLINE_INQUIRY,
        NextStep(Method.ONLINE_INQUIRY, "reissue", "参考价有效期届满且尚未公告，原平台重新出具"),
        actor=actor,
    )
    return _create_inquiry(
        proc,
        step=step,
        roster=roster,
        purpose=old.mandate.get("purpose", ""),
        quantity=old.mandate.get("quantity", 1),
        fee_fen=0,
        kind=Inquiry.Kind.REISSUE,
        days=int(_setting(proc, "inquiry_reissue_days")),
        actor=actor,
    )


# --------------------------------------------------------------------------- the worker
def pricing_sweep() -> dict[str, int]:
    """Periodic: poll platforms, settle report windows, lapse court-set deadlines.

    Safe to repeat and to run from several workers: every change goes through a service that
    locks its rows and re-checks the state; one failure is logged and the rest go on.
    """
    from pricing.services.procedure import step_lapse

    counts = {"dispatched": 0, "windows": 0, "lapsed": 0, "errors": 0}
    now = clock.now()
    live = [Inquiry.Status.OPEN, Inquiry.Status.EXTENDED, Inquiry.Status.REPORTED]
    due = set(
        Inquiry.objects.filter(
            status__in=live, requests__status__in=[R.PENDING, R.ACCEPTED]
        ).values_list("pk", flat=True)
    ) | set(
        Inquiry.objects.filter(status__in=live, requests__correction_kind__gt="").values_list(
            "pk", flat=True
        )
    )

    def attempt(fn: Callable[[], object], key: str) -> None:
        try:
            fn()
            counts[key] += 1
        except DomainError as exc:
            counts["errors"] += 1
            log.warning("pricing sweep: %s", exc)

    for pk in sorted(due):
        attempt(partial(inquiry_dispatch, inquiry=pk), "dispatched")
    # PRC-14: a suspended procedure's window waits (settled once pricing resumes).
    paused = [State.SUSPENDED, State.WITHDRAWN]
    windows = list(
        Inquiry.objects.filter(status=Inquiry.Status.OPEN, due_at__lt=now).exclude(
            procedure__state__in=paused
        )
    ) + list(
        Inquiry.objects.filter(status=Inquiry.Status.EXTENDED, extended_due_at__lt=now).exclude(
            procedure__state__in=paused
        )
    )
    for inq in windows:
        attempt(partial(inquiry_close_window, inquiry=inq), "windows")
    for step in PricingStep.objects.filter(
        outcome=PricingStep.Outcome.RUNNING,
        deadline_at__lt=now,
        method__in=[Method.PARTY_AGREEMENT, Method.DIRECTED_INQUIRY],
    ).exclude(procedure__state__in=[State.SUSPENDED, State.WITHDRAWN]):
        attempt(partial(step_lapse, procedure=step.procedure), "lapsed")
    return counts


@transaction.atomic
def inquiry_facts_refresh(*, asset_id: int) -> list[int]:
    """The court corrected the asset (``AssetUpdated``): every open inquiry about it whose
    platforms have not all answered gets the corrected facts in its mandate (PRC-06: the
    mandate states the item), one history entry each, and its waiting platforms are called
    again at once instead of after their backoff."""
    refreshed: list[int] = []
    waiting = set(
        Inquiry.objects.filter(
            procedure__asset_id=asset_id,
            status__in=[Inquiry.Status.OPEN, Inquiry.Status.EXTENDED, Inquiry.Status.REPORTED],
            requests__status=R.PENDING,
        ).values_list("pk", flat=True)
    )  # PostgreSQL locks no DISTINCT/joined rows: find them first, then lock them
    inquiries = (
        Inquiry.objects.select_for_update()
        .select_related("procedure__asset")
        .filter(pk__in=waiting)
        .order_by("pk")
    )
    for inquiry in inquiries:
        old = dict(inquiry.mandate)
        new = build_mandate(
            inquiry.procedure,
            purpose=old.get("purpose", ""),
            quantity=old.get("quantity", 1),
            deadline=inquiry.due_at,
        )
        if new["item"] == old.get("item"):
            continue
        inquiry.mandate = {**old, "item": new["item"]}
        inquiry.save(update_fields=["mandate"])
        inquiry.requests.filter(status=R.PENDING).update(next_attempt_at=None)
        _audit(
            inquiry.procedure,
            "mandate_refreshed",
            after={"inquiry": inquiry.pk},
            reason="标的物信息已更正，向尚未出具报告的平台重新发送",
            rules=("PRC-06",),
        )
        refreshed.append(inquiry.pk)
        transaction.on_commit(partial(inquiry_dispatch, inquiry=inquiry.pk))
    return refreshed
