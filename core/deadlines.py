"""Deadlines (REC-13): open, close, sweep (flag and escalate), recompute on calendar change.

Every app records its legal duties here. Duties the engine cannot enforce by refusal are
alerted: an overdue deadline turns yellow and notifies its owner; after
``deadline_escalation_days`` more it turns red and notifies the court's bureau heads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from core import calendar, clock
from core.audit import audit_record
from core.models import Deadline, Role, User
from core.models.deadlines import DeadlineTitle, TitleWord
from core.notifications.text import text as message_text
from core.rulesettings import get_setting

if TYPE_CHECKING:
    from core.types import Actor

Unit = Deadline.Unit
log = logging.getLogger("gavel.deadlines")


#: What started a deadline, by the code the apps store in ``Deadline.start_event`` (a
#: machine key such as ``commission.offered`` or ``seizure:<id>``), named as people read it.
_start_event_labels: dict[str, Any] = {}


def register_start_events(labels: dict[str, Any]) -> None:
    """Name the start events an app stores (``{"commission.offered": _("评估委托送达")}``; a
    code ending in ``:<id>`` is named by its prefix: ``{"seizure": _("查封")}``). Called from
    the app's ``AppConfig.ready()``; idempotent."""
    _start_event_labels.update(labels)


def start_event_label(code: str) -> str:
    """The start event's name in the reader's language: a registered code's label, else the
    stored text itself translated (apps that store a Chinese label with ``gettext_noop``)."""
    from django.utils.translation import gettext

    value = str(code or "")
    label = _start_event_labels.get(value)
    if label is None and ":" in value:
        prefix, _sep, rest = value.rpartition(":")
        if rest.isdigit():
            label = _start_event_labels.get(prefix)
    if label is not None:
        return str(label)
    return gettext(value) if value.strip() else value


def registered_start_events() -> set[str]:
    return set(_start_event_labels)


def deadline_title(msgid: str, /, **params: Any) -> DeadlineTitle:
    """A deadline title with values inside: ``msgid`` is Chinese with ``%(name)s`` slots
    (mark it with ``gettext_noop`` so that it is extracted), a value is a name or number shown
    as it is, or a :func:`title_word` (interface text, translated when shown)."""
    return DeadlineTitle(msgid, dict(params))


def title_word(msgid: str, context: str = "") -> TitleWord:
    """Interface text inside a deadline title (a Chinese msgid, translated when shown)."""
    return TitleWord(msgid, context)


def compute_due(
    *,
    started_at: dt.datetime,
    period: int | None,
    unit: str,
    court: Any = None,
    due_at: dt.datetime | None = None,
) -> dt.datetime:
    if unit == Unit.FIXED:
        if due_at is None:
            raise ValueError("a fixed deadline needs due_at")
        return due_at
    if period is None:
        raise ValueError("a period is required")
    if unit == Unit.CALENDAR_DAYS:
        return calendar.within_days(started_at, period, court=court)
    if unit == Unit.WORKING_DAYS:
        return calendar.add_working_days(started_at, period, court=court)
    if unit == Unit.HOURS:
        return calendar.elapsed(started_at, hours=period)
    if unit == Unit.MINUTES:
        return calendar.elapsed(started_at, minutes=period)
    raise ValueError(unit)


def _stream(d: Deadline) -> str:
    # Deadlines of a case are part of that case's record; others go to a system stream.
    head = d.subject.split("/")[0]
    return head if head.startswith("case:") else "system:deadlines"


