"""Write use-cases of the cases app: one transaction each, with its audit entry.

Everything of a case is audited on the stream ``case:<id>``; identity verification on
``system:identity``. Identity numbers never enter the audit trail in full (REC-05).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias, TypedDict

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases import identity as idcheck
from cases.events import AssetUpdated, CaseCreated, CaseStatusChanged, SeizureRecorded
from cases.features import clean_features
from cases.models import Asset, AssetFile, Case, Disclosure, Identity, Lot, Party, Seizure
from cases.numbers import is_court_code, parse_case_number
from cases.verifier import VerificationResult, get_verifier
from core import calendar, clock
from core.access import mask, reveal
from core.audit import audit_record
from core.deadlines import deadline_open, deadline_title
from core.errors import Conflict, DomainError, PermissionDenied
from core.events import publish
from core.models import STAFF_ROLES, Court, Deadline, Role, User
from core.notifications import text
from core.rulesettings import get_setting
from core.types import Actor

ENDED_STATUSES = frozenset({Case.Status.CLOSED, Case.Status.TERMINATED, Case.Status.WITHDRAWN})
# Who may read an identity number in full (REC-05), each read logged (REC-08).
REVEAL_ROLES = frozenset({Role.JUDGE, Role.OFFICER, Role.FINANCE})
# A latitude or longitude as typed in a form, sent to the API or set in code.
Coordinate: TypeAlias = Decimal | float | str | None
_PHONE = re.compile(r"(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\+?\d{6,20})")


def _stream(case: Case | int) -> str:
    return f"case:{case.pk if isinstance(case, Case) else case}"


def _amount(value: object, *, label: str, code: str) -> int:
    """Integer fen, never negative, never a float or a bool."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(code, _("%(label)s应为以分计的整数") % {"label": label})
    if value < 0:
        raise DomainError(code, _("%(label)s不能为负数") % {"label": label})
    return value


def _require_open(case: Case) -> None:
    if case.status in ENDED_STATUSES:
        raise Conflict(
            "case_not_open",
            _("案件已%(get_status_display)s，不能再登记新的事项")
            % {"get_status_display": case.get_status_display()},
        )


def _text(value: object, *, label: str, code: str, max_len: int, required: bool = True) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    if required and not text:
        raise DomainError(code, _("请填写%(label)s") % {"label": label})
    if len(text) > max_len:
        raise DomainError(
            code, _("%(label)s过长（最多%(max_len)s字）") % {"label": label, "max_len": max_len}
        )
    return text


# ---------------------------------------------------------------- cases


@transaction.atomic
def case_create(
    *,
    court: Court,
    number: str,
    claim_fen: int,
    filed_on: dt.date,
    judge: User | None = None,
    officer: User | None = None,
    title: str = "",
    title_document: str = "",
    actor: Actor = None,
) -> Case:
    """Open an enforcement case (执行案件). The number is parsed and normalised (full-width)."""
    parsed = parse_case_number(number)
    # A court numbers its own cases; fixtures whose court code is not a standard 代字 skip this.
    if is_court_code(court.code) and parsed.court_code != court.code:
        raise DomainError(
            "court_code_mismatch",
            _("案号中的法院代字“%(court_code)s”与本院代字“%(code)s”不一致")
            % {"court_code": parsed.court_code, "code": court.code},
        )
    if not isinstance(filed_on, dt.date) or isinstance(filed_on, dt.datetime):
        raise DomainError("invalid_date", _("立案日期格式不正确"))
    if filed_on > clock.today():
        raise DomainError("filed_in_future", _("立案日期不能晚于今天"))
    if parsed.year != filed_on.year:
        raise DomainError(
            "year_mismatch",
            _("案号年份（%(year)s）与立案日期的年份（%(year2)s）不一致")
            % {"year": parsed.year, "year2": filed_on.year},
        )
    claim = _amount(claim_fen, label=_("申请执行标的金额"), code="invalid_claim_amount")
    for person, role, label in ((judge, Role.JUDGE, "承办法官"), (officer, Role.OFFICER, "执行员")):
        if person is None:
            continue
        if person.court_id != court.pk or person.role not in (role, Role.JUDGE):
            raise DomainError(
                "invalid_assignee",
                _("%(label)s应为本院的%(label2)s") % {"label": label, "label2": Role(role).label},
            )
    if Case.objects.filter(number=parsed.text).exists():
        raise Conflict("case_number_taken", _("案号%(text)s已存在") % {"text": parsed.text})
    try:
        with transaction.atomic():
            case = Case.objects.create(
                court=court,
                number=parsed.text,
                year=parsed.year,
                court_code=parsed.court_code,
                case_type=parsed.case_type,
                sequence=parsed.sequence,
                title=_text(
                    title, label=_("案由"), code="invalid_title", max_len=200, required=False
                ),
                judge=judge,
                officer=officer,
                claim_fen=claim,
                title_document=_text(
                    title_document,
                    label=_("执行依据"),
                    code="invalid_title_document",
                    max_len=300,
                    required=False,
                ),
                filed_on=filed_on,
                created_at=clock.now(),
            )
    except IntegrityError as exc:  # a concurrent create of the same number
        raise Conflict(
            "case_number_taken", _("案号%(text)s已存在") % {"text": parsed.text}
        ) from exc
    audit_record(
        stream=_stream(case),
        action="case.created",
        actor=actor,
        subject=case.ref,
        after={
            "number": case.number,
            "case_type": parsed.case_type_label,
            "claim_fen": case.claim_fen,
            "judge": str(judge) if judge else None,
            "officer": str(officer) if officer else None,
            "filed_on": filed_on.isoformat(),
            "title_document": case.title_document,
        },
    )
    publish(CaseCreated(case_id=case.pk, court_id=court.pk))
    return case


