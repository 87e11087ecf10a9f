"""The roster (名单库, APR-01): firms, sub-roster membership, firm users, appraisers, CSV."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from appraisers.models import Appraiser, Firm, FirmUser, RosterEntry
from appraisers.services._common import ROSTER_STREAM
from cases.models import Asset
from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.models import Role, User
from core.onboarding import Issued, person_create
from core.types import Actor

DIVISION_RE = re.compile(r"^\d{6}$")

FIRM_CSV_COLUMNS = [
    "licence_no",
    "name",
    "uscc",
    "qualification",
    "recommended_by",
    "division_code",
    "address",
    "contact_name",
    "contact_phone",
    "status",
    "status_reason",
    "sub_rosters",
]
APPRAISER_CSV_COLUMNS = ["firm_licence_no", "name", "licence_no", "specialty", "is_active"]


def _firm_snapshot(firm: Firm) -> dict[str, Any]:
    return {
        "name": firm.name,
        "licence_no": firm.licence_no,
        "uscc": firm.uscc,
        "qualification": firm.qualification,
        "recommended_by": firm.recommended_by,
        "division_code": firm.division_code,
        "status": firm.status,
        "sub_rosters": sub_rosters_text(firm),
    }


def _check_division(code: str, *, level: str | None = None) -> None:
    if not DIVISION_RE.match(code or ""):
        raise DomainError(
            "invalid_division_code", _("行政区划代码应为6位数字：%(code)s") % {"code": repr(code)}
        )
    if level == RosterEntry.Level.PROVINCE and not code.endswith("0000"):
        raise DomainError(
            "invalid_division_code",
            _("省级分库的区划代码应以0000结尾：%(code)s") % {"code": code},
            rule="APR-01",
        )
    if level == RosterEntry.Level.CITY and (not code.endswith("00") or code.endswith("0000")):
        raise DomainError(
            "invalid_division_code",
            _("市级分库的区划代码应以00结尾（非省级）：%(code)s") % {"code": code},
            rule="APR-01",
        )


def _require_association(text: str) -> str:
    """APR-01: the roster takes only firms an appraisal association recommends."""
    if not (text or "").strip():
        raise DomainError(
            "association_required",
            _("请填写推荐该机构入库的评估行业协会（名单库只收协会推荐的机构）"),
            rule="APR-01",
        )
    return text.strip()


@transaction.atomic
def firm_create(
    *,
    name: str,
    licence_no: str,
    qualification: str,
    division_code: str,
    actor: Actor,
    uscc: str = "",
    recommended_by: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    is_sample: bool = False,
) -> Firm:
    """Add a firm recommended by an appraisal association to the roster (APR-01)."""
    name, licence_no = (name or "").strip(), (licence_no or "").strip()
    if not name or not licence_no:
        raise DomainError("firm_fields_required", _("机构名称和资质证书编号不能为空"))
    if qualification not in Firm.Qualification.values:
        raise DomainError(
            "invalid_qualification",
            _("资质类别无效：%(qualification)s") % {"qualification": qualification},
        )
    _check_division(division_code)
    recommended_by = _require_association(recommended_by)
    if Firm.objects.filter(licence_no=licence_no).exists():
        raise DomainError(
            "firm_exists",
            _("资质证书编号 %(licence_no)s 已在名单库中") % {"licence_no": licence_no},
        )
    if Firm.objects.filter(name=name).exists():
        raise DomainError("firm_exists", _("机构「%(name)s」已在名单库中") % {"name": name})
    firm = Firm.objects.create(
        name=name,
        licence_no=licence_no,
        uscc=uscc.strip(),
        qualification=qualification,
        recommended_by=recommended_by,
        division_code=division_code,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        is_sample=is_sample,
        created_at=clock.now(),
    )
    audit_record(
        stream=ROSTER_STREAM,
        action="firm.created",
        actor=actor,
        subject=firm.ref,
        after=_firm_snapshot(firm),
        rules=["APR-01"],
    )
    return firm


#: What a firm's page (and a CSV row) may change; the licence number is the firm's key.
FIRM_EDITABLE = (
    "name",
    "uscc",
    "qualification",
    "recommended_by",
    "division_code",
    "address",
    "contact_name",
    "contact_phone",
)


@transaction.atomic
def firm_update(*, firm: Firm, actor: Actor, reason: str = "", **fields: str) -> Firm:
    """Correct a firm's details; the recommending association stays required (APR-01)."""
    data = {f: str(fields.get(f, getattr(firm, f)) or "").strip() for f in FIRM_EDITABLE}
    if not data["name"]:
        raise DomainError("firm_fields_required", _("机构名称不能为空"))
    if data["qualification"] not in Firm.Qualification.values:
        raise DomainError(
            "invalid_qualification",
            _("资质类别无效：%(qualification)s") % {"qualification": data["qualification"]},
        )
    _check_division(data["division_code"])
    _require_association(data["recommended_by"])
    if Firm.objects.exclude(pk=firm.pk).filter(name=data["name"]).exists():
        raise DomainError("firm_exists", _("机构「%(name)s」已在名单库中") % {"name": data["name"]})
    before = _firm_snapshot(firm)
    for f, value in data.items():
        setattr(firm, f, value)
    firm.save()
    audit_record(
        stream=ROSTER_STREAM,
        action="firm.updated",
        actor=actor,
        subject=firm.ref,
        before=before,
        after=_firm_snapshot(firm),
        reason=reason,
        rules=["APR-01"],
    )
    return firm