@transaction.atomic
def deadline_open(
    *,
    rule_id: str,
    title: str | DeadlineTitle,
    subject: str,
    start_event: str,
    started_at: dt.datetime,
    period: int | None = None,
    unit: str = Unit.CALENDAR_DAYS,
    due_at: dt.datetime | None = None,
    court: Any = None,
    owner: Any = None,
    owner_role: str = "",
    party_ref: str = "",
    alert_only: bool = True,
    actor: Actor = None,
) -> Deadline:
    """Open a deadline; the due time follows REC-01 (days) or REC-03 (hours/minutes).

    ``title`` is a fixed msgid (Chinese, marked ``gettext_noop``) or a :class:`DeadlineTitle`
    built by :func:`deadline_title` when values go inside; either way the stored ``title`` is
    the Chinese text and ``Deadline.display_title`` shows it in the reader's language."""
    due = compute_due(started_at=started_at, period=period, unit=unit, court=court, due_at=due_at)
    params = title.as_json() if isinstance(title, DeadlineTitle) else None
    title = title.stored() if isinstance(title, DeadlineTitle) else title
    d = Deadline.objects.create(
        court_id=getattr(court, "pk", court),
        rule_id=rule_id,
        title=title,
        title_params=params,
        subject=subject,
        start_event=start_event,
        started_at=started_at,
        period=period,
        unit=unit,
        due_at=due,
        owner=owner,
        owner_role=owner_role,
        party_ref=party_ref,
        alert_only=alert_only,
    )
    audit_record(
        stream=_stream(d),
        action="deadline.opened",
        actor=actor,
        subject=f"deadline:{d.pk}",
        after={"rule": rule_id, "title": title, "subject": subject, "due_at": due.isoformat()},
        rules=[rule_id],
    )
    return d


# --- REC-12: objections to enforcement acts and third-party objections (CPL 236, 238) --------
# Constants, never settings (RULES.md §8): changing them would cut a party's rights.
OBJECTION_REVIEW_DAYS = 15  # the court reviews a written objection within 15 days of receipt
RECONSIDERATION_DAYS = 10  # 执行异议: reconsideration within 10 days of service of the ruling
THIRD_PARTY_SUIT_DAYS = 15  # 案外人异议: a suit within 15 days of service of the ruling
ENFORCEMENT_ACT = "enforcement_act"  # 执行行为异议 (CPL 236): review → reconsideration
THIRD_PARTY = "third_party"  # 案外人异议 (CPL 238): review → suit
OBJECTION_TRACKS = {
    # (review title, window title, window days, window subject suffix); titles are stored as
    # Chinese like every deadline title.
    ENFORCEMENT_ACT: (
        gettext_noop("审查执行异议"),
        gettext_noop("申请复议期限"),
        RECONSIDERATION_DAYS,
        "reconsideration",
    ),
    THIRD_PARTY: (
        gettext_noop("审查案外人异议"),
        gettext_noop("提起诉讼期限"),
        THIRD_PARTY_SUIT_DAYS,
        "suit",
    ),
}


register_start_events(
    {
        f"{ENFORCEMENT_ACT}_objection.filed": pgettext_lazy("start event", "提出执行行为异议"),
        f"{ENFORCEMENT_ACT}_objection.ruling_served": pgettext_lazy(
            "start event", "执行异议裁定送达"
        ),
        f"{THIRD_PARTY}_objection.filed": pgettext_lazy("start event", "提出案外人异议"),
        f"{THIRD_PARTY}_objection.ruling_served": pgettext_lazy(
            "start event", "案外人异议裁定送达"
        ),
    }
)


def _track(track: str) -> tuple[str, str, int, str]:
    if track not in OBJECTION_TRACKS:
        raise ValueError(f"unknown objection track {track!r}")
    return OBJECTION_TRACKS[track]


def objection_review_open(
    *,
    track: str,
    subject: str,
    what: str | DeadlineTitle | TitleWord,
    filed_at: dt.datetime,
    court: Any,
    owner: Any = None,
    party_ref: str = "",
    actor: Actor = None,
) -> Deadline:
    """REC-12: a written objection was received; the court reviews it within 15 days."""
    review, _window, _days, _suffix = _track(track)
    return deadline_open(
        rule_id="REC-12",
        title=deadline_title(
            gettext_noop("%(step)s（%(what)s）"), step=title_word(review), what=what
        ),
        subject=subject,
        start_event=f"{track}_objection.filed",
        started_at=filed_at,
        period=OBJECTION_REVIEW_DAYS,
        court=court,
        owner=owner,
        owner_role=Role.JUDGE,
        party_ref=party_ref,
        actor=actor,
    )


