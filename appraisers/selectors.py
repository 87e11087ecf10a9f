"""Read queries for pages, the API, the consumer and higher apps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_lazy

from appraisers.models import AppraisalFee, AppraisalRequest, Commission, Firm, FirmUser, LotDraw
from appraisers.models.commission import ACTIVE_STATES
from cases.models import Party
from core import calendar, clock
from core.models import User


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def draw_record(draw: LotDraw, *, include_secrets: bool | None = None) -> dict[str, Any]:
    """The draw's whole record, JSON-ready: what ``draw_algorithm.recompute`` needs and more.

    Secrets are part of the public record only once the draw is done, so nobody (a party about
    to reveal, in particular) learns the others' secrets before the seed is fixed.
    """
    if include_secrets is None:
        include_secrets = draw.status == LotDraw.Status.DONE
    names = {e["id"]: e["name"] for e in (draw.frozen_list or [])}
    req = draw.request
    return {
        "draw_id": draw.pk,
        "algorithm_version": draw.algorithm_version,
        "status": draw.status,
        "status_display": draw.get_status_display(),
        "case_number": req.case.number,
        "asset": req.asset.name,
        "round": draw.round,
        "specialty": draw.specialty,
        "specialty_display": draw.get_specialty_display(),
        "roster": {
            "level": draw.roster_level,
            "division_code": draw.roster_division_code,
            "basis": draw.roster_basis,
        },
        "seed_mode": draw.seed_mode,
        "seed_mode_display": draw.get_seed_mode_display(),
        "scheduled_at": _iso(draw.scheduled_at),
        "commit_deadline": _iso(draw.commit_deadline),
        "frozen_at": _iso(draw.frozen_at),
        "frozen_list": draw.frozen_list or [],
        "list_hash": draw.list_hash,
        "exclusions": [
            {
                "firm_id": x.firm_id,
                "firm_name": x.firm_name,
                "reason_code": x.reason_code,
                "reason": x.reason,
            }
            for x in draw.exclusions.order_by("firm_id", "reason_code")
        ],
        "commitments": [
            {
                "participant_ref": c.participant_ref,
                "participant_label": c.participant_label,
                "commitment": c.commitment,
                "committed_at": _iso(c.committed_at),
                "revealed_at": _iso(c.revealed_at),
                "secret": c.secret if include_secrets else "",
            }
            for c in draw.commitments.order_by("participant_ref")
        ],
        "public_value": draw.public_value,
        "public_value_source": draw.public_value_source,
        "public_value_fixed_at": _iso(draw.public_value_fixed_at),
        "seed": draw.seed,
        "result": list(draw.result or []),
        "result_names": [names.get(i, str(i)) for i in (draw.result or [])],
        "drawn_at": _iso(draw.drawn_at),
        "operator": str(draw.operator) if draw.operator_id else "",
        "server_time": clock.now().isoformat(),
    }


def draw_public_record(draw: LotDraw) -> dict[str, Any]:
    return draw_record(draw)


def firm_of(user: User | AnonymousUser) -> Firm | None:
    if not isinstance(user, User):  # anonymous
        return None
    fu = FirmUser.objects.filter(user=user, is_active=True).select_related("firm").first()
    return fu.firm if fu else None


def commissions_for_firm(firm: Firm) -> QuerySet[Commission]:
    return (
        Commission.objects.filter(firm=firm)
        .select_related("request__case", "request__asset")
        .order_by("-offered_at", "-pk")
    )


def requests_for_court(court_id: int) -> QuerySet[AppraisalRequest]:
    return (
        AppraisalRequest.objects.filter(court_id=court_id)
        .select_related("case", "asset")
        .order_by("-created_at")
    )


def requests_for_party(user: User) -> QuerySet[AppraisalRequest]:
    case_ids = Party.objects.filter(user=user).values_list("case_id", flat=True)
    return AppraisalRequest.objects.filter(case_id__in=case_ids).select_related("case", "asset")


def fees_for_firm(firm: Firm) -> QuerySet[AppraisalFee]:
    return (
        AppraisalFee.objects.filter(firm=firm)
        .select_related("request__case", "commission")
        .order_by("-computed_at")
    )


def countdown(c: Commission, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Days left on the report deadline and the flags the firm's list shows."""
    now = now or clock.now()
    flags: list[str] = []
    days_left = None
    if (
        c.state in ACTIVE_STATES
        and c.report_due_at
        and c.state in ("offered", "accepted", "in_progress")
    ):
        if c.paused_at:
            flags.append(gettext("期限中止"))
        else:
            days_left = (
                c.report_due_at.astimezone(calendar.CST).date()
                - now.astimezone(calendar.CST).date()
            ).days
            if now > c.report_due_at:
                flags.append(gettext("已逾期"))
            elif days_left <= 5:
                flags.append(gettext("临近期限"))
    if c.extensions.filter(status="pending").exists():
        flags.append(gettext("延期待决定"))
    if c.state == "under_review":
        flags.append(gettext("待说明/补正"))
    if c.objections.filter(status__in=["forwarded", "awaiting_correction"]).exists():
        flags.append(gettext("异议待答复"))
    if c.materials_return_due_at and not c.materials_returned_at:
        flags.append(gettext("待退回材料"))
    if c.state == "offered":
        flags.append(gettext("待接受"))
    return {"days_left": days_left, "flags": flags}


