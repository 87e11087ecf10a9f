"""以物抵债 among several creditors (AUC-36): applications, the priority order and the lot draw.

After an ``UNSOLD`` close creditors may apply to take the lot in lieu of debt at that round's
starting price. The court records each application (on the creditor's request) and then
decides (``in_lieu_decide``):

- one applicant with the strictly earliest statutory priority → it takes the lot;
- several sharing the earliest priority → a lot draw (摇号) among them, logged as APR-03:
  ``in_lieu_draw_freeze`` fixes the list and the time, the court and each applicant may
  commit to a secret (sha256 made in the browser) before the deadline and reveal it after,
  ``in_lieu_draw_run`` derives the seed and the order with the appraisers' published
  algorithm (``appraisers.draw_algorithm``, version ``gavel-draw-v1``), and the first in the
  order takes the lot.

Taking the lot itself is ``services.auction_take_in_lieu`` (price, claim, the excess in a
court-set period), unchanged. Every step is audited in the case's stream; a draw can be
re-run by anyone from its record (``in_lieu_draw_record`` / ``in_lieu_draw_recompute``) and is
checked against the audit trail by ``in_lieu_draw_verify`` (REC-07).

Priority: ``cases.Party.priority`` 1 is first; a creditor without one holds an ordinary
claim and comes after every ranked creditor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django_fsm import can_proceed

from appraisers import draw_algorithm as algo
from bidding import locks
from bidding.models import (
    Auction,
    InLieuApplication,
    InLieuDraw,
    InLieuDrawCommitment,
    InLieuTaking,
)
from bidding.services._common import STAFF_ACTORS
from core import clock
from core.audit import audit_record, audit_verify
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.models import AuditEntry, Role, User
from core.notifications import Message
from core.notifications import text as message_text
from core.permissions import is_court_staff_of
from core.types import Actor

RULES = ["AUC-36", "APR-03"]
#: Orders an ordinary (unranked) claim after every ranked one.
UNRANKED = 10**9
#: Who may act for the court in a draw (commit, reveal, run): judges and officers of the court.
DRAW_STAFF = frozenset({Role.JUDGE, Role.OFFICER})


def _rank(priority: int | None) -> int:
    return UNRANKED if priority is None else int(priority)


def _require_staff(actor: Actor, auction: Auction) -> User:
    """Judges, officers and bureau heads of the auction's court (returned, to be recorded)."""
    if (
        auction.is_practice
        or actor is None
        or not is_court_staff_of(actor, auction.court_id, roles=STAFF_ACTORS)
    ):
        raise PermissionDenied("forbidden", gettext("仅本院法官、执行员可执行此操作"))
    return actor


def _audit(auction: Auction, *, action: str, actor: Actor, subject: str = "", **kw: Any) -> None:
    audit_record(
        stream=f"case:{auction.case_id}",
        action=action,
        actor=actor,
        subject=subject or f"case:{auction.case_id}/auction:{auction.pk}",
        **kw,
    )


def _case_number(auction: Auction) -> str:
    """The case number the notices name (an in-lieu taking is always a case's)."""
    return auction.case.number if auction.case is not None else ""


def _locked_unsold(auction_id: int) -> Auction:
    return locks.auction_for_update(auction_id)


def _require_unsold(auction: Auction) -> None:
    """Only a 流拍 auction may be taken in lieu (the state machine's ``Auction.take_in_lieu``)."""
    if not can_proceed(auction.take_in_lieu):
        raise Conflict("not_unsold", gettext("只有流拍的拍卖可以申请以物抵债"), rule="AUC-36")


# ---- applications --------------------------------------------------------------------------