def _require_case_actor(case: Case, actor: Actor) -> None:
    """The case's court decides its status and claim (judge, officer, bureau head); the platform
    operator may correct them through the admin; the system (None) acts for a worker."""
    from core.permissions import COURT_ACTORS, is_court_staff_of

    if actor is None or actor.role == Role.OPERATOR:
        return
    if not is_court_staff_of(actor, case.court_id, roles=COURT_ACTORS):
        raise PermissionDenied(
            "not_case_court", _("只有本案法院的执行人员可以变更案件"), rule="REC-08"
        )


@transaction.atomic
def case_status_set(*, case: Case, status: str, reason: str, actor: Actor) -> Case:
    """Change a case's enforcement status (中止/终结/恢复执行…), audited with its reason
    (REC-08). Publishes ``CaseStatusChanged`` in the same transaction: suspending or
    terminating stops the case's pricing procedures and appraisal clocks, reopening resumes
    them (PRC-14, APR-07)."""
    if status not in Case.Status.values:
        raise DomainError(
            "invalid_case_status", _("案件状态无效：%(status)s") % {"status": status}, rule="REC-08"
        )
    why = _text(reason, label=_("变更理由"), code="reason_required", max_len=300)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _require_case_actor(locked, actor)
    before = locked.status
    if status == before:
        return locked
    locked.status = status
    locked.save(update_fields=["status"])
    audit_record(
        stream=_stream(locked),
        action="case.status_changed",
        actor=actor,
        subject=locked.ref,
        before={"status": before},
        after={"status": status},
        reason=why,
        rules=["REC-08", "PRC-14"],
    )
    publish(
        CaseStatusChanged(
            case_id=locked.pk, court_id=locked.court_id, before=before, after=status, reason=why
        )
    )
    case.status = status
    return locked


@transaction.atomic
def case_claim_set(*, case: Case, claim_fen: int, reason: str, actor: Actor) -> Case:
    """Correct the amount of the claim (申请执行标的), audited with old and new values and the
    reason (REC-08): it drives the AUC-07 stop, AUC-18 and the distribution."""
    claim = _amount(claim_fen, label=_("申请执行标的金额"), code="invalid_claim_amount")
    why = _text(reason, label=_("变更理由"), code="reason_required", max_len=300)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _require_case_actor(locked, actor)
    before = locked.claim_fen
    if claim == before:
        return locked
    locked.claim_fen = claim
    locked.save(update_fields=["claim_fen"])
    audit_record(
        stream=_stream(locked),
        action="case.claim_changed",
        actor=actor,
        subject=locked.ref,
        before={"claim_fen": before},
        after={"claim_fen": claim},
        reason=why,
        rules=["REC-08"],
    )
    case.claim_fen = claim
    return locked


# ---------------------------------------------------------------- identities


