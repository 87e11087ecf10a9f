"""HTTP API of the appraisers app (mounted at ``/api/appraisers/``).

Public: the roster and the draw records with their verification (REC-09). Signed in: a firm
user works on their own firm's commissions; court staff start requests and read their
court's; parties take part in the draw and object. Errors are ``{"code", "message", "rule"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import django_auth

from appraisers import services
from appraisers.models import AppraisalRequest, Commission, Firm, LotDraw
from appraisers.selectors import (
    commissions_for_firm,
    countdown,
    draw_public_record,
    fees_for_firm,
    firm_of,
)
from appraisers.services.selection import parties_of_user
from appraisers.services.verification import draw_verify
from core.court_api import mount_court_pages
from core.errors import DomainError, PermissionDenied
from core.permissions import can, require
from core.ratelimit import check_write_rate
from core.types import AuthedRequest

router = Router(tags=["appraisers"])


class FirmOut(Schema):
    id: int
    name: str
    licence_no: str
    qualification: str
    status: str
    barred_until: dt.datetime | None
    sub_rosters: list[str]
    is_sample: bool


class CommissionOut(Schema):
    id: int
    request_id: int
    case_number: str
    asset: str
    firm: str
    kind: str
    state: str
    state_display: str
    offered_at: dt.datetime
    report_due_at: dt.datetime | None
    paused: bool
    days_left: int | None
    flags: list[str]
    current_report_id: int | None
    amount_fen: int | None


class RequestIn(Schema):
    case_id: int
    asset_id: int
    purpose: str
    procedure_ref: str


class AppraisalRequestOut(Schema):
    id: int
    procedure_ref: str
    case_id: int
    asset_id: int
    status: str
    round: int
    agreement_deadline: dt.datetime | None


class CommitIn(Schema):
    participant: str
    commitment: str


class DrawRevealIn(Schema):
    participant: str
    secret: str


class AppraisalReasonIn(Schema):
    reason: str


class ExtensionIn(Schema):
    days: int
    reason: str


class AppraisalObjectionIn(Schema):
    party_id: int
    grounds: list[str]
    text: str
    target: str = "report"
    fraud_alleged: bool = False


class AppraisalObjectionOut(Schema):
    id: int
    status: str
    outcome: str
    refusal_reason: str


class ReportIn(Schema):
    amount_fen: int
    value_date: dt.date
    valid_until: dt.date
    facts: str
    method: str
    standards: str
    signing_firm_name: str
    signing_firm_licence: str
    signer_licences: str


class FeeOut(Schema):
    id: int
    commission_id: int
    case_number: str
    outcome: str
    basis: str
    amount_fen: int
    status: str
    explanation: str


def _firm_out(f: Firm) -> dict[str, Any]:
    return {
        "id": f.pk,
        "name": f.name,
        "licence_no": f.licence_no,
        "qualification": f.qualification,
        "status": f.status,
        "barred_until": f.barred_until,
        "is_sample": f.is_sample,
        "sub_rosters": [
            f"{e.specialty}:{e.level}:{e.division_code}" for e in f.roster_entries.all()
        ],
    }


def _commission_out(c: Commission) -> dict[str, Any]:
    cd = countdown(c)
    report = c.current_report()
    return {
        "id": c.pk,
        "request_id": c.request_id,
        "case_number": c.request.case.number,
        "asset": c.request.asset.name,
        "firm": c.firm.name,
        "kind": c.kind,
        "state": c.state,
        "state_display": c.get_state_display(),
        "offered_at": c.offered_at,
        "report_due_at": c.report_due_at,
        "paused": c.paused_at is not None,
        "days_left": cd["days_left"],
        "flags": cd["flags"],
        "current_report_id": report.pk if report else None,
        "amount_fen": report.amount_fen if report and c.state in ("served", "final") else None,
    }


def _request_out(r: AppraisalRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "procedure_ref": r.procedure_ref,
        "case_id": r.case_id,
        "asset_id": r.asset_id,
        "status": r.status,
        "round": r.round,
        "agreement_deadline": r.agreement_deadline,
    }


def _commission(request: AuthedRequest, pk: int, perm: str) -> Commission:
    c = get_object_or_404(
        Commission.objects.select_related("request__case", "request__asset", "firm"), pk=pk
    )
    require(request.user, perm, c)
    return c


# --- public ---------------------------------------------------------------------------------


@router.get("/firms", response=list[FirmOut])
def firms_list(
    request: HttpRequest, specialty: str = "", division_code: str = ""
) -> list[dict[str, Any]]:
    qs = Firm.objects.prefetch_related("roster_entries").order_by("name")
    if specialty:
        qs = qs.filter(roster_entries__specialty=specialty)
    if division_code:
        qs = qs.filter(roster_entries__division_code=division_code)
    return [_firm_out(f) for f in qs.distinct()]


@router.get("/draws/{draw_id}")
def draw_get(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    return draw_public_record(get_object_or_404(LotDraw, pk=draw_id))


@router.get("/draws/{draw_id}/verify")
def draw_verify_get(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    out = draw_verify(get_object_or_404(LotDraw, pk=draw_id))
    return {
        "ok": out["ok"],
        "problems": out["problems"],
        "seed": out["seed"],
        "ranking": out["ranking"],
    }


# --- the draw -------------------------------------------------------------------------------


def _draw_participant(request: AuthedRequest, draw: LotDraw, participant: str) -> None:
    require(request.user, "appraisers.take_part_in_draw", draw.request)
    check_write_rate(request, "appraisers")


@router.post("/draws/{draw_id}/commitments", auth=django_auth)
def draw_commit(request: AuthedRequest, draw_id: int, payload: CommitIn) -> dict[str, Any]:
    draw = get_object_or_404(LotDraw.objects.select_related("request"), pk=draw_id)
    _draw_participant(request, draw, payload.participant)
    services.draw_commit(
        draw=draw,
        participant_ref=payload.participant,
        commitment=payload.commitment,
        actor=request.user,
    )
    return draw_public_record(draw)


@router.post("/draws/{draw_id}/reveals", auth=django_auth)
def draw_reveal(request: AuthedRequest, draw_id: int, payload: DrawRevealIn) -> dict[str, Any]:
    draw = get_object_or_404(LotDraw.objects.select_related("request"), pk=draw_id)
    _draw_participant(request, draw, payload.participant)
    services.draw_reveal(
        draw=draw, participant_ref=payload.participant, secret=payload.secret, actor=request.user
    )
    return draw_public_record(draw)


# --- requests (court) -----------------------------------------------------------------------


@router.post("/requests", auth=django_auth, response=AppraisalRequestOut)
def request_create(request: AuthedRequest, payload: RequestIn) -> dict[str, Any]:
    from cases.models import Case

    case = get_object_or_404(Case, pk=payload.case_id)
    require(request.user, "appraisers.manage_appraisal", case)
    check_write_rate(request, "appraisers")
    return _request_out(
        services.commission_request(
            case_id=payload.case_id,
            asset_id=payload.asset_id,
            procedure_ref=payload.procedure_ref,
            purpose=payload.purpose,
            actor=request.user,
        )
    )


@router.get("/requests/{request_id}", auth=django_auth, response=AppraisalRequestOut)
def request_get(request: AuthedRequest, request_id: int) -> dict[str, Any]:
    r = get_object_or_404(AppraisalRequest, pk=request_id)
    require(request.user, "appraisers.view_request", r)
    return _request_out(r)


# --- commissions ----------------------------------------------------------------------------


@router.get("/commissions", auth=django_auth, response=list[CommissionOut])
def commissions_list(request: AuthedRequest) -> list[dict[str, Any]]:
    user = request.user
    firm = firm_of(user)
    if firm is not None:
        qs = commissions_for_firm(firm)
    elif user.is_court_staff and user.court_id is not None:  # staff have a court (DB check)
        qs = Commission.objects.filter(court_id=user.court_id).select_related(
            "request__case", "request__asset", "firm"
        )
    else:
        raise PermissionDenied("forbidden", _("无权查看委托列表"))
    return [_commission_out(c) for c in qs.order_by("-offered_at")[:500]]


@router.get("/commissions/{commission_id}", auth=django_auth, response=CommissionOut)
def commission_get(request: AuthedRequest, commission_id: int) -> dict[str, Any]:
    return _commission_out(_commission(request, commission_id, "appraisers.view_commission"))


@router.post("/commissions/{commission_id}/accept", auth=django_auth, response=CommissionOut)
def commission_accept(request: AuthedRequest, commission_id: int) -> dict[str, Any]:
    c = _commission(request, commission_id, "appraisers.act_for_firm")
    check_write_rate(request, "appraisers")
    return _commission_out(services.commission_accept(commission=c, actor=request.user))


@router.post("/commissions/{commission_id}/decline", auth=django_auth, response=CommissionOut)
def commission_decline(
    request: AuthedRequest, commission_id: int, payload: AppraisalReasonIn
) -> dict[str, Any]:
    c = _commission(request, commission_id, "appraisers.act_for_firm")
    check_write_rate(request, "appraisers")
    return _commission_out(
        services.commission_decline(commission=c, reason=payload.reason, actor=request.user)
    )


@router.post("/commissions/{commission_id}/extensions", auth=django_auth)
def commission_extension(
    request: AuthedRequest, commission_id: int, payload: ExtensionIn
) -> dict[str, Any]:
    c = _commission(request, commission_id, "appraisers.act_for_firm")
    check_write_rate(request, "appraisers")
    ext = services.extension_request(
        commission=c, days=payload.days, reason=payload.reason, actor=request.user
    )
    return {"id": ext.pk, "status": ext.status}


@router.post("/commissions/{commission_id}/report", auth=django_auth, response=CommissionOut)
def commission_report(
    request: AuthedRequest, commission_id: int, payload: Form[ReportIn], file: File[UploadedFile]
) -> dict[str, Any]:
    c = _commission(request, commission_id, "appraisers.change_report")
    check_write_rate(request, "appraisers")
    data = payload.dict()
    data["signer_licences"] = [
        s for s in data["signer_licences"].replace("，", ",").split(",") if s.strip()
    ]
    services.report_submit(commission=c, upload=file, actor=request.user, **data)
    c.refresh_from_db()
    return _commission_out(c)


@router.post(
    "/commissions/{commission_id}/objections", auth=django_auth, response=AppraisalObjectionOut
)
def commission_object(
    request: AuthedRequest, commission_id: int, payload: AppraisalObjectionIn
) -> dict[str, Any]:
    c = _commission(request, commission_id, "appraisers.object_to_report")
    check_write_rate(request, "appraisers")
    party = next(
        (p for p in parties_of_user(c.request.case_id, request.user) if p.pk == payload.party_id),
        None,
    )
    if party is None:
        raise PermissionDenied("not_this_party", _("只能以本人当事人身份提出异议"), rule="APR-12")
    o = services.objection_file(
        commission=c,
        party=party,
        grounds=payload.grounds,
        text=payload.text,
        target=payload.target,
        fraud_alleged=payload.fraud_alleged,
        actor=request.user,
    )
    return {
        "id": o.pk,
        "status": o.status,
        "outcome": o.outcome,
        "refusal_reason": o.refusal_reason,
    }


@router.get("/fees", auth=django_auth, response=list[FeeOut])
def fees_list(request: AuthedRequest) -> list[dict[str, Any]]:
    firm = firm_of(request.user)
    if firm is None:
        raise DomainError("not_firm_user", _("您不是评估机构用户"), status=403)
    return [
        {
            "id": f.pk,
            "commission_id": f.commission_id,
            "case_number": f.request.case.number,
            "outcome": f.outcome,
            "basis": f.basis,
            "amount_fen": f.amount_fen,
            "status": f.status,
            "explanation": f.explanation,
        }
        for f in fees_for_firm(firm)
    ]


class RosterImportOut(Schema):
    created: int
    updated: int


@router.post(
    "/roster/import", auth=django_auth, response=RosterImportOut, summary="导入名单库（CSV）"
)
def roster_import(
    request: AuthedRequest, file: File[UploadedFile], kind: Form[str] = "firms"
) -> dict[str, int]:
    """The roster page ``appraisers:roster_import`` (multipart): ``kind`` firms | appraisers,
    a UTF-8 ``file``; all or nothing (APR-01: firms with their recommending association).
    Errors: ``invalid_encoding``, or the import's refusal with each bad line in ``data``."""
    from appraisers.views.roster import roster_import_run

    if not can(request.user, "appraisers.manage_roster"):
        raise PermissionDenied("forbidden", _("仅名单库管理人员可以导入"))
    check_write_rate(request, "appraisers")
    try:
        return roster_import_run(kind, file.read(), request.user)
    except UnicodeDecodeError as exc:
        raise DomainError("invalid_encoding", _("CSV 文件须为 UTF-8 编码")) from exc