def objection_ruling_served(
    *,
    track: str,
    subject: str,
    what: str | DeadlineTitle | TitleWord,
    served_at: dt.datetime,
    court: Any,
    owner: Any = None,
    party_ref: str = "",
    actor: Actor = None,
) -> Deadline:
    """REC-12: the ruling on the objection was served. The review deadline closes and the
    window that follows opens from service: 10 days to apply for reconsideration (执行异议),
    15 days to sue (案外人异议). The window is the party's; it is tracked so that the court
    knows when the ruling stands."""
    _review, window, days, suffix = _track(track)
    deadline_close(subject=subject, rule_id="REC-12", actor=actor, reason="异议已审查并裁定")
    return deadline_open(
        rule_id="REC-12",
        title=deadline_title(
            gettext_noop("%(step)s（%(what)s）"), step=title_word(window), what=what
        ),
        subject=f"{subject}/{suffix}",
        start_event=f"{track}_objection.ruling_served",
        started_at=served_at,
        period=days,
        court=court,
        owner=owner,
        owner_role=Role.JUDGE,
        party_ref=party_ref,
        actor=actor,
    )


def _open_for(subject: str, rule_id: str | None) -> QuerySet[Deadline]:
    qs = Deadline.objects.filter(subject=subject, status=Deadline.Status.OPEN)
    if rule_id:
        qs = qs.filter(rule_id=rule_id)
    return qs


@transaction.atomic
def deadline_close(
    *,
    subject: str,
    rule_id: str | None = None,
    actor: Actor = None,
    status: str = Deadline.Status.MET,
    reason: str = "",
) -> int:
    """Mark the open deadlines of ``subject`` (and rule) met or cancelled. Returns how many."""
    n = 0
    now = clock.now()
    for d in _open_for(subject, rule_id).select_for_update():
        d.status = status
        d.closed_at = now
        d.save(update_fields=["status", "closed_at"])
        audit_record(
            stream=_stream(d),
            action=f"deadline.{status}",
            actor=actor,
            subject=f"deadline:{d.pk}",
            before={"status": "open", "flag": d.flag},
            after={"status": status},
            reason=reason,
            rules=[d.rule_id],
        )
        n += 1
    return n


def deadline_cancel(
    *, subject: str, rule_id: str | None = None, actor: Actor = None, reason: str = ""
) -> int:
    return deadline_close(
        subject=subject,
        rule_id=rule_id,
        actor=actor,
        status=Deadline.Status.CANCELLED,
        reason=reason,
    )


@transaction.atomic
def deadline_extend(
    *, deadline: Deadline, due_at: dt.datetime, actor: Actor = None, reason: str
) -> Deadline:
    d = Deadline.objects.select_for_update().get(pk=deadline.pk)
    before = d.due_at.isoformat()
    d.due_at = due_at
    d.unit = Unit.FIXED
    if d.due_at > clock.now():
        d.flag = Deadline.Flag.GREEN
        d.overdue_at = None
        d.escalated_at = None
    d.save()
    audit_record(
        stream=_stream(d),
        action="deadline.extended",
        actor=actor,
        subject=f"deadline:{d.pk}",
        before={"due_at": before},
        after={"due_at": due_at.isoformat()},
        reason=reason,
        rules=[d.rule_id],
    )
    return d


def _notify_overdue(d: Deadline, *, escalated: bool) -> None:
    from core.notifications import notify

    recipients: list[User] = []
    if escalated:
        if d.court_id:
            recipients = list(
                User.objects.filter(court_id=d.court_id, role=Role.BUREAU_HEAD, is_active=True)
            )
    elif d.owner is not None:
        recipients = [d.owner]
    elif d.owner_role and d.court_id:
        recipients = list(
            User.objects.filter(court_id=d.court_id, role=d.owner_role, is_active=True)
        )
    if not recipients:
        log.warning("overdue deadline %s (%s) has nobody to notify", d.pk, d.rule_id)
    word = gettext_lazy("已超期并升级") if escalated else gettext_lazy("已超期")
    for user in recipients:
        notify(
            user=user,
            topic="deadline.overdue",
            # In the recipient's language; the deadline's stored title through the catalogue.
            subject=message_text(
                gettext_lazy("【期限%(word)s】%(title)s"), word=word, title=d.title_text()
            ),
            body=message_text(
                gettext_lazy(
                    "%(title)s（%(rule)s）应于 %(due)s 前完成，%(word)s。对象：%(subject)s"
                ),
                title=d.title_text(),
                rule=d.rule_id,
                due=d.due_at,
                word=word,
                subject=d.subject,
            ),
            # The due time is part of the key: a deadline recomputed after a calendar change
            # and overdue again is announced again; a repeated sweep never is.
            key=f"deadline:{d.pk}:{d.due_at:%Y%m%d%H%M}:{'red' if escalated else 'yellow'}:{user.pk}",
            channels=["inbox"],
            legal=True,
        )


