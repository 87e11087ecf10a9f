"""manage.py case_statements — the monthly case-by-case statement (FND-15), one CSV per case.

manage.py case_statements --court 赣0102 --month 2026-11 --out var/statements/2026-11
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import Court
from settlement.exports import statement_csv
from settlement.models import CaseAccount
from settlement.reconcile import month_bounds
from settlement.selectors import case_statement


class Command(BaseCommand):
    help = "按月逐案输出案款账户对账单（期初、每笔收支、期末），供财务与执行局核对（FND-15）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--court", required=True, help="法院代字")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="输出目录")

    def handle(self, *args: str, **opts: Any) -> None:
        court = Court.objects.filter(code=opts["court"]).first()
        if court is None:
            raise CommandError(f"未找到法院 {opts['court']}")
        try:
            start, end = month_bounds(opts["month"])
        except (ValueError, TypeError) as exc:
            raise CommandError("月份格式应为 YYYY-MM") from exc
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        n = 0
        for account in (
            CaseAccount.objects.filter(court=court, party_ref="")
            .select_related("case")
            .order_by("case_id")
        ):
            st = case_statement(account.case_id, start=start, end=end)
            if not st["rows"] and st["opening_fen"] == 0:
                continue
            (out / f"case-{account.case_id}-{opts['month']}.csv").write_text(
                statement_csv(account.case, st), encoding="utf-8"
            )
            n += 1
        self.stdout.write(f"{court.code} {opts['month']}：输出 {n} 个案件的对账单至 {out}")
