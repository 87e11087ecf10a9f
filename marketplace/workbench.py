"""The staff workbench (工作台): one queue of a staff member's open duties across all apps.

Every app records its legal duties as ``core.models.Deadline`` rows (REC-13); the workbench
reads them, never writes. A deadline is the user's when it is owned by them, or when it has
no owner and is assigned to their role in their own court.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from core import clock
from core.duties import Duty
from core.models import STAFF_ROLES, Deadline, User

DUE_SOON = dt.timedelta(days=3)

# Urgency buckets, most urgent first (the order of the queue).
RED, YELLOW, SOON, LATER = 0, 1, 2, 3
URGENCY_LABELS = {
    RED: gettext_lazy("超期已升级"),
    YELLOW: gettext_lazy("已超期"),
    SOON: gettext_lazy("3日内到期"),
    LATER: gettext_lazy("未到期"),
}
URGENCY_CSS = {RED: "red", YELLOW: "yellow", SOON: "soon", LATER: "green"}


def awaiting_signature(user: User) -> list[str]:
    """Deadline subjects of the approvals that wait for this person's signature (issue 13:
    "every workbench shows every duty that waits for that person, approvals included"): a
    payout's FND-10 deadline is finance's, but while it waits for the bureau head (or the
    judge of its tier) it is theirs to sign too (FND-12)."""
    from settlement.selectors import payout_subjects_awaiting_signature

    return payout_subjects_awaiting_signature(user)


def deadlines_of(user: User, *, awaiting: list[str] | None = None) -> QuerySet[Deadline]:
    """The open deadlines that are this staff member's: their own, their role's in their court,
    and those of the approvals waiting for their signature."""
    if not user.is_authenticated or user.role not in STAFF_ROLES:
        return Deadline.objects.none()
    mine = Q(owner=user)
    role = Q(owner__isnull=True, owner_role=user.role, court_id=user.court_id)
    if awaiting is None:
        awaiting = awaiting_signature(user)
    signature = Q(court_id=user.court_id, rule_id="FND-10", subject__in=awaiting)
    return Deadline.objects.filter(status=Deadline.Status.OPEN).filter(mine | role | signature)


def urgency_of(d: Deadline, now: dt.datetime) -> int:
    """Red and yellow follow the sweep's flag; a green deadline already past due counts as yellow."""
    if d.flag == Deadline.Flag.RED:
        return RED
    if d.flag == Deadline.Flag.YELLOW or d.due_at < now:
        return YELLOW
    if d.due_at - now <= DUE_SOON:
        return SOON
    return LATER


# Pages a subject can lead to, most specific first: (the reference kinds it needs, URL names
# tried in order). A name that does not exist (an app not installed, a page renamed) is
# skipped, never an error; the first page found wins.
_SUBJECT_PAGES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("collusion_flag",), ("bidding:collusion_flag",)),
    (("auction",), ("bidding:court_auction_detail", "bidding:court_auction", "bidding:auction")),
    (("case", "asset"), ("cases:asset",)),
    (("case",), ("cases:case",)),
]


@lru_cache(maxsize=512)
def _reverse_first(names: tuple[str, ...], args: tuple[int, ...]) -> str | None:
    for name in names:
        try:
            return reverse(name, args=list(args))
        except NoReverseMatch:
            continue
    return None


def parse_subject(subject: str) -> list[tuple[str, str]]:
    parts = []
    for piece in (subject or "").split("/"):
        kind, sep, pk = piece.partition(":")
        if sep and kind and pk:
            parts.append((kind, pk))
    return parts


def subject_link(subject: str) -> str | None:
    """The most specific page for ``subject`` ("case:3/asset:9" → the asset page, else the case)."""
    refs = {kind: pk for kind, pk in parse_subject(subject) if pk.isdigit()}
    for kinds, names in _SUBJECT_PAGES:
        if all(k in refs for k in kinds):
            url = _reverse_first(names, tuple(int(refs[k]) for k in kinds))
            if url:
                return url
            if kinds == ("auction",):  # bidding's public auction page, by its agreed path
                return f"/bidding/auctions/{refs['auction']}/"
    return None


