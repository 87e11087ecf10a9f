from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import audit_verify


class Command(BaseCommand):
    help = "Recompute every audit hash chain (or the named streams) and name the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("streams", nargs="*", help="stream names, e.g. case:12 auction:7")

    def handle(self, *args: Any, **opts: Any) -> None:
        broken = audit_verify(opts["streams"] or None)
        if broken:
            for b in broken:
                self.stderr.write(f"BROKEN {b.stream} at seq {b.seq}: {b.problem}")
            raise CommandError(f"{len(broken)} broken stream(s)")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
