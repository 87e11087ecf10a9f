"""What waits in bidding (core.duties, issue 13): the engine's next-round, 变卖 and re-auction
drafts to check and publish (AUC-33/AUC-35), for the case's judge and the court's officers and
bureau head; the court's 拍品咨询 waiting for an answer (issue 17)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core.duties import DRAFT, TODO, Duty, register
from core.refs import describe_many


def _drafts(user: Any) -> list[Duty]:
    from bidding.selectors import followup_drafts_for

    drafts = list(followup_drafts_for(user)[:100])
    names = {ref: d.text for ref, d in describe_many(a.ref for a in drafts).items()}
    return [
        Duty(
            "followup_draft",
            DRAFT,
            str(d.get_link_display()),
            names.get(d.ref, d.title),
            reverse("bidding:court_auction", args=[d.pk]),
            since=d.created_at,
            rule="AUC-35" if d.link != "reauction" else "AUC-33",
            detail=d.case.number if d.case is not None else "",
        )
        for d in drafts
    ]


register("bidding.drafts", _drafts)

#: Who answers 拍品咨询 for the lot's court (issue 17).
QUESTION_ANSWERERS = {"judge", "officer", "bureau_head"}


def _questions(user: Any) -> list[Duty]:
    """拍品咨询 of the person's court still waiting for an answer, oldest first."""
    from django.template.defaultfilters import truncatechars
    from django.utils.translation import gettext as _

    from bidding.selectors import questions_pending_for_court

    if user.role not in QUESTION_ANSWERERS or user.court_id is None:
        return []
    pending = list(questions_pending_for_court(user.court_id)[:100])
    names = {ref: d.text for ref, d in describe_many(q.auction.ref for q in pending).items()}
    return [
        Duty(
            "lot_question",
            TODO,
            _("待答复的拍品咨询"),
            names.get(q.auction.ref, q.auction.title),
            reverse("bidding:court_auction", args=[q.auction_id]) + f"#question-{q.pk}",
            since=q.asked_at,
            detail=truncatechars(q.text, 40),
        )
        for q in pending
    ]


register("bidding.questions", _questions)
