"""``manage.py documents_verify <file.pdf>``: is this a genuine Gavel document? (offline)

The same checks as the public page (core.documents.verify): exit 0 and ``GENUINE`` when every
check holds, otherwise exit 1 with ``NOT GENUINE`` and each failed check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.documents import verify_pdf


class Command(BaseCommand):
    help = "Verify a sealed court document (PDF) against the register, the CA and the CRL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        verdict = verify_pdf(path.read_bytes())
        doc = verdict.document or verdict.claimed
        if doc is not None:
            self.stdout.write(
                f"{doc.title} {doc.number} v{doc.version} · {doc.court.name} · "
                f"{doc.issued_at:%Y-%m-%d %H:%M} UTC · sha256 {doc.sha256}"
            )
        if verdict.signer:
            self.stdout.write(f"signer: {verdict.signer}")
        for check in verdict.checks:
            mark = "ok " if check.ok else "BAD"
            self.stdout.write(f"  [{mark}] {check.label} {check.detail}".rstrip())
        if verdict.genuine:
            newer = verdict.superseded_by
            if newer is not None:
                self.stdout.write(
                    f"SUPERSEDED by {newer.number} v{newer.version} (code {newer.code}, "
                    f"{newer.issued_at:%Y-%m-%d %H:%M} UTC): {newer.reason}"
                )
            self.stdout.write("GENUINE")
            return
        self.stdout.write("NOT GENUINE")
        raise CommandError("NOT GENUINE: " + "; ".join(verdict.problems))
