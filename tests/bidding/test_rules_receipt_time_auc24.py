"""AUC-24: the bid time is the server's RECEIPT time, taken at the entry (websocket consumer,
HTTP API) before the bid waits for a thread or the auction's row lock; a bid is accepted only
if it was received before the end, and the close waits ``GAVEL_BID_RECEIPT_GRACE_MS`` after
the end for bids received before it. Through the service, the consumer, the API, and a race
on a real PostgreSQL row lock."""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
import traceback

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.db import connection, transaction

from bidding import locks, services
from bidding.models import Auction, AuctionResult, Bid
from bidding.services.bids import bid_time
from core import clock
from core.errors import DomainError
from tests import race

from .engine_factories import PASSWORD, YUAN, make_case, make_live_auction, register_active

GRACE_MS = 1000
MS = dt.timedelta(milliseconds=1)
START = 100_000 * YUAN


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.GAVEL_BID_RECEIPT_GRACE_MS = GRACE_MS
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    yield
    if hasattr(connection, "close_pool"):  # threads returned their connections to the pool
        connection.close_pool()


def _live(court, judge):
    _case, lot, *_ = make_case(court, judge=judge, basis_fen=None)
    auction = make_live_auction(court, lot, start=START)
    return auction, register_active(auction)


def _refused(code, **kw):
    with pytest.raises(DomainError) as exc:
        services.bid_place(**kw)
    assert exc.value.code == code and exc.value.rule == "AUC-24"
    return exc.value


# --- the service --------------------------------------------------------------------------------


def test_auc24_bid_time_is_the_receipt_time_bounded_by_the_lock_and_the_grace(settings):
    now = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    grace = dt.timedelta(milliseconds=GRACE_MS)
    assert bid_time(now - 30 * MS, now) == now - 30 * MS  # received before the lock
    assert bid_time(now + MS, now) == now  # never later than the lock
    assert bid_time(now - grace, now) == now - grace  # the oldest receipt trusted
    assert bid_time(now - grace - MS, now) == now - grace  # older: not trusted


@pytest.mark.django_db
def test_auc24_received_1ms_before_the_end_and_locked_after_it_is_accepted(
    court, judge, frozen_now
):
    auction, reg = _live(court, judge)
    end = auction.end_at
    clock.set_time(end + 20 * MS)  # the bid waited 21 ms for the lock
    b = services.bid_place(
        auction_id=auction.pk,
        user=reg.user,
        amount_fen=START,
        password=PASSWORD,
        received_at=end - MS,
    )
    auction.refresh_from_db()
    assert b.at == end - MS  # the receipt time is the bid time (REC-06 records it)
    assert auction.end_at == end - MS + dt.timedelta(minutes=5)  # AUC-23 from the bid time


@pytest.mark.django_db
def test_auc24_received_at_the_end_is_refused_even_if_locked_at_once(court, judge, frozen_now):
    auction, reg = _live(court, judge)
    clock.set_time(auction.end_at)
    _refused(
        "auction_ended",
        auction_id=auction.pk,
        user=reg.user,
        amount_fen=START,
        password=PASSWORD,
        received_at=auction.end_at,
    )
    assert not Bid.objects.filter(auction=auction).exists()


@pytest.mark.django_db
def test_auc24_a_receipt_time_older_than_the_grace_is_not_trusted(court, judge, frozen_now):
    """A caller cannot backdate a bid past the end: the receipt is bounded by the grace."""
    auction, reg = _live(court, judge)
    clock.set_time(auction.end_at + dt.timedelta(milliseconds=GRACE_MS))
    _refused(
        "auction_ended",
        auction_id=auction.pk,
        user=reg.user,
        amount_fen=START,
        password=PASSWORD,
        received_at=auction.end_at - dt.timedelta(minutes=1),
    )


@pytest.mark.rule("AUC-24", entry="worker")
@pytest.mark.django_db
def test_auc24_the_close_waits_the_grace_for_bids_received_before_the_end(court, judge, frozen_now):
    auction, _reg = _live(court, judge)
    clock.set_time(auction.end_at + dt.timedelta(milliseconds=GRACE_MS) - MS)
    assert services.auction_close_due() == []
    clock.set_time(auction.end_at + dt.timedelta(milliseconds=GRACE_MS))
    assert services.auction_close_due() == [auction.pk]
    assert AuctionResult.objects.filter(auction=auction).exists()


# --- the entries take the receipt time before any queue -------------------------------------------


def _session_cookie(user) -> str:
    from django.test import Client

    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"sessionid={c.cookies['sessionid'].value}"


@pytest.mark.rule("AUC-24", entry="api")
@pytest.mark.django_db(transaction=True)
def test_auc24_api_bid_is_timed_when_the_request_arrives_not_at_the_lock(court, judge, frozen_now):
    """Through the real ASGI application (config.asgi stamps the receipt time)."""
    from config.asgi import application

    auction, reg = _live(court, judge)
    end = auction.end_at
    token = "a" * 32
    cookie = f"{_session_cookie(reg.user)}; csrftoken={token}".encode()

    async def post(amount: int):
        comm = HttpCommunicator(
            application,
            "POST",
            f"/api/bidding/auctions/{auction.pk}/bids",
            body=json.dumps({"amount_fen": amount, "password": PASSWORD}).encode(),
            headers=[
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"cookie", cookie),
                (b"x-csrftoken", token.encode()),
            ],
        )
        return await comm.get_response(timeout=10)

    def lock_at(when):
        return race.run_before(
            "bidding.locks.auction_for_bid", lambda *a, **k: clock.set_time(when)
        )

    clock.set_time(end)  # received at the end, locked 1 ms later: refused
    with lock_at(end + MS):
        r = async_to_sync(post)(START)
    assert r["status"] == 400 and json.loads(r["body"])["code"] == "auction_ended"
    clock.set_time(end - MS)  # received 1 ms before the end, locked 30 ms after it: accepted
    with lock_at(end + 30 * MS):
        r = async_to_sync(post)(START)
    assert r["status"] == 200, r["body"]
    assert dt.datetime.fromisoformat(json.loads(r["body"])["at"]) == end - MS