@transaction.atomic
def firm_set_status(*, firm: Firm, status: str, reason: str, actor: Actor) -> Firm:
    """Suspend, remove or reinstate a firm. A removed firm stays barred for 5 years (APR-01)."""
    if status not in Firm.Status.values:
        raise DomainError("invalid_status", _("状态无效：%(status)s") % {"status": status})
    if not (reason or "").strip():
        raise DomainError("reason_required", _("变更机构状态须说明理由"), rule="REC-08")
    firm = Firm.objects.select_for_update().get(pk=firm.pk)
    now = clock.now()
    if status == firm.status:
        return firm
    if status == Firm.Status.ACTIVE and firm.is_barred(now):
        raise DomainError(
            "firm_barred",
            _("该机构于 %(removed_at)s 被除名，五年内（至 %(barred_until)s）不得恢复")
            % {
                "removed_at": format(firm.removed_at, "%Y-%m-%d"),
                "barred_until": format(firm.barred_until, "%Y-%m-%d"),
            },
            rule="APR-01",
        )
    before = {"status": firm.status, "removed_at": firm.removed_at}
    firm.status = status
    firm.status_reason = reason.strip()[:300]
    firm.status_changed_at = now
    if status == Firm.Status.REMOVED:
        firm.removed_at = now
    firm.save()
    audit_record(
        stream=ROSTER_STREAM,
        action="firm.status_changed",
        actor=actor,
        subject=firm.ref,
        before=before,
        after={"status": status, "removed_at": firm.removed_at},
        reason=reason,
        rules=["APR-01"],
    )
    return firm


@transaction.atomic
def roster_entry_add(
    *, firm: Firm, specialty: str, level: str, division_code: str, actor: Actor
) -> RosterEntry:
    """Put a firm on a sub-roster (名单分库) of one specialty at provincial or city level."""
    if specialty not in Asset.Kind.values:
        raise DomainError(
            "invalid_specialty", _("专业类别无效：%(specialty)s") % {"specialty": specialty}
        )
    if level not in RosterEntry.Level.values:
        raise DomainError("invalid_level", _("分库层级无效：%(level)s") % {"level": level})
    _check_division(division_code, level=level)
    entry, created = RosterEntry.objects.get_or_create(
        firm=firm, specialty=specialty, level=level, division_code=division_code
    )
    if created:
        audit_record(
            stream=ROSTER_STREAM,
            action="roster.entry_added",
            actor=actor,
            subject=firm.ref,
            after={"specialty": specialty, "level": level, "division_code": division_code},
            rules=["APR-01"],
        )
    return entry


@transaction.atomic
def roster_entry_remove(*, entry: RosterEntry, actor: Actor, reason: str) -> None:
    audit_record(
        stream=ROSTER_STREAM,
        action="roster.entry_removed",
        actor=actor,
        subject=entry.firm.ref,
        before={
            "specialty": entry.specialty,
            "level": entry.level,
            "division_code": entry.division_code,
        },
        reason=reason,
        rules=["APR-01"],
    )
    entry.delete()


@transaction.atomic
def firm_user_add(*, firm: Firm, user: User, actor: Actor) -> FirmUser:
    """Link a person with the ``appraiser`` role to a firm; they then see its commissions."""
    if user.role != Role.APPRAISER:
        raise DomainError("not_appraiser_role", _("机构用户须为评估机构人员角色"))
    existing = FirmUser.objects.filter(user=user).first()
    if existing is not None:
        if existing.firm_id != firm.pk:
            raise DomainError(
                "user_has_firm", _("该用户已属于机构「%(firm)s」") % {"firm": existing.firm}
            )
        return existing
    fu = FirmUser.objects.create(firm=firm, user=user, created_at=clock.now())
    audit_record(
        stream=ROSTER_STREAM,
        action="firm.user_added",
        actor=actor,
        subject=firm.ref,
        after={"user": user.pk, "username": user.username},
        rules=["REC-14"],
    )
    return fu


