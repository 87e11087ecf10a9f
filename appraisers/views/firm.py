"""The firm portal: a firm user sees only their own firm's commissions (REC-14).

The commission page's actions are one table (``COMMISSION_ACTIONS``, ``core.court_actions``);
a refused action shows the page again with what was typed (a file must be chosen again).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisers import services
from appraisers.models import Commission, ExtensionRequest, Objection, ReviewRequest
from appraisers.selectors import commissions_for_firm, countdown, fees_for_firm, firm_of
from appraisers.views._util import ReportForm, forbidden, guarded
from core.court_actions import CourtAction, CourtActions, Submitted, by_ref
from core.deadlines import deadlines_for_subject
from core.forms import Form, LocalDateTimeField, ObjectField, TextField, YuanField
from core.permissions import require
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest


@login_required
def firm_portal(request: HttpRequest) -> HttpResponse:
    firm = firm_of(request.user)
    if firm is None:
        return forbidden(request, gettext("您不是评估机构用户"))
    rows = [(c, countdown(c)) for c in commissions_for_firm(firm)]
    return render(request, "appraisers/firm_portal.html", {"firm": firm, "rows": rows})


# ---- the commission page's actions ------------------------------------------------------------


def _objections(c: Commission) -> QuerySet[Objection]:
    return Objection.objects.filter(commission=c)


class ReasonForm(Form):
    reason = TextField()


class NoteForm(Form):
    note = TextField()


class InspectionNoticeForm(Form):
    at = LocalDateTimeField(label=_("勘验时间"))
    place = TextField()


class InspectionRecordForm(NoteForm):
    witness = TextField()
    attendees = TextField()


class ExtensionForm(ReasonForm):
    days = forms.IntegerField(label=_("延长日数"))


class ReviewAnswerForm(ReportForm):
    """A written explanation, with a corrected report when a file is uploaded (APR-11)."""

    report_needs_file = True

    review = ObjectField(lambda c: ReviewRequest.objects.filter(commission=c))
    explanation = TextField()


class ObjectionAnswerForm(ReportForm):
    """The written answer, with a corrected report when a file is uploaded (APR-13)."""

    report_needs_file = True

    objection = ObjectField(_objections)
    text = TextField()


class ExpertCorrectionForm(ReportForm):
    objection = ObjectField(_objections)


class CostsForm(NoteForm):
    amount_yuan = YuanField(label=_("实际费用（元）"))


def _with_report(s: Submitted[Commission], **kwargs: Any) -> dict[str, Any]:
    """The service's arguments: ``kwargs`` and, when there is one, the report (APR-04)."""
    return {**kwargs, **ReportForm.report_kwargs(s.data, s.files), "actor": s.actor}


def _uploaded(s: Submitted[Commission], with_file: Any, without: Any) -> Any:
    return with_file if s.files.get("file") else without


C = CourtAction[Commission]