@transaction.atomic
def in_lieu_apply(
    *, auction_id: int, party_id: int, actor: Actor, note: str = ""
) -> InLieuApplication:
    """Record a creditor's application to take the unsold lot in lieu of debt (AUC-36)."""
    from cases.models import Party

    auction = _locked_unsold(auction_id)
    actor = _require_staff(actor, auction)
    _require_unsold(auction)
    party = (
        Party.objects.filter(pk=party_id, case_id=auction.case_id, role=Party.Role.CREDITOR).first()
        if auction.case_id is not None
        else None
    )
    if party is None:
        raise DomainError(
            "not_a_creditor", gettext("以物抵债须为本案申请执行人或其他债权人"), rule="AUC-36"
        )
    if InLieuDraw.objects.filter(auction=auction).exists():
        raise Conflict(
            "in_lieu_draw_frozen",
            gettext("摇号名单已冻结公布，不再接受以物抵债申请"),
            rule="APR-03",
        )
    if InLieuApplication.objects.filter(auction=auction, party=party).exists():
        raise Conflict("already_applied", gettext("该债权人已申请以物抵债"), rule="AUC-36")
    application = InLieuApplication.objects.create(
        auction=auction,
        party=party,
        priority=party.priority,
        note=(note or "").strip(),
        applied_at=clock.now(),
        recorded_by=actor,
    )
    _audit(
        auction,
        action="in_lieu.applied",
        actor=actor,
        after={"party": party.ref, "priority": party.priority, "note": application.note},
        reason=application.note,
        rules=["AUC-36"],
    )
    return application


def in_lieu_applications(auction: Auction) -> list[InLieuApplication]:
    return list(
        InLieuApplication.objects.filter(auction=auction)
        .select_related("party")
        .order_by("applied_at", "pk")
    )


def in_lieu_first_rank(auction: Auction) -> list[InLieuApplication]:
    """The pending applications sharing the earliest statutory priority (AUC-36)."""
    pending = [
        a for a in in_lieu_applications(auction) if a.status == InLieuApplication.Status.PENDING
    ]
    if not pending:
        return []
    best = min(_rank(a.priority) for a in pending)
    return [a for a in pending if _rank(a.priority) == best]


def in_lieu_chosen(auction: Auction) -> tuple[int | None, str]:
    """Who takes the lot, and why: ``(party_id, "priority" | "lot_draw")``; ``(None, why)`` when
    it is not settled yet (``"no_applications"``, ``"lot_draw_required"``)."""
    first = in_lieu_first_rank(auction)
    if not first:
        return None, "no_applications"
    if len(first) == 1:
        return first[0].party_id, "priority"
    draw = InLieuDraw.objects.filter(auction=auction, status=InLieuDraw.Status.DONE).first()
    if draw is not None and sorted(e["id"] for e in draw.frozen_list) == sorted(
        a.party_id for a in first
    ):
        return draw.winner_id, "lot_draw"
    return None, "lot_draw_required"


def has_applications(auction: Auction) -> bool:
    return InLieuApplication.objects.filter(auction=auction).exists()


def check_in_lieu_party(auction: Auction, party_id: int) -> None:
    """``services.auction_take_in_lieu``'s guard once creditors have applied: only the creditor
    the priority order (or the lot draw among equals) chose may take the lot (AUC-36, APR-03)."""
    chosen, why = in_lieu_chosen(auction)
    if chosen is None and why == "lot_draw_required":
        raise DomainError(
            "lot_draw_required",
            gettext("数个申请以物抵债的债权人受偿顺位相同，须先摇号决定"),
            rule="AUC-36",
        )
    if chosen != party_id:
        raise DomainError(
            "not_chosen",
            gettext("该债权人不是按受偿顺位（或摇号）确定的抵债债权人"),
            rule="AUC-36",
        )


@transaction.atomic
def in_lieu_decide(
    *,
    auction_id: int,
    actor: Actor,
    reason: str,
    excess_days: int | None = None,
    eligibility_proof: str = "",
) -> InLieuTaking:
    """The court's decision on the applications: the earliest priority takes the lot; among
    equals, the lot draw's winner (AUC-36, APR-03). The taking itself is the existing
    ``auction_take_in_lieu`` (price, claim, the excess in a court-set period)."""
    from bidding.services import auction_take_in_lieu

    auction = _locked_unsold(auction_id)
    actor = _require_staff(actor, auction)
    _require_unsold(auction)
    if not (reason or "").strip():
        raise DomainError("reason_required", gettext("须写明以物抵债的理由"), rule="AUC-36")
    chosen, why = in_lieu_chosen(auction)
    if chosen is None:
        if why == "no_applications":
            raise DomainError(
                "no_in_lieu_applications", gettext("尚无债权人申请以物抵债"), rule="AUC-36"
            )
        raise DomainError(
            "lot_draw_required",
            gettext("数个申请以物抵债的债权人受偿顺位相同，须先摇号决定"),
            rule="AUC-36",
        )
    taking = auction_take_in_lieu(
        auction_id=auction.pk,
        actor=actor,
        party_id=chosen,
        reason=reason.strip(),
        excess_days=excess_days,
        eligibility_proof=eligibility_proof,
    )
    for application in InLieuApplication.objects.select_for_update().filter(auction=auction):
        application.status = (
            InLieuApplication.Status.GRANTED
            if application.party_id == chosen
            else InLieuApplication.Status.NOT_CHOSEN
        )
        application.save(update_fields=["status"])
    _audit(
        auction,
        action="in_lieu.decided",
        actor=actor,
        after={
            "party": f"party:{chosen}",
            "basis": why,
            "applicants": [
                [f"party:{a.party_id}", a.priority] for a in in_lieu_applications(auction)
            ],
        },
        reason=reason.strip(),
        rules=RULES if why == "lot_draw" else ["AUC-36"],
    )
    return taking