@transaction.atomic
def firm_user_set_active(
    *, firm_user: FirmUser, is_active: bool, reason: str, actor: Actor
) -> FirmUser:
    """Switch a firm user's access on or off (REC-14), audited with the reason (REC-08)."""
    why = (reason or "").strip()
    if not why:
        raise DomainError("reason_required", _("须说明变更理由"), rule="REC-08")
    fu = FirmUser.objects.select_for_update().select_related("firm", "user").get(pk=firm_user.pk)
    if fu.is_active == bool(is_active):
        return fu
    fu.is_active = bool(is_active)
    fu.save(update_fields=["is_active"])
    audit_record(
        stream=ROSTER_STREAM,
        action="firm.user_activated" if fu.is_active else "firm.user_deactivated",
        actor=actor,
        subject=fu.firm.ref,
        before={"user": fu.user.username, "is_active": not fu.is_active},
        after={"user": fu.user.username, "is_active": fu.is_active},
        reason=why,
        rules=["REC-08", "REC-14"],
    )
    return fu


def firm_user_create(
    *,
    firm: Firm,
    username: str,
    display_name: str,
    actor: Actor,
    phone: str = "",
    email: str = "",
) -> Issued:
    """A new person who signs in for ``firm`` (role ``appraiser``), with a one-time enrolment
    link that sets the password and binds the second factor (core.onboarding, REC-14)."""
    if firm.status == Firm.Status.REMOVED:
        raise DomainError("firm_removed", _("机构已除名，不能添加机构用户"), rule="APR-01")
    issued = person_create(
        role=Role.APPRAISER,
        username=username,
        display_name=display_name,
        phone=phone,
        email=email,
        actor=actor,
    )
    firm_user_add(firm=firm, user=issued.user, actor=actor)
    return issued


@transaction.atomic
def appraiser_add(
    *,
    firm: Firm,
    name: str,
    licence_no: str,
    actor: Actor,
    specialty: str = "",
    id_number: str = "",
    user: User | None = None,
) -> Appraiser:
    """A licensed appraiser of the firm; report signers are checked against these (APR-11)."""
    if not (name or "").strip() or not (licence_no or "").strip():
        raise DomainError("appraiser_fields_required", _("评估师姓名和执业证书编号不能为空"))
    if specialty and specialty not in Asset.Kind.values:
        raise DomainError(
            "invalid_specialty", _("专业类别无效：%(specialty)s") % {"specialty": specialty}
        )
    if Appraiser.objects.filter(licence_no=licence_no.strip()).exists():
        raise DomainError(
            "appraiser_exists", _("执业证书编号 %(licence_no)s 已登记") % {"licence_no": licence_no}
        )
    a = Appraiser.objects.create(
        firm=firm,
        name=name.strip(),
        licence_no=licence_no.strip(),
        specialty=specialty,
        id_number=id_number.strip(),
        user=user,
    )
    audit_record(
        stream=ROSTER_STREAM,
        action="appraiser.added",
        actor=actor,
        subject=firm.ref,
        after={"name": a.name, "licence_no": a.licence_no, "specialty": specialty},
        rules=["APR-01"],
    )
    return a


# --- CSV ---------------------------------------------------------------------------------


def sub_rosters_text(firm: Firm) -> str:
    """``residential:city:360100;land:province:360000``: the CSV form of a firm's sub-rosters."""
    return ";".join(
        f"{e.specialty}:{e.level}:{e.division_code}"
        for e in firm.roster_entries.order_by("specialty", "level", "division_code")
    )


def _parse_sub_rosters(text: str) -> list[tuple[str, str, str]]:
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        bits = part.split(":")
        if len(bits) != 3:
            raise DomainError(
                "invalid_sub_roster",
                _("分库格式应为 专业:层级:区划代码，实为 %(part)s") % {"part": repr(part)},
            )
        out.append((bits[0].strip(), bits[1].strip(), bits[2].strip()))
    return out


