"""Notifications through a transactional outbox (REC-11).

``notify`` writes outbox rows in the caller's transaction (a rolled-back change sends
nothing), with a unique key so the same message is never queued twice. ``deliver_pending``
(the worker) takes one due row at a time with ``select_for_update(skip_locked=True)``,
hands it to its channel and marks it sent in that same short transaction: while one worker
holds the row, another skips it, and once it is marked sent nobody takes it again, so two
workers never deliver the same message. A failed delivery (any exception from the channel)
is retried with exponential backoff (30 s, 1 min, 2 min, … capped at 1 h) and marked failed
after ``MAX_ATTEMPTS``. The one remaining window (the channel accepted the message, then the
process died before the commit) is closed by the channel: ``message.key`` is a stable
idempotency key to hand to the SMS/e-mail provider.

Language (issue 17): a message is written in its *recipient's* language
(``User.language``), not in the language of whoever caused it. ``subject`` and ``body`` are
:class:`~core.notifications.text.Text` values (a ``gettext_lazy`` msgid and its
``%(name)s`` values, see ``core.notifications.text``) or lazy strings; ``notify`` renders
them under ``translation.override(recipient.language)`` and stores the rendered words with
the language (``OutboxMessage.language``): the outbox and the inbox keep what was actually
sent. A plain ``str`` is stored as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation

from core import clock
from core.models import InboxMessage, NotificationOptOut, OutboxMessage, User
from core.notifications.channels import ChannelError, get_channel
from core.notifications.text import (
    Message,
    in_language_of,
    joined,
    language_of,
    render_value,
    text,
)

__all__ = [
    "MAX_ATTEMPTS",
    "Message",
    "backoff",
    "deliver_pending",
    "joined",
    "notify",
    "notify_address",
    "notify_many",
    "text",
    "unsubscribe",
]

log = logging.getLogger("gavel.notifications")
MAX_ATTEMPTS = 8


def _channels_for(user: Any, channels: Iterable[str] | None, court: Any = None) -> list[str]:
    if channels is None:
        from core.rulesettings import get_setting

        wanted = list(get_setting("notify_channels", court=court))
    else:
        wanted = list(channels)
    out = ["inbox"]  # the site inbox always receives
    for ch in wanted:
        if ch == "sms" and getattr(user, "phone", ""):
            out.append("sms")
        elif ch == "email" and getattr(user, "email", ""):
            out.append("email")
    return list(dict.fromkeys(out))


def notify(
    *,
    user: Any,
    topic: str,
    subject: Message,
    body: Message,
    key: str,
    link: str = "",
    channels: Iterable[str] | None = None,
    court: Any = None,
    legal: bool = False,
) -> list[OutboxMessage]:
    """Queue one message per channel. ``key`` makes it idempotent; ``legal`` ignores opt-outs."""
    if user is None:
        return []
    now = clock.now()
    opted_out = set()
    if not legal:
        opted_out = set(
            NotificationOptOut.objects.filter(user=user, topic=topic).values_list(
                "channel", flat=True
            )
        )
    created = []
    with in_language_of(user) as language:  # the recipient's words, not the actor's
        subject_text = render_value(subject)[:200]
        body_text = render_value(body)
    for ch in _channels_for(user, channels, court):
        if ch in opted_out:
            continue
        full_key = f"{key}:{ch}"[:200]
        if OutboxMessage.objects.filter(key=full_key).exists():
            continue
        try:
            with transaction.atomic():
                created.append(
                    OutboxMessage.objects.create(
                        key=full_key,
                        recipient=user,
                        channel=ch,
                        topic=topic,
                        subject=subject_text,
                        body=body_text,
                        language=language,
                        link=link,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        except IntegrityError:
            continue  # queued concurrently by someone else: once is enough
    return created


def notify_many(
    users: Iterable[User],
    *,
    topic: str,
    subject: Message,
    body: Message,
    key: str,
    link: str = "",
    court: Any = None,
    legal: bool = True,
) -> list[OutboxMessage]:
    """``notify`` each of ``users`` the same message, under its own key ``<key>:u<user id>``.

    Used for the steps of a procedure that every person concerned must hear of, so ``legal``
    (opt-outs ignored) is on unless the caller says otherwise.
    """
    created: list[OutboxMessage] = []
    for user in users:
        created += notify(
            user=user,
            topic=topic,
            subject=subject,
            body=body,
            key=f"{key}:u{user.pk}",
            link=link,
            court=court,
            legal=legal,
        )
    return created


def notify_address(
    *, channel: str, address: str, topic: str, subject: Message, body: Message, key: str
) -> OutboxMessage | None:
    """Queue one message to a mobile number (``sms``) or e-mail address (``email``) that has no
    account behind it (sign-up codes). Idempotent by ``key``; no inbox copy (nobody to show it
    to); opt-outs do not apply (the person asked for this message). Written in the active
    language: the person asking is the one who reads it."""
    if channel not in (OutboxMessage.Channel.SMS, OutboxMessage.Channel.EMAIL):
        raise ValueError(f"no address channel {channel}")
    now = clock.now()
    full_key = f"{key}:{channel}"[:200]
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                key=full_key,
                recipient=None,
                address=address,
                channel=channel,
                topic=topic,
                subject=render_value(subject)[:200],
                body=render_value(body),
                language=language_of(None, default=translation.get_language()),
                created_at=now,
                next_attempt_at=now,
            )
    except IntegrityError:
        return None


def unsubscribe(*, user: Any, topic: str, channel: str) -> None:
    NotificationOptOut.objects.get_or_create(user=user, topic=topic, channel=channel)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after ``attempts`` failed ones: 30 s doubling, at most 1 h."""
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


_backoff = backoff


def deliver_pending(*, limit: int = 100, now: dt.datetime | None = None) -> dict[str, int]:
    """Deliver due messages once each. Returns counts of sent/failed/retried."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    now = now or clock.now()
    for _ in range(limit):
        with transaction.atomic():
            msg = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")
                .first()
            )
            if msg is None:
                break
            msg.attempts += 1
            try:
                # A savepoint: a database error inside a channel leaves this transaction usable.
                with transaction.atomic():
                    if msg.channel == OutboxMessage.Channel.INBOX:
                        InboxMessage.objects.get_or_create(
                            outbox=msg,
                            defaults={
                                "recipient_id": msg.recipient_id,
                                "topic": msg.topic,
                                "subject": msg.subject,
                                "body": msg.body,
                                "link": msg.link,
                                "created_at": now,
                            },
                        )
                    else:
                        get_channel(msg.channel).send(msg)
            except Exception as exc:  # any failure of an outside channel is retried
                if not isinstance(exc, ChannelError):
                    log.exception("channel %s failed for outbox message %s", msg.channel, msg.pk)
                msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if msg.attempts >= MAX_ATTEMPTS:
                    msg.status = OutboxMessage.Status.FAILED
                    counts["failed"] += 1
                else:
                    msg.next_attempt_at = now + backoff(msg.attempts)
                    counts["retry"] += 1
            else:
                msg.status = OutboxMessage.Status.SENT
                msg.sent_at = now
                counts["sent"] += 1
            msg.save()
    return counts
