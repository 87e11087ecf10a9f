"""The parties' pages: agree on firms (APR-02), see the draw record, read the report, object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisers import services
from appraisers.models import (
    AgreementSubmission,
    AppraisalRequest,
    Commission,
    Firm,
    Objection,
    Report,
    RosterEntry,
)
from appraisers.selectors import requests_for_party
from appraisers.services.commission import (
    OBJECTION_DAYS,
    objection_window,
)
from appraisers.services.selection import agreement_firm_problems, parties_of_user
from appraisers.views._util import forbidden, guarded
from cases.models import Party
from core import files
from core.court_actions import CourtAction, CourtActions, by_ref
from core.errors import PermissionDenied
from core.forms import FlagField, Form, ObjectField, TextField, ValuesField
from core.permissions import can, is_court_staff_of, require
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest

SERVED_STATES = (Commission.State.SERVED, Commission.State.FINAL, Commission.State.REPLACED)


@login_required
def party_requests(request: AuthedRequest) -> HttpResponse:
    return render(
        request, "appraisers/party_requests.html", {"requests": requests_for_party(request.user)}
    )


def _party_or_none(req: AppraisalRequest, user: Any, pk: str | None) -> Party | None:
    mine = parties_of_user(req.case_id, user)
    if pk:
        return next((p for p in mine if str(p.pk) == str(pk)), None)
    return mine[0] if mine else None


@dataclass(frozen=True)
class PartyPage:
    """What a party's page acts on: the appraisal request, as this party of its case."""

    req: AppraisalRequest
    party: Party


class AgreementForm(Form):
    """APR-02: the firms the party agrees on (in order), or "let the draw decide"."""

    choice = TextField()
    rank1 = TextField()
    rank2 = TextField()
    rank3 = TextField()
    roster_level = TextField()
    roster_division_code = TextField()

    def clean(self) -> dict[str, Any]:
        d = dict(super().clean() or {})
        ranks = [d[f"rank{i}"] for i in (1, 2, 3)] if d.get("choice") == "firms" else []
        return {
            "choice": d.get("choice", ""),
            "firm_ids": [f for f in ranks if f],
            "roster_level": d.get("roster_level", ""),
            "roster_division_code": d.get("roster_division_code", "").strip(),
        }


class ObjectionFileForm(Form):
    """APR-12: an objection to a served report (or to the procedure, ``target``)."""

    commission = ObjectField(lambda page: Commission.objects.filter(request=page.req))
    grounds = ValuesField()
    text = TextField()
    target = TextField()
    fraud = FlagField(yes="yes")


class RespondForm(Form):
    objection = ObjectField(
        lambda page: Objection.objects.filter(commission__request=page.req, party=page.party)
    )
    satisfied = FlagField(yes="yes")


PARTY_ACTIONS: CourtActions[PartyPage] = CourtActions(
    {
        "agreement": CourtAction[PartyPage](
            form=AgreementForm,
            call=lambda s: services.agreement_submit(
                request=s.target.req, party=s.target.party, actor=s.actor, **s.data
            ),
            done=_("意见已提交"),
        ),
        "object": CourtAction[PartyPage](
            form=ObjectionFileForm,
            perm="appraisers.object_to_report",
            perm_on=lambda s: s.data["commission"],
            call=lambda s: services.objection_file(
                commission=s.data["commission"],
                party=s.target.party,
                grounds=s.data["grounds"],
                text=s.data["text"],
                target=s.data["target"] or "report",
                fraud_alleged=s.data["fraud"],
                actor=s.actor,
            ),
            done=_("异议已提交"),
        ),
        "respond": CourtAction[PartyPage](
            form=RespondForm,
            call=lambda s: services.objection_respond(actor=s.actor, **s.data),
            done=_("已提交意见"),
        ),
    },
    page=lambda page: reverse("appraisers:party_request", args=[page.req.pk]),
    subject=by_ref(lambda page: f"case:{page.req.case_id}/appraisal:{page.req.pk}"),
)


def _party_page(request: AuthedRequest, pk: int, party: object) -> PartyPage:
    """The request as the user's party ``party`` of its case (the first one if not named):
    the party page's target; anyone else is refused."""
    req = get_object_or_404(AppraisalRequest.objects.select_related("case", "asset"), pk=pk)
    require(request.user, "appraisers.view_request", req)
    found = _party_or_none(req, request.user, str(party) if party else None)
    if found is None:
        raise PermissionDenied("not_a_party", gettext("您不是本案当事人"))
    return PartyPage(req=req, party=found)


@login_required
@guarded
@write_rate_limited("appraisers")
def party_request(request: AuthedRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(AppraisalRequest.objects.select_related("case", "asset"), pk=pk)
    user = request.user
    require(user, "appraisers.view_request", req)
    mine = parties_of_user(req.case_id, user)
    posted = None
    if request.method == "POST":
        page = _party_page(request, pk, request.POST.get("party"))
        outcome = PARTY_ACTIONS.run(request, request.POST.get("action", ""), page)
        if outcome.ok:
            refused = outcome.name == "object" and outcome.result.status == Objection.Status.REFUSED
            if refused:
                messages.warning(
                    request,
                    gettext("该异议不予受理：%(r)s") % {"r": outcome.result.refusal_reason},
                )
            return redirect(outcome.next_url)
        posted = request.POST  # refused: the page again, with what was typed
    services.agreement_refresh(request=req)
    req.refresh_from_db()
    firms = []
    submission = None
    if req.status == AppraisalRequest.Status.AGREEMENT and mine:
        submission = AgreementSubmission.objects.filter(
            request=req, round=req.round, party__in=mine
        ).first()
        for firm in (
            Firm.objects.filter(roster_entries__specialty=req.asset.kind, status=Firm.Status.ACTIVE)
            .distinct()
            .order_by("name")
        ):
            if not agreement_firm_problems(req, firm):
                firms.append(firm)
    commissions = []
    for c in req.commissions.select_related("firm").order_by("-pk"):
        row: dict[str, Any] = {"c": c, "report": None, "window": None, "objections": []}
        if c.state in SERVED_STATES and mine:
            row["report"] = c.current_report()
            served, closes = objection_window(c, mine[0])
            row["window"] = {"served_at": served, "closes_at": closes}
            row["objections"] = list(c.objections.filter(party__in=mine).order_by("-filed_at"))
        commissions.append(row)
    ctx = {
        "req": req,
        "mine": mine,
        "is_staff": is_court_staff_of(user, req.court_id),
        "firms": firms,
        "submission": submission,
        "levels": RosterEntry.Level.choices,
        "draws": list(req.draws.order_by("-pk")),
        "commissions": commissions,
        "grounds": Objection.Ground.choices,
        "targets": Objection.Target.choices,
        "objection_days": OBJECTION_DAYS,
        "posted": posted,
        "posted_grounds": posted.getlist("grounds") if posted is not None else [],
    }
    return render(request, "appraisers/party_request.html", ctx)


@login_required
@guarded
def report_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The report PDF: the firm, the court and parties it was served on (REC-14)."""
    report = get_object_or_404(Report.objects.select_related("commission__request"), pk=pk)
    c = report.commission
    require(request.user, "appraisers.view_commission", c)
    if not can(request.user, "appraisers.read_report", report):
        return forbidden(request, gettext("报告尚未送达您"))
    return files.send(
        request,
        report.file,
        content_type="application/pdf",
        filename=f"appraisal-report-{c.pk}-v{report.version}.pdf",
    )
