"""Judges' pages: the appraisal requests of their court, the draw, the commission timeline, review,
extensions, objections and expert review, the fixed result and fees.

The page's actions are one table (``REQUEST_ACTIONS``, ``core.court_actions``): each names the
form it reads (fields as the page posts them), the permission, the service and its message.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisers import services
from appraisers.models import (
    AgreementSubmission,
    AppraisalFee,
    AppraisalRequest,
    Commission,
    ExtensionRequest,
    LotDraw,
    Objection,
    RankedFirm,
    ReviewRequest,
)
from appraisers.selectors import action_label, requests_for_court
from appraisers.services.commission import objection_windows, report_checks, result_fix_blockers
from appraisers.services.objections import answer_due_at, expert_review_allowed
from appraisers.services.selection import agreeing_parties, draw_candidates
from appraisers.views._util import guarded
from cases.models import Asset, Party
from core.court_actions import CourtAction, CourtActions, Submitted, by_ref, naming, ref_text
from core.deadlines import deadlines_for_subject
from core.errors import PermissionDenied
from core.forms import FlagField, Form, LocalDateTimeField, ObjectField, TextField, ValuesField
from core.models import AuditEntry, Court, ServiceRecord
from core.permissions import can, is_court_staff_of
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest


class CreateForm(Form):
    asset = ObjectField(
        lambda court: Asset.objects.filter(case__court_id=court.pk),
        not_found=_("请选择本院案件的标的物"),
    )
    purpose = TextField()


#: The court's list: start an appraisal of one of its assets (the target is the court).
CREATE_ACTIONS: CourtActions[Court] = CourtActions(
    {
        "create": CourtAction[Court](
            form=CreateForm,
            perm="appraisers.manage_appraisal",
            call=lambda s: services.commission_request(
                case_id=s.data["asset"].case_id,
                asset_id=s.data["asset"].pk,
                procedure_ref=f"court:{uuid.uuid4().hex[:12]}",
                purpose=s.data["purpose"],
                actor=s.actor,
            ),
            done=naming(
                _("已启动委托评估，当事人可在期限内协商选定评估机构"),
                lambda _s, req: ref_text(f"case:{req.case_id}/appraisal:{req.pk}"),
            ),
            then=lambda _court, req: reverse("appraisers:court_request", args=[req.pk]),
        )
    },
    page=lambda _court: reverse("appraisers:court_requests"),
)


def _staff_court(request: AuthedRequest) -> Court:
    """The court of a staff member (the requests page's target); others are refused."""
    court = request.user.court
    if not can(request.user, "core.view_court_staff_pages") or court is None:
        raise PermissionDenied("forbidden", gettext("仅限法院工作人员"))
    return court


@login_required
@guarded
@write_rate_limited("appraisers")
def court_requests(request: AuthedRequest) -> HttpResponse:
    user = request.user
    court = _staff_court(request)
    if request.method == "POST" and request.POST.get("action") == "create":
        return CREATE_ACTIONS.post(request, "create", court)
    reqs = requests_for_court(court.pk)
    assets = (
        Asset.objects.filter(case__court_id=court.pk).select_related("case").order_by("-pk")[:200]
    )
    return render(
        request,
        "appraisers/court_requests.html",
        {
            "requests": reqs,
            "assets": assets,
            "can_create": can(user, "appraisers.manage_appraisal", user.court),
        },
    )


def _commission_view(c: Commission) -> dict[str, Any]:
    report = c.current_report()
    return {
        "c": c,
        "report": report,
        "reports": list(c.reports.order_by("-version")),
        "checks": report_checks(report) if report else [],
        "reviews": list(c.reviews.order_by("-requested_at")),
        "extensions": list(c.extensions.order_by("-requested_at")),
        "objections": [
            {"o": o, "answer_due": answer_due_at(o), "expert_allowed": expert_review_allowed(o)}
            for o in c.objections.select_related("party").order_by("-filed_at")
        ],
        "services": list(ServiceRecord.objects.filter(subject=c.subject).order_by("-sent_at")),
        "windows": objection_windows(c) if c.state in ("served", "final") else [],
        "blockers": result_fix_blockers(c) if c.state == "served" else [],
        "deadlines": list(deadlines_for_subject(c.subject)),
        "fee": getattr(c, "fee", None),
    }


# ---- the request page's actions -------------------------------------------------------------


def _commissions(req: AppraisalRequest) -> QuerySet[Commission]:
    return Commission.objects.filter(request=req)


def _objections(req: AppraisalRequest) -> QuerySet[Objection]:
    return Objection.objects.filter(commission__request=req)


def _draws(req: AppraisalRequest) -> QuerySet[LotDraw]:
    return LotDraw.objects.filter(request=req)


class ReasonForm(Form):
    reason = TextField()


class DeadlineForm(Form):
    deadline = LocalDateTimeField(label=_("协商期限"))


class ScheduleForm(Form):
    """The draw's time, its random source and the court's exclusions (``exclude_<firm id>``,
    APR-03): the commitment deadline is read for the commit–reveal source only."""

    scheduled_at = LocalDateTimeField(label=_("摇号时间"))
    seed_mode = TextField()
    commit_deadline = LocalDateTimeField(label=_("承诺截止时间"), required=False)

    def clean(self) -> dict[str, Any]:
        data = dict(super().clean() or {})
        if data.get("seed_mode") != "commit_reveal":
            self.errors.pop("commit_deadline", None)
            data["commit_deadline"] = None
        elif data.get("commit_deadline") is None and "commit_deadline" not in self.errors:
            self.add_error(
                "commit_deadline", self.fields["commit_deadline"].error_messages["required"]
            )
        data["court_exclusions"] = {
            int(key.removeprefix("exclude_")): str(value).strip()
            for key, value in self.data.items()
            if key.startswith("exclude_")
            and key.removeprefix("exclude_").isdigit()
            and str(value).strip()
        }
        return data


class DrawForm(Form):
    draw = ObjectField(_draws)


class DrawReasonForm(DrawForm, ReasonForm):
    pass


class PublicValueForm(DrawForm):
    value = TextField()
    source = TextField()
    fixed_at = LocalDateTimeField(label=_("公开随机值产生时间"))


class ExtensionDecisionForm(ReasonForm):
    extension = ObjectField(lambda req: ExtensionRequest.objects.filter(commission__request=req))
    decision = FlagField(yes="approve")


class CommissionForm(Form):
    commission = ObjectField(_commissions)


class CommissionReasonForm(CommissionForm, ReasonForm):
    pass


class ReviewForm(CommissionForm):
    grounds = ValuesField()
    note = TextField()


class ReceiptForm(Form):
    record = ObjectField(lambda req: ServiceRecord.objects.filter(subject__startswith=req.subject))
    received_at = LocalDateTimeField(label=_("签收时间"))
    proof = TextField()


class PublishServiceForm(CommissionReasonForm):
    party = ObjectField(lambda req: Party.objects.filter(case_id=req.case_id))


class ObjectionForm(Form):
    objection = ObjectField(_objections)


class ObjectionReasonForm(ObjectionForm, ReasonForm):
    pass


class ProceduralForm(ObjectionReasonForm):
    decision = FlagField(yes="upheld")


class ObjectorResponseForm(ObjectionForm):
    satisfied = FlagField(yes="yes")


class ExpertStartForm(ObjectionForm):
    body = TextField()
    due_at = LocalDateTimeField(label=_("评审期限"))


class ExpertConclusionForm(ObjectionForm):
    conclusion = TextField()
    negative = FlagField(yes="yes")


class FeePaidForm(Form):
    fee = ObjectField(lambda req: AppraisalFee.objects.filter(request=req))
    reference = TextField()


R = CourtAction[AppraisalRequest]
MANAGE = "appraisers.manage_appraisal"


def _extension_done(s: Submitted[AppraisalRequest], _result: object) -> Any:
    return _("已准许延期") if s.data["decision"] else _("已决定不予准许")


def _review_done(s: Submitted[AppraisalRequest], _result: object) -> Any:
    return _("已要求机构说明或补正") if s.data["grounds"] else _("审查通过，报告已送达当事人")


#: The judge's actions on an appraisal request, named by the ``action`` each form posts.
REQUEST_ACTIONS: CourtActions[AppraisalRequest] = CourtActions(
    {
        "mark_fee_paid": R(
            form=FeePaidForm,
            perm="appraisers.record_fee_payment",
            call=lambda s: services.appraisal_fee_mark_paid(
                fee=s.data["fee"], payment_reference=s.data["reference"], actor=s.actor
            ),
            done=_("已登记支付"),
        ),
        "set_deadline": R(
            form=DeadlineForm,
            perm=MANAGE,
            call=lambda s: services.agreement_deadline_set(
                request=s.target, actor=s.actor, **s.data
            ),
            done=_("已设定协商期限"),
        ),
        "skip_agreement": R(
            form=ReasonForm,
            perm=MANAGE,
            call=lambda s: services.agreement_skip(request=s.target, actor=s.actor, **s.data),
            done=_("已转入摇号"),
        ),
        "schedule_draw": R(
            form=ScheduleForm,
            perm=MANAGE,
            call=lambda s: services.draw_schedule(request=s.target, actor=s.actor, **s.data),
            done=_("名单已冻结公布，已通知当事人摇号时间"),
        ),
        "public_value": R(
            form=PublicValueForm,
            perm=MANAGE,
            call=lambda s: services.draw_public_value_set(actor=s.actor, **s.data),
            done=_("已记录公开随机值"),
        ),
        "run_draw": R(
            form=DrawForm,
            perm=MANAGE,
            call=lambda s: services.draw_run(actor=s.actor, **s.data),
            done=_("摇号完成，已委托第一顺位机构"),
        ),
        "cancel_draw": R(
            form=DrawReasonForm,
            perm=MANAGE,
            call=lambda s: services.draw_cancel(actor=s.actor, **s.data),
            done=_("已取消摇号"),
        ),
        "decide_extension": R(
            form=ExtensionDecisionForm,
            perm=MANAGE,
            call=lambda s: services.extension_decide(
                extension=s.data["extension"],
                approve=s.data["decision"],
                reason=s.data["reason"],
                actor=s.actor,
            ),
            done=_extension_done,
        ),
        "review": R(
            form=ReviewForm,
            perm=MANAGE,
            call=lambda s: services.report_review(actor=s.actor, **s.data),
            done=_review_done,
        ),
        "pause": R(
            form=CommissionReasonForm,
            perm=MANAGE,
            call=lambda s: services.commission_pause(actor=s.actor, **s.data),
            done=_("评估期限已中止计算"),
        ),
        "resume": R(
            form=CommissionForm,
            perm=MANAGE,
            call=lambda s: services.commission_resume(actor=s.actor, **s.data),
            done=_("评估期限已恢复计算"),
        ),
        "mark_late": R(
            form=CommissionForm,
            perm=MANAGE,
            call=lambda s: services.commission_mark_late(actor=s.actor, **s.data),
            done=_("已更换逾期机构"),
        ),
        "record_receipt": R(
            form=ReceiptForm,
            perm=MANAGE,
            call=lambda s: services.report_service_receipt(actor=s.actor, **s.data),
            done=_("已登记签收"),
        ),
        "publish_service": R(
            form=PublishServiceForm,
            perm=MANAGE,
            call=lambda s: services.report_service_publish(actor=s.actor, **s.data),
            done=_("已公示送达，满15日视为送达"),
        ),
        "forward": R(
            form=ObjectionForm,
            perm=MANAGE,
            call=lambda s: services.objection_forward(actor=s.actor, **s.data),
            done=_("已转交评估机构"),
        ),
        "decide_procedural": R(
            form=ProceduralForm,
            perm=MANAGE,
            call=lambda s: services.objection_decide_procedural(
                objection=s.data["objection"],
                upheld=s.data["decision"],
                reason=s.data["reason"],
                actor=s.actor,
            ),
            done=_("已作出审查决定"),
        ),
        "respond_for_objector": R(
            form=ObjectorResponseForm,
            perm=MANAGE,
            call=lambda s: services.objection_respond(actor=s.actor, **s.data),
            done=_("已记录异议人意见"),
        ),
        "expert_start": R(
            form=ExpertStartForm,
            perm=MANAGE,
            call=lambda s: services.expert_review_start(actor=s.actor, **s.data),
            done=_("已组织专业技术评审"),
        ),
        "expert_conclude": R(
            form=ExpertConclusionForm,
            perm=MANAGE,
            call=lambda s: services.expert_review_conclude(actor=s.actor, **s.data),
            done=_("已记录评审意见"),
        ),
        "new_appraisal": R(
            form=ObjectionReasonForm,
            perm=MANAGE,
            call=lambda s: services.objection_new_appraisal(actor=s.actor, **s.data),
            done=_("已决定重新评估，委托下一顺位机构"),
        ),
        "fix_result": R(
            form=CommissionForm,
            perm=MANAGE,
            call=lambda s: services.result_fix(actor=s.actor, **s.data),
            done=_("评估结果已确定并通知定价程序"),
        ),
        "fail": R(
            form=ReasonForm,
            perm=MANAGE,
            call=lambda s: services.request_fail(request=s.target, actor=s.actor, **s.data),
            done=_("已终结委托评估"),
        ),
    },
    page=lambda req: reverse("appraisers:court_request", args=[req.pk]),
    subject=by_ref(lambda req: f"case:{req.case_id}/appraisal:{req.pk}"),
)


def _court_request_for(request: AuthedRequest, pk: int) -> AppraisalRequest:
    """A request of the user's own court (the request page's target); others are refused."""
    req = get_object_or_404(AppraisalRequest.objects.select_related("case", "asset"), pk=pk)
    if not is_court_staff_of(request.user, req.court_id):
        raise PermissionDenied("forbidden", gettext("仅限本院工作人员"))
    return req


@login_required
@guarded
@write_rate_limited("appraisers")
def court_request(request: AuthedRequest, pk: int) -> HttpResponse:
    req = _court_request_for(request, pk)
    user = request.user
    if request.method == "POST":
        return REQUEST_ACTIONS.post(request, request.POST.get("action", ""), req)
    services.agreement_refresh(request=req)
    req.refresh_from_db()
    candidates = None
    if req.status == AppraisalRequest.Status.DRAW:
        level, code, basis, eligible, excluded = draw_candidates(req)
        candidates = {
            "level": level,
            "code": code,
            "basis": basis,
            "eligible": eligible,
            "excluded": excluded,
        }
    subs = {s.party_id: s for s in AgreementSubmission.objects.filter(request=req, round=req.round)}
    timeline = AuditEntry.objects.filter(
        stream=f"case:{req.case_id}", subject__startswith=req.subject
    ).order_by("seq")
    ctx = {
        "req": req,
        "can_manage": can(user, "appraisers.manage_appraisal", req),
        "can_pay": can(user, "appraisers.record_fee_payment", req),
        "parties": [(p, subs.get(p.pk)) for p in agreeing_parties(req.case)],
        "all_parties": list(req.case.parties.order_by("pk")),
        "draws": list(req.draws.order_by("-pk")),
        "ranked": list(
            RankedFirm.objects.filter(request=req).select_related("firm").order_by("round", "rank")
        ),
        "commissions": [
            _commission_view(c) for c in req.commissions.select_related("firm").order_by("-pk")
        ],
        "candidates": candidates,
        "fees": list(req.fees.select_related("firm")),
        "timeline": [(e, action_label(e.action)) for e in timeline],
        "grounds": ReviewRequest.Ground.choices,
    }
    return render(request, "appraisers/court_request.html", ctx)
