"""Every row lock bidding takes, in one place (Saleor's ``lock_objects`` idea).

The auction row is the lock of everything live about one auction: bids, extensions, the
close, court actions and the auction's audit stream. Several rows are always locked in
primary-key order, so two services can never deadlock on each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from bidding.models import Auction, AuctionState, Registration
from core.errors import NotFound


def auction_for_update(auction_id: int) -> Auction:
    """Lock one auction row; a missing auction (an id from a request) is ``NotFound``, 404."""
    auction = Auction.objects.select_for_update(of=("self",)).filter(pk=auction_id).first()
    if auction is None:
        raise NotFound("auction_not_found", gettext("拍卖不存在"))
    return auction


def _bid_lock_query(registration_id: int, auction_id: int) -> QuerySet[Registration]:
    return (
        Registration.objects.select_related("auction")
        .select_for_update(of=("auction",))
        .filter(pk=registration_id, auction_id=auction_id)
        .order_by()[:1]
    )


#: The compiled ``_bid_lock_query`` per database alias: sql, each parameter's slot, the
#: parameters as compiled, and the ORM's value converters by column.
_bid_lock_sql: dict[str, tuple[str, list[int | None], list[Any], dict[int, Any]]] = {}
_SENTINEL_REG, _SENTINEL_AUCTION = -7_000_000_001, -7_000_000_002


def _compiled_bid_lock(
    alias: str,
) -> tuple[str, list[int | None], list[Any], dict[int, Any]] | None:
    """Compile the bid's lock query once per process: Django's compiler costs more than the
    statement itself on this path (≈ 1.7 ms against ≈ 0.6 ms measured here). The SQL is the
    ORM's own, compiled with sentinel values so each parameter's slot is known."""
    cached = _bid_lock_sql.get(alias)
    if cached is not None:
        return cached
    query = _bid_lock_query(_SENTINEL_REG, _SENTINEL_AUCTION).query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    slots: list[int | None] = []
    for value in params:
        if value == _SENTINEL_REG:
            slots.append(0)
        elif value == _SENTINEL_AUCTION:
            slots.append(1)
        else:
            slots.append(None)
    reg_fields = Registration._meta.concrete_fields
    auction_fields = Auction._meta.concrete_fields
    if len(compiler.select) != len(reg_fields) + len(auction_fields) or slots.count(0) != 1:
        return None  # an unexpected shape: use the ORM every time
    converters = compiler.get_converters([col for col, _, _ in compiler.select])
    cached = _bid_lock_sql[alias] = (sql, slots, list(params), converters)
    return cached


def auction_for_bid(auction_id: int, registration_id: int) -> Registration | None:
    """Lock the auction row and read one of its registrations in the same statement (the bid
    path: one round trip instead of two). ``None`` if the registration is not this auction's.

    ``FOR UPDATE OF`` the auction only; under READ COMMITTED a waiter re-reads the auction's
    newest version when the lock is granted, so the fields it sees are the committed ones.
    """
    connection = transaction.get_connection()
    compiled = _compiled_bid_lock(connection.alias)
    if compiled is None:
        return _bid_lock_query(registration_id, auction_id).first()
    sql, slots, params, converters = compiled
    values = (registration_id, auction_id)
    args = [values[slot] if slot is not None else params[i] for i, slot in enumerate(slots)]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        fetched = cursor.fetchone()
    if fetched is None:
        return None
    row = list(fetched)
    for pos, (convs, expression) in converters.items():  # as the ORM's apply_converters
        value = row[pos]
        for convert in convs:
            value = convert(value, expression, connection)
        row[pos] = value
    n = len(Registration._meta.concrete_fields)
    reg = Registration.from_db(
        connection.alias, [f.attname for f in Registration._meta.concrete_fields], row[:n]
    )
    auction = Auction.from_db(
        connection.alias, [f.attname for f in Auction._meta.concrete_fields], row[n:]
    )
    Registration.auction.field.set_cached_value(reg, auction)
    return reg


def auctions_for_update(auction_ids: Iterable[int]) -> list[Auction]:
    return list(
        Auction.objects.select_for_update(of=("self",))
        .filter(pk__in=list(auction_ids))
        .order_by("pk")
    )


def due_auctions_for_close(
    now: dt.datetime, *, limit: int = 20, exclude: list[int] | None = None
) -> QuerySet[Auction]:
    """Auctions whose end is at or before ``now`` (the caller subtracts the AUC-24 receipt
    grace), skipping rows another closer holds (exactly once) and ``exclude`` (closes that
    just failed in this turn)."""
    qs = Auction.objects.all()
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return (
        qs.select_for_update(skip_locked=True, of=("self",))
        .select_related("case")  # the confirmation names the case (AUC-29); not locked
        # A scheduled auction whose whole period passed unseen (no clock ran) closes too.
        .filter(
            state__in=[AuctionState.SCHEDULED, AuctionState.BIDDING, AuctionState.EXTENDED],
            end_at__lte=now,
        )
        # PRC-11: one that never opened on a lapsed price waits for the court, never 流拍.
        .exclude(state=AuctionState.SCHEDULED, price_lapsed_at__isnull=False)
        .order_by("end_at", "pk")[:limit]
    )


def due_auctions_for_open(now: dt.datetime, *, limit: int = 50) -> QuerySet[Auction]:
    return (
        Auction.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=AuctionState.SCHEDULED, start_at__lte=now, price_lapsed_at__isnull=True)
        .order_by("start_at", "pk")[:limit]
    )
