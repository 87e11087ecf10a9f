"""Choosing the firms: the request, the parties' agreement (APR-02), the lot draw (APR-03, APR-10).

The draw is fair and verifiable: the eligible list is frozen and published with every
exclusion and its reason; the court and any party commit to sha256(secret) before a set time
(or a public value fixed after the freeze is used); after the reveals the seed and the ranking
follow from ``appraisers.draw_algorithm`` and anyone can recompute them from the record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from appraisers import draw_algorithm as algo
from appraisers.events import AppraisalFailed
from appraisers.models import (
    AgreementSubmission,
    AppraisalRequest,
    DrawCommitment,
    DrawExclusion,
    Firm,
    LotDraw,
    RankedFirm,
    RosterEntry,
)
from appraisers.models.commission import ACTIVE_STATES, Commission
from appraisers.services._common import (
    audit,
    broadcast_draw,
    court_contacts,
    notify_many,
    person,
    serve_on_parties,
)
from cases.models import Asset, Case, Identity, Party
from core import calendar, clock
from core.deadlines import deadline_close, deadline_extend, deadline_open, deadline_title
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.events import publish
from core.models import Deadline, Role, User
from core.notifications import text as message_text
from core.permissions import is_court_staff_of
from core.rulesettings import get_setting
from core.types import Actor

HEX64 = re.compile(r"^[0-9a-f]{64}$")
AGREEING_ROLES = (Party.Role.CREDITOR, Party.Role.DEBTOR)


def link(name: str, *args: int | str) -> str:
    try:
        return reverse(f"appraisers:{name}", args=args)
    except NoReverseMatch:
        return ""


def agreeing_parties(case: Case) -> list[Party]:
    """The parties whose agreement APR-02 needs: the applicant-creditors and the debtors."""
    return list(case.parties.filter(role__in=AGREEING_ROLES).order_by("pk"))


def parties_of_user(case_id: int, user: User | AnonymousUser) -> list[Party]:
    if not isinstance(user, User):  # anonymous: no parties
        return []
    return list(Party.objects.filter(case_id=case_id, user=user).order_by("pk"))


# --- the request ----------------------------------------------------------------------------


@transaction.atomic
def commission_request(
    *,
    case_id: int,
    asset_id: int,
    procedure_ref: str,
    purpose: str,
    actor: Actor,
    agreement_deadline: dt.datetime | None = None,
) -> AppraisalRequest:
    """Ask for an entrusted appraisal of one asset (contract). Opens the APR-02 agreement window.

    Idempotent on ``procedure_ref``: asking again returns the same request.
    """
    existing = AppraisalRequest.objects.filter(procedure_ref=procedure_ref).first()
    if existing is not None:
        if existing.case_id != int(case_id) or existing.asset_id != int(asset_id):
            raise Conflict("procedure_ref_reused", gettext("该定价程序标识已用于其他标的物的评估"))
        return existing
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("case_not_found", gettext("案件不存在"))
    asset = Asset.objects.filter(pk=asset_id, case_id=case.pk).first()
    if asset is None:
        raise NotFound("asset_not_found", gettext("标的物不存在或不属于该案件"))
    if not (purpose or "").strip():
        raise DomainError("purpose_required", gettext("须写明评估目的"), rule="APR-04")
    now = clock.now()
    if agreement_deadline is None:
        days = int(get_setting("appraisal_agreement_days", court=case.court_id))
        agreement_deadline = calendar.within_days(now, days, court=case.court_id)
    elif agreement_deadline <= now:
        raise DomainError("deadline_in_past", gettext("协商期限须晚于当前时间"), rule="APR-02")
    req = AppraisalRequest.objects.create(
        court_id=case.court_id,
        case=case,
        asset=asset,
        procedure_ref=procedure_ref,
        purpose=purpose.strip(),
        agreement_deadline=agreement_deadline,
        requested_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    _open_agreement_deadline(req, actor=actor)
    audit(
        req,
        action="appraisal.requested",
        actor=actor,
        subject=req.subject,
        after={
            "procedure_ref": procedure_ref,
            "asset": asset.pk,
            "purpose": req.purpose,
            "agreement_deadline": agreement_deadline.isoformat(),
        },
        rules=["APR-02"],
    )
    serve_on_parties(
        case,
        court=req.court,
        subject=req.subject,
        document="协商选定评估机构通知书",
        document_kind="agreement_notice",
        actor=actor,
        topic="appraisal.agreement_notice",
        title=gettext_lazy("协商选定评估机构通知书"),
        body=message_text(
            gettext_lazy(
                "%(case)s：标的物「%(asset)s」需委托评估。请于 %(when)s 前在线从名单库中"
                "协商确定三家评估机构及其顺序；逾期未协商一致的，由法院摇号确定（APR-02/03）。"
            ),
            case=case.number,
            asset=asset.name,
            when=agreement_deadline,
        ),
        link=link("party_request", req.pk),
        key=f"appraisal:{req.pk}:agreement:r1",
    )
    notify_many(
        court_contacts(req),
        topic="appraisal.requested",
        subject=message_text(gettext_lazy("委托评估：%(asset)s"), asset=asset.name),
        body=message_text(
            gettext_lazy("%(case)s 已启动委托评估，协商期限至 %(when)s。"),
            case=case.number,
            when=agreement_deadline,
        ),
        key=f"appraisal:{req.pk}:requested",
        link=link("court_request", req.pk),
        court=req.court,
    )
    return req


def _open_agreement_deadline(req: AppraisalRequest, *, actor: Actor) -> None:
    """APR-02: the court-set agreement window is a core deadline the judge sees."""
    deadline_open(
        rule_id="APR-02",
        title=deadline_title(
            gettext_noop("当事人协商选定评估机构（第%(round)s轮）"), round=req.round
        ),
        subject=req.subject,
        start_event="appraisal.requested",
        started_at=clock.now(),
        unit=Deadline.Unit.FIXED,
        due_at=req.agreement_deadline,
        court=req.court_id,
        owner=req.case.judge,
        owner_role="judge",
        actor=actor,
    )


def _lock(request: AppraisalRequest) -> AppraisalRequest:
    return AppraisalRequest.objects.select_for_update().get(pk=request.pk)


def _to_draw(req: AppraisalRequest, *, actor: Actor, action: str, reason: str) -> None:
    req.status = AppraisalRequest.Status.DRAW
    req.save(update_fields=["status"])
    deadline_close(subject=req.subject, rule_id="APR-02", actor=actor, reason=reason)
    audit(
        req,
        action=action,
        actor=actor,
        subject=req.subject,
        after={"status": req.status, "round": req.round},
        reason=reason,
        rules=["APR-02", "APR-03"],
    )
    notify_many(
        court_contacts(req),
        topic="appraisal.draw_needed",
        subject=message_text(gettext_lazy("待摇号：%(asset)s"), asset=req.asset.name),
        body=message_text(
            gettext_lazy("%(case)s：%(reason)s，请安排摇号（APR-03）。"),
            case=req.case.number,
            reason=reason,
        ),
        key=f"appraisal:{req.pk}:drawneeded:r{req.round}",
        link=link("court_request", req.pk),
        court=req.court,
    )


def agreement_refresh(*, request: AppraisalRequest, actor: Actor = None) -> AppraisalRequest:
    """The agreement window lapsed without agreement → the request waits for a draw (APR-03)."""
    with transaction.atomic():
        req = _lock(request)
        if (
            req.status == AppraisalRequest.Status.AGREEMENT
            and req.agreement_deadline is not None
            and clock.now() > req.agreement_deadline
        ):
            _to_draw(
                req,
                actor=actor,
                action="appraisal.agreement_lapsed",
                reason="协商期限届满未协商一致",
            )
        return req


@transaction.atomic
def agreement_deadline_set(
    *, request: AppraisalRequest, deadline: dt.datetime, actor: Actor
) -> AppraisalRequest:
    """The court sets (or moves) the agreement deadline (APR-02)."""
    req = _lock(request)
    if req.status != AppraisalRequest.Status.AGREEMENT:
        raise DomainError("not_in_agreement", gettext("当前不处于协商选定阶段"), rule="APR-02")
    if deadline <= clock.now():
        raise DomainError("deadline_in_past", gettext("协商期限须晚于当前时间"), rule="APR-02")
    before = req.agreement_deadline
    req.agreement_deadline = deadline
    req.save(update_fields=["agreement_deadline"])
    d = Deadline.objects.filter(
        subject=req.subject, rule_id="APR-02", status=Deadline.Status.OPEN
    ).first()
    if d is not None:
        deadline_extend(deadline=d, due_at=deadline, actor=actor, reason="法院变更协商期限")
    audit(
        req,
        action="appraisal.agreement_deadline_set",
        actor=actor,
        subject=req.subject,
        before={"deadline": before},
        after={"deadline": deadline},
        rules=["APR-02"],
    )
    return req


@transaction.atomic
def agreement_skip(*, request: AppraisalRequest, reason: str, actor: Actor) -> AppraisalRequest:
    """No agreement possible (e.g. a party cannot be reached): go straight to the draw (APR-03)."""
    if not (reason or "").strip():
        raise DomainError(
            "reason_required",
            gettext("不经协商直接摇号须说明理由（如当事人无法联系）"),
            rule="APR-03",
        )
    req = _lock(request)
    if req.status != AppraisalRequest.Status.AGREEMENT:
        raise DomainError("not_in_agreement", gettext("当前不处于协商选定阶段"), rule="APR-02")
    req.agreement_skip_reason = reason.strip()[:300]
    req.save(update_fields=["agreement_skip_reason"])
    _to_draw(req, actor=actor, action="appraisal.agreement_skipped", reason=reason.strip())
    return req


def _excluded_previous(req: AppraisalRequest) -> set[int]:
    """APR-10: firms ranked in an earlier round are left out of later rounds."""
    return set(
        RankedFirm.objects.filter(request=req, round__lt=req.round).values_list(
            "firm_id", flat=True
        )
    )


class _Conflicts:
    """What identifies the parties of a case, to find firms with a conflict of interest."""

    def __init__(self, case: Case) -> None:
        parties = list(case.parties.select_related("identity"))
        self.names = {p.name.strip(): p for p in parties if p.name}
        self.users = {p.user_id: p for p in parties if p.user_id}
        self.numbers: dict[str, Party] = {}
        for p in parties:
            if p.identity is not None:
                self.numbers[p.identity.number.strip().upper()] = p
        # Identities of the parties' own accounts count as well.
        for ident in Identity.objects.filter(user_id__in=list(self.users)):
            if ident.user_id is not None:  # always: filtered on the parties' accounts
                self.numbers.setdefault(ident.number.strip().upper(), self.users[ident.user_id])

    def reasons(self, firm: Firm) -> list[str]:
        out = []
        if firm.name.strip() in self.names:
            out.append(f"机构名称与当事人「{self.names[firm.name.strip()].name}」相同")
        if firm.uscc and firm.uscc.strip().upper() in self.numbers:
            out.append(
                f"机构统一社会信用代码与当事人「{self.numbers[firm.uscc.strip().upper()].name}」一致"
            )
        for fu in firm.users.all():
            if fu.user_id in self.users:
                out.append(f"机构用户为本案当事人「{self.users[fu.user_id].name}」")
        for a in firm.appraisers.all():
            if a.user_id and a.user_id in self.users:
                out.append(f"评估师 {a.name} 为本案当事人")
            elif a.id_number and a.id_number.strip().upper() in self.numbers:
                out.append(
                    f"评估师 {a.name} 与当事人「{self.numbers[a.id_number.strip().upper()].name}」证件号一致"
                )
        return out


def firm_exclusions(
    firm: Firm,
    *,
    req: AppraisalRequest,
    now: dt.datetime,
    conflicts: _Conflicts,
    previous: set[int],
    court_exclusions: Mapping[int, str] | None = None,
) -> list[tuple[str, str]]:
    """Every reason (code, text) a firm may not be chosen for this request."""
    out: list[tuple[str, str]] = []
    R = DrawExclusion.Reason
    if firm.status == Firm.Status.REMOVED or firm.is_barred(now):
        until = firm.barred_until
        out.append((R.REMOVED, f"已被除名，{until:%Y-%m-%d} 前不得摇中" if until else "已被除名"))
    elif firm.status == Firm.Status.SUSPENDED:
        out.append((R.SUSPENDED, f"暂停：{firm.status_reason}" if firm.status_reason else "暂停"))
    for text in conflicts.reasons(firm):
        out.append((R.CONFLICT, text))
    if firm.pk in previous:
        out.append((R.PREVIOUS_ROUND, "前轮已选定但未能完成评估（APR-10）"))
    if get_setting("appraisal_workload_cap_enabled", court=req.court_id):
        cap = int(get_setting("appraisal_workload_cap", court=req.court_id))
        open_count = Commission.objects.filter(firm=firm, state__in=ACTIVE_STATES).count()
        if open_count >= cap:
            out.append((R.WORKLOAD, f"在办委托 {open_count} 件，达到上限 {cap} 件"))
    if court_exclusions and firm.pk in court_exclusions:
        out.append((R.COURT, str(court_exclusions[firm.pk])))
    return out


def sub_roster(specialty: str, level: str, code: str) -> QuerySet[Firm]:
    return (
        Firm.objects.filter(
            roster_entries__specialty=specialty,
            roster_entries__level=level,
            roster_entries__division_code=code,
        )
        .distinct()
        .prefetch_related("users", "appraisers")
        .order_by("pk")
    )


def _evaluate(
    req: AppraisalRequest, firms: Iterable[Firm], court_exclusions: Mapping[int, str] | None
) -> tuple[list[Firm], list[tuple[Firm, str, str]]]:
    now = clock.now()
    conflicts = _Conflicts(req.case)
    previous = _excluded_previous(req)
    eligible: list[Firm] = []
    excluded: list[tuple[Firm, str, str]] = []
    for firm in firms:
        reasons = firm_exclusions(
            firm,
            req=req,
            now=now,
            conflicts=conflicts,
            previous=previous,
            court_exclusions=court_exclusions,
        )
        if reasons:
            excluded.extend((firm, code, text) for code, text in reasons)
        else:
            eligible.append(firm)
    return eligible, excluded


def joint_roster_request(req: AppraisalRequest) -> tuple[str, str] | None:
    """The sub-roster every agreeing party asked for in this round (APR-03), if they all did."""
    parties = agreeing_parties(req.case)
    subs = {s.party_id: s for s in AgreementSubmission.objects.filter(request=req, round=req.round)}
    if not parties or any(p.pk not in subs for p in parties):
        return None
    wanted = {
        (subs[p.pk].roster_level, subs[p.pk].roster_division_code)
        for p in parties
        if subs[p.pk].choice == AgreementSubmission.Choice.ROSTER
    }
    if len(wanted) == 1 and all(
        subs[p.pk].choice == AgreementSubmission.Choice.ROSTER for p in parties
    ):
        return next(iter(wanted))
    return None


def draw_candidates(
    req: AppraisalRequest, court_exclusions: Mapping[int, str] | None = None
) -> tuple[str, str, str, list[Firm], list[tuple[Firm, str, str]]]:
    """The sub-roster of the draw and its evaluation: (level, code, basis, eligible, excluded).

    The asset's specialty (its kind) at the city level of its location, falling back to the
    provincial level when the city sub-roster has fewer than three eligible firms; or the
    sub-roster both parties asked for (APR-03).
    """
    specialty = req.asset.kind
    joint = joint_roster_request(req)
    if joint is not None:
        level, code = joint
        eligible, excluded = _evaluate(req, sub_roster(specialty, level, code), court_exclusions)
        return level, code, "双方当事人共同请求的名单分库", eligible, excluded
    division = req.asset.division_code or req.case.court.division_code
    city, province = division[:4] + "00", division[:2] + "0000"
    L = RosterEntry.Level
    eligible, excluded = _evaluate(req, sub_roster(specialty, L.CITY, city), court_exclusions)
    if len(eligible) >= algo.RANKED_COUNT:
        return L.CITY, city, "标的物所在地市级名单分库", eligible, excluded
    p_eligible, p_excluded = _evaluate(
        req, sub_roster(specialty, L.PROVINCE, province), court_exclusions
    )
    basis = f"市级名单分库（{city}）可选机构不足{algo.RANKED_COUNT}家，使用省级名单分库"
    return L.PROVINCE, province, basis, p_eligible, p_excluded


# --- the agreement (APR-02) -----------------------------------------------------------------


def agreement_firm_problems(req: AppraisalRequest, firm: Firm) -> list[str]:
    """Why a firm cannot be agreed on: not on a sub-roster of the specialty, or excluded."""
    problems = []
    if not firm.roster_entries.filter(specialty=req.asset.kind).exists():
        problems.append(f"「{firm.name}」不在{req.asset.get_kind_display()}专业名单分库中")
    reasons = firm_exclusions(
        firm,
        req=req,
        now=clock.now(),
        conflicts=_Conflicts(req.case),
        previous=_excluded_previous(req),
    )
    problems.extend(f"「{firm.name}」：{text}" for _, text in reasons)
    return problems


def _agreement_evaluate(req: AppraisalRequest, *, actor: Actor) -> None:
    parties = agreeing_parties(req.case)
    subs = list(AgreementSubmission.objects.filter(request=req, round=req.round))
    C = AgreementSubmission.Choice
    if any(s.choice == C.REFUSE for s in subs):
        _to_draw(req, actor=actor, action="appraisal.agreement_failed", reason="当事人不同意协商")
        return
    keys = {(s.choice, tuple(s.firm_ids), s.roster_level, s.roster_division_code) for s in subs}
    if len(keys) > 1:
        _to_draw(req, actor=actor, action="appraisal.agreement_failed", reason="当事人意见不一致")
        return
    if len(subs) < len(parties):
        return  # still waiting for the others
    ((choice, firm_ids, _, _),) = keys
    if choice == C.ROSTER:
        _to_draw(
            req,
            actor=actor,
            action="appraisal.roster_requested",
            reason="双方当事人共同请求在指定名单分库摇号",
        )
        return
    for rank, firm_id in enumerate(firm_ids, start=1):
        RankedFirm.objects.create(
            request=req,
            round=req.round,
            rank=rank,
            firm_id=firm_id,
            source=RankedFirm.Source.AGREEMENT,
        )
    req.status = AppraisalRequest.Status.COMMISSIONED
    req.save(update_fields=["status"])
    deadline_close(subject=req.subject, rule_id="APR-02", actor=actor)
    audit(
        req,
        action="appraisal.agreed",
        actor=actor,
        subject=req.subject,
        after={"round": req.round, "firms": list(firm_ids)},
        rules=["APR-02"],
    )
    from appraisers.services.offer import offer_next

    offer_next(request=req, actor=actor)


@transaction.atomic
def agreement_submit(
    *,
    request: AppraisalRequest,
    party: Party,
    choice: str,
    actor: Actor,
    firm_ids: list[int] | tuple[int, ...] = (),
    roster_level: str = "",
    roster_division_code: str = "",
) -> AgreementSubmission:
    """A party's answer: three firms in order, a sub-roster for the draw, or refusal (APR-02/03)."""
    agreement_refresh(request=request, actor=actor)
    req = _lock(request)
    if req.status != AppraisalRequest.Status.AGREEMENT:
        raise DomainError("not_in_agreement", gettext("协商选定阶段已结束"), rule="APR-02")
    if party.case_id != req.case_id or party.role not in AGREEING_ROLES:
        raise PermissionDenied(
            "not_a_party", gettext("只有本案申请执行人和被执行人可以协商选定"), rule="APR-02"
        )
    if AgreementSubmission.objects.filter(request=req, round=req.round, party=party).exists():
        raise DomainError("already_submitted", gettext("您已提交过意见，不能更改"), rule="APR-02")
    C = AgreementSubmission.Choice
    if choice not in C.values:
        raise DomainError("invalid_choice", gettext("请选择协商方式"))
    ids: list[int] = []
    if choice == C.FIRMS:
        try:
            ids = [int(i) for i in firm_ids]
        except (TypeError, ValueError) as exc:
            raise DomainError("invalid_firms", gettext("机构选择无效")) from exc
        if len(ids) != algo.RANKED_COUNT or len(set(ids)) != algo.RANKED_COUNT:
            raise DomainError(
                "three_firms_required", gettext("须按顺序选定三家不同的评估机构"), rule="APR-02"
            )
        firms = {f.pk: f for f in Firm.objects.filter(pk__in=ids)}
        problems = []
        for i in ids:
            if i not in firms:
                problems.append(f"机构 {i} 不在名单库中")
            else:
                problems.extend(agreement_firm_problems(req, firms[i]))
        if problems:
            raise DomainError("firm_not_eligible", "；".join(problems), rule="APR-01")
    elif choice == C.ROSTER:
        if roster_level not in RosterEntry.Level.values or not re.match(
            r"^\d{6}$", roster_division_code or ""
        ):
            raise DomainError(
                "invalid_roster", gettext("请指定名单分库的层级和区划代码"), rule="APR-03"
            )
        if not sub_roster(req.asset.kind, roster_level, roster_division_code).exists():
            raise DomainError(
                "empty_roster", gettext("该名单分库中没有相应专业的评估机构"), rule="APR-03"
            )
    sub = AgreementSubmission.objects.create(
        request=req,
        round=req.round,
        party=party,
        choice=choice,
        firm_ids=ids,
        roster_level=roster_level if choice == C.ROSTER else "",
        roster_division_code=roster_division_code if choice == C.ROSTER else "",
        submitted_at=clock.now(),
        submitted_by=person(actor),
    )
    audit(
        req,
        action="appraisal.agreement_submitted",
        actor=actor,
        subject=req.subject,
        after={
            "party": f"party:{party.pk}",
            "choice": choice,
            "firms": ids,
            "roster": [sub.roster_level, sub.roster_division_code],
        },
        rules=["APR-02"],
    )
    _agreement_evaluate(req, actor=actor)
    return sub


