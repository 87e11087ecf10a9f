"""Closing in bulk (issue 18): N real auctions (a case, a court, deposits paid through
settlement, half sold with one loser, half unsold with two) ending within ``--spread`` seconds
of real time, closed by K ``manage.py run_clock`` processes on PostgreSQL, then their queued
follow-ups run by two worker processes.

    DATABASE_URL=postgres://…/gavel_bench_closes nice python bench/scale/closes.py --n 200 --clocks 1

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
    from tests.bidding.engine_factories import (
        YUAN,
        bid,
        make_case,
        make_live_auction,
        register_paid,
    )
    from tests.conftest import make_court, make_user

    court = make_court()
    judge = make_user("judge", court)
    ids: list[int] = []
    losers: list[str] = []
    for i in range(n):
        lot = make_case(court, judge=judge)[1]
        auction = make_live_auction(court, lot, start=100_000 * YUAN, increment=YUAN)
        a, b = register_paid(auction), register_paid(auction)
        if i % 2 == 0:
            bid(auction, a, 100_000 * YUAN)
            bid(auction, b, 100_001 * YUAN)
            losers.append(a.money_ref)
        else:
            losers += [a.money_ref, b.money_ref]
        ids.append(auction.pk)
        if (i + 1) % 50 == 0:
            print(f"  set up {i + 1}/{n}", flush=True)
    # The ends, in real time: from ``lead`` seconds from now, over ``spread`` seconds.
    first = clock.now() + dt.timedelta(seconds=lead)
    for i, pk in enumerate(ids):
        offset = spread * i / max(n - 1, 1)
        Auction.objects.filter(pk=pk).update(end_at=first + dt.timedelta(seconds=offset))
    return ids, losers


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
    ns = ap.parse_args()

    call_command("migrate", verbosity=0)
    t0 = time.monotonic()
    ids, losers = setup(ns.n, ns.spread, ns.lead)
    print(f"set up {ns.n} auctions in {time.monotonic() - t0:.0f} s", flush=True)
    connection.close()

    clocks = spawn(["run_clock", "--interval", str(ns.interval)], ns.clocks)
    deadline = time.monotonic() + ns.lead + ns.spread + 600
    try:
        while time.monotonic() < deadline:
            if AuctionResult.objects.filter(auction_id__in=ids).count() == len(ids):
                break
            time.sleep(0.5)
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
        "lateness_p50_s": round(pct(late, 0.5), 3),
        "lateness_p99_s": round(pct(late, 0.99), 3),
        "lateness_max_s": round(max(late), 3) if late else None,
        "each_closed_once": len(per_auction) == len(ids) and set(per_auction.values()) == {1},
        "followups_pending": pending.count(),
        "followups_s_two_workers": round(followup_s, 1),
        "each_loser_released_once": releases == Counter(dict.fromkeys(losers, 1)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
