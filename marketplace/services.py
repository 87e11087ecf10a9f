"""Marketplace writes: viewing slots and appointments (看样), saved searches, watches.

Viewing decisions are part of the case's record (audit stream ``case:<id>``). A person's own
preferences (what they follow, which searches they keep, what they unsubscribe from) are not
legal acts and are not audited; they never link a person to a bid (REC-05).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from bidding.models import Auction
from cases.models import Lot
from core import clock
from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.models import STAFF_ROLES, Role, User
from core.notifications.text import Text, text
from core.permissions import is_court_staff_of
from core.types import Actor
from marketplace import notices
from marketplace.filters import parse_listing_query
from marketplace.models import ListingInfo, SavedSearch, ViewingAppointment, ViewingSlot, Watch

VIEWING_MANAGERS = frozenset({Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD})
MAX_SAVED_SEARCHES = 20
Status = ViewingAppointment.Status


def _require_manager(actor: Actor, court_id: int) -> User:
    """The actor, when a judge, officer or bureau head of ``court_id`` (REC-14)."""
    if actor is None or not is_court_staff_of(actor, court_id, roles=VIEWING_MANAGERS):
        raise PermissionDenied("forbidden", gettext("仅本院法官、执行员可管理看样"), rule="REC-14")
    return actor


def _require_member_of_public(user: User) -> None:
    if not user.is_authenticated:
        raise PermissionDenied("not_authenticated", gettext("请先登录"))
    if user.role in STAFF_ROLES:
        raise PermissionDenied(
            "staff_cannot_request", gettext("法院工作人员不能预约看样"), rule="AUC-11"
        )


# ---- viewing slots (the court) -------------------------------------------------------------


@transaction.atomic
def viewing_slot_create(
    *,
    lot_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    capacity: int = 5,
    note: str = "",
    actor: Actor,
) -> ViewingSlot:
    """The court offers a time to view a lot (看样)."""
    lot = Lot.objects.select_related("case").filter(pk=lot_id).first()
    if lot is None:
        raise NotFound("lot_not_found", gettext("拍品不存在"))
    manager = _require_manager(actor, lot.case.court_id)
    place = (place or "").strip()
    if not place:
        raise DomainError("viewing_place_required", gettext("请填写看样集合地点"))
    if starts_at is None or ends_at is None:
        raise DomainError("viewing_time_required", gettext("请填写看样开始和结束时间"))
    if starts_at <= clock.now():
        raise DomainError("viewing_slot_in_past", gettext("看样开始时间必须晚于现在"))
    if ends_at <= starts_at:
        raise DomainError("viewing_slot_bad_times", gettext("看样结束时间必须晚于开始时间"))
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 200:
        raise DomainError("viewing_bad_capacity", gettext("名额须为 1 至 200 之间的整数"))
    slot = ViewingSlot.objects.create(
        court_id=lot.case.court_id,
        lot=lot,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place[:300],
        capacity=capacity,
        note=(note or "")[:300],
        created_by=manager,
        created_at=clock.now(),
    )
    audit_record(
        stream=f"case:{lot.case_id}",
        action="viewing.slot_created",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}/viewing_slot:{slot.pk}",
        after={
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": slot.place,
            "capacity": capacity,
        },
    )
    return slot


@transaction.atomic
def viewing_slot_cancel(*, slot_id: int, actor: Actor, reason: str) -> ViewingSlot:
    slot = ViewingSlot.objects.select_for_update().select_related("lot").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound("viewing_slot_not_found", gettext("看样时段不存在"))
    manager = _require_manager(actor, slot.court_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("viewing_reason_required", gettext("取消看样须说明理由"))
    if slot.cancelled:
        return slot
    slot.cancelled = True
    slot.save(update_fields=["cancelled"])
    now = clock.now()
    for appt in slot.appointments.filter(status__in=ViewingAppointment.ACTIVE).select_related(
        "user"
    ):
        appt.status = Status.CANCELLED
        appt.decided_at = now
        appt.decided_by = manager
        appt.decline_reason = reason[:300]
        appt.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
        _tell_requester(
            appt,
            gettext_lazy("看样预约已取消"),
            gettext_lazy("您预约的看样 %(slot)s 已取消。法院已取消该看样时段，理由：%(reason)s"),
            reason=reason,
        )
    audit_record(
        stream=f"case:{slot.lot.case_id}",
        action="viewing.slot_cancelled",
        actor=actor,
        subject=f"case:{slot.lot.case_id}/lot:{slot.lot_id}/viewing_slot:{slot.pk}",
        reason=reason,
    )
    return slot


# ---- appointments (the bidder asks, the court answers) -------------------------------------


def _slot_text(slot: ViewingSlot) -> Text:
    """The lot, the time (in the reader's way of writing it) and the place of a viewing."""
    return text(
        gettext_lazy("“%(title)s” %(when)s，地点：%(place)s"),
        title=slot.lot.title,
        when=slot.starts_at,
        place=slot.place,
    )


def _tell_requester(
    appt: ViewingAppointment, subject: Promise, body: Promise, **params: str
) -> None:
    slot = appt.slot
    notices.send(
        user=appt.user,
        topic="marketplace.viewing",
        subject=subject,
        body=text(body, slot=_slot_text(slot), **params),
        key=f"viewing:{appt.pk}:{appt.status}",
        link="/marketplace/viewings/",
        court=slot.court_id,
    )


@transaction.atomic
def viewing_request(
    *, slot_id: int, user: User, contact_phone: str = "", note: str = ""
) -> ViewingAppointment:
    """A bidder (or anyone signed in who is not court staff) asks for a place in a slot."""
    _require_member_of_public(user)
    slot = ViewingSlot.objects.select_for_update().select_related("lot").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound("viewing_slot_not_found", gettext("看样时段不存在"))
    if slot.cancelled:
        raise Conflict("viewing_slot_cancelled", gettext("该看样时段已取消"))
    if slot.starts_at <= clock.now():
        raise Conflict("viewing_slot_past", gettext("该看样时段已开始或已结束，不能预约"))
    if slot.appointments.filter(user=user, status__in=ViewingAppointment.ACTIVE).exists():
        raise Conflict("viewing_already_requested", gettext("您已预约该时段"))
    if slot.appointments.filter(status__in=ViewingAppointment.ACTIVE).count() >= slot.capacity:
        raise Conflict("viewing_slot_full", gettext("该时段名额已满，请选择其他时段"))
    phone = (contact_phone or user.phone or "").strip()[:20]
    try:
        with transaction.atomic():
            appt = ViewingAppointment.objects.create(
                slot=slot,
                user=user,
                contact_phone=phone,
                note=(note or "").strip()[:300],
                requested_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict("viewing_already_requested", gettext("您已预约该时段")) from None
    audit_record(
        stream=f"case:{slot.lot.case_id}",
        action="viewing.requested",
        actor=user,
        subject=f"case:{slot.lot.case_id}/lot:{slot.lot_id}/viewing:{appt.pk}",
    )
    # Tell the case's officer and judge that a request waits (no name in the message).
    case = slot.lot.case
    staff_ids = {uid for uid in (case.officer_id, case.judge_id) if uid}
    for staff in User.objects.filter(pk__in=staff_ids, is_active=True):
        notices.send(
            user=staff,
            topic="marketplace.viewing_request",
            subject=gettext_lazy("新的看样申请"),
            body=text(gettext_lazy("%(slot)s 有一条新的看样申请待确认。"), slot=_slot_text(slot)),
            key=f"viewing:{appt.pk}:requested:staff:{staff.pk}",
            link="/marketplace/court/viewings/",
            court=slot.court_id,
        )
    return appt


def _appointment_for_court(appointment_id: int, actor: Actor) -> tuple[ViewingAppointment, User]:
    """The appointment, locked, and the actor as a manager of its court (REC-14)."""
    appt = (
        ViewingAppointment.objects.select_for_update()
        .select_related("slot", "slot__lot", "user")
        .filter(pk=appointment_id)
        .first()
    )
    if appt is None:
        raise NotFound("viewing_not_found", gettext("看样预约不存在"))
    return appt, _require_manager(actor, appt.slot.court_id)


@transaction.atomic
def viewing_confirm(*, appointment_id: int, actor: Actor) -> ViewingAppointment:
    appt, manager = _appointment_for_court(appointment_id, actor)
    if appt.status == Status.CONFIRMED:
        return appt
    if appt.status != Status.REQUESTED:
        raise Conflict(
            "viewing_not_pending",
            gettext("该预约%(status)s，不能确认") % {"status": appt.get_status_display()},
        )
    ViewingSlot.objects.select_for_update().get(pk=appt.slot_id)
    if appt.slot.appointments.filter(status=Status.CONFIRMED).count() >= appt.slot.capacity:
        raise Conflict("viewing_slot_full", gettext("该时段已确认人数已满"))
    appt.status = Status.CONFIRMED
    appt.decided_at = clock.now()
    appt.decided_by = manager
    appt.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(
        stream=f"case:{appt.slot.lot.case_id}",
        action="viewing.confirmed",
        actor=actor,
        subject=f"case:{appt.slot.lot.case_id}/lot:{appt.slot.lot_id}/viewing:{appt.pk}",
        before={"status": "requested"},
        after={"status": "confirmed"},
    )
    _tell_requester(
        appt,
        gettext_lazy("看样预约已确认"),
        gettext_lazy("您预约的看样 %(slot)s 已确认。请携带身份证件准时到达。"),
    )
    return appt


@transaction.atomic
def viewing_decline(*, appointment_id: int, actor: Actor, reason: str) -> ViewingAppointment:
    appt, manager = _appointment_for_court(appointment_id, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("viewing_reason_required", gettext("婉拒看样须说明理由"))
    if appt.status not in ViewingAppointment.ACTIVE:
        raise Conflict(
            "viewing_not_pending",
            gettext("该预约%(status)s，不能婉拒") % {"status": appt.get_status_display()},
        )
    before = appt.status
    appt.status = Status.DECLINED
    appt.decided_at = clock.now()
    appt.decided_by = manager
    appt.decline_reason = reason[:300]
    appt.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
    audit_record(
        stream=f"case:{appt.slot.lot.case_id}",
        action="viewing.declined",
        actor=actor,
        subject=f"case:{appt.slot.lot.case_id}/lot:{appt.slot.lot_id}/viewing:{appt.pk}",
        before={"status": before},
        after={"status": "declined"},
        reason=reason,
    )
    _tell_requester(
        appt,
        gettext_lazy("看样预约未获确认"),
        gettext_lazy("您预约的看样 %(slot)s 未获确认。理由：%(reason)s"),
        reason=reason,
    )
    return appt


@transaction.atomic
def viewing_cancel(*, appointment_id: int, user: User) -> ViewingAppointment:
    """The bidder withdraws their own request before the slot starts."""
    appt = (
        ViewingAppointment.objects.select_for_update()
        .select_related("slot", "slot__lot")
        .filter(pk=appointment_id, user_id=user.pk)
        .first()
    )
    if appt is None:
        raise NotFound("viewing_not_found", gettext("看样预约不存在"))
    if appt.status not in ViewingAppointment.ACTIVE:
        raise Conflict(
            "viewing_not_pending",
            gettext("该预约%(status)s，无需取消") % {"status": appt.get_status_display()},
        )
    if appt.slot.starts_at <= clock.now():
        raise Conflict("viewing_slot_past", gettext("看样已开始，不能取消"))
    before = appt.status
    appt.status = Status.CANCELLED
    appt.decided_at = clock.now()
    appt.save(update_fields=["status", "decided_at"])
    audit_record(
        stream=f"case:{appt.slot.lot.case_id}",
        action="viewing.cancelled",
        actor=user,
        subject=f"case:{appt.slot.lot.case_id}/lot:{appt.slot.lot_id}/viewing:{appt.pk}",
        before={"status": before},
        after={"status": "cancelled"},
    )
    return appt


# ---- saved searches ---------------------------------------------------------------------------


@transaction.atomic
def saved_search_create(
    *, user: User, params: Mapping[str, Any], name: str = "", notify: bool = True
) -> SavedSearch:
    """Keep a checked search; new listings that match it are announced to ``user``."""
    if not user.is_authenticated:
        raise PermissionDenied("not_authenticated", gettext("请先登录"))
    query = parse_listing_query(params)
    canonical = query.as_params()
    canonical.pop("sort", None)
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise Conflict(
            "too_many_saved_searches",
            gettext("最多保存 %(max_saved_searches)s 个搜索")
            % {"max_saved_searches": MAX_SAVED_SEARCHES},
        )
    existing = SavedSearch.objects.filter(user=user, params=canonical).first()
    if existing is not None:
        return existing
    return SavedSearch.objects.create(
        user=user,
        name=(name or "").strip()[:80] or query.describe()[:80],
        params=canonical,
        notify=bool(notify),
        created_at=clock.now(),
    )


@transaction.atomic
def saved_search_delete(*, search_id: int, user: User) -> None:
    deleted, _ = SavedSearch.objects.filter(pk=search_id, user_id=user.pk).delete()
    if not deleted:
        raise NotFound("saved_search_not_found", gettext("保存的搜索不存在"))


# ---- watches --------------------------------------------------------------------------------


def _followable(auction_id: int) -> Auction:
    from marketplace.listings import public_auctions

    auction = public_auctions().filter(pk=auction_id).first()
    if auction is None:
        raise NotFound("auction_not_found", gettext("拍卖不存在"))
    return auction


@transaction.atomic
def watch_add(*, user: User, auction_id: int) -> Watch:
    """Follow an auction (idempotent). Court staff follow nothing: they supervise instead."""
    _require_member_of_public(user)
    auction = _followable(auction_id)
    existing = Watch.objects.filter(user=user, auction=auction).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Watch.objects.create(user=user, auction=auction, created_at=clock.now())
    except IntegrityError:
        return Watch.objects.get(user=user, auction=auction)


@transaction.atomic
def watch_remove(*, user: User, auction_id: int) -> bool:
    deleted, _ = Watch.objects.filter(user_id=user.pk, auction_id=auction_id).delete()
    return bool(deleted)


# ---- listing information (the court) -------------------------------------------------------


@transaction.atomic
def listing_info_set(
    *, auction_id: int, actor: Actor, loan_supported: bool, loan_note: str = ""
) -> ListingInfo:
    """The court says whether banks lend against this lot (可贷款), for the storefront filter."""
    auction = Auction.objects.filter(pk=auction_id, is_practice=False).first()
    if auction is None or auction.court_id is None:
        raise NotFound("auction_not_found", gettext("拍卖不存在"))
    manager = _require_manager(actor, auction.court_id)
    info = ListingInfo.objects.select_for_update().filter(auction=auction).first()
    before = {"loan_supported": info.loan_supported, "loan_note": info.loan_note} if info else None
    if info is None:
        info = ListingInfo(auction=auction)
    info.loan_supported = bool(loan_supported)
    info.loan_note = (loan_note or "").strip()[:300]
    info.updated_by = manager
    info.updated_at = clock.now()
    info.save()
    if auction.case_id:
        audit_record(
            stream=f"case:{auction.case_id}",
            action="listing.loan_info_set",
            actor=actor,
            subject=f"case:{auction.case_id}/auction:{auction.pk}",
            before=before,
            after={"loan_supported": info.loan_supported, "loan_note": info.loan_note},
        )
    return info
