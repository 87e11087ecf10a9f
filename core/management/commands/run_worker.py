import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import worker


class Command(BaseCommand):
    help = "Run periodic work: the notification outbox, deadline sweeps and every app's tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every task once and exit")
        parser.add_argument("--only", nargs="*", help="task names to run")

    def handle(self, *args: Any, **opts: Any) -> None:
        from core.audit import require_key

        require_key()
        worker.ensure_core_tasks()
        only = set(opts["only"]) if opts["only"] else None
        if opts["once"]:
            for t in worker.tasks():
                t.last_run = -1e9
            self.stdout.write(str(worker.run_due(only=only)))
            return
        self.stdout.write(f"worker running: {', '.join(t.name for t in worker.tasks())}")
        from core.health import heartbeat

        while True:
            worker.run_due(only=only)
            try:
                heartbeat("worker")
            except Exception as exc:  # the cache is down; the tasks go on
                self.stderr.write(f"worker heartbeat failed: {exc}")
            time.sleep(0.5)