# --- the draw (APR-03) ----------------------------------------------------------------------


def _participant_label(req: AppraisalRequest, participant_ref: str) -> str:
    if participant_ref == "court":
        return "法院"
    party = Party.objects.filter(pk=int(participant_ref.split(":")[1]), case_id=req.case_id).first()
    if party is None:
        raise DomainError("invalid_participant", gettext("参与方无效"))
    # Parties appear by their procedural role, not by name, on the public record.
    same = list(
        req.case.parties.filter(role=party.role).order_by("pk").values_list("pk", flat=True)
    )
    label = party.get_role_display()
    return f"{label}{same.index(party.pk) + 1}" if len(same) > 1 else label


@transaction.atomic
def draw_schedule(
    *,
    request: AppraisalRequest,
    scheduled_at: dt.datetime,
    seed_mode: str,
    actor: Actor,
    commit_deadline: dt.datetime | None = None,
    court_exclusions: Mapping[int, str] | None = None,
) -> LotDraw:
    """Fix the draw time, freeze and publish the eligible list, notify the parties (APR-03)."""
    agreement_refresh(request=request, actor=actor)
    req = _lock(request)
    if req.status != AppraisalRequest.Status.DRAW:
        raise DomainError(
            "not_awaiting_draw",
            gettext("该评估申请当前不需要摇号（协商期限未届满或已选定）"),
            rule="APR-03",
        )
    if LotDraw.objects.filter(request=req, round=req.round, status=LotDraw.Status.FROZEN).exists():
        raise Conflict("draw_exists", gettext("本轮已有待进行的摇号"))
    now = clock.now()
    M = LotDraw.SeedMode
    if seed_mode not in M.values:
        raise DomainError("invalid_seed_mode", gettext("随机源无效"))
    if scheduled_at <= now:
        raise DomainError(
            "draw_time_in_past",
            gettext("摇号时间须晚于当前时间，以便提前通知当事人"),
            rule="APR-03",
        )
    if seed_mode == M.COMMIT_REVEAL:
        if commit_deadline is None or not (now < commit_deadline <= scheduled_at):
            raise DomainError(
                "invalid_commit_deadline",
                gettext("承诺截止时间须晚于现在且不晚于摇号时间"),
                rule="APR-03",
            )
    else:
        commit_deadline = None
    exclusions = {int(k): str(v).strip() for k, v in (court_exclusions or {}).items()}
    if any(not v for v in exclusions.values()):
        raise DomainError(
            "reason_required", gettext("法院决定回避的机构须逐一说明理由"), rule="REC-08"
        )
    level, code, basis, eligible, excluded = draw_candidates(req, exclusions)
    if not eligible:
        raise DomainError(
            "no_eligible_firms", gettext("该名单分库中没有可供摇号的评估机构"), rule="APR-03"
        )
    frozen = algo.normalise_list(
        algo.frozen_entry(firm_id=f.pk, licence_no=f.licence_no, name=f.name) for f in eligible
    )
    draw = LotDraw.objects.create(
        request=req,
        round=req.round,
        court_id=req.court_id,
        status=LotDraw.Status.FROZEN,
        specialty=req.asset.kind,
        roster_level=level,
        roster_division_code=code,
        roster_basis=basis,
        seed_mode=seed_mode,
        scheduled_at=scheduled_at,
        commit_deadline=commit_deadline,
        frozen_at=now,
        frozen_list=frozen,
        list_hash=algo.list_hash(frozen),
        algorithm_version=algo.ALGORITHM_VERSION,
        created_by=person(actor),
        created_at=now,
    )
    for firm, reason_code, text in excluded:
        DrawExclusion.objects.create(
            draw=draw, firm=firm, firm_name=firm.name, reason_code=reason_code, reason=text[:300]
        )
    audit(
        req,
        action="draw.frozen",
        actor=actor,
        subject=draw.subject,
        after={
            "draw": draw.pk,
            "round": draw.round,
            "frozen_list": frozen,
            "list_hash": draw.list_hash,
            "exclusions": [[f.pk, c, t] for f, c, t in excluded],
            "roster": {
                "specialty": draw.specialty,
                "level": level,
                "division_code": code,
                "basis": basis,
            },
            "seed_mode": seed_mode,
            "scheduled_at": scheduled_at,
            "commit_deadline": commit_deadline,
            "algorithm_version": draw.algorithm_version,
        },
        rules=["APR-03", "REC-07"],
    )
    if get_setting("notify_parties_before_draw", court=req.court_id):
        serve_on_parties(
            req.case,
            court=req.court,
            subject=draw.subject,
            document="摇号通知书",
            document_kind="draw_notice",
            actor=actor,
            topic="appraisal.draw_notice",
            title=gettext_lazy("摇号通知书"),
            body=message_text(
                gettext_lazy(
                    "%(case)s：将于 %(when)s 在线摇号选定评估机构，入围名单 %(n)s 家已公布。"
                    "如需参与生成随机数，请于 %(commit)s 前提交承诺值。您可在线观看摇号全过程。"
                )
                if commit_deadline
                else gettext_lazy(
                    "%(case)s：将于 %(when)s 在线摇号选定评估机构，入围名单 %(n)s 家已公布。"
                    "您可在线观看摇号全过程。"
                ),
                case=req.case.number,
                when=scheduled_at,
                n=len(frozen),
                commit=commit_deadline or "",
            ),
            link=link("draw_live", draw.pk),
            key=f"draw:{draw.pk}:notice",
        )
    broadcast_draw(draw.pk)
    return draw