# ---- the lot draw (APR-03) -------------------------------------------------------------------


def _frozen_entry(application: InLieuApplication) -> dict[str, Any]:
    return {
        "id": int(application.party_id),
        "name": application.party.name,
        "priority": application.priority,
    }


def _normalise(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return algo.normalise_list(entries, algo.IN_LIEU_DRAW)


def list_hash(entries: Iterable[Mapping[str, Any]]) -> str:
    """sha256 of the canonical JSON of the frozen list (sorted by party id)."""
    return algo.list_hash(entries, algo.IN_LIEU_DRAW)


def draw_context(auction_id: int) -> str:
    """Mixed into the seed (as the algorithm's public value) so no two draws share a seed."""
    return f"bidding.in_lieu/auction:{int(auction_id)}"


def draw_link(draw_id: int) -> str:
    return reverse("bidding:in_lieu_draw", args=[draw_id])


def _notify_applicants(
    draw: InLieuDraw, *, topic: str, subject: Message, body: Message, key: str
) -> None:
    from cases.models import Party
    from core.notifications import notify

    ids = [e["id"] for e in draw.frozen_list]
    for party in Party.objects.filter(pk__in=ids).exclude(user=None).select_related("user"):
        notify(
            user=party.user,
            topic=topic,
            subject=subject,
            body=body,
            key=f"{key}:p{party.pk}",
            link=draw_link(draw.pk),
            court=draw.auction.court,
        )


@transaction.atomic
def in_lieu_draw_freeze(
    *, auction_id: int, actor: Actor, scheduled_at: dt.datetime, commit_deadline: dt.datetime
) -> InLieuDraw:
    """Freeze and publish the list of equal-rank applicants and fix the draw time (APR-03)."""
    from core.rulesettings import get_setting

    auction = _locked_unsold(auction_id)
    actor = _require_staff(actor, auction)
    _require_unsold(auction)
    if InLieuDraw.objects.filter(auction=auction).exists():
        raise Conflict("draw_exists", gettext("本次以物抵债已有摇号"), rule="APR-03")
    first = in_lieu_first_rank(auction)
    if len(first) < 2:
        raise DomainError(
            "draw_not_needed",
            gettext("只有受偿顺位相同的数个申请人才需摇号；顺位在先者直接抵债"),
            rule="AUC-36",
        )
    now = clock.now()
    if not (now < commit_deadline <= scheduled_at):
        raise DomainError(
            "invalid_draw_times",
            gettext("承诺截止时间须晚于现在，且不晚于摇号时间"),
            rule="APR-03",
        )
    frozen = _normalise(_frozen_entry(a) for a in first)
    draw = InLieuDraw.objects.create(
        auction=auction,
        frozen_list=frozen,
        list_hash=list_hash(frozen),
        context=draw_context(auction.pk),
        scheduled_at=scheduled_at,
        commit_deadline=commit_deadline,
        algorithm_version=algo.ALGORITHM_VERSION,
        created_by=actor,
        created_at=now,
    )
    _audit(
        auction,
        action="in_lieu.draw_frozen",
        actor=actor,
        subject=draw.subject,
        after={
            "draw": draw.pk,
            "frozen_list": frozen,
            "list_hash": draw.list_hash,
            "context": draw.context,
            "scheduled_at": scheduled_at,
            "commit_deadline": commit_deadline,
            "algorithm_version": draw.algorithm_version,
        },
        rules=[*RULES, "REC-07"],
    )
    if get_setting("notify_parties_before_draw", court=auction.court_id):
        _notify_applicants(
            draw,
            topic="bidding.in_lieu_draw",
            subject=gettext_lazy("以物抵债摇号通知"),
            body=message_text(
                gettext_lazy(
                    "%(case)s：数个受偿顺位相同的债权人申请以物抵债，将于 %(when)s 摇号决定。"
                    "如需参与生成随机数，请于 %(until)s 前提交承诺值。"
                ),
                case=_case_number(auction),
                when=scheduled_at,
                until=commit_deadline,
            ),
            key=f"in_lieu_draw:{draw.pk}:notice",
        )
    return draw


def _lock_draw(draw_id: int) -> InLieuDraw:
    draw = (
        InLieuDraw.objects.select_for_update(of=("self",))
        .select_related("auction")
        .filter(pk=draw_id)
        .first()
    )
    if draw is None:
        raise NotFound("draw_not_found", gettext("摇号不存在"))
    return draw


def draw_participants(draw: InLieuDraw, user: Actor | AnonymousUser) -> list[tuple[str, str]]:
    """The participant refs ``user`` may commit or reveal for: the court and/or its parties."""
    from cases.models import Party

    out: list[tuple[str, str]] = []
    if user is None or not user.is_authenticated:
        return out
    if is_court_staff_of(user, draw.auction.court_id, roles=DRAW_STAFF):
        out.append(("court", gettext("法院")))
    ids = [e["id"] for e in draw.frozen_list]
    for party in Party.objects.filter(pk__in=ids, user=user).order_by("pk"):
        out.append((party.ref, party.name))
    return out


def _participant(draw: InLieuDraw, ref: str, actor: Actor) -> tuple[User, str]:
    """Who submits for ``ref`` (the court's staff or the party's own user) and its label."""
    labels = dict(draw_participants(draw, actor))
    if actor is None or ref not in labels:
        raise PermissionDenied(
            "not_this_participant", gettext("您不能以该参与方身份提交"), rule="APR-03"
        )
    return actor, "法院" if ref == "court" else labels[ref]


@transaction.atomic
def in_lieu_draw_commit(
    *, draw_id: int, participant_ref: str, commitment: str, actor: Actor
) -> InLieuDrawCommitment:
    """Publish sha256(secret) before the deadline; the secret itself stays with its owner."""
    draw = _lock_draw(draw_id)
    if draw.status != InLieuDraw.Status.FROZEN:
        raise DomainError("commit_closed", gettext("本次摇号不再接受承诺值"), rule="APR-03")
    if clock.now() >= draw.commit_deadline:
        raise DomainError("commit_deadline_passed", gettext("承诺截止时间已过"), rule="APR-03")
    actor, label = _participant(draw, participant_ref, actor)
    commitment = (commitment or "").strip().lower()
    if not algo.is_commitment(commitment):
        raise DomainError(
            "invalid_commitment", gettext("承诺值应为64位十六进制的 SHA-256 值"), rule="APR-03"
        )
    if InLieuDrawCommitment.objects.filter(draw=draw, participant_ref=participant_ref).exists():
        raise DomainError("already_committed", gettext("已提交承诺值，不能更改"), rule="APR-03")
    c = InLieuDrawCommitment.objects.create(
        draw=draw,
        participant_ref=participant_ref,
        participant_label=label,
        commitment=commitment,
        committed_at=clock.now(),
        committed_by=actor,
    )
    _audit(
        draw.auction,
        action="in_lieu.draw_committed",
        actor=actor,
        subject=draw.subject,
        after={"draw": draw.pk, "participant": participant_ref, "commitment": commitment},
        rules=RULES,
    )
    return c


@transaction.atomic
def in_lieu_draw_reveal(
    *, draw_id: int, participant_ref: str, secret: str, actor: Actor
) -> InLieuDrawCommitment:
    """After the deadline: the secret, which must hash to the commitment."""
    draw = _lock_draw(draw_id)
    if draw.status != InLieuDraw.Status.FROZEN:
        raise DomainError("reveal_closed", gettext("本次摇号不再接受揭示值"), rule="APR-03")
    if clock.now() < draw.commit_deadline:
        raise DomainError("reveal_too_early", gettext("承诺截止后方可揭示"), rule="APR-03")
    _participant(draw, participant_ref, actor)
    c = (
        InLieuDrawCommitment.objects.select_for_update()
        .filter(draw=draw, participant_ref=participant_ref)
        .first()
    )
    if c is None:
        raise DomainError("no_commitment", gettext("未在截止前提交承诺值，不能揭示"), rule="APR-03")
    if c.revealed_at:
        raise DomainError("already_revealed", gettext("已揭示"), rule="APR-03")
    secret = (secret or "").strip()
    if not algo.is_secret(secret):
        raise DomainError(
            "invalid_secret",
            gettext("随机串长度应为 %(min)s–%(max)s 个字符")
            % {"min": algo.SECRET_MIN_LENGTH, "max": algo.SECRET_MAX_LENGTH},
            rule="APR-03",
        )
    if algo.commitment_of(secret) != c.commitment:
        raise DomainError(
            "reveal_mismatch", gettext("揭示值与承诺值不符（SHA-256 不一致）"), rule="APR-03"
        )
    c.secret, c.revealed_at = secret, clock.now()
    c.save(update_fields=["secret", "revealed_at"])
    _audit(
        draw.auction,
        action="in_lieu.draw_revealed",
        actor=actor,
        subject=draw.subject,
        after={"draw": draw.pk, "participant": participant_ref, "matches_commitment": True},
        rules=RULES,
    )
    return c


@transaction.atomic
def in_lieu_draw_run(*, draw_id: int, actor: Actor) -> InLieuDraw:
    """At the announced time: seed = the algorithm's seed over the list, the valid reveals and
    the draw's context; the party ids ordered by HMAC score; the first takes the lot."""
    draw = _lock_draw(draw_id)
    auction = locks.auction_for_update(draw.auction_id)
    if not is_court_staff_of(actor, auction.court_id, roles=DRAW_STAFF):
        raise PermissionDenied("forbidden", gettext("仅本院法官、执行员可执行此操作"))
    if draw.status != InLieuDraw.Status.FROZEN:
        raise DomainError("draw_not_open", gettext("该摇号已完成"), rule="APR-03")
    _require_unsold(auction)
    now = clock.now()
    if now < draw.scheduled_at:
        raise DomainError("draw_too_early", gettext("未到通知的摇号时间"), rule="APR-03")
    commitments = list(draw.commitments.order_by("participant_ref"))
    court = next((c for c in commitments if c.participant_ref == "court"), None)
    if court is None or not court.revealed_at:
        raise DomainError(
            "court_reveal_required", gettext("法院须先提交并揭示随机串"), rule="APR-03"
        )
    outcome = algo.draw(
        draw_id=draw.pk,
        list_hash_hex=draw.list_hash,
        commitments=[
            {"participant_ref": c.participant_ref, "commitment": c.commitment, "secret": c.secret}
            for c in commitments
        ],
        public_value=draw.context,
        ids=[e["id"] for e in draw.frozen_list],
        kind=algo.IN_LIEU_DRAW,
    )
    reveals, seed, order = outcome.reveals, outcome.seed, outcome.result
    draw.seed, draw.result, draw.winner_id = seed, order, order[0]
    draw.drawn_at, draw.operator, draw.status = now, actor, InLieuDraw.Status.DONE
    draw.save(update_fields=["seed", "result", "winner", "drawn_at", "operator", "status"])
    _audit(
        auction,
        action="in_lieu.draw_done",
        actor=actor,
        subject=draw.subject,
        after={
            "draw": draw.pk,
            "list_hash": draw.list_hash,
            "context": draw.context,
            "reveals": reveals,
            "unrevealed": [c.participant_ref for c in commitments if not c.revealed_at],
            "seed": seed,
            "algorithm_version": draw.algorithm_version,
            "result": order,
            "drawn_at": now,
        },
        rules=[*RULES, "REC-07"],
    )
    names = {e["id"]: e["name"] for e in draw.frozen_list}
    _notify_applicants(
        draw,
        topic="bidding.in_lieu_draw",
        subject=gettext_lazy("以物抵债摇号结果"),
        body=message_text(
            gettext_lazy("%(case)s：以物抵债摇号已完成，由 %(name)s 抵债。可在线核验摇号过程。"),
            case=_case_number(auction),
            name=names[order[0]],
        ),
        key=f"in_lieu_draw:{draw.pk}:result",
    )
    return draw


# ---- the record and its verification (REC-07) ----------------------------------------------


def in_lieu_draw_record(draw: InLieuDraw, *, include_secrets: bool = True) -> dict[str, Any]:
    """Everything needed to re-run the draw (``in_lieu_draw_recompute``). Secrets are shown
    only once the draw is done (before that a revealed secret could help a latecomer)."""
    show = include_secrets and draw.status == InLieuDraw.Status.DONE
    return {
        "kind": "bidding.in_lieu_draw",
        "draw_id": draw.pk,
        "auction_id": draw.auction_id,
        "status": draw.status,
        "algorithm_version": draw.algorithm_version,
        "frozen_list": _normalise(draw.frozen_list),
        "list_hash": draw.list_hash,
        "context": draw.context,
        "scheduled_at": draw.scheduled_at.isoformat(),
        "commit_deadline": draw.commit_deadline.isoformat(),
        "commitments": [
            {
                "participant_ref": c.participant_ref,
                "participant_label": c.participant_label,
                "commitment": c.commitment,
                "secret": c.secret if show else "",
                "revealed": bool(c.revealed_at),
            }
            for c in draw.commitments.order_by("participant_ref")
        ],
        "seed": draw.seed,
        "result": list(draw.result or []),
        "drawn_at": draw.drawn_at.isoformat() if draw.drawn_at else None,
    }


def in_lieu_draw_recompute(record: Mapping[str, Any]) -> dict[str, Any]:
    """Re-run a draw from its record alone (``appraisers.draw_algorithm.check``, the one
    implementation of the draw); report every disagreement found, in the reader's language."""
    out = algo.check(record, algo.IN_LIEU_DRAW)
    messages = {
        "algorithm_version": gettext("算法版本不符"),
        "list_hash": gettext("冻结名单的哈希与记录不符"),
        "seed": gettext("由记录重新计算的种子与记录不符"),
        "result": gettext("由记录重新计算的顺序与公布结果不符"),
    }
    problems = [
        gettext("%(who)s 的揭示值与其承诺不符") % {"who": p.label}
        if p.code == "reveal_mismatch"
        else messages[p.code]
        for p in out.problems
    ]
    return {
        "ok": not problems,
        "problems": problems,
        "seed": out.seed,
        "order": out.result,
        "list_hash": out.list_hash,
    }


def in_lieu_draw_verify(draw: InLieuDraw) -> dict[str, Any]:
    """Recompute from the record and compare with what the audit trail recorded at each step."""
    record = in_lieu_draw_record(draw)
    if draw.status != InLieuDraw.Status.DONE:
        return {"ok": False, "problems": [gettext("摇号尚未完成")], "order": [], "record": record}
    out = in_lieu_draw_recompute(record)
    problems = list(out["problems"])
    stream = f"case:{draw.auction.case_id}"
    entries = {
        e.action: e
        for e in AuditEntry.objects.filter(
            stream=stream,
            subject=draw.subject,
            action__in=["in_lieu.draw_frozen", "in_lieu.draw_done"],
        )
    }
    frozen, done = entries.get("in_lieu.draw_frozen"), entries.get("in_lieu.draw_done")
    if frozen is None or done is None:
        problems.append(gettext("审计记录中缺少本次摇号的冻结或结果记录"))
    else:
        frozen_after, done_after = frozen.after or {}, done.after or {}
        if (
            frozen_after.get("list_hash") != out["list_hash"]
            or _normalise(frozen_after.get("frozen_list") or []) != record["frozen_list"]
        ):
            problems.append(gettext("冻结名单与审计记录不符"))
        if done_after.get("seed") != record["seed"] or done_after.get("result") != record["result"]:
            problems.append(gettext("种子或结果与审计记录不符"))
        if done_after.get("reveals") != algo.valid_reveals(record["commitments"]):
            problems.append(gettext("揭示值与审计记录不符"))
    audited = {
        (e.after or {}).get("participant"): (e.after or {}).get("commitment")
        for e in AuditEntry.objects.filter(
            stream=stream, subject=draw.subject, action="in_lieu.draw_committed"
        )
    }
    if audited != {c["participant_ref"]: c["commitment"] for c in record["commitments"]}:
        problems.append(gettext("承诺值与审计记录不符"))
    broken = audit_verify([stream])
    if broken:
        problems.append(gettext("案件审计链在第 %(seq)s 条断裂") % {"seq": broken[0].seq})
    return {"ok": not problems, "problems": problems, "order": out["order"], "record": record}
