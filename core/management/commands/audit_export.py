import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from core.audit import audit_verify
from core.models import AuditEntry


class Command(BaseCommand):
    help = "Write one audit stream to a JSON-lines file for long-term archive (REC-06, REC-07)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("stream")
        parser.add_argument("path")

    def handle(self, *args: Any, **opts: Any) -> None:
        stream, path = opts["stream"], opts["path"]
        entries = AuditEntry.objects.filter(stream=stream).order_by("seq")
        if not entries.exists():
            raise CommandError(f"no such stream: {stream}")
        broken = audit_verify([stream])
        with open(path, "w", encoding="utf-8") as fh:
            for e in entries.iterator():
                fh.write(
                    json.dumps(
                        {
                            "stream": e.stream,
                            "seq": e.seq,
                            "at": e.at,
                            "actor_id": e.actor_id,
                            "actor": e.actor_label,
                            "role": e.actor_role,
                            "action": e.action,
                            "subject": e.subject,
                            "before": e.before,
                            "after": e.after,
                            "reason": e.reason,
                            "rules": e.rule_ids,
                            "prev_hash": e.prev_hash,
                            "hash": e.hash,
                        },
                        cls=DjangoJSONEncoder,
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        status = "intact" if not broken else f"BROKEN at seq {broken[0].seq}"
        self.stdout.write(f"wrote {entries.count()} entries of {stream} to {path} (chain {status})")
