"""Helpers shared by the settlement services."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.errors import DomainError, NotFound
from core.models import Role, User
from core.notifications.text import Message
from core.types import Actor
from settlement.models import GatewayOperation, LedgerAccount, PaymentIntent, Payout

if TYPE_CHECKING:
    from cases.models import Case


class FlagEvent(Exception):
    """A webhook that cannot be applied safely: stored, flagged for finance, nothing moved."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


def case_or_404(case_id: int | str) -> Case:
    from cases.models import Case

    if isinstance(case_id, bool) or not isinstance(case_id, int):
        try:
            case_id = int(case_id)
        except (TypeError, ValueError) as exc:
            raise NotFound("unknown_case", _("案件不存在")) from exc
    case = Case.objects.select_related("court").filter(pk=case_id).first()
    if case is None:
        raise NotFound("unknown_case", _("案件不存在"), case_id=case_id)
    return case


def stream(case_id: int) -> str:
    return f"case:{case_id}"


def require_text(value: object, field: str, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError("required", _("%(label)s不能为空") % {"label": label}, field=field)
    return value.strip()


def new_reference(prefix: str, court_id: int) -> str:
    return f"{prefix}{court_id}-{uuid.uuid4().hex[:16].upper()}"


def actor_or_none(actor: Actor) -> User | None:
    """The person to store on a row, or ``None`` for the system (and for an unsaved user)."""
    return actor if getattr(actor, "pk", None) else None


def queue_operation(
    *,
    court_id: int,
    case_id: int | None,
    kind: str,
    gateway: str,
    amount_fen: int,
    idempotency_key: str,
    context: str,
    subject_ref: str = "",
    intent: PaymentIntent | None = None,
    payout: Payout | None = None,
    source_account: LedgerAccount | None = None,
    purpose: str = "",
) -> GatewayOperation:
    """Queue one outgoing gateway call (the outbox); the worker sends it with its key."""
    found = GatewayOperation.objects.filter(idempotency_key=idempotency_key).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return GatewayOperation.objects.create(
                court_id=court_id,
                case_id=case_id,
                kind=kind,
                gateway=gateway,
                intent=intent,
                payout=payout,
                source_account=source_account,
                amount_fen=amount_fen,
                reference=new_reference("OP", court_id),
                idempotency_key=idempotency_key,
                original_psp_reference=intent.psp_reference if intent is not None else "",
                context=context,
                subject_ref=subject_ref[:200],
                purpose=purpose[:200],
                created_at=clock.now(),
            )
    except IntegrityError:
        return GatewayOperation.objects.get(idempotency_key=idempotency_key)


def pending_capture(intent: PaymentIntent) -> bool:
    return GatewayOperation.objects.filter(
        intent=intent,
        kind=GatewayOperation.Kind.CAPTURE,
        status__in=[GatewayOperation.Status.QUEUED, GatewayOperation.Status.SENT],
    ).exists()


def is_captured(intent: PaymentIntent) -> bool:
    return intent.is_captured or pending_capture(intent)


def finance_users(court_id: int) -> list[User]:
    return list(User.objects.filter(court_id=court_id, role=Role.FINANCE, is_active=True))


def notify_finance(
    *, court_id: int, topic: str, subject: Message, body: Message, key: str, link: str = ""
) -> None:
    from core.notifications import notify

    for user in finance_users(court_id):
        notify(
            user=user,
            topic=topic,
            subject=subject,
            body=body,
            key=f"{key}:{user.pk}",
            link=link,
            channels=["inbox"],
            legal=True,
        )