def _lock_draw(draw: LotDraw) -> LotDraw:
    return LotDraw.objects.select_for_update().select_related("request").get(pk=draw.pk)


def _check_participant(draw: LotDraw, participant_ref: str, actor: Actor) -> User:
    """The person who may act for ``participant_ref``: a judge or officer of the court, or the
    party's own account."""
    req = draw.request
    if participant_ref == "court":
        if actor is None or not is_court_staff_of(
            actor, req.court_id, roles=(Role.JUDGE, Role.OFFICER)
        ):
            raise PermissionDenied(
                "not_court", gettext("只有本院法官或执行员可以代表法院"), rule="APR-03"
            )
        return actor
    m = re.match(r"^party:(\d+)$", participant_ref or "")
    if not m:
        raise DomainError("invalid_participant", gettext("参与方无效"))
    party = Party.objects.filter(pk=int(m.group(1)), case_id=req.case_id).first()
    if (
        actor is None
        or party is None
        or party.user_id is None
        or party.user_id != getattr(actor, "pk", None)
    ):
        raise PermissionDenied("not_this_party", gettext("只能以本人当事人身份提交"), rule="APR-03")
    return actor


@transaction.atomic
def draw_commit(
    *, draw: LotDraw, participant_ref: str, commitment: str, actor: Actor
) -> DrawCommitment:
    """Publish sha256(secret) before the commitment deadline (the secret itself stays private)."""
    draw = _lock_draw(draw)
    if (
        draw.seed_mode != LotDraw.SeedMode.COMMIT_REVEAL
        or draw.status != LotDraw.Status.FROZEN
        or draw.commit_deadline is None  # never: a commit–reveal draw is scheduled with one
    ):
        raise DomainError("commit_closed", gettext("本次摇号不接受承诺值"), rule="APR-03")
    if clock.now() >= draw.commit_deadline:
        raise DomainError("commit_deadline_passed", gettext("承诺截止时间已过"), rule="APR-03")
    actor = _check_participant(draw, participant_ref, actor)
    commitment = (commitment or "").strip().lower()
    if not HEX64.match(commitment):
        raise DomainError("invalid_commitment", gettext("承诺值应为64位十六进制的 SHA-256 值"))
    if DrawCommitment.objects.filter(draw=draw, participant_ref=participant_ref).exists():
        raise DomainError("already_committed", gettext("已提交承诺值，不能更改"), rule="APR-03")
    c = DrawCommitment.objects.create(
        draw=draw,
        participant_ref=participant_ref,
        participant_label=_participant_label(draw.request, participant_ref),
        commitment=commitment,
        committed_at=clock.now(),
        committed_by=actor,
    )
    audit(
        draw.request,
        action="draw.committed",
        actor=actor,
        subject=draw.subject,
        after={"draw": draw.pk, "participant": participant_ref, "commitment": commitment},
        rules=["APR-03"],
    )
    broadcast_draw(draw.pk)
    return c


