"""Closing in bulk (issue 18): N real auctions (a case, a court, deposits paid through
settlement, half sold with one loser, half unsold with two) ending within ``--spread`` seconds
of real time, closed by K ``manage.py run_clock`` processes on PostgreSQL, then their queued
follow-ups run by two worker processes.

    DATABASE_URL=postgres://…/gavel_bench_closes nice python bench/scale/closes.py --n 200 --clocks 1

Set-up through the factories and services is slow (≈211 statements and ≈0.16 s of CPU an
auction: a case, pricing, two registrations with deposits paid through settlement, two bids;
10,000 took 42 minutes in two processes on this shared box), so it may be done ahead, outside the measured (and ``flock``-ed) run, into a pool of the same real
auctions with ends far away; a measured run then takes the next N auctions of the pool still
bidding and sets their ends as the plain run does:

    python bench/scale/closes.py --prepare var/closes-pool.json --n 3000   # slow, once
    # or several at once on one database, each with sequences of its own:
    python bench/scale/closes.py --prepare var/pool-3.json --n 5000 --seq-offset 3000000 &
    python bench/scale/closes.py --prepare var/pool-4.json --n 5000 --seq-offset 4000000 &
    flock /work/bench.lock python bench/scale/closes.py --pool var/closes-pool.json --n 2000 …

Reports closes/s (N over the span from the first end to the last close, and over the span of
the closes themselves), lateness (close time − (end + AUC-24 receipt grace)) p50/p99, and the
exactly-once checks: one outcome per auction, one follow-up each, one deposit release per
loser. The database is migrated and emptied of earlier bench auctions first (use a database
of its own). Figures go to docs/performance.md with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.scale.settings")
# A bench database of its own: its audit chain is signed with a throwaway key (inherited by the
# clock and worker processes started below).
os.environ.setdefault("GAVEL_AUDIT_KEY", "bench-scale-closes-throwaway-key")
os.environ.setdefault("GAVEL_AUDIT_KEY_ID", "bench")
# Deposits through the bank simulator (DEBUG stays off: no query log in the measured processes).
os.environ.setdefault("GAVEL_SIMULATOR_ENABLED", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bidding.models import Auction, AuctionResult  # noqa: E402
from core import clock  # noqa: E402


def setup(n: int, spread: float, lead: float) -> tuple[list[int], list[str]]:
    made = make(n)
    ids = [pk for pk, _ in made]
    set_ends(ids, spread, lead)
    return ids, [ref for _, refs in made for ref in refs]


def set_ends(ids: list[int], spread: float, lead: float) -> None:
    """The ends, in real time: from ``lead`` seconds from now, over ``spread`` seconds."""
    first = clock.now() + dt.timedelta(seconds=lead)
    ends = [
        first + dt.timedelta(seconds=spread * i / max(len(ids) - 1, 1)) for i in range(len(ids))
    ]
    if connection.vendor != "postgresql":
        for pk, end in zip(ids, ends, strict=True):
            Auction.objects.filter(pk=pk).update(end_at=end)
        return
    # One statement (10,000 single-row updates, each its own commit, took longer than the
    # lead: the first ends were past before the clocks started).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Auction._meta.db_table} AS a SET end_at = v.end_at"
            " FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, end_at) WHERE a.id = v.id",
            [ids, ends],
        )


def setup_connection() -> None:
    """The set-up's own connection commits without waiting for the WAL to reach the disk
    (``synchronous_commit = off``, this session only): the set-up commits a few dozen times an
    auction and each flush waits about 3 ms on this box, the larger part of its wall time. The
    statements, rows, audit chains and ledger postings are the same; only durability across a
    crash of PostgreSQL is given up, and a crashed set-up is simply run again. The clocks and
    workers of the measured run connect on their own with the server's default (``on``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")


