"""Agents (AUC-14) and priority purchasers (AUC-19): named roles, every identity read logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding import locks
from bidding.models import PriorityHolder, Registration
from bidding.services._common import (
    IDENTITY_READERS,
    Caller,
    _issue_code,
    _notify_agent,
    _refuse,
    _require_staff,
    _save_stream_head,
    _stream_append,
)
from core import clock
from core.errors import Conflict, PermissionDenied
from core.notifications import text
from core.types import Actor

if TYPE_CHECKING:
    from cases.models import Identity


#: REC-05: the checks for which a registration's identity may be read before bidding ends.
IDENTITY_CHECKS = {
    "agent": "委托代理核对（AUC-14）",
    "priority": "优先购买权核对（AUC-19）",
}


def _check_pending(reg: Registration, check: str) -> bool:
    """The check is still to be made for this registration: an agent named and not yet
    confirmed (confirmable only before bidding opens, AUC-14), or a priority claim not yet
    confirmed and no bid placed (AUC-19)."""
    auction = reg.auction
    if check == "agent":
        return (
            reg.agent_user_id is not None
            and reg.agent_confirmed_at is None
            and not (auction.start_at and clock.now() >= auction.start_at)
        )
    if check == "priority":
        return reg.claims_priority and not reg.is_priority and not reg.bids.exists()
    return False


def registration_identity_reveal(
    *, registration_id: int, user: Caller, purpose: str, check: str = ""
) -> dict[str, str]:
    """Identity data of one registration for an agent or priority check (REC-05: logged read).

    Until bidding ends (the auction closed, or it never will: withdrawn), a judge or officer of
    the auction's court may read it only for ``check`` ``"agent"`` or ``"priority"`` while that
    check is pending for THIS registration; anything else waits for the close. Every read is
    in the access log (core.access) with its check and purpose. Returns names and numbers of
    the registrant, joint bidders and agent; never the code.
    """
    from bidding.models import ENDED_STATES, FINAL_STATES
    from core.access import reveal

    reg = Registration.objects.select_related("auction", "identity", "agent_identity").get(
        pk=registration_id
    )
    if getattr(user, "court_id", None) != reg.auction.court_id:
        raise PermissionDenied("forbidden", _("仅本院人员可查看"))
    ended = reg.auction.state in ENDED_STATES or reg.auction.state in FINAL_STATES
    if not ended and check not in IDENTITY_CHECKS:
        raise PermissionDenied(
            "identity_sealed",
            _("竞价结束前，仅为核对委托代理或优先购买权可查看竞买人身份"),
            rule="REC-05",
        )
    if not ended and not _check_pending(reg, check):
        raise PermissionDenied(
            "identity_check_not_pending",
            _("该报名没有待核对的委托代理")
            if check == "agent"
            else _("该报名没有待核对的优先购买权主张"),
            rule="REC-05",
        )
    if check in IDENTITY_CHECKS:
        purpose = f"{IDENTITY_CHECKS[check]}：{purpose.strip()}" if purpose.strip() else ""
    subject = f"{reg.auction.ref}/registration:{reg.pk}"
    out: dict[str, str] = {}

    def show(label: str, ident: Identity | None) -> None:
        if ident is None:
            return
        out[f"{label}姓名"] = reveal(
            user=user,
            value=ident.name,
            subject=subject,
            field=f"{label}.name",
            purpose=purpose,
            roles=IDENTITY_READERS,
        )
        out[f"{label}证件号码"] = reveal(
            user=user,
            value=ident.number,
            subject=subject,
            field=f"{label}.number",
            purpose=purpose,
            roles=IDENTITY_READERS,
        )

    show("竞买人", reg.identity)
    for i, m in enumerate(reg.members.select_related("identity"), start=1):
        show(f"共同竞买人{i}", m.identity)
    if check != "priority":  # a priority check is about the registrant, not the agent
        show("代理人", reg.agent_identity)
    return out


@transaction.atomic
def registration_confirm_agent(*, registration_id: int, actor: Actor) -> Registration:
    """AUC-14: the court confirms an agent, before bidding opens."""
    reg0 = Registration.objects.get(pk=registration_id)
    auction = locks.auction_for_update(reg0.auction_id)
    actor = _require_staff(actor, auction)
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    if not reg.agent_user_id:
        raise _refuse("no_agent", _("该报名未委托代理人"), "AUC-14")
    now = clock.now()
    if auction.start_at and now >= auction.start_at:
        raise _refuse("agent_too_late", _("委托代理竞买须在竞价开始前确认"), "AUC-14")
    reg.agent_confirmed_at, reg.agent_confirmed_by = now, actor
    reg.save(update_fields=["agent_confirmed_at", "agent_confirmed_by"])
    _stream_append(
        auction,
        action="registration.agent_confirmed",
        actor=actor,
        subject=f"registration:{reg.pk}",
        at=now,
        rules=["AUC-14"],
    )
    _save_stream_head(auction)
    _notify_agent(
        reg,
        auction,
        subject=gettext_lazy("法院已确认您的代理竞买"),
        body=text(
            gettext_lazy("法院已确认您代理参加“%(title)s”的竞买，竞价开始后可在拍卖页面出价。"),
            title=auction.title,
        ),
        key=f"agent_confirmed:{reg.pk}",
    )
    return reg


@transaction.atomic
def registration_confirm_priority(
    *, registration_id: int, actor: Actor, holder_id: int
) -> Registration:
    """AUC-19: the court confirms a registrant as a known priority purchaser with its rank;
    the registrant then bids with a priority code of that rank."""
    reg0 = Registration.objects.get(pk=registration_id)
    auction = locks.auction_for_update(reg0.auction_id)
    actor = _require_staff(actor, auction)
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    holder = PriorityHolder.objects.filter(pk=holder_id, auction_id=auction.pk).first()
    if holder is None:
        raise _refuse("unknown_holder", _("该优先购买权人不在本场拍卖的名单中"), "AUC-19")
    if reg.is_priority:
        raise Conflict("already_confirmed", _("已确认为优先购买权人"))
    if Registration.objects.filter(auction_id=auction.pk, priority_holder_id=holder.pk).exists():
        raise Conflict("holder_taken", _("该优先购买权人已对应其他报名"))
    if reg.bids.exists():
        raise _refuse("already_bid", _("已出价的竞买人不能再确认为优先购买权人"), "AUC-19")
    now = clock.now()
    reg.is_priority, reg.priority_rank, reg.priority_holder = True, holder.rank, holder
    reg.priority_confirmed_at, reg.priority_confirmed_by = now, actor
    fields = [
        "is_priority",
        "priority_rank",
        "priority_holder",
        "priority_confirmed_at",
        "priority_confirmed_by",
    ]
    if reg.bidder_code:
        _issue_code(reg, now=now)  # a priority code of its rank replaces the ordinary one
        fields += ["bidder_code", "code_issued_at"]
    reg.save(update_fields=fields)
    _stream_append(
        auction,
        action="registration.priority_confirmed",
        actor=actor,
        subject=f"registration:{reg.pk}",
        at=now,
        after={"rank": holder.rank},
        rules=["AUC-19"],
    )
    _save_stream_head(auction)
    return reg