@transaction.atomic
def draw_reveal(
    *, draw: LotDraw, participant_ref: str, secret: str, actor: Actor
) -> DrawCommitment:
    """Reveal the secret after the commitment deadline; it must hash to the commitment."""
    draw = _lock_draw(draw)
    if (
        draw.seed_mode != LotDraw.SeedMode.COMMIT_REVEAL
        or draw.status != LotDraw.Status.FROZEN
        or draw.commit_deadline is None  # never: a commit–reveal draw is scheduled with one
    ):
        raise DomainError("reveal_closed", gettext("本次摇号不接受揭示值"), rule="APR-03")
    if clock.now() < draw.commit_deadline:
        raise DomainError("reveal_too_early", gettext("承诺截止后方可揭示"), rule="APR-03")
    _check_participant(draw, participant_ref, actor)
    c = (
        DrawCommitment.objects.select_for_update()
        .filter(draw=draw, participant_ref=participant_ref)
        .first()
    )
    if c is None:
        raise DomainError("no_commitment", gettext("未在截止前提交承诺值，不能揭示"), rule="APR-03")
    if c.revealed_at:
        raise DomainError("already_revealed", gettext("已揭示"))
    if not (algo.SECRET_MIN_LENGTH <= len(secret or "") <= algo.SECRET_MAX_LENGTH):
        raise DomainError(
            "invalid_secret",
            gettext("随机串长度应为 %(SECRET_MIN_LENGTH)s–%(SECRET_MAX_LENGTH)s 个字符")
            % {
                "SECRET_MIN_LENGTH": algo.SECRET_MIN_LENGTH,
                "SECRET_MAX_LENGTH": algo.SECRET_MAX_LENGTH,
            },
        )
    if algo.commitment_of(secret) != c.commitment:
        raise DomainError(
            "reveal_mismatch", gettext("揭示值与承诺值不符（SHA-256 不一致）"), rule="APR-03"
        )
    c.secret = secret
    c.revealed_at = clock.now()
    c.save(update_fields=["secret", "revealed_at"])
    audit(
        draw.request,
        action="draw.revealed",
        actor=actor,
        subject=draw.subject,
        after={"draw": draw.pk, "participant": participant_ref, "matches_commitment": True},
        rules=["APR-03"],
    )
    broadcast_draw(draw.pk)
    return c


