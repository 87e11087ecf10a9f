"""Helpers shared by the services: audit, notifications, service on the parties, the live draw
broadcast."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from appraisers.models import AppraisalRequest, Firm
from cases.models import Case
from core import clock
from core.audit import audit_record
from core.errors import PermissionDenied
from core.models import Court, Role, ServiceRecord, User
from core.notifications import notify_many as notify_many  # re-exported for the services
from core.notifications.text import Message
from core.service import service_record
from core.types import Actor

log = logging.getLogger("gavel.appraisers")

ROSTER_STREAM = "system:appraisers-roster"


def audit(
    request: AppraisalRequest,
    *,
    action: str,
    actor: Actor,
    subject: str,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    rules: Iterable[str] = (),
) -> None:
    """Everything about an appraisal goes to its case's stream (REC-07, REC-08)."""
    audit_record(
        stream=f"case:{request.case_id}",
        action=action,
        actor=actor,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
        rules=list(rules),
    )


def court_contacts(request: AppraisalRequest) -> list[User]:
    """Who at the court hears about an appraisal: the case's judge, else its officer, else judges."""
    case = request.case
    people = [u for u in (case.judge, case.officer) if u is not None and u.is_active]
    if people:
        return people[:1]
    return list(User.objects.filter(court_id=request.court_id, role=Role.JUDGE, is_active=True))


def firm_users(firm: Firm) -> list[User]:
    return [
        fu.user
        for fu in firm.users.filter(is_active=True).select_related("user")
        if fu.user.is_active
    ]


def person(actor: Actor) -> User:
    """The signed-in person a step records by name (a user column that may not be empty).

    The system (``None``) cannot take such a step: refused here rather than by the database.
    """
    if actor is None:
        raise PermissionDenied("person_required", _("此操作须由登录用户办理"))
    return actor


def serve_on_parties(
    case: Case,
    *,
    court: Court,
    subject: str,
    document: str,
    document_kind: str,
    actor: Actor,
    topic: str,
    title: Message,
    body: Message,
    key: str,
    link: str,
) -> None:
    """Serve a document on every party of the case (REC-10) and tell those with an account (REC-11).

    A party with an account is served electronically (received as it is sent); one without is
    served by post, and its receipt is registered later. ``title`` is the message's subject; each
    party's message key is ``<key>:p<party id>``.
    """
    for party in case.parties.all().order_by("pk"):
        user = party.user  # no query when the party has no account
        electronic = user is not None
        sent_at = clock.now()  # one instant: electronic service is received as it is sent
        service_record(
            court=court,
            subject=subject,
            document=document,
            document_kind=document_kind,
            recipient_ref=f"party:{party.pk}",
            recipient_name=party.name,
            method=ServiceRecord.Method.ELECTRONIC if electronic else ServiceRecord.Method.POST,
            recipient_user=user,
            sent_at=sent_at,
            received_at=sent_at if electronic else None,
            actor=actor,
        )
        if user is not None:
            notify_many(
                [user],
                topic=topic,
                subject=title,
                body=body,
                key=f"{key}:p{party.pk}",
                link=link,
                court=court,
            )


def broadcast_draw(draw_id: int) -> None:
    """After commit, push the draw's public record to everyone watching it live."""

    def _send() -> None:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        from appraisers.models import LotDraw
        from appraisers.selectors import draw_public_record

        layer = get_channel_layer()
        if layer is None:
            return
        draw = LotDraw.objects.get(pk=draw_id)
        message = {"type": "draw.update", "record": draw_public_record(draw)}

        def _push() -> None:
            try:
                async_to_sync(layer.group_send)(draw.group_name, message)
            except Exception:  # a push is a notification; the page resyncs from the record
                log.exception("draw broadcast failed for draw %s", draw_id)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            _push()
        else:
            # Called from a thread that runs an event loop: push from a helper thread.
            t = threading.Thread(target=_push, daemon=True)
            t.start()
            t.join(timeout=5)

    transaction.on_commit(_send)
