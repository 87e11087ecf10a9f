"""``manage.py draw_verify <id>``: recompute a lot draw from its record and say whether it matches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appraisers.models import LotDraw
from appraisers.services.verification import draw_verify


class Command(BaseCommand):
    help = "Recompute a lot draw (摇号) from its record and the audit trail; exit 1 if it does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw_id", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        draw = LotDraw.objects.filter(pk=opts["draw_id"]).first()
        if draw is None:
            raise CommandError(f"no draw {opts['draw_id']}")
        out = draw_verify(draw)
        names = {e["id"]: e["name"] for e in (draw.frozen_list or [])}
        self.stdout.write(
            f"draw {draw.pk}  algorithm {draw.algorithm_version}  list_hash {draw.list_hash}"
        )
        self.stdout.write(f"seed (recomputed) {out['seed']}")
        for rank, firm_id in enumerate(out["ranking"], start=1):
            self.stdout.write(f"  {rank}. {names.get(firm_id, firm_id)} (id {firm_id})")
        if not out["ok"]:
            for p in out["problems"]:
                self.stderr.write(f"MISMATCH {p}")
            raise CommandError("draw does not verify")
        self.stdout.write(
            self.style.SUCCESS("draw verifies: the recomputed ranking matches the published result")
        )