def roster_export_csv() -> str:
    """The whole roster as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(FIRM_CSV_COLUMNS)
    for firm in Firm.objects.prefetch_related("roster_entries").order_by("licence_no"):
        writer.writerow(
            [
                firm.licence_no,
                firm.name,
                firm.uscc,
                firm.qualification,
                firm.recommended_by,
                firm.division_code,
                firm.address,
                firm.contact_name,
                firm.contact_phone,
                firm.status,
                firm.status_reason,
                sub_rosters_text(firm),
            ]
        )
    return buf.getvalue()


def appraisers_export_csv() -> str:
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(APPRAISER_CSV_COLUMNS)
    for a in Appraiser.objects.select_related("firm").order_by("firm__licence_no", "licence_no"):
        writer.writerow(
            [a.firm.licence_no, a.name, a.licence_no, a.specialty, "1" if a.is_active else "0"]
        )
    return buf.getvalue()


def _rows(text: str, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(
            "csv_columns_missing", _("CSV 缺少列：%(join)s") % {"join": ", ".join(missing)}
        )
    return [
        (i + 2, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in enumerate(reader)
    ]


@transaction.atomic
def roster_import_csv(*, text: str, actor: Actor) -> dict[str, int]:
    """Create or update firms (by licence number) and their sub-rosters; all rows or none.

    Errors name the CSV line. Status changes obey APR-01 (a removed firm stays barred).
    """
    rows = _rows(text, FIRM_CSV_COLUMNS)
    counts = {"created": 0, "updated": 0}
    errors: list[str] = []
    for line, row in rows:
        sid = transaction.savepoint()
        try:
            entries = _parse_sub_rosters(row["sub_rosters"])
            firm = Firm.objects.filter(licence_no=row["licence_no"]).first()
            if firm is None:
                firm = firm_create(
                    name=row["name"],
                    licence_no=row["licence_no"],
                    qualification=row["qualification"],
                    division_code=row["division_code"],
                    actor=actor,
                    uscc=row["uscc"],
                    recommended_by=row["recommended_by"],
                    address=row["address"],
                    contact_name=row["contact_name"],
                    contact_phone=row["contact_phone"],
                )
                counts["created"] += 1
            else:
                firm_update(
                    firm=firm,
                    actor=actor,
                    reason="CSV 导入",
                    **{f: row[f] for f in FIRM_EDITABLE},
                )
                counts["updated"] += 1
            status = row["status"] or Firm.Status.ACTIVE
            if status != firm.status:
                firm_set_status(
                    firm=firm, status=status, reason=row["status_reason"] or "CSV 导入", actor=actor
                )
            wanted = set(entries)
            for e in list(firm.roster_entries.all()):
                if (e.specialty, e.level, e.division_code) not in wanted:
                    roster_entry_remove(entry=e, actor=actor, reason="CSV 导入")
            for specialty, level, code in entries:
                roster_entry_add(
                    firm=firm, specialty=specialty, level=level, division_code=code, actor=actor
                )
            transaction.savepoint_commit(sid)
        except DomainError as exc:
            transaction.savepoint_rollback(sid)
            errors.append(_("第 %(line)s 行：%(message)s") % {"line": line, "message": exc.message})
    if errors:
        raise DomainError(
            "csv_invalid",
            "".join(["；".join(errors[:20]), "……" if len(errors) > 20 else ""]),
            errors=errors,
        )
    return counts


@transaction.atomic
def appraisers_import_csv(*, text: str, actor: Actor) -> dict[str, int]:
    rows = _rows(text, APPRAISER_CSV_COLUMNS)
    counts = {"created": 0, "updated": 0}
    errors: list[str] = []
    for line, row in rows:
        firm = Firm.objects.filter(licence_no=row["firm_licence_no"]).first()
        if firm is None:
            errors.append(
                _("第 %(line)s 行：机构资质证书编号 %(licence)s 不在名单库中")
                % {"line": line, "licence": row["firm_licence_no"]}
            )
            continue
        a = Appraiser.objects.filter(licence_no=row["licence_no"]).first()
        active = row.get("is_active", "1") not in ("0", "false", "否")
        try:
            if a is None:
                a = appraiser_add(
                    firm=firm,
                    name=row["name"],
                    licence_no=row["licence_no"],
                    specialty=row["specialty"],
                    actor=actor,
                )
                a.is_active = active
                a.save(update_fields=["is_active"])
                counts["created"] += 1
                continue
            before = {
                "firm": a.firm_id,
                "name": a.name,
                "specialty": a.specialty,
                "is_active": a.is_active,
            }
            a.firm, a.name, a.specialty, a.is_active = firm, row["name"], row["specialty"], active
            a.save()
            after = {
                "firm": a.firm_id,
                "name": a.name,
                "specialty": a.specialty,
                "is_active": a.is_active,
            }
            if after != before:
                audit_record(
                    stream=ROSTER_STREAM,
                    action="appraiser.updated",
                    actor=actor,
                    subject=firm.ref,
                    before=before,
                    after=after,
                    reason="CSV 导入",
                    rules=["APR-01"],
                )
            counts["updated"] += 1
        except DomainError as exc:
            errors.append(_("第 %(line)s 行：%(message)s") % {"line": line, "message": exc.message})
    if errors:
        raise DomainError("csv_invalid", "；".join(errors[:20]), errors=errors)
    return counts