@transaction.atomic
def draw_public_value_set(
    *, draw: LotDraw, value: str, source: str, fixed_at: dt.datetime, actor: Actor
) -> LotDraw:
    """Record the public random value (e.g. a lottery result) produced only after the freeze."""
    draw = _lock_draw(draw)
    if (
        draw.seed_mode != LotDraw.SeedMode.PUBLIC_VALUE
        or draw.status != LotDraw.Status.FROZEN
        or draw.frozen_at is None  # never: a frozen draw has its freeze time
    ):
        raise DomainError(
            "public_value_not_used", gettext("本次摇号不使用公开随机值"), rule="APR-03"
        )
    if draw.public_value:
        raise DomainError("public_value_set", gettext("公开随机值已记录，不能更改"), rule="APR-03")
    value, source = (value or "").strip(), (source or "").strip()
    if not value or not source:
        raise DomainError("public_value_required", gettext("须填写公开随机值及其来源"))
    if fixed_at <= draw.frozen_at:
        raise DomainError(
            "public_value_before_freeze", gettext("公开随机值须在名单冻结之后产生"), rule="APR-03"
        )
    if fixed_at > clock.now():
        raise DomainError("public_value_future", gettext("公开随机值产生时间不能晚于当前时间"))
    draw.public_value, draw.public_value_source, draw.public_value_fixed_at = (
        value,
        source,
        fixed_at,
    )
    draw.save(update_fields=["public_value", "public_value_source", "public_value_fixed_at"])
    audit(
        draw.request,
        action="draw.public_value",
        actor=actor,
        subject=draw.subject,
        after={"draw": draw.pk, "value": value, "source": source, "fixed_at": fixed_at},
        rules=["APR-03"],
    )
    broadcast_draw(draw.pk)
    return draw


