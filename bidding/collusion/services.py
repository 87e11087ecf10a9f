"""Writes of collusion detection: assess an auction, record the court's decision, the worker.

Never on the bid path: the close only queues the auction (``on_auction_closed``, after the
close commits) and the worker task ``bidding.collusion`` assesses it; during bidding the same
task runs the cheap signals on auctions with new bids. Every flag and decision is audited on
the case stream (REC-08).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from bidding.collusion.models import CollusionCheck, CollusionFlag
from bidding.collusion.score import assess, thresholds_for
from bidding.collusion.selectors import auction_facts
from core import clock
from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.fsm import fire, require_allowed
from core.models import Role
from core.permissions import COURT_ACTORS, is_court_staff_of

if TYPE_CHECKING:
    from bidding.events import AuctionClosed
    from bidding.models import Auction
    from core.types import Actor

log = logging.getLogger("gavel.collusion")

REVIEW_RULE = "AUC-43"
Phase = CollusionCheck.Phase


def _stream(auction: Auction) -> str:
    return f"case:{auction.case_id}" if auction.case_id else auction.stream


def _open_review(flag: CollusionFlag, auction: Auction) -> None:
    """The workbench items: the case judge (or the court's judges) and the bureau head.

    The title names the auction and the score only: no code, no name (REC-05)."""
    from core.deadlines import deadline_open
    from core.rulesettings import get_setting

    days = int(get_setting("collusion_review_days", court=auction.court))
    title = _("串通风险预警：%(title)s（风险分 %(score)s）") % {
        "title": auction.title,
        "score": flag.score,
    }
    judge = auction.case.judge if auction.case_id and auction.case else None
    common: dict[str, Any] = {
        "rule_id": REVIEW_RULE,
        "title": title,
        "subject": flag.subject,
        "start_event": "collusion.flag_raised",
        "started_at": flag.raised_at,
        "period": days,
        "court": auction.court,
    }
    if judge is not None:
        deadline_open(owner=judge, **common)
    else:
        deadline_open(owner_role=Role.JUDGE, **common)
    deadline_open(owner_role=Role.BUREAU_HEAD, **common)


@transaction.atomic
def collusion_assess(*, auction_id: int, live: bool = False) -> CollusionFlag | None:
    """Score one auction; raise (or update) its flag when the score reaches the threshold.

    ``live`` runs only the cheap signals (during bidding). A decided flag is never reopened:
    a later assessment updates the score and evidence of an open flag only."""
    from bidding.models import Auction

    auction = (
        Auction.objects.select_related("case", "court", "result").filter(pk=auction_id).first()
    )
    if auction is None or auction.is_practice or auction.court_id is None:
        return None
    if live and not auction.is_open:
        return None
    now = clock.now()
    th = thresholds_for(court=auction.court)
    score, evidence = assess(auction_facts(auction), th, live=live)
    phase = Phase.LIVE if live else Phase.FINAL
    check, _created = CollusionCheck.objects.select_for_update().get_or_create(
        auction=auction, defaults={"phase": phase}
    )
    if live and check.phase in (Phase.PENDING, Phase.FINAL):
        # The auction closed meanwhile: the close's full assessment is the worker's next job.
        return CollusionFlag.objects.filter(auction=auction).first()
    check.phase, check.score, check.checked_at = phase, score, now
    check.seen_seq = auction.last_seq
    check.save(update_fields=["phase", "score", "checked_at", "seen_seq"])
    signals = [e.as_json() for e in evidence]
    flag = CollusionFlag.objects.select_for_update().filter(auction=auction).first()
    if flag is None:
        if score < th.flag_score:
            return None
        flag = CollusionFlag.objects.create(
            auction=auction,
            court_id=auction.court_id,
            score=score,
            threshold=th.flag_score,
            signals=signals,
            phase=phase,
            raised_at=now,
            assessed_at=now,
        )
        audit_record(
            stream=_stream(auction),
            action="collusion.flag_raised",
            actor=None,
            subject=flag.subject,
            after={"score": score, "phase": phase, "signals": [e.signal for e in evidence]},
            rules=[REVIEW_RULE, "REC-05"],
        )
        _open_review(flag, auction)
        return flag
    if flag.state == CollusionFlag.State.OPEN and (flag.score, flag.signals) != (score, signals):
        before = {"score": flag.score, "phase": flag.phase}
        flag.score, flag.signals, flag.phase, flag.assessed_at = score, signals, phase, now
        flag.save(update_fields=["score", "signals", "phase", "assessed_at"])
        audit_record(
            stream=_stream(auction),
            action="collusion.flag_updated",
            actor=None,
            subject=flag.subject,
            before=before,
            after={"score": score, "phase": phase, "signals": [e.signal for e in evidence]},
            rules=[REVIEW_RULE],
        )
    return flag


DECISIONS = ("dismiss", "refer")


@transaction.atomic
def collusion_flag_decide(
    *, flag: CollusionFlag, decision: str, reason: str, actor: Actor
) -> CollusionFlag:
    """The court's decision: ``dismiss`` (no collusion, reason required) or ``refer`` (review
    or set-aside under AUC-43, which the court then decides through the auction's page)."""
    locked = (
        CollusionFlag.objects.select_for_update(of=("self",))
        .select_related("auction", "auction__case")
        .filter(pk=flag.pk)
        .first()
    )
    if locked is None:
        raise NotFound("collusion_flag_not_found", _("预警不存在"))
    if not is_court_staff_of(actor, locked.court_id, roles=COURT_ACTORS):
        raise PermissionDenied("forbidden", _("无权处理该预警"))
    if decision not in DECISIONS:
        raise DomainError("collusion_bad_decision", _("请选择排除或移送审查"), rule=REVIEW_RULE)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "collusion_reason_required", _("请填写决定理由（AUC-43）"), rule=REVIEW_RULE
        )
    move = locked.dismiss if decision == "dismiss" else locked.refer
    conflict = Conflict("collusion_already_decided", _("该预警已作出决定"))
    require_allowed(move, conflict)
    before = locked.state
    fire(move, conflict)
    locked.decided_by = actor
    locked.decided_at = clock.now()
    locked.decision_reason = reason
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        stream=_stream(locked.auction),
        action=f"collusion.flag_{locked.state}",
        actor=actor,
        subject=locked.subject,
        before={"state": before},
        after={"state": locked.state},
        reason=reason,
        rules=[REVIEW_RULE],
    )
    from core.deadlines import deadline_close

    deadline_close(subject=locked.subject, rule_id=REVIEW_RULE, actor=actor, reason=reason)
    return locked