def make(n: int) -> list[tuple[int, list[str]]]:
    """N real auctions, each with the money refs of its losers."""
    from core.models import Court
    from tests.bidding.engine_factories import (
        YUAN,
        bid,
        make_case,
        make_live_auction,
        register_paid,
    )
    from tests.conftest import make_court, make_user

    setup_connection()
    court = Court.objects.order_by("pk").first() or make_court()
    judge = make_user("judge", court)
    made: list[tuple[int, list[str]]] = []
    for i in range(n):
        lot = make_case(court, judge=judge)[1]
        auction = make_live_auction(court, lot, start=100_000 * YUAN, increment=YUAN)
        a, b = register_paid(auction), register_paid(auction)
        if i % 2 == 0:
            bid(auction, a, 100_000 * YUAN)
            bid(auction, b, 100_001 * YUAN)
            made.append((auction.pk, [a.money_ref]))
        else:
            made.append((auction.pk, [a.money_ref, b.money_ref]))
        if (i + 1) % 50 == 0:
            print(f"  set up {i + 1}/{n}", flush=True)
    return made


def prepare(n: int, path: Path, seq_offset: int) -> None:
    """Add N auctions to the pool file (ends 30 days away: no clock closes them yet).
    ``seq_offset``: where the factories' sequences start (unique names and numbers), so that
    several set-up processes may fill pools of one database at once."""
    import factory.django

    import tests.factories as factories

    if seq_offset:
        for obj in vars(factories).values():
            if isinstance(obj, type) and issubclass(obj, factory.django.DjangoModelFactory):
                obj.reset_sequence(seq_offset, force=True)
    pool = json.loads(path.read_text()) if path.exists() else []
    made = make(n)
    set_ends([pk for pk, _ in made], 0, 30 * 86400)
    pool += made
    path.write_text(json.dumps(pool))


def pool_from_db() -> list[tuple[int, list[str]]]:
    """The pool read back from the database (``--pool db``: set-up processes stopped before
    writing their files): every auction still bidding whose set-up finished — two deposits
    held, and no bid or both bids — with the money refs of its losers."""
    from bidding.models import Registration

    regs: dict[int, list[Registration]] = {}
    for r in Registration.objects.filter(
        auction__state="bidding", deposit_held_at__isnull=False
    ).order_by("pk"):
        regs.setdefault(r.auction_id, []).append(r)
    pool = []
    for pk, leader, seq in (
        Auction.objects.filter(pk__in=list(regs), state="bidding")
        .order_by("pk")
        .values_list("pk", "leader_id", "last_seq")
    ):
        held = regs[pk]
        if len(held) != 2 or seq not in (0, 2):
            continue
        pool.append((pk, [r.money_ref for r in held if r.pk != leader]))
    return pool


def from_pool(n: int, path: Path, spread: float, lead: float) -> tuple[list[int], list[str]]:
    """The next N auctions of the pool still bidding, their ends set as ``setup`` sets them."""
    pool = pool_from_db() if str(path) == "db" else json.loads(path.read_text())
    bidding = set(
        Auction.objects.filter(pk__in=[pk for pk, _ in pool], state="bidding").values_list(
            "pk", flat=True
        )
    )
    chosen = [(pk, refs) for pk, refs in pool if pk in bidding][:n]
    if len(chosen) < n:
        raise SystemExit(f"the pool has {len(chosen)} auctions left, {n} asked")
    ids = [pk for pk, _ in chosen]
    set_ends(ids, spread, lead)
    return ids, [ref for _, refs in chosen for ref in refs]


