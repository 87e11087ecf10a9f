"""Write docs/rules.md from docs/rules.toml and the code (``--check``: fail if out of date)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.rulesdoc import OUTPUT, render


class Command(BaseCommand):
    help = "Generate docs/rules.md (rules, their sources, the code and tests that cite them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the file is stale")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render()
        if options["check"]:
            if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
                raise CommandError("docs/rules.md is out of date: run `manage.py rules_doc`")
            self.stdout.write("docs/rules.md is up to date")
            return
        OUTPUT.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {OUTPUT}")
