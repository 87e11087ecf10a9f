"""HTTP API of the cases app, mounted at ``/api/cases/`` (OpenAPI at ``/api/docs``).

Session sign-in (``django_auth``). Staff see and change their own court's cases; a party
sees only their own cases. Errors are ``{"code", "message"[, "rule", "data"]}``: 401
``not_authenticated``, 403 ``forbidden``, 404 ``case_not_found``/``asset_not_found``/
``party_not_found``, 422 ``invalid_input`` (missing fields, wrong types) and 400/409 with
the service's own code (``invalid_case_number``, ``invalid_claim_amount``, …).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import django_auth
from pydantic import StrictBool, StrictInt

from cases import selectors, services
from cases.models import Asset, Case, Disclosure, Identity, Lot, Party, Seizure
from cases.numbers import parse_case_number
from core.court_api import mount_court_pages
from core.errors import DomainError, NotFound, PermissionDenied
from core.models import STAFF_ROLES, AuditEntry, Deadline, User
from core.permissions import can, require
from core.ratelimit import check_write_rate
from core.types import AuthedRequest

router = Router(tags=["cases 案件"], auth=django_auth)


# ---------------------------------------------------------------- schemas


class ErrorOut(Schema):
    code: str
    message: str
    rule: str | None = None
    data: dict[str, Any] | None = None


class PersonOut(Schema):
    id: int
    name: str


class CaseIn(Schema):
    number: str = Field(..., description="案号，如 （2026）赣0102执1234号；半角括号亦可")
    claim_fen: StrictInt = Field(..., description="申请执行标的，整数（分）")
    filed_on: dt.date
    judge_id: StrictInt | None = Field(
        None, description="承办法官（本院）；法官本人创建时默认为本人"
    )
    officer_id: StrictInt | None = None
    title: str = Field("", description="案由")
    title_document: str = Field("", description="执行依据（文书）")


class CaseOut(Schema):
    id: int
    ref: str
    number: str
    year: int
    court_code: str
    case_type: str
    case_type_label: str
    sequence: int
    court: PersonOut
    title: str
    status: str
    status_label: str
    claim_fen: int
    title_document: str
    filed_on: dt.date
    judge: PersonOut | None
    officer: PersonOut | None


class PartyIn(Schema):
    role: str = Field(..., description="creditor | debtor | third_party")
    kind: str = Field(..., description="person | organisation")
    name: str
    identity_kind: str = Field(
        "", description="resident_id | uscc | passport | hkm_permit | tw_permit"
    )
    identity_number: str = ""
    user_id: StrictInt | None = Field(None, description="当事人的平台账户（可选）")
    phone: str = ""
    address: str = ""
    email: str = ""
    priority: StrictInt | None = None
    claim_fen: StrictInt | None = None


class PartyOut(Schema):
    id: int
    ref: str
    role: str
    role_label: str
    kind: str
    kind_label: str
    name: str
    identity_kind: str | None
    identity_number_masked: str | None
    identity_status: str | None
    phone: str | None
    address: str | None
    email: str | None
    priority: int | None
    claim_fen: int | None


class IdentityRevealIn(Schema):
    purpose: str = Field(..., description="查看完整证件号码的用途（记入访问日志）")


class RevealOut(Schema):
    number: str


class AssetIn(Schema):
    kind: str = Field(
        ..., description="residential | commercial | land | vehicle | equity | movable"
    )
    name: str
    division_code: str = Field(..., description="6位行政区划代码")
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    features: dict[str, Any] = Field(
        default_factory=dict, description="按类型：面积、房间数、楼层…"
    )
    description: str = ""
    purchase_restricted: StrictBool = False


class DisclosureIn(Schema):
    topic: str = Field(
        ..., description="title | encumbrances | possession | defects | arrears | taxes"
    )
    text: str


class DisclosureOut(Schema):
    id: int
    topic: str
    topic_label: str
    text: str
    recorded_by: PersonOut
    recorded_at: dt.datetime
    supersedes_id: int | None
    current: bool


class SeizureIn(Schema):
    kind: str = Field(..., description="seal 查封 | detain 扣押 | freeze 冻结")
    seized_on: dt.date
    document: str = Field(..., description="裁定书文号")
    expires_on: dt.date | None = None


class DeadlineOut(Schema):
    id: int
    rule_id: str
    title: str = Field(..., description="事项（存档中文）")
    title_label: str = Field(..., description="事项，读者语言")
    subject: str
    started_at: dt.datetime
    due_at: dt.datetime
    status: str
    flag: str
    owner: PersonOut | None
    party_ref: str


class SeizureOut(Schema):
    id: int
    kind: str
    kind_label: str
    seized_on: dt.date
    document: str
    expires_on: dt.date | None
    recorded_by: PersonOut
    recorded_at: dt.datetime
    pricing_deadline: DeadlineOut | None = Field(None, description="PRC-01 启动定价期限")


class AssetOut(Schema):
    id: int
    ref: str
    kind: str
    kind_label: str
    name: str
    division_code: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    features: dict[str, Any]
    description: str
    purchase_restricted: bool
    is_immovable: bool
    disclosures: dict[str, DisclosureOut]
    missing_disclosures: list[str]
    seizures: list[SeizureOut]


class LotIn(Schema):
    title: str
    asset_ids: list[StrictInt]
    bundle_reason: str = ""


class LotOut(Schema):
    id: int
    title: str
    asset_ids: list[int]
    bundle_reason: str
    created_at: dt.datetime


class HistoryOut(Schema):
    seq: int
    at: dt.datetime
    actor: str
    actor_role: str
    action: str
    subject: str
    before: Any
    after: Any
    reason: str
    rules: str


class IdentityIn(Schema):
    kind: str = Field(..., description="resident_id | uscc | passport | hkm_permit | tw_permit")
    number: str
    name: str


class IdentityOut(Schema):
    id: int
    kind: str
    kind_label: str
    number_masked: str
    name: str
    status: str
    status_label: str
    submitted_at: dt.datetime | None
    verified_at: dt.datetime | None
    failure_reason: str


class IdentityStatusOut(Schema):
    verified: IdentityOut | None
    identities: list[IdentityOut]


class CaseNumberOut(Schema):
    number: str
    year: int
    court_code: str
    court_level: str
    case_type: str
    case_type_label: str
    sequence: int


# ---------------------------------------------------------------- serialisers


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user)}


def case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "ref": case.ref,
        "number": case.number,
        "year": case.year,
        "court_code": case.court_code,
        "case_type": case.case_type,
        "case_type_label": _type_label(case.case_type),
        "sequence": case.sequence,
        "court": {"id": case.court_id, "name": case.court.name},
        "title": case.title,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "claim_fen": case.claim_fen,
        "title_document": case.title_document,
        "filed_on": case.filed_on,
        "judge": _person(case.judge),
        "officer": _person(case.officer),
    }


def _type_label(code: str) -> str:
    from cases.numbers import CASE_TYPES

    return _(CASE_TYPES.get(code, code))  # stored Chinese, shown in the reader's language


def party_out(party: Party, *, full_contacts: bool) -> dict[str, Any]:
    ident = party.identity
    return {
        "id": party.pk,
        "ref": party.ref,
        "role": party.role,
        "role_label": str(party.get_role_display()),
        "kind": party.kind,
        "kind_label": str(party.get_kind_display()),
        "name": party.name,
        "identity_kind": ident.kind if ident else None,
        "identity_number_masked": ident.masked_number if ident else None,
        "identity_status": ident.status if ident else None,
        "phone": party.phone if full_contacts else None,
        "address": party.address if full_contacts else None,
        "email": party.email if full_contacts else None,
        "priority": party.priority,
        "claim_fen": party.claim_fen,
    }


def disclosure_out(d: Disclosure, *, current: bool) -> dict[str, Any]:
    return {
        "id": d.pk,
        "topic": d.topic,
        "topic_label": str(d.get_topic_display()),
        "text": d.text,
        "recorded_by": _person(d.recorded_by),
        "recorded_at": d.recorded_at,
        "supersedes_id": d.supersedes_id,
        "current": current,
    }


def deadline_out(d: Deadline) -> dict[str, Any]:
    return {
        "id": d.pk,
        "rule_id": d.rule_id,
        "title": d.title,
        "title_label": d.display_title,
        "subject": d.subject,
        "started_at": d.started_at,
        "due_at": d.due_at,
        "status": d.status,
        "flag": d.flag,
        "owner": _person(d.owner),
        "party_ref": d.party_ref,
    }


def seizure_out(s: Seizure, deadlines: dict[str, Deadline] | None = None) -> dict[str, Any]:
    d = (deadlines or {}).get(f"seizure:{s.pk}")
    return {
        "id": s.pk,
        "kind": s.kind,
        "kind_label": str(s.get_kind_display()),
        "seized_on": s.seized_on,
        "document": s.document,
        "expires_on": s.expires_on,
        "recorded_by": _person(s.recorded_by),
        "recorded_at": s.recorded_at,
        "pricing_deadline": deadline_out(d) if d else None,
    }


def _prc01_by_start(asset: Asset) -> dict[str, Deadline]:
    qs = Deadline.objects.filter(subject=asset.ref, rule_id="PRC-01").select_related("owner")
    return {d.start_event: d for d in qs}


def asset_out(asset: Asset) -> dict[str, Any]:
    deadlines = _prc01_by_start(asset)
    return {
        "id": asset.pk,
        "ref": asset.ref,
        "kind": asset.kind,
        "kind_label": str(asset.get_kind_display()),
        "name": asset.name,
        "division_code": asset.division_code,
        "address": asset.address,
        "latitude": asset.latitude,
        "longitude": asset.longitude,
        "features": asset.features,
        "description": asset.description,
        "purchase_restricted": asset.purchase_restricted,
        "is_immovable": asset.is_immovable,
        "disclosures": {
            t: disclosure_out(d, current=True)
            for t, d in selectors.current_disclosures(asset).items()
        },
        "missing_disclosures": selectors.missing_disclosure_topics(asset),
        "seizures": [seizure_out(s, deadlines) for s in selectors.asset_seizures(asset)],
    }


def lot_out(lot: Lot) -> dict[str, Any]:
    return {
        "id": lot.pk,
        "title": lot.title,
        "asset_ids": sorted(a.pk for a in lot.assets.all()),
        "bundle_reason": lot.bundle_reason,
        "created_at": lot.created_at,
    }


def identity_out(ident: Identity) -> dict[str, Any]:
    return {
        "id": ident.pk,
        "kind": ident.kind,
        "kind_label": str(ident.get_kind_display()),
        "number_masked": ident.masked_number,
        "name": ident.name,
        "status": ident.status,
        "status_label": str(ident.get_status_display()),
        "submitted_at": ident.submitted_at,
        "verified_at": ident.verified_at,
        "failure_reason": ident.failure_reason,
    }


def history_out(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor_label,
        "actor_role": e.actor_role,
        "action": e.action,
        "subject": e.subject,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "rules": e.rule_ids,
    }


# ---------------------------------------------------------------- helpers


def _case(request: AuthedRequest, case_id: int, *, change: bool = False) -> Case:
    case = selectors.case_get_visible(request.user, case_id)
    if change:
        require(request.user, "cases.change_case", case)
    return case


def _write(request: AuthedRequest) -> None:
    check_write_rate(request, "cases")


def _staff_of(court_id: int, user_id: int | None, label: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, court_id=court_id, role__in=STAFF_ROLES).first()
    if user is None:
        raise DomainError("invalid_assignee", _("%(label)s应为本院工作人员") % {"label": label})
    return user


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- identity (before /{case_id})


@router.get("/identity", response={200: IdentityStatusOut, **ERRORS}, summary="我的实名核验状态")
def identity_status(request: AuthedRequest) -> dict[str, Any]:
    verified = selectors.verified_identity_for(request.user)
    return {
        "verified": identity_out(verified) if verified else None,
        "identities": [identity_out(i) for i in selectors.identities_of(request.user)],
    }


@router.post("/identity", response={200: IdentityOut, **ERRORS}, summary="提交实名信息并核验")
def identity_submit(request: AuthedRequest, payload: IdentityIn) -> dict[str, Any]:
    _write(request)
    ident = services.identity_submit(
        user=request.user, kind=payload.kind, number=payload.number, name=payload.name
    )
    return identity_out(ident)


@router.get("/numbers/parse", response={200: CaseNumberOut, **ERRORS}, summary="解析并规范案号")
def number_parse(request: AuthedRequest, number: str) -> dict[str, Any]:
    n = parse_case_number(number)
    return {
        "number": n.text,
        "year": n.year,
        "court_code": n.court_code,
        "court_level": n.court_level,
        "case_type": n.case_type,
        "case_type_label": n.case_type_label,
        "sequence": n.sequence,
    }


# ---------------------------------------------------------------- cases


@router.get(
    "/", response={200: list[CaseOut], **ERRORS}, summary="案件列表（本院或本人为当事人的案件）"
)
def case_list(
    request: AuthedRequest, mine: bool = False, status: str | None = None
) -> list[dict[str, Any]]:
    if request.user.role in STAFF_ROLES:
        qs = selectors.cases_for_staff(request.user, mine=mine)
    else:
        qs = selectors.cases_for_party(request.user)
    if status:
        qs = qs.filter(status=status)
    return [case_out(c) for c in qs.select_related("court", "judge", "officer")[:500]]


@router.post("/", response={201: CaseOut, **ERRORS}, summary="立案登记执行案件")
def case_create(request: AuthedRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    require(request.user, "cases.add_case")
    _write(request)
    user = request.user
    court = user.court
    if court is None:  # not reached: cases.add_case admits court staff only
        raise PermissionDenied("forbidden", _("无权执行此操作"), perm="cases.add_case")
    judge = _staff_of(court.pk, payload.judge_id, _("承办法官"))
    if judge is None and payload.judge_id is None and user.role == "judge":
        judge = user
    case = services.case_create(
        court=court,
        number=payload.number,
        claim_fen=payload.claim_fen,
        filed_on=payload.filed_on,
        judge=judge,
        officer=_staff_of(court.pk, payload.officer_id, _("执行员")),
        title=payload.title,
        title_document=payload.title_document,
        actor=user,
    )
    return Status(201, case_out(case))


@router.get("/{int:case_id}", response={200: CaseOut, **ERRORS}, summary="案件详情")
def case_read(request: AuthedRequest, case_id: int) -> dict[str, Any]:
    return case_out(_case(request, case_id))


class CaseStatusIn(Schema):
    status: str = Field(description="open / suspended / terminated / closed / withdrawn")
    reason: str


class CaseClaimIn(Schema):
    claim_fen: StrictInt
    reason: str


@router.post(
    "/{int:case_id}/status",
    response={200: CaseOut, **ERRORS},
    summary="变更案件执行状态（中止、终结、恢复执行；中止时暂缓定价，PRC-14）",
)
def case_status_change(
    request: AuthedRequest, case_id: int, payload: CaseStatusIn
) -> dict[str, Any]:
    case = _case(request, case_id, change=True)
    _write(request)
    return case_out(
        services.case_status_set(
            case=case, status=payload.status, reason=payload.reason, actor=request.user
        )
    )


@router.post(
    "/{int:case_id}/claim",
    response={200: CaseOut, **ERRORS},
    summary="更正申请执行标的金额（记录新旧值与理由，REC-08）",
)
def case_claim_change(request: AuthedRequest, case_id: int, payload: CaseClaimIn) -> dict[str, Any]:
    case = _case(request, case_id, change=True)
    _write(request)
    return case_out(
        services.case_claim_set(
            case=case, claim_fen=payload.claim_fen, reason=payload.reason, actor=request.user
        )
    )


@router.get("/{int:case_id}/parties", response={200: list[PartyOut], **ERRORS}, summary="当事人")
def party_list(
    request: AuthedRequest, case_id: int, role: str | None = None
) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    staff = can(request.user, "cases.view_case_record", case)
    return [
        party_out(p, full_contacts=staff or p.user_id == request.user.pk)
        for p in selectors.case_parties(case, role=role)
    ]


@router.post("/{int:case_id}/parties", response={201: PartyOut, **ERRORS}, summary="添加当事人")
def party_create(request: AuthedRequest, case_id: int, payload: PartyIn) -> Status[dict[str, Any]]:
    case = _case(request, case_id, change=True)
    _write(request)
    user = None
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id).first()
        if user is None:
            raise DomainError("user_not_found", _("关联的平台账户不存在"))
    party = services.party_add(
        case=case,
        role=payload.role,
        kind=payload.kind,
        name=payload.name,
        identity_kind=payload.identity_kind,
        identity_number=payload.identity_number,
        user=user,
        phone=payload.phone,
        address=payload.address,
        email=payload.email,
        priority=payload.priority,
        claim_fen=payload.claim_fen,
        actor=request.user,
    )
    return Status(201, party_out(party, full_contacts=True))


@router.post(
    "/{int:case_id}/parties/{int:party_id}/identity/reveal",
    response={200: RevealOut, **ERRORS},
    summary="查看当事人完整证件号码（限法官、执行员、财务，记入访问日志）",
)
def party_identity_reveal(
    request: AuthedRequest, case_id: int, party_id: int, payload: IdentityRevealIn
) -> dict[str, Any]:
    case = _case(request, case_id)
    party = Party.objects.filter(case=case, pk=party_id).select_related("identity").first()
    if party is None or party.identity is None:
        raise NotFound("party_not_found", _("未找到该当事人或其未登记证件"))
    return {
        "number": services.identity_reveal(
            user=request.user, identity=party.identity, purpose=payload.purpose, case=case
        )
    }


@router.get("/{int:case_id}/assets", response={200: list[AssetOut], **ERRORS}, summary="标的物")
def asset_list(request: AuthedRequest, case_id: int) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    return [asset_out(a) for a in selectors.case_assets(case)]


@router.post("/{int:case_id}/assets", response={201: AssetOut, **ERRORS}, summary="登记标的物")
def asset_create(request: AuthedRequest, case_id: int, payload: AssetIn) -> Status[dict[str, Any]]:
    case = _case(request, case_id, change=True)
    _write(request)
    asset = services.asset_register(
        case=case,
        kind=payload.kind,
        name=payload.name,
        division_code=payload.division_code,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        features=payload.features,
        description=payload.description,
        purchase_restricted=payload.purchase_restricted,
        actor=request.user,
    )
    return Status(201, asset_out(asset))


@router.get(
    "/{int:case_id}/assets/{int:asset_id}", response={200: AssetOut, **ERRORS}, summary="标的物详情"
)
def asset_read(request: AuthedRequest, case_id: int, asset_id: int) -> dict[str, Any]:
    return asset_out(selectors.asset_get(_case(request, case_id), asset_id))


@router.get(
    "/{int:case_id}/assets/{int:asset_id}/disclosures",
    response={200: list[DisclosureOut], **ERRORS},
    summary="披露事项（含历史记录）",
)
def disclosure_list(
    request: AuthedRequest, case_id: int, asset_id: int, topic: str | None = None
) -> list[dict[str, Any]]:
    asset = selectors.asset_get(_case(request, case_id), asset_id)
    current = {d.pk for d in selectors.current_disclosures(asset).values()}
    return [
        disclosure_out(d, current=d.pk in current)
        for d in selectors.disclosure_history(asset, topic)
    ]


@router.post(
    "/{int:case_id}/assets/{int:asset_id}/disclosures",
    response={201: DisclosureOut, **ERRORS},
    summary="登记披露事项（新记录取代旧记录）",
)
def disclosure_create(
    request: AuthedRequest, case_id: int, asset_id: int, payload: DisclosureIn
) -> Status[dict[str, Any]]:
    asset = selectors.asset_get(_case(request, case_id, change=True), asset_id)
    _write(request)
    d = services.disclosure_record(
        asset=asset, topic=payload.topic, text=payload.text, actor=request.user
    )
    return Status(201, disclosure_out(d, current=True))


@router.get(
    "/{int:case_id}/assets/{int:asset_id}/seizures",
    response={200: list[SeizureOut], **ERRORS},
    summary="查封、扣押、冻结措施",
)
def seizure_list(request: AuthedRequest, case_id: int, asset_id: int) -> list[dict[str, Any]]:
    asset = selectors.asset_get(_case(request, case_id), asset_id)
    deadlines = _prc01_by_start(asset)
    return [seizure_out(s, deadlines) for s in selectors.asset_seizures(asset)]


@router.post(
    "/{int:case_id}/assets/{int:asset_id}/seizures",
    response={201: SeizureOut, **ERRORS},
    summary="登记查封措施（开启 PRC-01 启动定价期限）",
)
def seizure_create(
    request: AuthedRequest, case_id: int, asset_id: int, payload: SeizureIn
) -> Status[dict[str, Any]]:
    asset = selectors.asset_get(_case(request, case_id, change=True), asset_id)
    _write(request)
    s = services.seizure_record(
        asset=asset,
        kind=payload.kind,
        seized_on=payload.seized_on,
        document=payload.document,
        expires_on=payload.expires_on,
        actor=request.user,
    )
    return Status(201, seizure_out(s, _prc01_by_start(asset)))


@router.get("/{int:case_id}/lots", response={200: list[LotOut], **ERRORS}, summary="拍品")
def lot_list(request: AuthedRequest, case_id: int) -> list[dict[str, Any]]:
    return [lot_out(lot) for lot in selectors.case_lots(_case(request, case_id))]


@router.post(
    "/{int:case_id}/lots",
    response={201: LotOut, **ERRORS},
    summary="组成拍品（不可分割的标的物合并，AUC-07）",
)
def lot_create(request: AuthedRequest, case_id: int, payload: LotIn) -> Status[dict[str, Any]]:
    case = _case(request, case_id, change=True)
    _write(request)
    lot = services.lot_create(
        case=case,
        assets=payload.asset_ids,
        title=payload.title,
        bundle_reason=payload.bundle_reason,
        actor=request.user,
    )
    return Status(201, lot_out(lot))


@router.get(
    "/{int:case_id}/deadlines", response={200: list[DeadlineOut], **ERRORS}, summary="案件期限"
)
def deadline_list(
    request: AuthedRequest, case_id: int, open_only: bool = False
) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    return [
        deadline_out(d)
        for d in selectors.case_deadlines(case, open_only=open_only).select_related("owner")
    ]


@router.get(
    "/{int:case_id}/history",
    response={200: list[HistoryOut], **ERRORS},
    summary="案件操作记录（审计）",
)
def case_history(request: AuthedRequest, case_id: int) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    require(request.user, "cases.view_case_record", case)
    return [history_out(e) for e in selectors.case_history(case)[:1000]]


class AssetUpdateIn(Schema):
    """The asset page's correction (``cases:asset_edit``): its facts and why they change."""

    name: str
    division_code: str = Field(..., description="6位行政区划代码")
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    features: dict[str, Any] = Field(default_factory=dict, description="按类型：面积、房间数…")
    description: str = ""
    purchase_restricted: StrictBool = False
    reason: str


