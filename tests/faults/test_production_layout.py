"""The production layout under faults (issue 18, docs/deployment.md), on loopback.

deploy/Procfile is started by honcho (three web processes, the worker, two clocks) behind
HAProxy with deploy/haproxy.cfg, with DEBUG off, on the test database and a Redis of the
test's own. Bidders and watchers go through HAProxy only (websockets included). Mid-auction
one web process and one clock are killed (SIGKILL, and kept dead). Then: no acknowledged bid
is lost (AUC-25's history and the database agree with every acknowledgement), every auction
is closed exactly once by the clock that is left (AUC-28: one result, one close entry), and
every watcher, those cut off included, ends in step by sequence number (the snapshot on
reconnect, the pushes, the history for a gap: docs/websocket.md).

Every process started here (honcho, its children, HAProxy) is stopped at the end, on failure
too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bidding.models import Auction, AuctionResult, Bid
from core import clock
from core.models.audit import AuditEntry
from tests.bidding.engine_factories import (
    PASSWORD,
    YUAN,
    make_case,
    make_live_auction,
    register_active,
)
from tests.browser.conftest import _database_env
from tests.conftest import make_court, make_user
from tests.faults.live import ConnectionClosed, LiveClient, session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.real_clock]

BASE_DIR = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
N_WEB = 3
START = 100_000 * YUAN
INC = 1_000 * YUAN
SECRET = "layout-test-secret-key-" + "x" * 40
AUDIT_KEY = "layout-test-audit-key-" + "y" * 40


@dataclass
class Endpoint:
    """What LiveClient needs of a server: its HTTP and websocket base URLs."""

    url: str
    ws_url: str


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _base_port() -> int:
    """A base port whose Procfile ports (web base..base+N-1, worker +100, clocks +200/+300,
    metrics +1000 each) are all free."""
    for _ in range(200):
        base = random.randrange(20_000, 50_000, 10)
        ports = [*range(base, base + N_WEB), base + 100, base + 200, base + 300]
        if all(_free(p) and _free(p + 1000) for p in ports):
            return base
    raise RuntimeError("no free block of ports")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def established(port: int) -> int:
    """Established TCP connections to 127.0.0.1:``port`` (its server side), from /proc."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                local, _remote, state = line.split()[1:4]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                    n += 1
    return n


