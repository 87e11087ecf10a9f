"""``manage.py run_clock``: the auction clock as its own process (production, with PostgreSQL).

Opens auctions whose start has come, closes those whose end has passed (each exactly once:
several clocks may run side by side, they share the work through ``skip_locked``), and
leaves each close's follow-up (money, notices, deadlines) to the worker's
``bidding.close_followups`` task (issue 18; ``--followups`` runs them here too). The embedded demo runs the same task inside its server
(``bidding.close_due`` registered with ``core.worker``).
"""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from prometheus_client import Counter

from bidding.services import auction_clock_tick, auction_followups_due
from core.health import heartbeat
from core.warmup import warm_up

# docs/deployment.md: served on GAVEL_METRICS_PORT with the process's other metrics
TICKS = Counter("gavel_clock_ticks_total", "Auction clock ticks", ["outcome"])
CLOSED = Counter("gavel_clock_auctions_closed_total", "Auctions this clock closed")
OPENED = Counter("gavel_clock_auctions_opened_total", "Auctions this clock opened")


class Command(BaseCommand):
    help = "Run the auction clock: open due auctions, close ended ones exactly once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one tick, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
        parser.add_argument(
            "--followups",
            action="store_true",
            help="also run the close follow-ups here (by default the worker's "
            "bidding.close_followups task runs them)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["once"]:
            counts = auction_clock_tick(followups=False)
            if opts["followups"]:
                counts["followups"] = auction_followups_due()
            self.stdout.write(str(counts))
            return
        warm_up()  # what the first batch of closes would otherwise load (issue 18)
        self.stdout.write("auction clock running (Ctrl-C to stop)")
        while True:
            close_old_connections()
            busy = False
            try:
                counts = auction_clock_tick(followups=False)
                if opts["followups"]:
                    counts["followups"] = auction_followups_due()
                TICKS.labels("ok").inc()
                CLOSED.inc(counts["closed"])
                OPENED.inc(counts["opened"])
                if counts["opened"] or counts["closed"]:
                    self.stdout.write(str(counts))
                busy = bool(counts.get("busy"))
            except Exception as exc:  # keep ticking; the error is logged and retried
                TICKS.labels("failed").inc()
                self.stderr.write(f"clock tick failed: {exc}")
            try:
                heartbeat("clock")
            except Exception as exc:  # the cache is down: the tick itself needs only the DB
                self.stderr.write(f"clock heartbeat failed: {exc}")
            if not busy:  # a backlog (issue 18): the next turn at once
                time.sleep(opts["interval"])
