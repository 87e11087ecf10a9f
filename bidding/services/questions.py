"""拍品咨询: questions about a lot, answered by its court and then public (issue 17).

- ``question_ask``: a signed-in visitor (never court staff) asks about the lot of a public,
  not yet ended court auction. Length 5–500 characters; at most ``PENDING_PER_LOT`` unanswered
  questions per person and lot, and ``DAILY_PER_PERSON`` questions per person in 24 hours
  (the views and the API add a per-request rate limit through ``core.ratelimit``, REC-14).
- ``question_answer`` / ``question_reject``: a judge, officer or bureau head of the lot's
  court answers (1–2,000 characters) or rejects it (off-topic, abusive, duplicate, personal
  data; with an optional note). Both are audited in the case's stream and the asker is told
  through core's notification outbox (REC-11).

Anonymity (REC-05): the public sees the asker only as 竞买人 + ``asker_alias``, a short code
derived from the person and the lot with the server's secret: the same person keeps one code
on one lot and gets an unrelated one on another; it is never the bidder code and never a
name. The audit entries and notices name no asker either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding.models import Auction, AuctionState, LotQuestion
from bidding.services._common import STAFF_ACTORS, _auction_link, _titled_text
from core import clock
from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.models import STAFF_ROLES, User
from core.notifications import Message
from core.notifications import text as message_text
from core.permissions import is_court_staff_of
from core.types import Actor
from core.validation import text_problem

QUESTION_MIN, QUESTION_MAX = 5, 500
ANSWER_MIN, ANSWER_MAX = 2, 2000
NOTE_MAX = 200
PENDING_PER_LOT = 3
DAILY_PER_PERSON = 10
DAY = dt.timedelta(hours=24)
#: While people may still ask: announced (and paused) rounds and live bidding.
ASKING_STATES = frozenset(
    {
        AuctionState.SCHEDULED,
        AuctionState.BIDDING,
        AuctionState.EXTENDED,
        AuctionState.SUSPENDED,
        AuctionState.HALTED,
    }
)
_ALIAS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def asker_alias(*, user_id: int, lot_id: int) -> str:
    """竞买人's anonymous code on this lot: 4 characters, stable per (person, lot) (REC-05)."""
    digest = salted_hmac("gavel.bidding.question-alias", f"{lot_id}:{user_id}").digest()
    return "".join(_ALIAS_ALPHABET[b % len(_ALIAS_ALPHABET)] for b in digest[:4])


def _clean_text(text: Any, *, field: str, low: int, high: int, label: str) -> str:
    value = str(text or "").replace("\r\n", "\n").strip()
    if text_problem(value):  # a NUL or a lone surrogate: PostgreSQL could not store it
        raise DomainError(
            "invalid_text", _("%(label)s含有无效字符") % {"label": label}, field=field
        )
    if len(value) < low:
        raise DomainError(
            f"{field}_too_short",
            _("%(label)s至少 %(n)s 个字") % {"label": label, "n": low},
            field=field,
        )
    if len(value) > high:
        raise DomainError(
            f"{field}_too_long",
            _("%(label)s最多 %(n)s 个字（现有 %(len)s 个字）")
            % {"label": label, "n": high, "len": len(value)},
            field=field,
        )
    return value


def _audit(
    question: LotQuestion, auction: Auction, *, action: str, actor: Actor, **kw: Any
) -> None:
    """Into the case's stream (the auction's own stream is written under its row lock only)."""
    audit_record(
        stream=f"case:{auction.case_id}",
        action=action,
        actor=actor,
        subject=question.ref,
        **kw,
    )