def http_status(url: str, timeout: float = 2) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def wait_for(what: str, test: Any, seconds: float, every: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(every)


class Layout:
    """honcho + HAProxy on loopback; ``stop`` ends every process they started."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.base = _base_port()
        self.web_ports = list(range(self.base, self.base + N_WEB))
        self.proxy_port = next(
            p for p in (random.randrange(50_001, 60_000) for _ in range(100)) if _free(p)
        )
        self.proxy = Endpoint(
            f"http://127.0.0.1:{self.proxy_port}", f"ws://127.0.0.1:{self.proxy_port}"
        )
        self.log_dir = log_dir
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []
        self.known: dict[int, list[str]] = {}  # pid → command line, of every process seen
        honcho = [sys.executable, "-m", "honcho", "start", "--no-colour"]
        honcho += ["-f", "deploy/Procfile", "-d", str(BASE_DIR), "-p", str(self.base)]
        honcho += ["-c", f"web={N_WEB}"]
        self.honcho = self._start(honcho, "honcho.log", env)
        proxy_env = {**os.environ, "GAVEL_HAPROXY_BIND": f"127.0.0.1:{self.proxy_port}"}
        for i, port in enumerate(self.web_ports, start=1):
            proxy_env[f"GAVEL_WEB{i}_PORT"] = str(port)
        self.haproxy = self._start(
            [HAPROXY, "-db", "-f", str(BASE_DIR / "deploy" / "haproxy.cfg")],
            "haproxy.log",
            proxy_env,
        )

    def _start(self, cmd: list[str], log: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = open(self.log_dir / log, "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def remember(self) -> None:
        for proc in self.procs:
            for pid in descendants(proc.pid):
                self.known.setdefault(pid, cmdline(pid))

    def pids(self, *words: str) -> list[int]:
        """Processes of the layout whose command line has every word (not the wrappers)."""
        self.remember()
        found = []
        for pid in descendants(self.honcho.pid):
            args = cmdline(pid)
            program = " ".join(args[:2])
            if args and "respawn" not in program and all(w in args for w in words):
                found.append(pid)
        return sorted(found)

    def wait_ready(self) -> None:
        t0 = time.monotonic()
        for port in self.web_ports:
            wait_for(
                f"web process on {port}",
                lambda port=port: (
                    self.honcho.poll() is None
                    and http_status(f"http://127.0.0.1:{port}/health/?format=json") == 200
                ),
                60,
            )
        print(f"web processes healthy after {time.monotonic() - t0:.1f} s")
        wait_for("two clocks", lambda: len(self.pids("run_clock")) == 2, 30)
        wait_for(
            "the worker and the clocks beat",
            lambda: http_status(f"{self.proxy.url}/health/processes/?format=json") == 200,
            30,
        )
        print(f"worker and clocks beating after {time.monotonic() - t0:.1f} s")
        time.sleep(2.5)  # HAProxy: rise 2 × inter 1 s for every server after its first check

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def stop(self) -> None:
        self.remember()
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.remember()
        # anything of ours left (ignored SIGTERM): the same pid with the same command line,
        # never a pid that was reused by someone else's process
        for pid, args in self.known.items():
            if args and cmdline(pid) == args:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def layout(redis_server, transactional_db, settings, tmp_path) -> Iterator[Layout]:
    from django.db import connection

    # The servers and this process sign sessions with the same key (the test makes the
    # bidders' session cookies); DEBUG is off there, as in production.
    settings.SECRET_KEY = SECRET
    env = {
        **os.environ,
        **_database_env(dict(connection.settings_dict)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": redis_server.url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "GAVEL_AUDIT_KEY": AUDIT_KEY,
        "GAVEL_AUDIT_KEY_ID": "layout",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "GAVEL_EXTRA_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
        "RATELIMIT_ENABLE": "false",
        "GAVEL_RESPAWN_DELAY": "600",  # a killed process stays dead for the test
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTEST_VERSION", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    if not env.get("DATABASE_URL"):
        env.pop("DATABASE_URL", None)
    started = Layout(env, tmp_path)
    try:
        started.wait_ready()
        yield started
    except BaseException:
        print(started.logs())
        raise
    finally:
        started.stop()


def connect(endpoint: Endpoint, auction_id: int, cookie: str | None = None) -> LiveClient:
    """A client through HAProxy (retried: a server may be on its way out of the rotation)."""
    for attempt in range(20):
        try:
            return LiveClient(endpoint, auction_id, cookie)  # type: ignore[arg-type]
        except (OSError, ConnectionClosed, AssertionError):
            if attempt == 19:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def reconnect(client: LiveClient, endpoint: Endpoint) -> None:
    for attempt in range(20):
        try:
            client.connect(endpoint)  # type: ignore[arg-type]
            return
        except (OSError, ConnectionClosed, AssertionError):
            if attempt == 19:
                raise
            time.sleep(0.5)


def is_cut(client: LiveClient) -> bool:
    try:
        client.drain(0.3)
        client.ws.ping().wait(3)
    except (ConnectionClosed, TimeoutError, OSError):
        return True
    return client.ws.close_code is not None


def test_layout_survives_a_killed_web_process_and_a_killed_clock(layout):
    court = make_court(name="南昌市东湖区人民法院（测试）")
    judge = make_user("judge", court)
    _, lot, _, _ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, increment=INC)
    # Three more auctions without bids, ending while the layout is short of a clock.
    quiet = []
    for _ in range(3):
        _, other_lot, _, _ = make_case(court, judge=judge)
        quiet.append(make_live_auction(court, other_lot, start=START, increment=INC))
    regs = [register_active(auction), register_active(auction)]

    proxy = layout.proxy
    bidders = [connect(proxy, auction.pk, session_cookie(r.user)) for r in regs]
    watchers = [connect(proxy, auction.pk) for _ in range(4)]
    clients = [*bidders, *watchers]
    acked: dict[int, tuple[int, int]] = {}  # seq → (amount, registration)
    amount = START

    def place(i: int) -> None:
        nonlocal amount
        bidder = bidders[i % 2]
        try:
            reply = bidder.bid(amount, PASSWORD)
        except (ConnectionClosed, AssertionError):
            # cut off with the bid in flight: reconnect; the snapshot says whether it counted
            reconnect(bidder, proxy)
            if Bid.objects.filter(auction=auction, amount_fen=amount).exists():
                acked[bidder.have] = (amount, regs[i % 2].pk)
                amount = amount + INC
            return
        assert reply["type"] == "bid_accepted", reply
        acked[reply["seq"]] = (amount, regs[i % 2].pk)
        amount += INC

    for i in range(4):
        place(i)

    # Mid-auction: one web process and one clock die (SIGKILL: no goodbye). The web process
    # killed is one HAProxy gave clients to (roundrobin spread six over three).
    victim = max(layout.web_ports, key=established)
    assert established(victim) > 0
    web = [
        p
        for p in layout.pids("-p", str(victim))
        if any(a.endswith("daphne") for a in cmdline(p)[:2])
    ]
    clocks = layout.pids("run_clock")
    assert len(web) == 1 and len(clocks) == 2, (web, clocks)
    os.kill(web[0], signal.SIGKILL)
    os.kill(clocks[0], signal.SIGKILL)
    cut = [c for c in clients if is_cut(c)]
    assert cut, "no client was connected to the killed web process"
    for client in cut:
        reconnect(client, proxy)
    # the quiet auctions end now, with one clock left
    now = clock.now()
    Auction.objects.filter(pk__in=[a.pk for a in quiet]).update(
        end_at=now + dt.timedelta(seconds=2), scheduled_end_at=now + dt.timedelta(seconds=2)
    )
    amount = max(amount, max(c.price_fen or 0 for c in bidders) + INC)
    for i in range(4, 8):
        place(i)

    # Time passes: the auction's (extended) end comes; the surviving clock closes everything.
    Auction.objects.filter(pk=auction.pk).update(end_at=clock.now())
    everyone = [auction.pk, *(a.pk for a in quiet)]
    wait_for(
        "every auction closed",
        lambda: Auction.objects.filter(pk__in=everyone, closed_at__isnull=False).count() == 4,
        45,
        every=0.5,
    )
    assert len(layout.pids("run_clock")) == 1  # the killed clock stayed dead
    time.sleep(3)  # a second close would have happened by now (clock ticks every second)

    # Every auction closed exactly once (AUC-28).
    for pk in everyone:
        assert AuctionResult.objects.filter(auction_id=pk).count() == 1
        closes = AuditEntry.objects.filter(
            action__startswith="auction.closed.", stream=f"auction:{pk}"
        )
        assert closes.count() == 1, list(closes.values_list("action", "pk"))
    sold = Auction.objects.get(pk=auction.pk)
    assert sold.state == "sold"
    assert {a.state for a in Auction.objects.filter(pk__in=[a.pk for a in quiet])} == {"unsold"}

    # No acknowledged bid lost: the database and the public history hold each one.
    top = max(acked)
    assert sold.current_price_fen == acked[top][0]
    assert AuctionResult.objects.get(auction_id=auction.pk).winner_id == acked[top][1]
    db_bids = {b.seq: b.amount_fen for b in Bid.objects.filter(auction=auction)}
    assert db_bids == {seq: a for seq, (a, _) in acked.items()}

    # Every watcher (the ones cut off too) is in step by sequence number.
    for watcher in watchers:
        deadline = time.monotonic() + 15
        while watcher.have < top and time.monotonic() < deadline:
            watcher.recv(0.5)
        if watcher.missing():
            watcher.fetch_history()  # through HAProxy too: watcher.server is the proxy
        assert watcher.have == top
        assert watcher.missing() == []
        assert {s: watcher.bids[s]["amount_fen"] for s in acked} == {
            s: a for s, (a, _) in acked.items()
        }
    assert any(w in cut for w in watchers) or any(b in cut for b in bidders)

    # Health and metrics of the processes left.
    status = json.loads(
        urllib.request.urlopen(f"{proxy.url}/health/?format=json", timeout=5).read()
    )
    assert status and all(v == "OK" or "working" in str(v).lower() for v in status.values()), status
    assert http_status(f"http://127.0.0.1:{victim}/health/") == 0  # the dead one
    alive_webs = [p for p in layout.web_ports if p != victim]
    for port in [*alive_webs, layout.base + 100]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port + 1000}/metrics", timeout=5) as r:
            text = r.read().decode()
        assert "python_info" in text
    surviving_clock = [
        p
        for p in (layout.base + 200, layout.base + 300)
        if http_status(f"http://127.0.0.1:{p + 1000}/metrics") == 200
    ]
    assert len(surviving_clock) == 1  # the killed clock's metrics died with it
    url = f"http://127.0.0.1:{surviving_clock[0] + 1000}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        assert "gavel_clock_auctions_closed_total" in r.read().decode()
    for client in clients:
        client.close()
