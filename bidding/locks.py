"""Every row lock bidding takes, in one place (Saleor's ``lock_objects`` idea).

The auction row is the lock of everything live about one auction: bids, extensions, the
close, court actions and the auction's audit stream. Several rows are always locked in
primary-key order, so two services can never deadlock on each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from bidding.models import Auction, AuctionState, Registration


def auction_for_update(auction_id: int) -> Auction:
    """Lock one auction row (raises ``Auction.DoesNotExist``)."""
    return Auction.objects.select_for_update(of=("self",)).get(pk=auction_id)


def auction_for_bid(auction_id: int, registration_id: int) -> Registration | None:
    """Lock the auction row and read one of its registrations in the same statement (the bid
    path: one round trip instead of two). ``None`` if the registration is not this auction's.

    ``FOR UPDATE OF`` the auction only; under READ COMMITTED a waiter re-reads the auction's
    newest version when the lock is granted, so the fields it sees are the committed ones.
    """
    return (
        Registration.objects.select_related("auction")
        .select_for_update(of=("auction",))
        .filter(pk=registration_id, auction_id=auction_id)
        .first()
    )


def auctions_for_update(auction_ids: Iterable[int]) -> list[Auction]:
    return list(
        Auction.objects.select_for_update(of=("self",))
        .filter(pk__in=list(auction_ids))
        .order_by("pk")
    )


def due_auctions_for_close(now, *, limit: int = 20) -> QuerySet[Auction]:
    """Auctions whose end has passed, skipping rows another closer holds (exactly once)."""
    return (
        Auction.objects.select_for_update(skip_locked=True, of=("self",))
        # A scheduled auction whose whole period passed unseen (no clock ran) closes too.
        .filter(
            state__in=[AuctionState.SCHEDULED, AuctionState.BIDDING, AuctionState.EXTENDED],
            end_at__lte=now,
        )
        .order_by("end_at", "pk")[:limit]
    )


def due_auctions_for_open(now, *, limit: int = 50) -> QuerySet[Auction]:
    return (
        Auction.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=AuctionState.SCHEDULED, start_at__lte=now)
        .order_by("start_at", "pk")[:limit]
    )
