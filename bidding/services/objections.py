"""REC-12 for auctions: a third party's objection to the lot (案外人异议, CPL 238) or a party's
objection to the auction as an enforcement act (执行异议, CPL 236). The court reviews a written
objection within 15 days of receipt; once its ruling is served, the losing side has 15 days to
sue (third party) or 10 days to apply for reconsideration (enforcement act). The deadlines live
in ``core.deadlines`` (``objection_review_open`` / ``objection_ruling_served``); this module
says when an auction's objection starts and ends them."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bidding import locks
from bidding.models import Auction
from bidding.services._common import _case_audit, _notice_subject, _require_staff
from core import clock
from core.deadlines import (
    ENFORCEMENT_ACT,
    THIRD_PARTY,
    deadline_title,
    objection_review_open,
    objection_ruling_served,
    title_word,
)
from core.errors import Conflict, DomainError
from core.models import Deadline
from core.types import Actor

_SUFFIX = {THIRD_PARTY: "third-party-objection", ENFORCEMENT_ACT: "enforcement-objection"}
_WHAT = {
    THIRD_PARTY: gettext_noop("案外人对拍卖标的物的异议"),
    ENFORCEMENT_ACT: gettext_noop("对拍卖行为的执行异议"),
}


def objection_subject(auction: Auction, track: str) -> str:
    return f"{_notice_subject(auction)}/{_SUFFIX[track]}"


def _review_open(auction: Auction, track: str) -> Deadline | None:
    return Deadline.objects.filter(
        subject=objection_subject(auction, track), rule_id="REC-12", status=Deadline.Status.OPEN
    ).first()


def auction_objection_received(
    *,
    auction: Auction,
    track: str,
    objector: str,
    actor: Actor,
    filed_at: dt.datetime | None = None,
) -> Deadline | None:
    """REC-12: the court received the written objection → 15 days to review it. Called by the
    court action that suspends or halts the auction on that ground; one review at a time."""
    if auction.is_practice or _review_open(auction, track) is not None:
        return None
    return objection_review_open(
        track=track,
        subject=objection_subject(auction, track),
        what=deadline_title(
            gettext_noop("%(what)s：%(objector)s"), what=title_word(_WHAT[track]), objector=objector
        )
        if objector
        else title_word(_WHAT[track]),
        filed_at=filed_at or clock.now(),
        court=auction.court_id,
        owner=actor if getattr(actor, "pk", None) else None,
        actor=actor,
    )


def auction_objections_pending(auction: Auction) -> list[str]:
    """REC-12: the tracks whose objection the court is still reviewing (for the court page)."""
    return [t for t in _SUFFIX if _review_open(auction, t) is not None]


@transaction.atomic
def auction_objection_rule(
    *,
    auction_id: int,
    actor: Actor,
    track: str,
    upheld: bool,
    ruling: str,
    served_at: dt.datetime | None = None,
) -> Deadline:
    """REC-12: record the ruling on an auction's objection and its service. The review closes
    and the window of the side that lost opens: the third party's suit (15 days) or, if the
    objection is upheld, the creditor's; for an enforcement-act objection, reconsideration
    (10 days). What then happens to the auction (resume, withdraw) is the court's next action
    (AUC-40, AUC-42)."""
    if track not in _SUFFIX:
        raise DomainError("invalid_objection_track", _("异议类型无效"), rule="REC-12")
    if not (ruling or "").strip():
        raise DomainError("ruling_required", _("须写明异议审查结果"), rule="REC-12")
    auction = locks.auction_for_update(auction_id)
    person = _require_staff(actor, auction)
    if _review_open(auction, track) is None:
        raise Conflict("no_objection_pending", _("该拍卖没有待审查的异议"), rule="REC-12")
    now = clock.now()
    served = served_at or now
    if served > now:
        raise DomainError("served_in_future", _("送达时间不能晚于现在"), rule="REC-12")
    window = objection_ruling_served(
        track=track,
        subject=objection_subject(auction, track),
        what=deadline_title(
            gettext_noop("%(what)s（%(outcome)s）"),
            what=title_word(_WHAT[track]),
            outcome=title_word(gettext_noop("异议成立") if upheld else gettext_noop("驳回异议")),
        ),
        served_at=served,
        court=auction.court_id,
        owner=person,
        actor=person,
    )
    _case_audit(
        auction,
        action="auction.objection_ruled",
        actor=person,
        after={
            "track": track,
            "upheld": bool(upheld),
            "served_at": served.isoformat(),
            "window_due_at": window.due_at.isoformat(),
        },
        reason=ruling.strip(),
        rules=["REC-12"],
    )
    return window
