"""Marketplace reads: viewing slots, saved searches (listings, results and accounts join when bidding lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from core import clock
from marketplace.models import SavedSearch, ViewingAppointment, ViewingSlot, Watch

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from bidding.models import Auction
    from core.models import User

ACTIVE = ViewingAppointment.ACTIVE


def viewing_slots_for_lot(
    lot_id: int, user: User | AnonymousUser | None = None
) -> list[dict[str, Any]]:
    """Upcoming, not cancelled slots of a lot, with places left and the user's own request."""
    slots = (
        ViewingSlot.objects.filter(lot_id=lot_id, cancelled=False, starts_at__gt=clock.now())
        .annotate(taken=Count("appointments", filter=Q(appointments__status__in=ACTIVE)))
        .order_by("starts_at", "pk")
    )
    mine: dict[int, ViewingAppointment] = {}
    if user is not None and user.is_authenticated:
        for appt in ViewingAppointment.objects.filter(
            user=user, slot__lot_id=lot_id, status__in=ACTIVE
        ):
            mine[appt.slot_id] = appt
    return [
        {"slot": s, "left": max(0, s.capacity - s.taken), "mine": mine.get(s.pk)} for s in slots
    ]


def court_viewing_slots(court_id: int, *, include_past_days: int = 7) -> QuerySet[ViewingSlot]:
    """The court's slots from a week ago on, with their requests (for the staff page)."""
    import datetime as dt

    since = clock.now() - dt.timedelta(days=include_past_days)
    return (
        ViewingSlot.objects.filter(court_id=court_id, starts_at__gte=since)
        .select_related("lot", "lot__case")
        .prefetch_related("appointments__user")
        .order_by("starts_at", "pk")
    )


def my_viewings(user: User) -> QuerySet[ViewingAppointment]:
    return (
        ViewingAppointment.objects.filter(user=user)
        .select_related("slot", "slot__lot")
        .order_by("-slot__starts_at", "-pk")
    )


def saved_searches_of(user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user)


def watches_of(user: User) -> QuerySet[Watch]:
    return (
        Watch.objects.filter(user=user)
        .select_related("auction", "auction__court", "auction__lot")
        .order_by("-created_at", "-pk")
    )


def auction_photos(auction: Auction) -> list[dict[str, str]]:
    """The lot's photos (public: part of the announcement, AUC-09)."""
    from cases.models import AssetFile

    out: list[dict[str, str]] = []
    if not auction.lot_id:
        return out
    for f in AssetFile.objects.filter(
        asset__lots=auction.lot_id, kind=AssetFile.Kind.PHOTO
    ).order_by("pk"):
        try:
            out.append({"url": f.file.url, "title": f.title})
        except ValueError:
            continue
    return out