#: The firm's actions on its commission (``appraisers.act_for_firm`` is checked by the page).
COMMISSION_ACTIONS: CourtActions[Commission] = CourtActions(
    {
        "accept": C(
            call=lambda s: services.commission_accept(commission=s.target, actor=s.actor),
            done=_("已接受委托"),
        ),
        "decline": C(
            form=ReasonForm,
            call=lambda s: services.commission_decline(
                commission=s.target, actor=s.actor, **s.data
            ),
            done=_("已拒绝委托，法院将委托下一顺位机构"),
        ),
        "inspection_notice": C(
            form=InspectionNoticeForm,
            call=lambda s: services.inspection_notice(commission=s.target, actor=s.actor, **s.data),
            done=_("已通知当事人现场勘验时间和地点"),
        ),
        "inspection_record": C(
            form=InspectionRecordForm,
            call=lambda s: services.inspection_record(commission=s.target, actor=s.actor, **s.data),
            done=_("已记录现场勘验"),
        ),
        "extension": C(
            form=ExtensionForm,
            call=lambda s: services.extension_request(commission=s.target, actor=s.actor, **s.data),
            done=_("延期申请已提交，待法官决定"),
        ),
        "report": C(
            form=ReportForm,
            call=lambda s: services.report_submit(**_with_report(s, commission=s.target)),
            done=_("评估报告已提交法院"),
        ),
        "review_answer": C(
            form=ReviewAnswerForm,
            call=lambda s: services.review_answer(
                **_with_report(s, review=s.data["review"], explanation=s.data["explanation"])
            ),
            done=lambda s, _r: _uploaded(s, _("补正报告已提交"), _("书面说明已提交")),
        ),
        "objection_answer": C(
            form=ObjectionAnswerForm,
            call=lambda s: services.objection_answer(
                **_with_report(s, objection=s.data["objection"], text=s.data["text"])
            ),
            done=lambda s, _r: _uploaded(s, _("已答复异议并提交补正报告"), _("已答复异议")),
        ),
        "expert_correction": C(
            form=ExpertCorrectionForm,
            call=lambda s: services.expert_correction_submit(
                **_with_report(s, objection=s.data["objection"])
            ),
            done=_("补正报告已提交"),
        ),
        "materials_returned": C(
            form=NoteForm,
            call=lambda s: services.materials_returned(
                commission=s.target, actor=s.actor, **s.data
            ),
            done=_("已登记退回材料"),
        ),
        "costs": C(
            form=CostsForm,
            call=lambda s: services.costs_declare(
                commission=s.target,
                amount_fen=s.data["amount_yuan"],
                note=s.data["note"],
                actor=s.actor,
            ),
            done=_("已申报实际支出费用"),
        ),
    },
    page=lambda c: reverse("appraisers:firm_commission", args=[c.pk]),
    subject=by_ref(lambda c: f"case:{c.request.case_id}/commission:{c.pk}"),
)


def _commission_for(request: AuthedRequest, pk: int) -> Commission:
    """A commission of the user's firm (the commission page's target)."""
    c = get_object_or_404(
        Commission.objects.select_related("request__case", "request__asset", "firm"), pk=pk
    )
    require(request.user, "appraisers.act_for_firm", c)
    return c


@login_required
@guarded
@write_rate_limited("appraisers")
def firm_commission(request: AuthedRequest, pk: int) -> HttpResponse:
    c = _commission_for(request, pk)
    posted = None
    if request.method == "POST":
        outcome = COMMISSION_ACTIONS.run(request, request.POST.get("action", ""), c)
        if outcome.ok:
            return redirect(outcome.next_url)
        posted = request.POST  # refused: the page again, with what was typed
    ctx = {
        "posted": posted,
        "c": c,
        "cd": countdown(c),
        "reports": c.reports.order_by("-version"),
        "reviews": c.reviews.order_by("-requested_at"),
        "extensions": c.extensions.order_by("-requested_at"),
        "objections": c.objections.exclude(status__in=[Objection.Status.REFUSED]).order_by(
            "-filed_at"
        ),
        "deadlines": deadlines_for_subject(c.subject),
        "fee": getattr(c, "fee", None),
        "pending_extension": c.extensions.filter(status=ExtensionRequest.Status.PENDING).exists(),
        "open_review": c.reviews.filter(answered_at__isnull=True).first(),
        "today": None,
    }
    return render(request, "appraisers/firm_commission.html", ctx)


@login_required
def firm_fees(request: HttpRequest) -> HttpResponse:
    firm = firm_of(request.user)
    if firm is None:
        return forbidden(request, gettext("您不是评估机构用户"))
    fees = list(fees_for_firm(firm))
    totals = {
        "charged": sum(f.amount_fen for f in fees if f.status == "charged"),
        "paid": sum(f.amount_fen for f in fees if f.status == "paid"),
    }
    return render(
        request, "appraisers/firm_fees.html", {"firm": firm, "fees": fees, "totals": totals}
    )
