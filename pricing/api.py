"""HTTP API of pricing, mounted at ``/api/pricing/`` (session sign-in).

Errors are ``{"code", "message"[, "rule", "data"]}``: 401 ``not_authenticated``, 403
``forbidden``, 404 ``not_found``, 422 ``invalid_input``, 400/409 with the service's own code
(``step_not_allowed``, ``platform_subset``, ``objection_late``, ``not_ready``, …).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth
from pydantic import StrictBool, StrictInt

from cases.models import Asset, Party
from core import clock
from core.court_api import mount_court_pages
from core.errors import DomainError, NotFound
from core.permissions import require
from core.ratelimit import check_write_rate
from core.types import AuthedRequest
from pricing import selectors, services
from pricing.models import Inquiry, InquiryReport, PricingProcedure
from pricing.services.contract import PriceBasis

router = Router(tags=["pricing 参考价"], auth=django_auth)


class BasisOut(Schema):
    kind: str
    amount_fen: int
    valid_until: dt.datetime
    grace_until: dt.datetime | None
    ground: str
    procedure_ref: str


class StepOut(Schema):
    method: str
    reason: str
    needs_joint_request: bool = False


class ProcedureOut(Schema):
    id: int
    ref: str
    asset_id: int
    case_id: int
    state: str
    state_label: str
    next_steps: list[StepOut]
    price: BasisOut | None
    deadlines: list[dict[str, Any]]


class ProcedureIn(Schema):
    asset_id: StrictInt


class ChecksIn(Schema):
    title: str
    encumbrances: str
    possession: str
    arrears: str
    defects: str
    has_tax_base_or_gov_price: StrictBool = False
    online_feasible: StrictBool = True
    needs_site_inspection: StrictBool = False
    law_requires_appraisal: StrictBool = False


class InquiryIn(Schema):
    purpose: str = "确定财产处置参考价"
    fee_fen: StrictInt = Field(0, ge=0)
    quantity: StrictInt = Field(1, ge=1)
    joint_request: StrictBool = False


class ReportOut(Schema):
    id: int
    platform: str
    kind: str
    on_time: bool
    currency: str
    amount_fen: int
    interval_low_fen: int | None
    interval_high_fen: int | None
    interval_level: float | None
    method: str
    valid_until: dt.datetime
    model: dict[str, Any]
    explanation: list[dict[str, Any]]
    samples: list[dict[str, Any]]


class PricingRequestOut(Schema):
    platform: str
    status: str
    due_at: dt.datetime
    last_error: str
    reports: list[ReportOut]


class InquiryOut(Schema):
    id: int
    kind: str
    status: str
    sent_at: dt.datetime
    due_at: dt.datetime
    extended_due_at: dt.datetime | None
    requests: list[PricingRequestOut]
    blockers: list[str]


class PricingObjectionIn(Schema):
    grounds: list[str]
    text: str
    fraud_evidence: StrictBool = False


class PricingObjectionOut(Schema):
    id: int
    status: str
    filed_at: dt.datetime


class ValuationIn(Schema):
    asset_class: str
    method: str = "gbm"
    features: dict[str, Any]


def _basis(b: PriceBasis | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {
        "kind": b.kind,
        "amount_fen": b.amount_fen,
        "valid_until": b.valid_until,
        "grace_until": b.grace_until,
        "ground": b.ground,
        "procedure_ref": b.procedure_ref,
    }


def _procedure(pk: int) -> PricingProcedure:
    proc = PricingProcedure.objects.select_related("asset", "case").filter(pk=pk).first()
    if proc is None:
        raise NotFound("not_found", _("定价程序不存在"))
    return proc


def _procedure_out(proc: PricingProcedure) -> dict[str, Any]:
    proc.refresh_from_db()
    price = selectors.active_price(proc)
    return {
        "id": proc.pk,
        "ref": proc.ref,
        "asset_id": proc.asset_id,
        "case_id": proc.case_id,
        "state": proc.state,
        "state_label": str(proc.get_state_display()),
        "next_steps": [
            {"method": s.method, "reason": s.reason, "needs_joint_request": s.needs_joint_request}
            for s in selectors.next_steps(proc)
        ],
        "price": _basis(services.reference_price_valid_for(asset_id=proc.asset_id, at=clock.now()))
        if price
        else None,
        "deadlines": [
            {
                "rule": d.rule_id,
                "title": d.title,
                "title_label": d.display_title,
                "due_at": d.due_at.isoformat(),
                "status": d.status,
                "flag": d.flag,
            }
            for d in selectors.procedure_deadlines(proc)
        ],
    }


def _report_out(r: InquiryReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "platform": r.request.platform.code,
        "kind": r.kind,
        "on_time": r.on_time,
        "currency": r.currency,
        "amount_fen": r.amount_fen,
        "interval_low_fen": r.interval_low_fen,
        "interval_high_fen": r.interval_high_fen,
        "interval_level": float(r.interval_level) if r.interval_level is not None else None,
        "method": r.method,
        "valid_until": r.valid_until,
        "model": r.model_info,
        "explanation": r.explanation,
        "samples": r.samples,
    }


@router.get("/assets/{asset_id}/basis", response={200: BasisOut | None})
def asset_basis(
    request: AuthedRequest, asset_id: int, at: dt.datetime | None = None
) -> dict[str, Any] | None:
    """The price basis bidding would publish on (PRC-11), or null."""
    asset = Asset.objects.select_related("case").filter(pk=asset_id).first()
    if asset is None:
        raise NotFound("not_found", _("标的物不存在"))
    require(request.user, "pricing.view_procedure", asset.case)
    return _basis(services.reference_price_valid_for(asset_id=asset_id, at=at or clock.now()))


@router.post("/procedures", response={201: ProcedureOut})
def procedure_create(request: AuthedRequest, payload: ProcedureIn) -> Status[dict[str, Any]]:
    check_write_rate(request, "pricing")
    asset = Asset.objects.select_related("case").filter(pk=payload.asset_id).first()
    if asset is None:
        raise NotFound("not_found", _("标的物不存在"))
    require(request.user, "pricing.run_procedure", asset.case)
    proc = services.procedure_open(asset=asset, actor=request.user)
    return Status(201, _procedure_out(proc))


@router.get("/procedures/{pk}", response=ProcedureOut)
def procedure_get(request: AuthedRequest, pk: int) -> dict[str, Any]:
    proc = _procedure(pk)
    require(request.user, "pricing.view_procedure", proc)
    return _procedure_out(proc)


@router.post("/procedures/{pk}/checks", response=ProcedureOut)
def procedure_checks(request: AuthedRequest, pk: int, payload: ChecksIn) -> dict[str, Any]:
    check_write_rate(request, "pricing")
    proc = _procedure(pk)
    require(request.user, "pricing.run_procedure", proc)
    data = payload.dict()
    flags = {
        k: data.pop(k)
        for k in (
            "has_tax_base_or_gov_price",
            "online_feasible",
            "needs_site_inspection",
            "law_requires_appraisal",
        )
    }
    services.procedure_record_checks(procedure=proc, checks=data, actor=request.user, **flags)
    return _procedure_out(proc)


def _inquiry_out(inq: Inquiry) -> dict[str, Any]:
    view = selectors.inquiry_view(inq)
    return {
        "id": inq.pk,
        "kind": inq.kind,
        "status": view["inquiry"].status,
        "sent_at": inq.sent_at,
        "due_at": inq.due_at,
        "extended_due_at": inq.extended_due_at,
        "blockers": view["blockers"],
        "requests": [
            {
                "platform": row["req"].platform.code,
                "status": row["req"].status,
                "due_at": row["req"].due_at,
                "last_error": row["req"].last_error,
                "reports": [_report_out(rep["r"]) for rep in row["reports"]],
            }
            for row in view["rows"]
        ],
    }


@router.post("/procedures/{pk}/online-inquiry", response={201: InquiryOut})
def online_inquiry(request: AuthedRequest, pk: int, payload: InquiryIn) -> Status[dict[str, Any]]:
    """PRC-06: send to every platform on the roster at once."""
    check_write_rate(request, "pricing")
    proc = _procedure(pk)
    require(request.user, "pricing.run_procedure", proc)
    inq = services.inquiry_send(
        procedure=proc,
        purpose=payload.purpose,
        fee_fen=payload.fee_fen,
        quantity=payload.quantity,
        joint_request=payload.joint_request,
        actor=request.user,
    )
    return Status(201, _inquiry_out(inq))


def _inquiry(pk: int) -> Inquiry:
    inq = Inquiry.objects.select_related("procedure__case").filter(pk=pk).first()
    if inq is None:
        raise NotFound("not_found", _("询价不存在"))
    return inq


@router.get("/inquiries/{pk}", response=InquiryOut)
def inquiry_get(request: AuthedRequest, pk: int) -> dict[str, Any]:
    inq = _inquiry(pk)
    require(request.user, "pricing.run_procedure", inq.procedure)
    return _inquiry_out(inq)


@router.post("/inquiries/{pk}/fix", response=BasisOut)
def inquiry_fix(request: AuthedRequest, pk: int) -> dict[str, Any] | None:
    """PRC-09: fix the mean as the reference price (refused with the reasons while not ready)."""
    check_write_rate(request, "pricing")
    inq = _inquiry(pk)
    require(request.user, "pricing.run_procedure", inq.procedure)
    services.inquiry_fix(inquiry=inq, actor=request.user)
    return _basis(
        services.reference_price_valid_for(asset_id=inq.procedure.asset_id, at=clock.now())
    )


@router.post("/reports/{pk}/objections", response={201: PricingObjectionOut})
def objection_create(
    request: AuthedRequest, pk: int, payload: PricingObjectionIn
) -> Status[dict[str, Any]]:
    """APR-12: a party objects to an online-inquiry report within 5 days of receipt."""
    check_write_rate(request, "pricing")
    rep = InquiryReport.objects.select_related("request__inquiry__procedure").filter(pk=pk).first()
    if rep is None:
        raise NotFound("not_found", _("报告不存在"))
    proc = rep.request.inquiry.procedure
    require(request.user, "pricing.object", proc)
    party = Party.objects.filter(case_id=proc.case_id, user=request.user).first()
    if party is None:
        raise DomainError("not_a_party", _("只有本案当事人可以提出异议"), rule="APR-12")
    obj = services.objection_file(
        report=rep,
        party=party,
        grounds=payload.grounds,
        text=payload.text,
        fraud_evidence=payload.fraud_evidence,
        actor=request.user,
    )
    return Status(201, {"id": obj.pk, "status": obj.status, "filed_at": obj.filed_at})


@router.post("/valuations", response=dict)
def valuation(request: AuthedRequest, payload: ValuationIn) -> dict[str, Any]:
    """Value features with the active built-in model (court staff; for checking a platform's answer)."""
    if not getattr(request.user, "is_court_staff", False):
        raise DomainError("forbidden", _("仅限法院工作人员"), status=403)
    from pricing.valuation.service import value_asset

    v = value_asset(
        asset_class=payload.asset_class, method=payload.method, features=payload.features
    )
    return {
        "price": v.price,
        "low": v.low,
        "high": v.high,
        "level": v.level,
        "currency": v.currency,
        "method": v.method_text,
        "explanation": v.explanation,
        "comparables": v.comparables,
        "model": v.model_info,
    }


# ---- court: every action of the court pages (issue 13: each page's action table, by API) ------


def _mount_court_pages() -> None:
    """The pricing pages' action tables (``pricing.views``), each with the page's own lookup
    and permission (``core.court_api``)."""
    from pricing import views

    mount_court_pages(
        router,
        "pricing",
        [
            ("/court", views.OPEN_ACTIONS, views._court_of, "pricing_court", "定价程序（法院）"),
            (
                "/procedures/{pk}/court",
                views.PROCEDURE_ACTIONS,
                views._procedure_to_run,
                "pricing_procedure",
                "定价程序",
            ),
            (
                "/procedures/{pk}/party",
                views.PARTY_ACTIONS,
                views._party_page_of,
                "pricing_party",
                "定价程序（当事人）",
            ),
            (
                "/roster",
                views.ROSTER_ACTIONS,
                views._roster_keeper,
                "pricing_roster",
                "询价平台名单库",
            ),
        ],
    )


_mount_court_pages()