def _identity_for(*, kind: str, number: str, name: str) -> Identity:
    """Find or create the identity record of (kind, number); refuse a name that contradicts it."""
    ident = Identity.objects.select_for_update().filter(kind=kind, number=number).first()
    if ident is None:
        try:
            with transaction.atomic():
                return Identity.objects.create(kind=kind, number=number, name=name)
        except IntegrityError:
            ident = Identity.objects.select_for_update().get(kind=kind, number=number)
    if ident.name != name and (ident.parties.exists() or ident.status == Identity.Status.VERIFIED):
        raise DomainError(
            "identity_name_mismatch", _("姓名（名称）与该证件号码已登记的信息不一致，请核对")
        )
    return ident


@transaction.atomic
def identity_submit(
    *, user: User | AnonymousUser | None, kind: str, number: str, name: str
) -> Identity:
    """A person submits identity data; the verifier checks it; the status is recorded and audited.

    The record of a number the court already registered for a party is claimed by the person
    who verifies it, which links them to that party's cases in the portal.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("not_authenticated", _("请先登录"))
    if user.role in STAFF_ROLES:
        raise DomainError("staff_identity", _("法院工作人员账户无需提交实名核验"))
    number = idcheck.check_identity(kind, number)
    name = idcheck.check_name(kind, name)
    ident = _identity_for(kind=kind, number=number, name=name)
    # Another account's verified (or pending) claim blocks; a rejected one does not, so a
    # stranger who typed someone's number cannot lock its owner out.
    if (
        ident.user_id
        and ident.user_id != user.pk
        and ident.status in (Identity.Status.VERIFIED, Identity.Status.PENDING)
    ):
        raise Conflict("identity_taken", _("该证件已由其他账户完成实名登记；如有疑问请联系法院"))
    if ident.user_id == user.pk and ident.status == Identity.Status.VERIFIED:
        return ident
    before = {"status": ident.status}
    ident.user = user
    ident.name = name
    ident.status = Identity.Status.PENDING
    ident.submitted_at = clock.now()
    verifier = get_verifier()
    result = verifier.verify(kind=kind, number=number, name=name)
    ident.verifier = verifier.name
    _apply_result(ident, result)
    ident.save()
    audit_record(
        stream="system:identity",
        action="identity.submitted",
        actor=user,
        subject=f"identity:{ident.pk}",
        before=before,
        after={
            "kind": kind,
            "number": mask(number),
            "status": ident.status,
            "verifier": verifier.name,
            "reason": ident.failure_reason,
        },
        rules=["REC-05"],
    )
    return ident


def _apply_result(ident: Identity, result: VerificationResult) -> None:
    if result.ok is True:
        ident.status = Identity.Status.VERIFIED
        ident.verified_at = clock.now()
        ident.failure_reason = ""
    elif result.ok is False:
        ident.status = Identity.Status.REJECTED
        ident.verified_at = None
        ident.failure_reason = (result.reason or "核验未通过")[:200]
    else:
        ident.status = Identity.Status.PENDING


@transaction.atomic
def identity_verification_result(*, identity: Identity, result: VerificationResult) -> Identity:
    """For an asynchronous verifier: record its later answer on a pending identity."""
    ident = Identity.objects.select_for_update().get(pk=identity.pk)
    if ident.status != Identity.Status.PENDING:
        raise Conflict("identity_not_pending", _("该身份不在核验中"))
    _apply_result(ident, result)
    ident.save()
    audit_record(
        stream="system:identity",
        action="identity.verification_result",
        subject=f"identity:{ident.pk}",
        before={"status": Identity.Status.PENDING},
        after={"status": ident.status, "reason": ident.failure_reason},
        rules=["REC-05"],
    )
    return ident


def identity_reveal(
    *, user: User | AnonymousUser | None, identity: Identity, purpose: str, case: Case | None = None
) -> str:
    """The full number for a named role (judge, officer, finance) of a court concerned, logged.

    Without ``case``, the court must be that of a case where the identity is a party; with it,
    the case's court (bidding passes the auction's case for deposit and priority checks).
    """
    if user is None or not user.is_authenticated or user.role not in REVEAL_ROLES:
        raise PermissionDenied("restricted_data", _("无权查看完整证件号码"), rule="REC-05")
    if case is not None:
        allowed = case.court_id == user.court_id
        subject = f"case:{case.pk}/identity:{identity.pk}"
    else:
        allowed = (
            user.court_id is not None
            and identity.parties.filter(case__court_id=user.court_id).exists()
        )
        subject = f"identity:{identity.pk}"
    if not allowed:
        raise PermissionDenied(
            "restricted_data", _("无权查看其他法院案件的证件号码"), rule="REC-05"
        )
    with transaction.atomic():
        return reveal(
            user=user,
            value=identity.number,
            subject=subject,
            field="identity.number",
            purpose=(purpose or "").strip()[:200],
            roles=REVEAL_ROLES,
        )


# ---------------------------------------------------------------- parties


@transaction.atomic
def party_add(
    *,
    case: Case,
    role: str,
    kind: str,
    name: str,
    identity_kind: str = "",
    identity_number: str = "",
    user: User | None = None,
    phone: str = "",
    address: str = "",
    email: str = "",
    priority: int | None = None,
    claim_fen: int | None = None,
    actor: Actor = None,
) -> Party:
    """Add an applicant-creditor, debtor or third party (案外人), person or organisation."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    if role not in Party.Role.values:
        raise DomainError("invalid_party_role", _("诉讼地位应为申请执行人、被执行人或案外人"))
    if kind not in Party.Kind.values:
        raise DomainError("invalid_party_kind", _("主体类型应为自然人或法人（其他组织）"))
    name = _text(name, label=_("当事人姓名或名称"), code="name_required", max_len=200)
    ident = None
    if identity_number or identity_kind:
        if not identity_kind:
            raise DomainError("identity_kind_required", _("请选择证件类型"))
        allowed = idcheck.PERSON_KINDS if kind == Party.Kind.PERSON else idcheck.ORGANISATION_KINDS
        if identity_kind not in allowed:
            raise DomainError(
                "identity_kind_mismatch",
                _("自然人应使用身份证、护照或通行证")
                if kind == Party.Kind.PERSON
                else _("法人或其他组织应使用统一社会信用代码"),
            )
        number = idcheck.check_identity(identity_kind, identity_number)
        ident = _identity_for(kind=identity_kind, number=number, name=name)
        if Party.objects.filter(case=case, role=role, identity=ident).exists():
            raise Conflict("party_exists", _("该当事人已在本案中登记为同一诉讼地位"))
    if user is not None and user.role in STAFF_ROLES:
        raise DomainError("staff_as_party", _("法院工作人员账户不能关联为当事人"))
    phone = (phone or "").strip()
    if phone and not _PHONE.fullmatch(phone):
        raise DomainError(
            "invalid_phone", _("联系电话格式不正确（手机号11位，固话如0791-12345678）")
        )
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError("invalid_email", _("电子邮箱格式不正确")) from exc
    if priority is not None and (
        isinstance(priority, bool) or not isinstance(priority, int) or priority < 1
    ):
        raise DomainError("invalid_priority", _("受偿顺位应为从 1 开始的整数"))
    claim = (
        None
        if claim_fen is None
        else _amount(claim_fen, label=_("债权金额"), code="invalid_claim_amount")
    )
    party = Party.objects.create(
        case=case,
        role=role,
        kind=kind,
        name=name,
        identity=ident,
        user=user,
        phone=phone,
        address=_text(
            address, label=_("送达地址"), code="invalid_address", max_len=300, required=False
        ),
        email=email,
        priority=priority,
        claim_fen=claim,
    )
    audit_record(
        stream=_stream(case),
        action="party.added",
        actor=actor,
        subject=party.ref,
        after={
            "name": name,
            "role": role,
            "kind": kind,
            "identity": f"{ident.get_kind_display()} {ident.masked_number}" if ident else None,
            "priority": priority,
            "claim_fen": claim,
            "linked_user": bool(user),
        },
    )
    return party