@transaction.atomic
def draw_run(*, draw: LotDraw, actor: Actor) -> LotDraw:
    """Derive the seed and the ranking, record everything, commission the first firm (APR-03/04)."""
    draw = _lock_draw(draw)
    req = _lock(draw.request)
    frozen_list = draw.frozen_list
    if draw.status != LotDraw.Status.FROZEN or frozen_list is None:
        raise DomainError("draw_not_open", gettext("该摇号已完成或已取消"))
    now = clock.now()
    if now < draw.scheduled_at:
        raise DomainError("draw_too_early", gettext("未到通知的摇号时间"), rule="APR-03")
    commitments = list(draw.commitments.order_by("participant_ref"))
    if draw.seed_mode == LotDraw.SeedMode.COMMIT_REVEAL:
        court = next((c for c in commitments if c.participant_ref == "court"), None)
        if court is None or not court.revealed_at:
            raise DomainError(
                "court_reveal_required", gettext("法院须先提交并揭示随机串"), rule="APR-03"
            )
    elif not draw.public_value:
        raise DomainError(
            "public_value_required", gettext("须先记录冻结后产生的公开随机值"), rule="APR-03"
        )
    reveals = algo.valid_reveals(
        {"participant_ref": c.participant_ref, "commitment": c.commitment, "secret": c.secret}
        for c in commitments
    )
    seed = algo.seed_of(
        draw_id=draw.pk,
        list_hash_hex=draw.list_hash,
        reveals=reveals,
        public_value=draw.public_value,
    )
    result = algo.rank(seed, [e["id"] for e in frozen_list])
    draw.seed, draw.result, draw.drawn_at, draw.operator = seed, result, now, actor
    draw.status = LotDraw.Status.DONE
    draw.save(update_fields=["seed", "result", "drawn_at", "operator", "status"])
    for rank_no, firm_id in enumerate(result, start=1):
        RankedFirm.objects.create(
            request=req,
            round=draw.round,
            rank=rank_no,
            firm_id=firm_id,
            source=RankedFirm.Source.DRAW,
            draw=draw,
        )
    audit(
        req,
        action="draw.done",
        actor=actor,
        subject=draw.subject,
        after={
            "draw": draw.pk,
            "list_hash": draw.list_hash,
            "reveals": reveals,
            "unrevealed": [c.participant_ref for c in commitments if not c.revealed_at],
            "public_value": draw.public_value,
            "seed": seed,
            "algorithm_version": draw.algorithm_version,
            "result": result,
            "drawn_at": now,
        },
        rules=["APR-03", "REC-07", "REC-09"],
    )
    from appraisers.documents import DRAW_RECORD
    from core.documents import document_request

    # The sealed, public draw record (APR-03), issued by the worker (issue 16).
    document_request(doc_type=DRAW_RECORD.code, subject=draw.subject)
    req.status = AppraisalRequest.Status.COMMISSIONED
    req.save(update_fields=["status"])
    names = {e["id"]: e["name"] for e in frozen_list}

    def summary() -> str:  # in the reader's language (called by ``notify``)
        return gettext("；").join(
            gettext("第%(n)s顺位 %(name)s") % {"n": i, "name": names[f]}
            for i, f in enumerate(result, start=1)
        )

    for party in req.case.parties.exclude(user=None):
        if party.user is None:  # never: parties without an account are excluded
            continue
        notify_many(
            [party.user],
            topic="appraisal.draw_result",
            subject=gettext_lazy("摇号结果"),
            body=message_text(
                gettext_lazy("%(case)s：摇号已完成。%(summary)s。可在线核验摇号过程。"),
                case=req.case.number,
                summary=summary,
            ),
            key=f"draw:{draw.pk}:result:p{party.pk}",
            link=link("draw_verify", draw.pk),
            court=req.court,
        )
    broadcast_draw(draw.pk)
    from appraisers.services.offer import offer_next

    offer_next(request=req, actor=actor)
    return draw


