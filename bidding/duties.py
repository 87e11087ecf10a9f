"""What waits in bidding (core.duties, issue 13): the engine's next-round, 变卖 and re-auction
drafts to check and publish (AUC-33/AUC-35), for the case's judge and the court's officers and
bureau head."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core.duties import DRAFT, Duty, register
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