# ---------------------------------------------------------------- assets


def _division_code(value: str) -> str:
    code = (value or "").strip()
    if not re.fullmatch(r"\d{6}", code):
        raise DomainError("invalid_division_code", _("行政区划代码应为6位数字（如 360102）"))
    if code[:2] not in idcheck.PROVINCE_CODES:
        raise DomainError(
            "invalid_division_code",
            _("行政区划代码开头“%(value)s”不是有效的省级代码") % {"value": code[:2]},
        )
    return code


def _coordinate(value: Coordinate, *, low: int, high: int, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid_coordinate", _("%(label)s应为数字") % {"label": label}) from exc
    if not number.is_finite() or not low <= number <= high:
        raise DomainError(
            "invalid_coordinate",
            _("%(label)s应在 %(low)s 到 %(high)s 之间")
            % {"label": label, "low": low, "high": high},
        )
    return number.quantize(Decimal("0.000001"))


def _location(
    division_code: str, latitude: Coordinate, longitude: Coordinate
) -> tuple[Decimal | None, Decimal | None, str]:
    """The asset's point and how it was obtained: as entered (both coordinates, or neither),
    else the seat of its district (GB/T 2260 data, ``core.regions``)."""
    from core import regions

    lat = _coordinate(latitude, low=-90, high=90, label=_("纬度"))
    lon = _coordinate(longitude, low=-180, high=180, label=_("经度"))
    if (lat is None) != (lon is None):
        raise DomainError("invalid_coordinate", _("纬度和经度须同时填写，或都不填（按区县取点）"))
    if lat is not None:
        return lat, lon, Asset.Precision.EXACT
    point = regions.point(division_code)
    if point is None:
        return None, None, ""
    return point[0], point[1], Asset.Precision.DISTRICT


@transaction.atomic
def asset_register(
    *,
    case: Case,
    kind: str,
    name: str,
    division_code: str,
    address: str = "",
    latitude: Coordinate = None,
    longitude: Coordinate = None,
    features: dict[str, Any] | None = None,
    description: str = "",
    purchase_restricted: bool = False,
    actor: Actor = None,
) -> Asset:
    """Register an asset (标的物) of the case with the features valuation needs, checked per kind."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    if kind not in Asset.Kind.values:
        raise DomainError("invalid_asset_kind", _("标的物类型不正确"))
    name = _text(name, label=_("标的物名称"), code="name_required", max_len=200)
    clean = clean_features(kind, features)
    if purchase_restricted and kind != Asset.Kind.RESIDENTIAL:
        raise DomainError(
            "invalid_purchase_restriction", _("限购仅适用于住宅（HQR）"), rule="AUC-13"
        )
    division_code = _division_code(division_code)
    lat, lon, precision = _location(division_code, latitude, longitude)
    asset = Asset.objects.create(
        case=case,
        kind=kind,
        name=name,
        division_code=division_code,
        address=_text(
            address,
            label=_("坐落"),
            code="invalid_address",
            max_len=300,
            required=kind in Asset.IMMOVABLE_KINDS,
        ),
        latitude=lat,
        longitude=lon,
        location_precision=precision,
        features=clean,
        description=(description or "").strip()[:5000],
        purchase_restricted=bool(purchase_restricted),
        created_at=clock.now(),
    )
    audit_record(
        stream=_stream(case),
        action="asset.registered",
        actor=actor,
        subject=asset.ref,
        after={
            "name": name,
            "kind": kind,
            "division_code": asset.division_code,
            "address": asset.address,
            "features": clean,
            "purchase_restricted": asset.purchase_restricted,
            "location": _location_record(asset),
        },
    )
    return asset


def _location_record(asset: Asset) -> dict[str, Any]:
    return {
        "latitude": str(asset.latitude) if asset.latitude is not None else None,
        "longitude": str(asset.longitude) if asset.longitude is not None else None,
        "precision": asset.location_precision,
    }


def _asset_record(asset: Asset) -> dict[str, Any]:
    return {
        "name": asset.name,
        "division_code": asset.division_code,
        "address": asset.address,
        "features": asset.features,
        "description": asset.description,
        "purchase_restricted": asset.purchase_restricted,
        "location": _location_record(asset),
    }


@transaction.atomic
def asset_update(
    *,
    asset: Asset,
    name: str,
    division_code: str,
    address: str = "",
    latitude: Coordinate = None,
    longitude: Coordinate = None,
    features: dict[str, Any] | None = None,
    description: str = "",
    purchase_restricted: bool = False,
    reason: str,
    actor: Actor = None,
) -> Asset:
    """Correct an asset's facts (location, features, description) with a reason; audited
    with before and after. Pricing hears of it (``AssetUpdated``) and sends the corrected
    facts to inquiry platforms that have not answered yet."""
    case = Case.objects.select_for_update().get(pk=asset.case_id)
    _require_open(case)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    reason = _text(reason, label=_("修改理由"), code="reason_required", max_len=500)
    before = _asset_record(asset)
    clean = clean_features(asset.kind, features)
    if purchase_restricted and asset.kind != Asset.Kind.RESIDENTIAL:
        raise DomainError(
            "invalid_purchase_restriction", _("限购仅适用于住宅（HQR）"), rule="AUC-13"
        )
    asset.name = _text(name, label=_("标的物名称"), code="name_required", max_len=200)
    asset.division_code = _division_code(division_code)
    asset.address = _text(
        address,
        label=_("坐落"),
        code="invalid_address",
        max_len=300,
        required=asset.kind in Asset.IMMOVABLE_KINDS,
    )
    asset.latitude, asset.longitude, asset.location_precision = _location(
        asset.division_code, latitude, longitude
    )
    asset.features = clean
    asset.description = (description or "").strip()[:5000]
    asset.purchase_restricted = bool(purchase_restricted)
    after = _asset_record(asset)
    if after == before:
        return asset
    asset.save()
    audit_record(
        stream=_stream(case),
        action="asset.updated",
        actor=actor,
        subject=asset.ref,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        reason=reason,
    )
    publish(AssetUpdated(case_id=case.pk, asset_id=asset.pk))
    return asset


# Photos, videos and documents: accepted content by magic bytes (not the browser's word).
class FileRule(TypedDict):
    max: int  # bytes
    types: tuple[str, ...]  # content types, sniffed


FILE_RULES: dict[str, FileRule] = {
    AssetFile.Kind.PHOTO: {
        "max": 10 * 1024 * 1024,
        "types": ("image/jpeg", "image/png", "image/webp"),
    },
    AssetFile.Kind.VIDEO: {"max": 200 * 1024 * 1024, "types": ("video/mp4",)},
    AssetFile.Kind.DOCUMENT: {
        "max": 20 * 1024 * 1024,
        "types": ("application/pdf", "image/jpeg", "image/png"),
    },
}
_EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "video/mp4": (".mp4",),
    "application/pdf": (".pdf",),
}


def sniff_content_type(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return ""


@transaction.atomic
def asset_file_add(
    *, asset: Asset, kind: str, title: str, file: File | None, actor: Actor = None
) -> AssetFile:
    """Attach a photo, video or document (AUC-09 needs photos or video of the asset)."""
    asset = Asset.objects.select_related("case").get(pk=asset.pk)
    _require_open(asset.case)
    if kind not in FILE_RULES:
        raise DomainError("invalid_file_kind", _("附件类型应为照片、视频或文件"))
    title = _text(title, label=_("附件标题"), code="title_required", max_len=200)
    if file is None:
        raise DomainError("file_required", _("请选择要上传的文件"))
    size = getattr(file, "size", None) or 0
    rule = FILE_RULES[kind]
    if size <= 0:
        raise DomainError("file_empty", _("文件为空"))
    if size > rule["max"]:
        raise DomainError(
            "file_too_large",
            _("文件过大（%(label)s最大 %(value)s MB）")
            % {"label": AssetFile.Kind(kind).label, "value": rule["max"] // (1024 * 1024)},
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = sniff_content_type(head)
    if content_type not in rule["types"]:
        allowed = "、".join(t.split("/")[1].upper() for t in rule["types"])
        raise DomainError(
            "file_type_not_allowed",
            _("%(label)s只接受 %(allowed)s 格式")
            % {"label": AssetFile.Kind(kind).label, "allowed": allowed},
        )
    filename = getattr(file, "name", "") or "upload"
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if ext not in _EXTENSIONS[content_type]:
        filename = f"upload{_EXTENSIONS[content_type][0]}"
        file.name = filename
    af = AssetFile(
        asset=asset,
        kind=kind,
        title=title,
        uploaded_at=clock.now(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        content_type=content_type,
        size_bytes=size,
    )
    af.file.save(filename, file, save=False)
    af.save()
    audit_record(
        stream=_stream(asset.case_id),
        action="asset.file_added",
        actor=actor,
        subject=asset.ref,
        after={
            "file": af.pk,
            "kind": kind,
            "title": title,
            "content_type": content_type,
            "size": size,
        },
        rules=["AUC-09"],
    )
    return af


@transaction.atomic
def disclosure_record(*, asset: Asset, topic: str, text: str, actor: Actor) -> Disclosure:
    """Record a disclosure (PRC-02, AUC-09). Never an edit: the new record supersedes the last."""
    asset = Asset.objects.select_for_update(of=("self",)).select_related("case").get(pk=asset.pk)
    if topic not in Disclosure.Topic.values:
        raise DomainError("invalid_topic", _("披露事项不正确"))
    text = (text or "").strip()
    if not text:
        raise DomainError("text_required", _("请填写披露内容（如无，请写明“无”及核查方式）"))
    if len(text) > 5000:
        raise DomainError("text_too_long", _("披露内容过长（最多5000字）"))
    if actor is None or not actor.pk:
        raise DomainError("actor_required", _("披露事项须记录登记人"), rule="REC-08")
    previous = (
        Disclosure.objects.filter(asset=asset, topic=topic, superseded_by__isnull=True)
        .order_by("-recorded_at", "-pk")
        .first()
    )
    if previous is not None and previous.text == text:
        raise DomainError("disclosure_unchanged", _("内容与现有记录相同，无需重复登记"))
    d = Disclosure.objects.create(
        asset=asset,
        topic=topic,
        text=text,
        recorded_by=actor,
        recorded_at=clock.now(),
        supersedes=previous,
    )
    audit_record(
        stream=_stream(asset.case_id),
        action="disclosure.recorded",
        actor=actor,
        subject=asset.ref,
        before={"topic": topic, "text": previous.text, "id": previous.pk} if previous else None,
        after={"topic": topic, "topic_label": d.get_topic_display(), "text": text, "id": d.pk},
        rules=["PRC-02", "AUC-09"],
    )
    return d


# Which measure fits which property (查封、扣押、冻结财产规定): immovables are sealed, movables
# sealed or detained, equity and other property rights frozen.
SEIZURE_KINDS_BY_ASSET: dict[str, set[str]] = {
    Asset.Kind.RESIDENTIAL: {Seizure.Kind.SEAL},
    Asset.Kind.COMMERCIAL: {Seizure.Kind.SEAL},
    Asset.Kind.LAND: {Seizure.Kind.SEAL},
    Asset.Kind.VEHICLE: {Seizure.Kind.SEAL, Seizure.Kind.DETAIN},
    Asset.Kind.MOVABLE: {Seizure.Kind.SEAL, Seizure.Kind.DETAIN},
    Asset.Kind.EQUITY: {Seizure.Kind.FREEZE},
}


@transaction.atomic
def seizure_record(
    *,
    asset: Asset,
    kind: str,
    seized_on: dt.date,
    document: str,
    expires_on: dt.date | None = None,
    actor: Actor,
) -> Seizure:
    """Record a seizure; open the PRC-01 deadline: start pricing within 30 days (REC-01 counting).

    A second seizure of an asset whose PRC-01 deadline is open or met opens no new one.
    """
    asset = (
        Asset.objects.select_for_update(of=("self",))
        .select_related("case", "case__court", "case__judge")
        .get(pk=asset.pk)
    )
    case = asset.case
    _require_open(case)
    if kind not in Seizure.Kind.values:
        raise DomainError("invalid_seizure_kind", _("措施应为查封、扣押或冻结"))
    if kind not in SEIZURE_KINDS_BY_ASSET[asset.kind]:
        allowed = "、".join(
            str(Seizure.Kind(k).label) for k in sorted(SEIZURE_KINDS_BY_ASSET[asset.kind])
        )
        raise DomainError(
            "seizure_kind_mismatch",
            _("%(get_kind_display)s应采取%(allowed)s措施，不能%(label)s")
            % {
                "get_kind_display": asset.get_kind_display(),
                "allowed": allowed,
                "label": Seizure.Kind(kind).label,
            },
        )
    if not isinstance(seized_on, dt.date) or isinstance(seized_on, dt.datetime):
        raise DomainError("invalid_date", _("查封日期格式不正确"))
    if seized_on > clock.today():
        raise DomainError("seized_in_future", _("查封日期不能晚于今天"))
    if seized_on < case.filed_on:
        raise DomainError("seized_before_filing", _("查封日期不能早于立案日期"))
    if expires_on is not None and expires_on <= seized_on:
        raise DomainError("invalid_expiry", _("查封到期日应晚于查封日期"))
    document = _text(document, label=_("裁定书文号"), code="document_required", max_len=100)
    if actor is None or not actor.pk:
        raise DomainError("actor_required", _("查封措施须记录登记人"), rule="REC-08")
    seizure = Seizure.objects.create(
        asset=asset,
        kind=kind,
        seized_on=seized_on,
        document=document,
        expires_on=expires_on,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    audit_record(
        stream=_stream(case),
        action="seizure.recorded",
        actor=actor,
        subject=asset.ref,
        after={
            "seizure": seizure.pk,
            "kind": kind,
            "seized_on": seized_on.isoformat(),
            "document": document,
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
        rules=["PRC-01"],
    )
    already = Deadline.objects.filter(
        subject=asset.ref, rule_id="PRC-01", status__in=[Deadline.Status.OPEN, Deadline.Status.MET]
    ).exists()
    if not already:
        days = int(get_setting("pricing_start_days_after_seizure", court=case.court))
        deadline_open(
            rule_id="PRC-01",
            title=deadline_title(
                gettext_noop("启动财产处置参考价确定程序：%(asset)s（查封后%(days)s日内）"),
                asset=asset.name,
                days=days,
            ),
            subject=asset.ref,
            start_event=f"seizure:{seizure.pk}",
            started_at=calendar.start_of_day(seized_on),
            period=days,
            unit=Deadline.Unit.CALENDAR_DAYS,
            court=case.court,
            owner=case.judge,
            owner_role="" if case.judge_id else Role.JUDGE,
            actor=actor,
        )
    _notify_parties_of_seizure(case, asset, seizure)
    publish(
        SeizureRecorded(
            case_id=case.pk, asset_id=asset.pk, seizure_id=seizure.pk, seized_on=seized_on
        )
    )
    return seizure


def _notify_parties_of_seizure(case: Case, asset: Asset, seizure: Seizure) -> None:
    """REC-11: the seizure is a key case node pushed to the parties who have an account.

    Written in Chinese whatever language the recording judge's page is in.
    """
    from django.utils import translation

    with translation.override("zh-hans"):
        _notify_parties_of_seizure_zh(case, asset, seizure)


def _notify_parties_of_seizure_zh(case: Case, asset: Asset, seizure: Seizure) -> None:
    from core.notifications import notify

    for party in Party.objects.filter(case=case, user__isnull=False).select_related("user"):
        notify(
            user=party.user,
            topic="case.seizure",
            subject=text(
                gettext_lazy("【%(case)s】%(kind)s：%(asset)s"),
                case=case.number,
                kind=seizure.get_kind_display,
                asset=asset.name,
            ),
            body=text(
                gettext_lazy("本院已于%(day)s对“%(asset)s”采取%(kind)s措施（%(document)s）。"),
                day=seizure.seized_on,
                asset=asset.name,
                kind=seizure.get_kind_display,
                document=seizure.document,
            ),
            key=f"seizure:{seizure.pk}:party:{party.pk}",
            link=f"/cases/portal/{case.pk}/",
            court=case.court_id,
            legal=True,
        )


@transaction.atomic
def lot_create(
    *,
    case: Case,
    assets: Iterable[Asset | int],
    title: str,
    bundle_reason: str = "",
    actor: Actor = None,
) -> Lot:
    """What is sold as one (AUC-07): one asset, or inseparable assets of one case with the reason."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    ids = sorted({a.pk if isinstance(a, Asset) else a for a in assets})
    if not ids:
        raise DomainError("assets_required", _("拍品至少包含一件标的物"))
    found = list(Asset.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids) or any(a.case_id != case.pk for a in found):
        raise DomainError("asset_not_in_case", _("合并处置的标的物必须属于同一案件"), rule="AUC-07")
    title = _text(title, label=_("拍品名称"), code="title_required", max_len=200)
    bundle_reason = _text(
        bundle_reason,
        label=_("合并处置理由"),
        code="bundle_reason_required",
        max_len=300,
        required=False,
    )
    if len(found) > 1 and not bundle_reason:
        raise DomainError(
            "bundle_reason_required",
            _("多件标的物合并为一个拍品，须说明不宜分别处置的理由"),
            rule="AUC-07",
        )
    taken = Lot.objects.filter(assets__in=found).distinct().first()
    if taken is not None:
        raise Conflict(
            "asset_in_lot", _("标的物已在拍品“%(title)s”中") % {"title": taken.title}, rule="AUC-07"
        )
    lot = Lot.objects.create(
        case=case, title=title, bundle_reason=bundle_reason, created_at=clock.now()
    )
    lot.assets.set(found)
    audit_record(
        stream=_stream(case),
        action="lot.created",
        actor=actor,
        subject=f"{case.ref}/lot:{lot.pk}",
        after={"title": title, "assets": [a.pk for a in found], "bundle_reason": bundle_reason},
        rules=["AUC-07"],
    )
    return lot