class AssetFileOut(Schema):
    id: int
    kind: str
    title: str


@router.put(
    "/{int:case_id}/assets/{int:asset_id}",
    response={200: AssetOut, **ERRORS},
    summary="更正标的物信息（位置、特征、说明；须写明理由）",
)
def asset_correct(
    request: AuthedRequest, case_id: int, asset_id: int, payload: AssetUpdateIn
) -> dict[str, Any]:
    """The asset page's correction (``cases:asset_edit``), through ``cases.services.asset_update``
    (audited with before and after; pricing hears of it)."""
    asset = selectors.asset_get(_case(request, case_id, change=True), asset_id)
    _write(request)
    return asset_out(services.asset_update(asset=asset, actor=request.user, **payload.model_dump()))


@router.post(
    "/{int:case_id}/assets/{int:asset_id}/files",
    response={201: AssetFileOut, **ERRORS},
    summary="上传标的物照片、视频或文件（AUC-09）",
)
def asset_file_create(
    request: AuthedRequest,
    case_id: int,
    asset_id: int,
    kind: Form[str],
    title: Form[str],
    file: File[UploadedFile],
) -> Status[dict[str, Any]]:
    """The asset page's upload (``cases:file_new``), multipart: ``kind`` (photo | video |
    document), ``title``, ``file``; the service checks the kind's type and size."""
    asset = selectors.asset_get(_case(request, case_id, change=True), asset_id)
    _write(request)
    made = services.asset_file_add(
        asset=asset, kind=kind, title=title, file=file, actor=request.user
    )
    return Status(201, {"id": made.pk, "kind": made.kind, "title": made.title})


# ---- court: every action of the court pages (issue 13: each page's action table, by API) ------


def _mount_court_pages() -> None:
    """The case page's action table (``cases.views.CASE_ACTIONS``), with the page's lookup:
    a case the user may see (else 404) and change (else 403)."""
    from cases import views

    mount_court_pages(
        router,
        "cases",
        [
            (
                "/{case_id}",
                views.CASE_ACTIONS,
                lambda request, case_id: views._case(request, case_id, change=True),
                "cases_case",
                "案件",
            )
        ],
    )


_mount_court_pages()
