"""The hub keeps its channel-layer group memberships (issue 15; docs/websocket.md "Surviving a
Redis restart"): re-joined before channels-redis can expire them, and after Redis lost them
(then the local watchers get a resync from the database). The end-to-end proof with a Redis
killed under two server processes is tests/faults/test_fault_live_redis_restart.py."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from bidding import live

from .engine_factories import make_case, make_live_auction

if TYPE_CHECKING:
    from autobahn.twisted.websocket import WebSocketServerProtocol

pytestmark = pytest.mark.django_db(transaction=True)


class FakeWatcher:
    """A local watcher that records what the hub pushes."""

    ws_protocol: WebSocketServerProtocol | None = None
    ready = True

    def __init__(self) -> None:
        self.texts: list[dict[str, Any]] = []

    async def push(self, text: str) -> None:
        self.texts.append(json.loads(text))


def test_refresh_comes_well_before_the_layer_can_expire_a_member(settings):
    settings.GAVEL_LIVE_GROUP_REFRESH_SECONDS = 300
    settings.GAVEL_LIVE_GROUP_CHECK_SECONDS = 1
    assert live.group_refresh_interval(SimpleNamespace(group_expiry=86400)) == 300
    assert live.group_refresh_interval(SimpleNamespace(group_expiry=600)) == 150
    assert live.group_refresh_interval(SimpleNamespace()) == 300


def _redis_layer() -> Any:
    layer = get_channel_layer()
    if not hasattr(layer, "ring_size"):
        pytest.skip("needs the Redis channel layer (REDIS_URL)")
    return layer


def _other_process_update(auction_id: int, seq: int) -> dict[str, Any]:
    message = live._group_message(
        "state", {"type": "state", "auction_id": auction_id, "seq": seq, "bids": []}
    )
    return dict(message, origin="another-process")


async def _until(predicate: Any, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


@pytest.fixture
def auction_id(court, judge):
    return make_live_auction(court, make_case(court, judge=judge)[1]).pk


async def test_a_lapsed_membership_is_renewed_by_the_periodic_rejoin(settings, auction_id):
    layer = _redis_layer()
    settings.GAVEL_LIVE_GROUP_CHECK_SECONDS = 0.1
    settings.GAVEL_LIVE_GROUP_REFRESH_SECONDS = 0.3
    watcher = FakeWatcher()
    hub = await live.Hub.get()
    await hub.join(watcher, auction_id)
    try:
        # channels-redis drops a member after group_expiry: the same as a discard.
        await layer.group_discard(live.group_name(auction_id), hub.channel)
        await asyncio.sleep(0.8)  # more than the refresh interval
        await layer.group_send(live.group_name(auction_id), _other_process_update(auction_id, 7))
        assert await _until(lambda: any(t.get("seq") == 7 for t in watcher.texts))
        assert hub.rejoins == 0  # a routine renewal, not a recovery: no resync
    finally:
        await hub.leave(watcher, auction_id)


async def test_memberships_lost_with_redis_data_are_rejoined_and_watchers_resynced(
    settings, auction_id
):
    layer = _redis_layer()
    settings.GAVEL_LIVE_GROUP_CHECK_SECONDS = 0.1
    settings.GAVEL_LIVE_GROUP_REFRESH_SECONDS = 3600
    client = layer.connection(0)
    await client.delete(live.HUB_SENTINEL_KEY)  # an earlier test's hub in this process set it
    watcher = FakeWatcher()
    hub = await live.Hub.get()
    await hub.join(watcher, auction_id)
    try:
        for _ in range(100):  # the hub marks Redis (its sentinel) once it runs
            if await client.exists(live.HUB_SENTINEL_KEY):
                break
            await asyncio.sleep(0.05)
        assert await client.exists(live.HUB_SENTINEL_KEY)
        # Redis lost its data (a restart without persistence): the sentinel and the member.
        await layer.group_discard(live.group_name(auction_id), hub.channel)
        await client.delete(live.HUB_SENTINEL_KEY)
        assert await _until(lambda: any(t.get("resync") for t in watcher.texts))
        resync = next(t for t in watcher.texts if t.get("resync"))
        snapshot = await database_sync_to_async(live.read_snapshot)(auction_id)
        assert (resync["type"], resync["seq"], resync["state"]) == (
            "state",
            snapshot["seq"],
            snapshot["state"],
        )
        assert hub.rejoins >= 1
        await layer.group_send(live.group_name(auction_id), _other_process_update(auction_id, 9))
        assert await _until(lambda: any(t.get("seq") == 9 for t in watcher.texts))
    finally:
        await hub.leave(watcher, auction_id)