def subject_label(subject: str, cases: dict[int, str]) -> str:
    """ "case:3/asset:9" → "（2026）赣0102执12号 · asset:9" (the case number where known)."""
    out = []
    for kind, pk in parse_subject(subject):
        if kind == "case" and pk.isdigit() and int(pk) in cases:
            out.append(cases[int(pk)])
        else:
            out.append(f"{kind}:{pk}")
    return " · ".join(out) or subject


@dataclass(frozen=True)
class WorkItem:
    deadline: Deadline
    urgency: int
    link: str | None
    subject_label: str
    awaits_signature: bool = False

    @property
    def urgency_label(self) -> str:
        return str(URGENCY_LABELS[self.urgency])

    @property
    def css(self) -> str:
        return URGENCY_CSS[self.urgency]


def workbench_items(
    user: User, *, now: dt.datetime | None = None, limit: int = 500
) -> list[WorkItem]:
    """The queue, most urgent first: escalated, overdue, due within 3 days, later; then by due time."""

    now = now or clock.now()
    awaiting = awaiting_signature(user) if user.is_authenticated else []
    rows = list(deadlines_of(user, awaiting=awaiting).order_by("due_at", "pk")[:limit])
    from core.refs import describe_many

    named = describe_many((d.subject for d in rows), viewer=user)
    items = [
        WorkItem(
            d,
            urgency_of(d, now),
            named[d.subject].url or subject_link(d.subject)
            if d.subject in named
            else subject_link(d.subject),
            named[d.subject].text if d.subject in named else d.subject,
            d.subject in awaiting,
        )
        for d in rows
    ]
    items.sort(key=lambda it: (it.urgency, it.deadline.due_at, it.deadline.pk))
    return items


def duty_urgency(duty: Duty, now: dt.datetime) -> int:
    """A duty's bucket by its due time (none: not due yet)."""
    if duty.due_at is None:
        return LATER
    if duty.due_at < now:
        return YELLOW
    return SOON if duty.due_at - now <= DUE_SOON else LATER


@dataclass(frozen=True)
class DutyRow:
    duty: Duty
    urgency: int

    @property
    def css(self) -> str:
        return URGENCY_CSS[self.urgency]

    @property
    def urgency_label(self) -> str:
        return str(URGENCY_LABELS[self.urgency])


def duty_rows(duties: list[Duty], *, now: dt.datetime | None = None) -> list[DutyRow]:
    now = now or clock.now()
    rows = [DutyRow(d, duty_urgency(d, now)) for d in duties]
    rows.sort(key=lambda r: r.urgency)  # stable: due time, then since, within a bucket
    return rows


def workbench_counts(
    items: list[WorkItem], duties: list[Duty] | None = None, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Each urgency pill counts every row of the page in that bucket: deadlines and the other
    duties (signatures, drafts, to-dos), each once. A payout waiting for this person's
    signature is listed both as its FND-10 deadline and under 待我审批: counted once, as the
    deadline. ``approvals``, ``drafts`` and ``todos`` count the sections."""
    from core.duties import APPROVAL, DRAFT, TODO

    now = now or clock.now()
    duties = duties or []
    counts = {URGENCY_CSS[k]: 0 for k in URGENCY_LABELS}
    for it in items:
        counts[it.css] += 1
    signed_as_deadline = sum(1 for it in items if it.awaits_signature)
    for d in duties:
        if d.section == APPROVAL and d.rule == "FND-12" and signed_as_deadline:
            signed_as_deadline -= 1
            continue
        counts[URGENCY_CSS[duty_urgency(d, now)]] += 1
    counts["approvals"] = sum(1 for d in duties if d.section == APPROVAL)
    counts["drafts"] = sum(1 for d in duties if d.section == DRAFT)
    counts["todos"] = sum(1 for d in duties if d.section == TODO)
    counts["total"] = sum(counts[URGENCY_CSS[k]] for k in URGENCY_LABELS)
    return counts
