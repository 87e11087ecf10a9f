"""Reconciliation (FND-15): the ledger against the gateway's or bank's statement.

Each money movement through a gateway or the bank is exactly one leg on that channel's
external account, carrying the channel's reference. For a day or a month, every statement
line and every such leg is paired by reference, and each difference is listed:

- ``missing_in_statement``: the ledger has it, the statement does not;
- ``unknown_reference``: the statement has a reference the ledger never saw;
- ``duplicated``: a reference appears more than once (in the statement or the ledger);
- ``wrong_amount``: both have it, with different amounts;
- ``other_period``: the statement line is in the ledger, but posted on another day (timing).

Statement amounts are signed for the court (+ in, − out); an external account's leg is the
mirror image, so a line matches a leg when ``line.amount == −leg.amount``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from django.db import transaction

from core import clock
from core.calendar import CST
from core.models import Court
from core.money import parse_yuan, yuan
from core.types import Actor
from settlement import ledger
from settlement.gateway import StatementLine
from settlement.models import LedgerAccount, LedgerLeg, ReconciliationRun

STATEMENT_HEADER = ["日期时间", "流水号", "商户订单号", "类型", "金额(元)", "币种"]


class Difference(TypedDict):
    """One difference (kept as JSON on the run); ``kind`` says which other keys it carries."""

    kind: str  # duplicated | unknown_reference | other_period | wrong_amount | missing_in_statement
    reference: str
    side: NotRequired[str]  # statement | ledger
    count: NotRequired[int]
    amount_fen: NotRequired[int]
    ledger_fen: NotRequired[int]
    statement_fen: NotRequired[int]
    merchant_reference: NotRequired[str]
    event_code: NotRequired[str]


@dataclass
class Result:
    ledger_lines: int = 0
    statement_lines: int = 0
    ledger_total_fen: int = 0
    statement_total_fen: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(start, dt.time(0), tzinfo=CST),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=CST),
    )


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = (int(x) for x in month.split("-"))
    start = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def ledger_legs(account: LedgerAccount, start: dt.date, end: dt.date) -> Iterable[tuple[str, int]]:
    lo, hi = period_bounds(start, end)
    qs = (
        LedgerLeg.objects.filter(account=account, posted_at__gte=lo, posted_at__lt=hi)
        .values_list("external_ref", "amount_fen")
        .order_by()
    )
    return qs.iterator(chunk_size=20_000)


def compare(
    legs: Iterable[tuple[str, int]],
    lines: Iterable[StatementLine],
    *,
    known_elsewhere: set[str] | None = None,
) -> Result:
    """Pair legs and lines by reference and list every difference (pure, no database)."""
    result = Result()
    book: dict[str, int] = {}
    book_count: Counter[str] = Counter()
    for ref, amount in legs:
        result.ledger_lines += 1
        result.ledger_total_fen -= amount
        if ref in book:
            book_count[ref] += 1
            book[ref] += -amount
        else:
            book[ref] = -amount
            book_count[ref] = 1
    stmt: dict[str, int] = {}
    stmt_count: Counter[str] = Counter()
    stmt_meta: dict[str, StatementLine] = {}
    for line in lines:
        result.statement_lines += 1
        result.statement_total_fen += line.amount_fen
        if line.reference in stmt:
            stmt_count[line.reference] += 1
        else:
            stmt[line.reference] = line.amount_fen
            stmt_count[line.reference] = 1
            stmt_meta[line.reference] = line
    diffs = result.differences
    for ref, n in stmt_count.items():
        if n > 1:
            diffs.append(
                {
                    "kind": "duplicated",
                    "side": "statement",
                    "reference": ref,
                    "count": n,
                    "amount_fen": stmt[ref],
                }
            )
    for ref, n in book_count.items():
        if n > 1:
            diffs.append(
                {
                    "kind": "duplicated",
                    "side": "ledger",
                    "reference": ref,
                    "count": n,
                    "amount_fen": book[ref],
                }
            )
    for ref, amount in stmt.items():
        if ref not in book:
            kind = (
                "other_period"
                if known_elsewhere and ref in known_elsewhere
                else "unknown_reference"
            )
            meta = stmt_meta[ref]
            diffs.append(
                {
                    "kind": kind,
                    "side": "statement",
                    "reference": ref,
                    "amount_fen": amount,
                    "merchant_reference": meta.merchant_reference,
                    "event_code": meta.event_code,
                }
            )
        elif book_count[ref] == 1 and stmt_count[ref] == 1 and book[ref] != amount:
            diffs.append(
                {
                    "kind": "wrong_amount",
                    "reference": ref,
                    "ledger_fen": book[ref],
                    "statement_fen": amount,
                }
            )
    for ref, amount in book.items():
        if ref not in stmt:
            diffs.append(
                {
                    "kind": "missing_in_statement",
                    "side": "ledger",
                    "reference": ref,
                    "amount_fen": amount,
                }
            )
    diffs.sort(key=lambda d: (d["kind"], d["reference"]))
    return result


def _known_elsewhere(account: LedgerAccount, refs: set[str]) -> set[str]:
    if not refs:
        return set()
    out: set[str] = set()
    refs_list = list(refs)
    for i in range(0, len(refs_list), 5000):
        out.update(
            LedgerLeg.objects.filter(
                account=account, external_ref__in=refs_list[i : i + 5000]
            ).values_list("external_ref", flat=True)
        )
    return out


def reconcile(
    *,
    court: Court | int,
    source: str,
    start: dt.date,
    end: dt.date,
    lines: list[StatementLine] | None = None,
    actor: Actor = None,
    save: bool = True,
) -> tuple[Result, ReconciliationRun | None]:
    """Compare the ledger with a statement for ``start``..``end`` (inclusive, China time).

    ``source`` is a gateway name (``simulator``, ``adyen``) or ``bank``. Without ``lines``,
    the gateway's own statement is fetched (the simulator prints one; Adyen needs a file).
    """
    court_id = court.pk if isinstance(court, Court) else court
    if source == "bank":
        account = ledger.bank_account(court=court_id)
    else:
        account = ledger.gateway_account(court=court_id, gateway=source)
    if lines is None:
        from settlement.gateway import get_gateway

        lines = get_gateway(source).statement(court=court_id, start=start, end=end)
    result = compare(ledger_legs(account, start, end), lines)
    unknown = {d["reference"] for d in result.differences if d["kind"] == "unknown_reference"}
    if unknown:
        elsewhere = _known_elsewhere(account, unknown)
        for d in result.differences:
            if d["kind"] == "unknown_reference" and d["reference"] in elsewhere:
                d["kind"] = "other_period"
        result.differences.sort(key=lambda d: (d["kind"], d["reference"]))
    run = None
    if save:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                court_id=court_id,
                source=source,
                period_start=start,
                period_end=end,
                ran_at=clock.now(),
                ran_by=actor if getattr(actor, "pk", None) else None,
                ledger_lines=result.ledger_lines,
                statement_lines=result.statement_lines,
                ledger_total_fen=result.ledger_total_fen,
                statement_total_fen=result.statement_total_fen,
                differences=result.differences[:10_000],
            )
    return result, run


# ---- statement files -----------------------------------------------------------------------


def statement_to_csv(lines: Iterable[StatementLine]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(STATEMENT_HEADER)
    for ln in lines:
        w.writerow(
            [
                ln.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                ln.reference,
                ln.merchant_reference,
                ln.event_code,
                yuan(ln.amount_fen).replace(",", ""),
                ln.currency,
            ]
        )
    return buf.getvalue()


def statement_from_csv(text: str) -> list[StatementLine]:
    """Read a statement: the Gavel layout above, or a bank statement (交易时间, 流水号, 金额…)."""
    from settlement.services.receipts import parse_when, read_bank_csv

    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if rows and rows[0][:2] == STATEMENT_HEADER[:2]:
        out = []
        for r in rows[1:]:
            if not any(c.strip() for c in r):
                continue
            out.append(
                StatementLine(
                    at=parse_when(r[0]),
                    reference=r[1].strip(),
                    merchant_reference=r[2].strip(),
                    event_code=r[3].strip(),
                    amount_fen=parse_yuan(r[4]),
                    currency=(r[5].strip() if len(r) > 5 else "CNY") or "CNY",
                )
            )
        return out
    return [
        StatementLine(
            at=parse_when(r.get("at", "")),
            reference=r.get("reference", ""),
            merchant_reference=r.get("memo", ""),
            event_code="BANK",
            amount_fen=parse_yuan(r.get("amount", "0")),
            currency=(r.get("currency") or "CNY").upper(),
        )
        for r in read_bank_csv(text)
    ]


DIFF_LABELS = {
    "missing_in_statement": "对账单缺少（账内有、对账单无）",
    "unknown_reference": "未知流水号（对账单有、账内无）",
    "duplicated": "重复记录",
    "wrong_amount": "金额不符",
    "other_period": "跨期（账内记于其他日期）",
}


def describe(d: Difference) -> str:
    label = DIFF_LABELS.get(d["kind"], d["kind"])
    if d["kind"] == "wrong_amount":
        return f"{label}：{d['reference']} 账内 {yuan(d['ledger_fen'])} 元，对账单 {yuan(d['statement_fen'])} 元"
    if d["kind"] == "duplicated":
        return f"{label}（{'对账单' if d['side'] == 'statement' else '账内'} {d['count']} 次）：{d['reference']}"
    return f"{label}：{d['reference']} {yuan(d.get('amount_fen', 0))} 元"