def calendar_display(when: dt.datetime) -> str:
    return when.astimezone(calendar.CST).strftime("%Y-%m-%d %H:%M")


def deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag overdue deadlines yellow, escalate to red, notify. Safe to run from several workers."""
    now = now or clock.now()
    counts = {"yellow": 0, "red": 0}
    with transaction.atomic():
        due = Deadline.objects.select_for_update(skip_locked=True).filter(
            status=Deadline.Status.OPEN, flag=Deadline.Flag.GREEN, due_at__lt=now
        )
        for d in due:
            d.flag = Deadline.Flag.YELLOW
            d.overdue_at = now
            d.save(update_fields=["flag", "overdue_at"])
            audit_record(
                stream=_stream(d),
                action="deadline.overdue",
                subject=f"deadline:{d.pk}",
                before={"flag": "green"},
                after={"flag": "yellow"},
                rules=[d.rule_id, "REC-13"],
            )
            _notify_overdue(d, escalated=False)
            counts["yellow"] += 1
    with transaction.atomic():
        yellow = Deadline.objects.select_for_update(skip_locked=True).filter(
            status=Deadline.Status.OPEN, flag=Deadline.Flag.YELLOW
        )
        for d in yellow:
            days = int(get_setting("deadline_escalation_days", court=d.court_id))
            if d.overdue_at and now >= d.overdue_at + dt.timedelta(days=days):
                d.flag = Deadline.Flag.RED
                d.escalated_at = now
                d.save(update_fields=["flag", "escalated_at"])
                audit_record(
                    stream=_stream(d),
                    action="deadline.escalated",
                    subject=f"deadline:{d.pk}",
                    before={"flag": "yellow"},
                    after={"flag": "red"},
                    rules=[d.rule_id, "REC-13"],
                )
                _notify_overdue(d, escalated=True)
                counts["red"] += 1
    return counts


@transaction.atomic
def deadlines_recompute(*, actor: Actor = None) -> int:
    """After a calendar change (REC-02), recompute the due time of open day-based deadlines.

    A deadline that moves into the future turns green again; one that moves into the past is
    flagged by the next sweep.
    """
    n = 0
    day_units = [Unit.CALENDAR_DAYS, Unit.WORKING_DAYS]
    for d in Deadline.objects.select_for_update().filter(
        status=Deadline.Status.OPEN, unit__in=day_units
    ):
        due = compute_due(started_at=d.started_at, period=d.period, unit=d.unit, court=d.court_id)
        if due != d.due_at:
            before = d.due_at.isoformat()
            d.due_at = due
            if d.flag != Deadline.Flag.GREEN and due > clock.now():
                d.flag = Deadline.Flag.GREEN
                d.overdue_at = None
                d.escalated_at = None
            d.save()
            audit_record(
                stream=_stream(d),
                action="deadline.recomputed",
                actor=actor,
                subject=f"deadline:{d.pk}",
                before={"due_at": before},
                after={"due_at": due.isoformat()},
                rules=["REC-02", d.rule_id],
            )
            n += 1
    return n


def deadlines_for_subject(subject_prefix: str) -> QuerySet[Deadline]:
    """Deadlines of ``subject_prefix`` and everything under it (``case:1`` never matches ``case:12``)."""
    from django.db.models import Q

    prefix = subject_prefix.rstrip("/")
    return Deadline.objects.filter(
        Q(subject=prefix) | Q(subject__startswith=prefix + "/")
    ).order_by("due_at")


def deadlines_open_for_user(user: Any) -> QuerySet[Deadline]:
    """Open deadlines a person answers for: their own, and (staff) their role's in their court."""
    qs = Deadline.objects.filter(status=Deadline.Status.OPEN)
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    mine = Q(owner=user)
    if getattr(user, "is_court_staff", False) and user.court_id:
        mine |= Q(court_id=user.court_id, owner__isnull=True, owner_role=user.role)
    return qs.filter(mine).order_by("due_at")