def question_ask(*, auction_id: int, user: User | AnonymousUser | None, text: str) -> LotQuestion:
    """A signed-in visitor asks the court about the lot of this auction (REC-05, REC-14)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("login_required", _("请先登录后再提问"), status=401)
    if user.role in STAFF_ROLES:
        raise PermissionDenied("staff_cannot_ask", _("法院工作人员不能提交拍品咨询"))
    body = _clean_text(
        text, field="question", low=QUESTION_MIN, high=QUESTION_MAX, label=_("咨询内容")
    )
    with transaction.atomic():
        auction = (
            Auction.objects.select_related("case")
            .exclude(state=AuctionState.DRAFT)
            .filter(pk=auction_id, is_practice=False)
            .first()
        )
        if auction is None or auction.lot_id is None or auction.court_id is None:
            raise NotFound("auction_not_found", _("拍卖不存在"))
        if auction.state not in ASKING_STATES:
            raise Conflict("questions_closed", _("本场拍卖已结束，不再接受咨询"))
        # Serialise one person's asks, so two quick posts cannot both pass the counts.
        User.objects.select_for_update().filter(pk=user.pk).first()
        now = clock.now()
        pending = LotQuestion.objects.filter(
            asker=user, lot_id=auction.lot_id, status=LotQuestion.Status.PENDING
        ).count()
        if pending >= PENDING_PER_LOT:
            raise DomainError(
                "too_many_pending",
                _("您对该拍品还有 %(n)s 个咨询未答复，请等法院答复后再提问") % {"n": pending},
                "REC-14",
                status=429,
            )
        recent = LotQuestion.objects.filter(asker=user, asked_at__gt=now - DAY).count()
        if recent >= DAILY_PER_PERSON:
            raise DomainError(
                "too_many_questions",
                _("24 小时内最多提交 %(n)s 个咨询，请稍后再试") % {"n": DAILY_PER_PERSON},
                "REC-14",
                status=429,
            )
        question = LotQuestion.objects.create(
            lot_id=auction.lot_id,
            auction=auction,
            court_id=auction.court_id,
            asker=user,
            asker_alias=asker_alias(user_id=user.pk, lot_id=auction.lot_id),
            text=body,
            asked_at=now,
        )
        # The entry names the alias, not the person (REC-05); the row keeps who asked.
        _audit(
            question,
            auction,
            action="question.asked",
            actor=None,
            after={"alias": question.asker_alias, "length": len(body)},
            rules=("REC-05",),
        )
    return question


def _question_for_staff(question_id: int, actor: Actor | AnonymousUser) -> tuple[LotQuestion, User]:
    question = LotQuestion.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise NotFound("question_not_found", _("咨询不存在"))
    if (
        actor is None
        or not actor.is_authenticated
        or not is_court_staff_of(actor, question.court_id, roles=STAFF_ACTORS)
    ):
        raise PermissionDenied("forbidden", _("仅本院法官、执行员可答复拍品咨询"), "REC-14")
    if question.status != LotQuestion.Status.PENDING:
        raise Conflict(
            "question_decided",
            _("该咨询已处理（%(status)s）") % {"status": question.get_status_display()},
        )
    return question, actor


def _tell_asker(
    question: LotQuestion, auction: Auction, *, subject: Message, body: Message, what: str
) -> None:
    from core.notifications import notify

    notify(
        user=question.asker,
        topic="bidding.question",
        subject=subject,
        body=body,
        key=f"bidding.question:{question.pk}:{what}",
        link=_auction_link(auction) + "#questions",
        court=auction.court_id,
    )


def question_answer(*, question_id: int, actor: Actor | AnonymousUser, answer: str) -> LotQuestion:
    """The court answers: the question and the answer become public (the asker anonymous)."""
    with transaction.atomic():
        question, staff = _question_for_staff(question_id, actor)  # who may, before what
        text = _clean_text(
            answer, field="answer", low=ANSWER_MIN, high=ANSWER_MAX, label=_("答复内容")
        )
        auction = Auction.objects.select_related("case").get(pk=question.auction_id)
        question.status = LotQuestion.Status.ANSWERED
        question.answer = text
        question.decided_by = staff
        question.decided_at = clock.now()
        question.save(update_fields=["status", "answer", "decided_by", "decided_at"])
        _audit(
            question,
            auction,
            action="question.answered",
            actor=staff,
            before={"status": "pending"},
            after={"status": "answered", "answer": text},
        )
        _tell_asker(
            question,
            auction,
            what="answered",
            subject=message_text(
                gettext_lazy("您的拍品咨询已答复：%(title)s"), title=_titled_text(auction)
            ),
            body=message_text(
                gettext_lazy("法院已答复您关于“%(title)s”的咨询。\n\n问：%(q)s\n答：%(a)s"),
                title=_titled_text(auction),
                q=question.text,
                a=text,
            ),
        )
    return question


def question_reject(
    *, question_id: int, actor: Actor | AnonymousUser, reason: str, note: str = ""
) -> LotQuestion:
    """The court declines to publish it (moderation): a reason from the list, an optional note."""
    with transaction.atomic():
        question, staff = _question_for_staff(question_id, actor)  # who may, before what
        _check_reject(reason, note)
        return _reject(question, staff, reason=reason, note=str(note or "").strip())


def _check_reject(reason: str, note: str) -> None:
    if reason not in LotQuestion.RejectReason.values:
        options = "、".join(str(label) for label in LotQuestion.RejectReason.labels)
        raise DomainError(
            "invalid_reason",
            _("请选择不予公开的理由（%(options)s）") % {"options": options},
            field="reason",
        )
    note = str(note or "").strip()
    if text_problem(note):
        raise DomainError(
            "invalid_text", _("%(label)s含有无效字符") % {"label": _("说明")}, field="note"
        )
    if len(note) > NOTE_MAX:
        raise DomainError(
            "note_too_long",
            _("%(label)s最多 %(n)s 个字（现有 %(len)s 个字）")
            % {"label": _("说明"), "n": NOTE_MAX, "len": len(note)},
            field="note",
        )


def _reject(question: LotQuestion, staff: User, *, reason: str, note: str) -> LotQuestion:
    """Record the decline (in the caller's transaction), audit it, tell the asker."""
    auction = Auction.objects.select_related("case").get(pk=question.auction_id)
    question.status = LotQuestion.Status.REJECTED
    question.reject_reason = reason
    question.reject_note = note
    question.decided_by = staff
    question.decided_at = clock.now()
    question.save(
        update_fields=["status", "reject_reason", "reject_note", "decided_by", "decided_at"]
    )
    _audit(
        question,
        auction,
        action="question.rejected",
        actor=staff,
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason},
        reason=note or str(question.get_reject_reason_display()),
    )
    _tell_asker(
        question,
        auction,
        what="rejected",
        subject=message_text(
            gettext_lazy("您的拍品咨询未予公开：%(title)s"), title=_titled_text(auction)
        ),
        body=message_text(
            gettext_lazy(
                "法院未公开您关于“%(title)s”的咨询，理由：%(reason)s。%(note)s\n\n问：%(q)s"
            ),
            title=_titled_text(auction),
            reason=question.get_reject_reason_display,
            note=note,
            q=question.text,
        ),
    )
    return question
