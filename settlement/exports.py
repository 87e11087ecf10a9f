"""CSV exports of case accounts (FND-15). Deposits appear by registration reference (REC-05)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from core.calendar import CST
from core.money import yuan

if TYPE_CHECKING:
    from cases.models import Case
    from settlement.selectors import CaseStatement


def _plain(fen: int) -> str:
    return yuan(fen).replace(",", "")


def statement_csv(case: Case, statement: CaseStatement) -> str:
    """A case account statement: opening balance, every movement, closing balance (UTF-8 BOM)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    account = statement["account"]
    w.writerow([_("案号"), case.number, _("案款账号"), account.account_no if account else ""])
    w.writerow([_("期初余额（元）"), _plain(statement["opening_fen"])])
    w.writerow(
        [
            _("记账时间"),
            _("业务"),
            _("摘要"),
            _("引用"),
            _("对方科目"),
            _("收入（元）"),
            _("支出（元）"),
            _("余额（元）"),
        ]
    )
    for r in statement["rows"]:
        w.writerow(
            [
                r.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                r.kind,
                r.memo,
                r.ref,
                r.counterpart,
                _plain(r.in_fen) if r.in_fen else "",
                _plain(r.out_fen) if r.out_fen else "",
                _plain(r.balance_fen),
            ]
        )
    w.writerow([_("期末余额（元）"), _plain(statement["closing_fen"])])
    return "\ufeff" + buf.getvalue()
