"""Bring the official holidays and 调休 days into the calendar (REC-02).

Run after upgrading the chinese-calendar package each December, when the State Council has
announced the next year's arrangement (``pip install -U chinese-calendar``). Audited; open
deadlines recompute. Hand-set rows that differ are listed and kept (``--overwrite`` replaces
them).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.holidays import calendar_import_official


class Command(BaseCommand):
    help = "Load the official holiday calendar (statutory holidays and 调休) from chinese-calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--overwrite", action="store_true", help="replace hand-set rows")
        parser.add_argument("--reason", default="", help="recorded in the audit entry")

    def handle(self, *args: Any, **options: Any) -> None:
        result = calendar_import_official(
            reason=options["reason"]
            or f"calendar_update ({'overwrite' if options['overwrite'] else 'add'})",
            overwrite=options["overwrite"],
        )
        self.stdout.write(
            f"{result.source}: {len(result.added)} added, {len(result.changed)} changed"
            + (f" (years {', '.join(map(str, result.years))})" if result.years else "")
        )
        for day, ours, theirs in result.conflicts:
            self.stdout.write(f"  kept {day}: {ours} here, {theirs} in the package (--overwrite)")
