"""The embedded demo: migrate, seed, and run daphne with the clock and worker on its event loop.

Daphne runs no lifespan events and the in-memory channel layer lives in this one process, so
periodic work (auction clock, outbox, deadlines) runs as an asyncio task on the server's
own loop (NOTES.md), started from daphne's ``ready_callable``.

The demo runs with ``DEBUG`` on unless the environment says otherwise: ``manage.py`` sets
``DEBUG=true`` for this command before the settings load, which gives the demo its own secret
key, no second factor and static files served by the app (config/settings.py).
"""

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from core import worker

log = logging.getLogger("gavel.demo")


async def _tick_forever() -> None:
    worker.ensure_core_tasks()
    run = sync_to_async(worker.run_due, thread_sensitive=True)
    while True:
        try:
            await run()
        except Exception:
            log.exception("worker tick failed")
        await asyncio.sleep(0.5)


def use_demo_site_url(host: str, port: int) -> str:
    """Links in the demo's SMS and e-mail (unsubscribe, auction pages) point at this server
    unless ``GAVEL_SITE_URL`` is configured. Returns the base in force."""
    from django.conf import settings

    if not settings.GAVEL_SITE_URL:
        settings.GAVEL_SITE_URL = f"http://{host}:{port}"
    return settings.GAVEL_SITE_URL


def _set_aside_foreign_anchors() -> None:
    """A demo database made afresh has no anchors: anchor files left by an earlier one would
    not match it (audit_verify would report them), so they are moved aside, never deleted."""
    from core.models import AuditAnchor

    folder = Path(settings.GAVEL_AUDIT_ANCHOR_DIR)
    if AuditAnchor.objects.exists() or not any(folder.glob("anchor-*.json")):
        return
    folder.rename(folder.with_name(f"{folder.name}.earlier-{int(time.time())}"))


class Command(BaseCommand):
    help = "Run the demo server (daphne, 127.0.0.1:8000) with sample data, clock and worker inside."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-seed", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        use_demo_site_url(opts["host"], opts["port"])
        call_command("migrate", verbosity=0)
        call_command("compilemessages_if_needed")
        _set_aside_foreign_anchors()
        if not opts["no_seed"]:
            call_command("seed_demo")
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from config.asgi import application

        def ready() -> None:
            asyncio.get_event_loop().create_task(_tick_forever())

        self.stdout.write(f"Gavel demo: http://{opts['host']}:{opts['port']}/  (Ctrl-C to stop)")
        Server(
            application=application,
            endpoints=build_endpoint_description_strings(host=opts["host"], port=opts["port"]),
            ready_callable=ready,
            signal_handlers=True,
        ).run()