def on_auction_closed(event: AuctionClosed) -> None:
    """After the close commits: only queue the auction; the worker assesses it. Once for all
    the closes of a clock's batch (issue 18, ``core.deferred``), at once otherwise."""
    from core.deferred import collect

    collect("collusion.pending", int(event.auction_id), _queue_pending)


def _queue_pending(auction_ids: list[int]) -> None:
    """One upsert marking these auctions ``pending`` (after commit: errors logged)."""
    try:
        CollusionCheck.objects.bulk_create(
            [CollusionCheck(auction_id=pk, phase=Phase.PENDING) for pk in auction_ids],
            update_conflicts=True,
            unique_fields=["auction"],
            update_fields=["phase"],
        )
    except Exception:
        log.exception("queueing the collusion checks of %s auctions failed", len(auction_ids))


def collusion_tick(*, limit: int = 20) -> dict[str, int]:
    """Worker task: assess closed auctions (all signals), then open auctions with new bids
    (cheap signals). Safe with several workers (``skip_locked``)."""
    from django.db.models import F

    from bidding.models import OPEN_STATES, Auction

    done = {"final": 0, "live": 0}
    with transaction.atomic():
        pending = list(
            CollusionCheck.objects.select_for_update(skip_locked=True)
            .filter(phase=Phase.PENDING)
            .values_list("auction_id", flat=True)[:limit]
        )
        for auction_id in pending:
            try:
                with transaction.atomic():
                    collusion_assess(auction_id=auction_id)
                done["final"] += 1
            except Exception:  # one auction's failure never stops the rest
                log.exception("collusion assessment of auction %s failed", auction_id)
                CollusionCheck.objects.filter(auction_id=auction_id).update(phase=Phase.FINAL)
    live = (
        Auction.objects.filter(state__in=OPEN_STATES, is_practice=False, last_seq__gt=0)
        .exclude(collusion_check__seen_seq__gte=F("last_seq"))
        .values_list("pk", flat=True)[:limit]
    )
    for auction_id in list(live):
        try:
            collusion_assess(auction_id=auction_id, live=True)
            done["live"] += 1
        except Exception:
            log.exception("live collusion check of auction %s failed", auction_id)
    return done
