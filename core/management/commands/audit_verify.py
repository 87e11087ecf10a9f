from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import Anchor, audit_verify, known_anchors


class Command(BaseCommand):
    help = (
        "Recompute every keyed audit chain (or the named streams), check the stream heads and "
        "the anchors, and name the first broken link of each stream."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("streams", nargs="*", help="stream names, e.g. case:12 auction:7")
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            help="a published anchor file to check against as well (repeatable)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        anchors = known_anchors() + [Anchor.from_file(p) for p in opts["anchor"]]
        broken = audit_verify(opts["streams"] or None, anchors=anchors)
        if broken:
            for b in broken:
                self.stderr.write(f"BROKEN {b.stream} at seq {b.seq}: {b.problem}")
            raise CommandError(f"{len(broken)} broken stream(s)")
        self.stdout.write(self.style.SUCCESS("audit trail intact"))