@pytest.mark.rule("AUC-24", entry="api")
@pytest.mark.django_db(transaction=True)
def test_auc24_websocket_bid_is_timed_when_the_frame_arrives(court, judge, frozen_now):
    from config.asgi import application

    auction, reg = _live(court, judge)
    end = auction.end_at
    cookie = _session_cookie(reg.user).encode()

    async def run() -> dict:
        comm = WebsocketCommunicator(
            application,
            f"/ws/auctions/{auction.pk}/",
            headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)],
        )
        assert (await comm.connect(timeout=10))[0]
        await comm.send_json_to(
            {"type": "bid", "amount_fen": START, "client_id": "c1", "password": PASSWORD}
        )
        while True:
            msg = json.loads(await comm.receive_from(timeout=10))
            if msg["type"] in ("bid_accepted", "bid_rejected", "error"):
                await comm.disconnect()
                return msg

    clock.set_time(end - 10 * MS)  # the frame arrives 10 ms before the end ...
    # ... and the bid gets the auction's row lock 20 ms after it.
    with race.run_before(
        "bidding.locks.auction_for_bid", lambda *a, **k: clock.set_time(end + 20 * MS)
    ):
        msg = async_to_sync(run)()
    assert msg["type"] == "bid_accepted", msg
    assert dt.datetime.fromisoformat(msg["at"]) == end - 10 * MS


# --- the race on a real row lock (PostgreSQL) -------------------------------------------------------


def _waiting_for_a_lock(me: int, bidder: threading.Thread, out: dict) -> None:
    """Until another connection waits on a row lock (the bid behind the holder ``me``)."""
    deadline = time.monotonic() + 30
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid <> %s AND datname = current_database()",
                [me],
            )
            if cur.fetchone()[0]:
                return
            if not bidder.is_alive():
                raise AssertionError(f"the bid ended without waiting for the lock: {out}")
            time.sleep(0.01)
        cur.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity"
            " WHERE datname = current_database()"
        )
        rows = cur.fetchall()
    frames = sys._current_frames()
    stack = "".join(traceback.format_stack(frames[bidder.ident])) if bidder.ident in frames else ""
    raise AssertionError(f"the bid never waited for the auction's row lock: {rows}\n{stack}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_auc24_race_a_bid_received_before_the_end_waits_past_it_for_the_lock_and_is_accepted(
    court, judge
):
    """The bid reaches the server 10 ms before the end; another transaction holds the auction's
    row lock until 20 ms after the end. The close at that moment waits (grace); the bid gets
    the lock, is accepted at its receipt time and extends the end. A bid received after the
    end, in the same position, is refused."""
    clock.set_time(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    auction, reg = _live(court, judge)
    late = register_active(auction)
    for r in (reg, late):
        assert services._password_ok(r, PASSWORD)  # PBKDF2 once, outside the race
    end = auction.end_at

    def behind_the_lock(user, amount, received_at, lock_at):
        """Hold the auction's row lock, start the bid (received at ``received_at``), let the
        clock pass the end (to ``lock_at``) while it waits in PostgreSQL, then release it."""
        out: dict = {}

        def bidder():
            try:
                out["bid"] = services.bid_place(
                    auction_id=auction.pk,
                    user=user,
                    amount_fen=amount,
                    password=PASSWORD,
                    received_at=received_at,
                )
            except DomainError as exc:
                out["error"] = exc
            finally:
                connection.close()

        with transaction.atomic():
            locks.auction_for_update(auction.pk)  # another writer holds the row
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                me = cur.fetchone()[0]
            t = threading.Thread(target=bidder)
            t.start()
            _waiting_for_a_lock(me, t, out)
            clock.set_time(lock_at)
            out["closed_meanwhile"] = race.in_thread(services.auction_close_due)
        t.join(10)
        return out

    clock.set_time(end - 10 * MS)
    got = behind_the_lock(reg.user, START, clock.now(), end + 20 * MS)
    assert got["closed_meanwhile"] == []  # the close waited for the bid in flight
    bid = got["bid"]
    assert bid.at == end - 10 * MS
    auction.refresh_from_db()
    assert auction.state == "extended" and auction.end_at == bid.at + dt.timedelta(minutes=5)

    # Received after the (new) end, then held behind the lock: refused as ended.
    new_end = auction.end_at
    clock.set_time(new_end)
    got = behind_the_lock(late.user, START + auction.increment_fen, new_end, new_end + 20 * MS)
    assert got["error"].code == "auction_ended" and got["error"].rule == "AUC-24"
    clock.set_time(new_end + dt.timedelta(milliseconds=GRACE_MS))
    assert services.auction_close_due() == [auction.pk]
    result = AuctionResult.objects.get(auction=auction)
    assert result.winner_id == reg.pk and Bid.objects.filter(auction=auction).count() == 1
    assert Auction.objects.get(pk=auction.pk).state == "sold"
