"""manage.py reconcile — compare the ledger with a gateway's or bank's statement (FND-15).

    manage.py reconcile --court 赣0102 --day 2026-11-02
    manage.py reconcile --court 赣0102 --month 2026-11 --source bank --file statement.csv

Lists every difference (missing, duplicated, wrong amount, unknown reference); exit status 1
when there is any (``--no-fail`` to always exit 0).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import Court
from core.money import yuan
from settlement.gateway import default_gateway_name
from settlement.reconcile import describe, month_bounds, reconcile, statement_from_csv


class Command(BaseCommand):
    help = "对账：将账内记录与支付通道或银行对账单逐笔核对，列出全部差异（FND-15）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--court", help="法院代字（默认：全部法院）")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--day", help="对账日，YYYY-MM-DD")
        group.add_argument("--month", help="对账月，YYYY-MM")
        parser.add_argument("--source", help="simulator | adyen | bank（默认：当前支付通道）")
        parser.add_argument("--file", help="对账单 CSV（Adyen 结算明细或银行流水）")
        parser.add_argument("--no-fail", action="store_true", help="有差异时也返回 0")

    def handle(self, *args: str, **opts: Any) -> None:
        try:
            if opts["day"]:
                start = end = dt.date.fromisoformat(opts["day"])
            else:
                start, end = month_bounds(opts["month"])
        except ValueError as exc:
            raise CommandError(f"日期格式不正确：{exc}") from exc
        source = opts["source"] or default_gateway_name()
        lines = None
        if opts["file"]:
            lines = statement_from_csv(Path(opts["file"]).read_text(encoding="utf-8-sig"))
        elif source in ("bank", "adyen"):
            raise CommandError("银行和 Adyen 对账须以 --file 提供对账单")
        courts = Court.objects.filter(code=opts["court"]) if opts["court"] else Court.objects.all()
        if opts["court"] and not courts.exists():
            raise CommandError(f"未找到法院 {opts['court']}")
        differences = 0
        for court in courts:
            began = time.perf_counter()
            result, run = reconcile(court=court, source=source, start=start, end=end, lines=lines)
            took = time.perf_counter() - began
            self.stdout.write(
                f"{court.code} {court.name} [{source}] {start}..{end}: 账内 {result.ledger_lines} 笔 "
                f"{yuan(result.ledger_total_fen)} 元；对账单 {result.statement_lines} 笔 "
                f"{yuan(result.statement_total_fen)} 元；差异 {len(result.differences)} 项（{took:.2f} 秒，记录 #{run.pk if run else '—'}）"
            )
            for d in result.differences:
                self.stdout.write("  - " + describe(d))
            differences += len(result.differences)
        if differences and not opts["no_fail"]:
            sys.exit(1)
