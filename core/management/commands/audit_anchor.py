"""``manage.py audit_anchor [--dir DIR]``: record every stream head, signed, and write the
anchor file to publish (core.audit.audit_anchor; the worker does it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.audit import audit_anchor


class Command(BaseCommand):
    help = "Anchor every audit stream head (signed record + file to publish)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=None, help="default: GAVEL_AUDIT_ANCHOR_DIR")

    def handle(self, *args: Any, **opts: Any) -> None:
        record, path = audit_anchor(directory=opts["dir"])
        where = f" -> {path}" if path else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"anchored {len(record.heads)} streams, digest {record.digest}{where}"
            )
        )