def spawn(args: list[str], count: int) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.scale.settings")
    return [
        subprocess.Popen(
            ["nice", sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU of these processes so far (Linux ``/proc``)."""
    total = 0
    for p in procs:
        fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--clocks", type=int, default=1)
    ap.add_argument("--spread", type=float, default=60.0, help="seconds over which they end")
    ap.add_argument("--lead", type=float, default=10.0, help="seconds before the first end")
    ap.add_argument("--interval", type=float, default=0.2, help="run_clock --interval")
    ap.add_argument("--prepare", help="only set up N auctions into this pool file (slow)")
    ap.add_argument("--seq-offset", type=int, default=0, help="with --prepare (see prepare)")
    ap.add_argument("--pool", help="take the N auctions from this pool file")
    ns = ap.parse_args()

    call_command("migrate", verbosity=0)
    t0 = time.monotonic()
    if ns.prepare:
        prepare(ns.n, Path(ns.prepare), ns.seq_offset)
        print(f"prepared {ns.n} auctions in {time.monotonic() - t0:.0f} s", flush=True)
        return
    if ns.pool:
        ids, losers = from_pool(ns.n, Path(ns.pool), ns.spread, ns.lead)
        print(f"took {ns.n} prepared auctions from the pool", flush=True)
    else:
        ids, losers = setup(ns.n, ns.spread, ns.lead)
        print(f"set up {ns.n} auctions in {time.monotonic() - t0:.0f} s", flush=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    connection.close()

    first_due = time.monotonic() + ns.lead + 1  # the ends were set ``lead`` s from now (+ grace)
    clocks = spawn(["run_clock", "--interval", str(ns.interval)], ns.clocks)
    deadline = time.monotonic() + ns.lead + ns.spread + 600
    cpu_before: float | None = None
    try:
        while time.monotonic() < deadline:
            if cpu_before is None and time.monotonic() >= first_due - 0.5:
                cpu_before = cpu_seconds(clocks)  # after start-up and the idle ticks
            if AuctionResult.objects.filter(auction_id__in=ids).count() == len(ids):
                break
            time.sleep(0.5)
        cpu_closing = cpu_seconds(clocks) - (cpu_before or 0.0)
    finally:
        stop(clocks)
    grace = dt.timedelta(milliseconds=int(settings.GAVEL_BID_RECEIPT_GRACE_MS))
    rows: list[tuple[int, dt.datetime, dt.datetime]] = [
        (pk, closed, end)
        for pk, closed, end in AuctionResult.objects.filter(auction_id__in=ids).values_list(
            "auction_id", "closed_at", "auction__end_at"
        )
        if end is not None
    ]
    late = [(closed - (end + grace)).total_seconds() for _, closed, end in rows]
    closes = sorted(closed for _, closed, _ in rows)
    ends = sorted(end for _, _, end in rows)
    first_due = ends[0] + grace
    span_total = (closes[-1] - first_due).total_seconds()
    span_closes = (closes[-1] - closes[0]).total_seconds()

    # The queued follow-ups, by two worker processes at once.
    code = (
        "import django\n"
        "django.setup()\n"
        "from bidding.services import auction_followups_due\n"
        "while auction_followups_due(limit=50):\n"
        "    pass\n"
    )
    t1 = time.monotonic()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.scale.settings", PYTHONPATH=str(ROOT))
    workers = [
        subprocess.Popen(["nice", sys.executable, "-c", code], cwd=ROOT, env=env) for _ in range(2)
    ]
    for w in workers:
        w.wait(timeout=1800)
    followup_s = time.monotonic() - t1

    from settlement.models import GatewayOperation

    per_auction = Counter(
        AuctionResult.objects.filter(auction_id__in=ids).values_list("auction_id", flat=True)
    )
    releases = Counter(
        GatewayOperation.objects.filter(
            context="deposit_release", subject_ref__in=losers
        ).values_list("subject_ref", flat=True)
    )
    pending = AuctionResult.objects.filter(auction_id__in=ids, followup_done_at__isnull=True)
    report = {
        "n": ns.n,
        "clocks": ns.clocks,
        "spread_s": ns.spread,
        "closed": len(rows),
        "closes_per_s_from_first_due": round(len(rows) / span_total, 1) if span_total else None,
        "closes_per_s_while_closing": round(len(rows) / span_closes, 1) if span_closes else None,
        "clock_cpu_ms_per_close": round(1000 * cpu_closing / len(rows), 2) if rows else None,
        "lateness_p50_s": round(pct(late, 0.5), 3),
        "lateness_p99_s": round(pct(late, 0.99), 3),
        "lateness_max_s": round(max(late), 3) if late else None,
        "each_closed_once": len(per_auction) == len(ids) and set(per_auction.values()) == {1},
        "followups_pending": pending.count(),
        "followups_s_two_workers": round(followup_s, 1),
        "each_loser_released_once": releases == Counter(dict.fromkeys(losers, 1)),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "close_batch": int(settings.GAVEL_CLOSE_BATCH),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