@transaction.atomic
def draw_cancel(*, draw: LotDraw, reason: str, actor: Actor) -> LotDraw:
    if not (reason or "").strip():
        raise DomainError("reason_required", gettext("取消摇号须说明理由"), rule="REC-08")
    draw = _lock_draw(draw)
    if draw.status != LotDraw.Status.FROZEN:
        raise DomainError("draw_not_open", gettext("该摇号已完成或已取消"))
    draw.status = LotDraw.Status.CANCELLED
    draw.cancel_reason = reason.strip()[:300]
    draw.save(update_fields=["status", "cancel_reason"])
    audit(
        draw.request,
        action="draw.cancelled",
        actor=actor,
        subject=draw.subject,
        reason=reason,
        after={"draw": draw.pk},
        rules=["APR-03"],
    )
    broadcast_draw(draw.pk)
    return draw


# --- exhaustion, failure, withdrawal (APR-10, PRC-14) ---------------------------------------


def round_exhausted(req: AppraisalRequest, *, actor: Actor, reason: str) -> None:
    """All ranked firms of the round failed: a new agreement or draw without them, or failure."""
    if get_setting("redraw_when_exhausted", court=req.court_id):
        req.round += 1
        req.status = AppraisalRequest.Status.AGREEMENT
        days = int(get_setting("appraisal_agreement_days", court=req.court_id))
        req.agreement_deadline = calendar.within_days(clock.now(), days, court=req.court_id)
        req.save(update_fields=["round", "status", "agreement_deadline"])
        _open_agreement_deadline(req, actor=actor)
        audit(
            req,
            action="appraisal.round_exhausted",
            actor=actor,
            subject=req.subject,
            reason=reason,
            after={"new_round": req.round, "agreement_deadline": req.agreement_deadline},
            rules=["APR-10"],
        )
        notice = f"重新协商选定评估机构通知书（第{req.round}轮）"
        serve_on_parties(
            req.case,
            court=req.court,
            subject=req.subject,
            document=notice,
            document_kind="agreement_notice",
            actor=actor,
            topic="appraisal.agreement_notice",
            title=message_text(
                gettext_lazy("重新协商选定评估机构通知书（第%(round)s轮）"), round=req.round
            ),
            body=message_text(
                gettext_lazy(
                    "%(case)s：前轮选定的评估机构均未能完成评估（%(reason)s）。请于 %(when)s 前"
                    "重新协商选定三家机构（前轮机构除外），逾期由法院摇号（APR-10）。"
                ),
                case=req.case.number,
                reason=reason,
                when=req.agreement_deadline,
            ),
            link=link("party_request", req.pk),
            key=f"appraisal:{req.pk}:agreement:r{req.round}",
        )
        notify_many(
            court_contacts(req),
            topic="appraisal.round_exhausted",
            subject=message_text(gettext_lazy("重新选定评估机构：%(asset)s"), asset=req.asset.name),
            body=message_text(
                gettext_lazy("%(case)s：%(reason)s。已开启第%(round)s轮协商选定（APR-10）。"),
                case=req.case.number,
                reason=reason,
                round=req.round,
            ),
            key=f"appraisal:{req.pk}:exhausted:r{req.round - 1}",
            link=link("court_request", req.pk),
            court=req.court,
        )
        return
    request_fail(request=req, reason=reason, actor=actor)