ACTION_LABELS = {
    "appraisal.requested": gettext_lazy("启动委托评估"),
    "appraisal.agreement_deadline_set": gettext_lazy("设定协商期限"),
    "appraisal.agreement_submitted": gettext_lazy("当事人提交协商意见"),
    "appraisal.agreement_lapsed": gettext_lazy("协商期限届满"),
    "appraisal.agreement_failed": gettext_lazy("协商不成"),
    "appraisal.agreement_skipped": gettext_lazy("不经协商直接摇号"),
    "appraisal.roster_requested": gettext_lazy("当事人共同请求名单分库"),
    "appraisal.agreed": gettext_lazy("协商选定机构"),
    "appraisal.round_exhausted": gettext_lazy("三家机构均未完成，重新选定"),
    "appraisal.failed": gettext_lazy("评估未能完成"),
    "appraisal.withdrawn": gettext_lazy("撤回评估"),
    "appraisal.result_fixed": gettext_lazy("评估结果确定"),
    "appraisal.reissue_requested": gettext_lazy("要求重新出具报告"),
    "draw.frozen": gettext_lazy("冻结并公布摇号名单"),
    "draw.committed": gettext_lazy("提交承诺值"),
    "draw.revealed": gettext_lazy("揭示随机串"),
    "draw.public_value": gettext_lazy("记录公开随机值"),
    "draw.done": gettext_lazy("摇号完成"),
    "draw.cancelled": gettext_lazy("取消摇号"),
    "commission.offered": gettext_lazy("委托评估机构"),
    "commission.skipped": gettext_lazy("跳过（机构状态异常）"),
    "commission.accepted": gettext_lazy("机构接受委托"),
    "commission.declined": gettext_lazy("机构拒绝委托"),
    "commission.inspection_noticed": gettext_lazy("通知现场勘验"),
    "commission.inspected": gettext_lazy("记录现场勘验"),
    "commission.extension_requested": gettext_lazy("申请延期"),
    "commission.extension_approved": gettext_lazy("准许延期"),
    "commission.extension_refused": gettext_lazy("不予准许延期"),
    "commission.paused": gettext_lazy("评估期限中止"),
    "commission.resumed": gettext_lazy("评估期限恢复"),
    "commission.late": gettext_lazy("逾期未出具，更换机构"),
    "commission.replaced": gettext_lazy("异议成立，更换机构"),
    "commission.cancelled": gettext_lazy("撤销委托"),
    "commission.materials_returned": gettext_lazy("退回评估材料"),
    "commission.costs_declared": gettext_lazy("申报实际费用"),
    "commission.report_delivered": gettext_lazy("提交评估报告"),
    "report.submitted": gettext_lazy("报告入库"),
    "report.review_requested": gettext_lazy("法院要求说明或补正"),
    "report.review_answered": gettext_lazy("机构答复审查意见"),
    "report.approved_and_served": gettext_lazy("审查通过并送达当事人"),
    "report.published_for_service": gettext_lazy("公示送达"),
    "objection.filed": gettext_lazy("提出异议"),
    "objection.procedural_decided": gettext_lazy("程序事由审查决定"),
    "objection.forwarded": gettext_lazy("异议转交机构"),
    "objection.answered": gettext_lazy("机构答复异议"),
    "objection.responded": gettext_lazy("异议人表态"),
    "objection.expert_review_started": gettext_lazy("组织专业技术评审"),
    "objection.expert_review_concluded": gettext_lazy("专业技术评审意见"),
    "objection.expert_corrected": gettext_lazy("按评审意见补正"),
    "fee.computed": gettext_lazy("计算评估费"),
    "fee.paid": gettext_lazy("支付评估费"),
}


def action_label(action: str) -> str:
    """The name people read; other apps' actions in the same stream (a document issued) by
    their own registered names, never the raw code."""
    from core.audit import action_label as registered_label

    return str(ACTION_LABELS.get(action) or registered_label(action) or action)
