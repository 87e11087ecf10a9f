"""The live draw page over websockets: watchers get the record on connect and after each step
(commitment, reveal, result), only once the step has committed."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from appraisers import services
from appraisers.routing import websocket_urlpatterns
from core import clock
from tests.appraisers.conftest import make_case, make_firm, secret_pair, start_request
from tests.conftest import make_court, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def _close_pool():
    """Other threads returned their connections to the pool; close it so the test DB can be dropped."""
    yield
    from django.db import connection as conn

    if hasattr(conn, "close_pool"):
        conn.close_pool()


@database_sync_to_async
def _setup():
    clock.set_time(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))
    court = make_court()
    judge = make_user("judge", court)
    case, creditor, debtor, asset = make_case(court, judge)
    for _ in range(4):
        make_firm(None)
    s = {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
    }
    req = start_request(s)
    services.agreement_skip(request=req, reason="无法联系", actor=judge)
    now = clock.now()
    draw = services.draw_schedule(
        request=req,
        scheduled_at=now + dt.timedelta(hours=2),
        seed_mode="commit_reveal",
        commit_deadline=now + dt.timedelta(hours=1),
        actor=judge,
    )
    return s, draw


def _app():
    return URLRouter(websocket_urlpatterns)


async def _receive(comm):
    msg = await comm.receive_json_from(timeout=5)
    assert msg["type"] == "record"
    return msg["record"]


async def test_watchers_see_commitments_reveals_and_the_result_live():
    s, draw = await _setup()
    comm = WebsocketCommunicator(_app(), f"/ws/appraisers/draws/{draw.pk}/")
    connected, _ = await comm.connect()
    assert connected
    first = await _receive(comm)
    assert first["status"] == "frozen" and first["list_hash"] == draw.list_hash
    assert len(first["frozen_list"]) == 4 and first["result"] == []

    secret, commitment = secret_pair("court")
    await database_sync_to_async(services.draw_commit)(
        draw=draw, participant_ref="court", commitment=commitment, actor=s["judge"]
    )
    rec = await _receive(comm)
    assert [c["commitment"] for c in rec["commitments"]] == [commitment]

    await database_sync_to_async(clock.advance)(dt.timedelta(hours=1, minutes=1))
    await database_sync_to_async(services.draw_reveal)(
        draw=draw, participant_ref="court", secret=secret, actor=s["judge"]
    )
    rec = await _receive(comm)
    assert (
        rec["commitments"][0]["revealed_at"] and rec["commitments"][0]["secret"] == ""
    )  # not before the result

    await database_sync_to_async(clock.advance)(dt.timedelta(hours=1))
    await database_sync_to_async(services.draw_run)(draw=draw, actor=s["judge"])
    rec = await _receive(comm)
    assert rec["status"] == "done" and len(rec["result"]) == 3 and rec["seed"]
    assert rec["commitments"][0]["secret"] == secret
    await comm.send_json_to({"type": "snapshot"})
    again = await _receive(comm)
    assert again["result"] == rec["result"]
    await comm.disconnect()
    clock.reset()


async def test_a_refused_step_pushes_nothing():
    s, draw = await _setup()
    comm = WebsocketCommunicator(_app(), f"/ws/appraisers/draws/{draw.pk}/")
    await comm.connect()
    await _receive(comm)
    from core.errors import DomainError

    with pytest.raises(DomainError):
        await database_sync_to_async(services.draw_commit)(
            draw=draw, participant_ref="court", commitment="nothex", actor=s["judge"]
        )
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()
    clock.reset()


async def test_unknown_draw_is_refused():
    comm = WebsocketCommunicator(_app(), "/ws/appraisers/draws/999999/")
    connected, code = await comm.connect()
    assert not connected and code == 4404
    await comm.disconnect()  # let the consumer finish, so its database connection is returned