@transaction.atomic
def request_fail(*, request: AppraisalRequest, reason: str, actor: Actor) -> AppraisalRequest:
    """The appraisal cannot be done: publish ``AppraisalFailed`` (APR-10) in this transaction."""
    if not (reason or "").strip():
        raise DomainError("reason_required", gettext("须说明评估未能完成的原因"), rule="REC-08")
    req = _lock(request)
    if req.status in (
        AppraisalRequest.Status.FIXED,
        AppraisalRequest.Status.FAILED,
        AppraisalRequest.Status.WITHDRAWN,
    ):
        raise DomainError("request_closed", gettext("该评估申请已结束"))
    for c in Commission.objects.select_for_update().filter(request=req, state__in=ACTIVE_STATES):
        from appraisers.services.offer import _end_commission

        _end_commission(c, actor=actor, reason=reason)
    req.status = AppraisalRequest.Status.FAILED
    req.failed_reason = reason.strip()[:300]
    req.closed_at = clock.now()
    req.save(update_fields=["status", "failed_reason", "closed_at"])
    audit(
        req,
        action="appraisal.failed",
        actor=actor,
        subject=req.subject,
        reason=reason,
        rules=["APR-10"],
    )
    publish(
        AppraisalFailed(
            procedure_ref=req.procedure_ref,
            case_id=req.case_id,
            asset_id=req.asset_id,
            reason=reason.strip(),
        )
    )
    return req


@transaction.atomic
def appraisal_withdraw(*, procedure_ref: str, reason: str, actor: Actor = None) -> AppraisalRequest:
    """Pricing withdraws the appraisal (PRC-14): open commissions end; fees follow PRC-16."""
    if not (reason or "").strip():
        raise DomainError("reason_required", gettext("撤回评估须说明理由"), rule="PRC-14")
    req = AppraisalRequest.objects.select_for_update().filter(procedure_ref=procedure_ref).first()
    if req is None:
        raise NotFound("appraisal_not_found", gettext("评估申请不存在"))
    if req.status == AppraisalRequest.Status.WITHDRAWN:
        return req
    from appraisers.services.offer import _end_commission

    for c in Commission.objects.select_for_update().filter(request=req, state__in=ACTIVE_STATES):
        _end_commission(c, actor=actor, reason=f"评估撤回：{reason}")
    for d in LotDraw.objects.filter(request=req, status=LotDraw.Status.FROZEN):
        d.status = LotDraw.Status.CANCELLED
        d.cancel_reason = "评估撤回"
        d.save(update_fields=["status", "cancel_reason"])
    req.status = AppraisalRequest.Status.WITHDRAWN
    req.withdrawn_reason = reason.strip()[:300]
    req.closed_at = clock.now()
    req.save(update_fields=["status", "withdrawn_reason", "closed_at"])
    audit(
        req,
        action="appraisal.withdrawn",
        actor=actor,
        subject=req.subject,
        reason=reason,
        rules=["PRC-14"],
    )
    return req