# ---- court: every action of the court pages (issue 13: each page's action table, by API) ------


def _onboarding(request: HttpRequest) -> None:
    """The operator only (``appraisers.onboard_firms``), as the pages of firm onboarding."""
    if not can(request.user, "appraisers.onboard_firms"):
        raise PermissionDenied("forbidden", _("仅平台运营人员可以新增评估机构"))


def _onboarding_firm(request: HttpRequest, pk: int) -> Firm:
    _onboarding(request)
    return get_object_or_404(Firm, pk=pk)


def _mount_court_pages() -> None:
    """The appraisal pages' action tables (``appraisers.views.*``), each with the page's own
    lookup and permission (``core.court_api``)."""
    from appraisers.views import court, draw, firm, party, roster

    mount_court_pages(
        router,
        "appraisers",
        [
            ("/court", court.CREATE_ACTIONS, court._staff_court, "appraisers_court", "委托评估"),
            (
                "/court/requests/{request_id}",
                court.REQUEST_ACTIONS,
                court._court_request_for,
                "appraisers_request",
                "委托评估详情",
            ),
            (
                "/draws/{draw_id}/participation",
                draw.PARTICIPANT_ACTIONS,
                draw._draw_for,
                "appraisers_draw",
                "摇号参与",
            ),
            (
                "/commissions/{commission_id}/page",
                firm.COMMISSION_ACTIONS,
                firm._commission_for,
                "appraisers_commission",
                "评估委托（机构）",
            ),
            (
                "/requests/{request_id}/parties/{party_id}",
                party.PARTY_ACTIONS,
                party._party_page,
                "appraisers_party",
                "委托评估（当事人）",
            ),
            (
                "/firms/onboarding",
                roster.ONBOARD_ACTIONS,
                _onboarding,
                "appraisers_firm_new",
                "新增评估机构",
            ),
            (
                "/firms/{firm_id}/onboarding",
                roster.ONBOARD_ACTIONS,
                _onboarding_firm,
                "appraisers_firm_onboarding",
                "评估机构（运营）",
            ),
            (
                "/firms/{firm_id}/roster",
                roster.FIRM_ACTIONS,
                roster._roster_firm,
                "appraisers_firm_roster",
                "评估机构（名单库）",
            ),
        ],
    )


_mount_court_pages()
