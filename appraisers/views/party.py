"""The parties' pages: agree on firms (APR-02), see the draw record, read the report, object."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

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
from appraisers.selectors import is_staff_of, requests_for_party
from appraisers.services.commission import (
    CORRECTION_KIND,
    OBJECTION_DAYS,
    REPORT_KIND,
    objection_window,
)
from appraisers.services.selection import agreement_firm_problems, parties_of_user
from appraisers.views._util import forbidden, guarded, posted_pk, run
from core.models import ServiceRecord
from core.permissions import require
from core.ratelimit import write_rate_limited
from core.service import is_served

SERVED_STATES = (Commission.State.SERVED, Commission.State.FINAL, Commission.State.REPLACED)


@login_required
def party_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request, "appraisers/party_requests.html", {"requests": requests_for_party(request.user)}
    )


def _party_or_none(req: AppraisalRequest, user, pk: str | None):
    mine = parties_of_user(req.case_id, user)
    if pk:
        return next((p for p in mine if str(p.pk) == str(pk)), None)
    return mine[0] if mine else None


@login_required
@guarded
@write_rate_limited("appraisers")
def party_request(request: HttpRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(AppraisalRequest.objects.select_related("case", "asset"), pk=pk)
    user = request.user
    require(user, "appraisers.view_request", req)
    mine = parties_of_user(req.case_id, user)
    posted = None
    if request.method == "POST":
        party = _party_or_none(req, user, request.POST.get("party"))
        if party is None:
            return forbidden(request, "您不是本案当事人")
        action = request.POST.get("action")
        P = request.POST
        ok = True
        if action == "agreement":
            choice = P.get("choice", "")
            firm_ids = [P.get(f"rank{i}") for i in (1, 2, 3)] if choice == "firms" else []
            ok = run(
                request,
                lambda: services.agreement_submit(
                    request=req,
                    party=party,
                    choice=choice,
                    firm_ids=[f for f in firm_ids if f],
                    actor=user,
                    roster_level=P.get("roster_level", ""),
                    roster_division_code=P.get("roster_division_code", "").strip(),
                ),
                "意见已提交",
            )
        elif action == "object":
            c = get_object_or_404(Commission, pk=posted_pk(P, "commission"), request=req)
            require(user, "appraisers.object_to_report", c)
            holder: dict = {}

            def _file() -> None:
                holder["o"] = services.objection_file(
                    commission=c,
                    party=party,
                    grounds=P.getlist("grounds"),
                    text=P.get("text", ""),
                    target=P.get("target", "report"),
                    fraud_alleged=P.get("fraud") == "yes",
                    actor=user,
                )

            ok = run(request, _file, "异议已提交")
            if ok and holder["o"].status == Objection.Status.REFUSED:
                messages.warning(request, f"该异议不予受理：{holder['o'].refusal_reason}")
        elif action == "respond":
            o = get_object_or_404(
                Objection, pk=posted_pk(P, "objection"), commission__request=req, party=party
            )
            ok = run(
                request,
                lambda: services.objection_respond(
                    objection=o, satisfied=P.get("satisfied") == "yes", actor=user
                ),
                "已提交意见",
            )
        if ok:
            return redirect("appraisers:party_request", pk=req.pk)
        posted = P  # refused: the page again, with what was typed
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
        row = {"c": c, "report": None, "window": None, "objections": []}
        if c.state in SERVED_STATES and mine:
            row["report"] = c.current_report()
            served, closes = objection_window(c, mine[0])
            row["window"] = {"served_at": served, "closes_at": closes}
            row["objections"] = list(c.objections.filter(party__in=mine).order_by("-filed_at"))
        commissions.append(row)
    ctx = {
        "req": req,
        "mine": mine,
        "is_staff": is_staff_of(user, req.court_id),
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
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The report PDF: the firm, the court and parties it was served on (REC-14)."""
    report = get_object_or_404(Report.objects.select_related("commission__request"), pk=pk)
    c = report.commission
    require(request.user, "appraisers.view_commission", c)
    user = request.user
    is_firm = user.has_perm("appraisers.act_for_firm", c)
    if not is_firm and not is_staff_of(user, c.court_id):
        # A party reads a report version once it has been served on them (PRC-10).
        refs = [f"party:{p.pk}" for p in parties_of_user(c.request.case_id, user)]
        served = ServiceRecord.objects.filter(
            subject=c.subject,
            recipient_ref__in=refs,
            document_kind__in=[REPORT_KIND, CORRECTION_KIND],
            sent_at__gte=report.uploaded_at,
        )
        if not any(is_served(r) for r in served):
            return forbidden(request, "报告尚未送达您")
    return FileResponse(
        report.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"appraisal-report-{c.pk}-v{report.version}.pdf",
    )
