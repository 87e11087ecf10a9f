"""The ledger bench (issue 4): postings per second through the settlement services (with their
audit entries, deadlines and notifications), and ``reconcile`` time for 1,000,000 legs.

    .venv/bin/python bench/ledger/run.py                       # PostgreSQL scratch database
    .venv/bin/python bench/ledger/run.py --postings 1000 --legs 200000

Targets: ≥ 500 postings/s through the services with audit; reconcile 1M legs < 10 s.
Uses ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/gavel_settlement_bench``),
migrates it, and leaves its rows there (the ledger is append-only): use a scratch database.
The 1M legs are loaded with COPY and triggers off (``session_replication_role = replica``),
because they are bench data, not postings; the postings part goes through the services.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gavel_settlement_bench"
)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("GAVEL_AUDIT_KEY", "bench-only-audit-key-not-for-production-0123456789")
os.environ.setdefault("GAVEL_AUDIT_KEY_ID", "bench")


def _ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup() -> None:
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(tag: str):
    from cases.models import Case, Party
    from core import clock
    from core.models import Court, Role, User
    from core.rulesettings import setting_set

    n = int(time.time() * 1000) % 10**9
    court = Court.objects.create(
        name=f"基准测试法院{tag}{n}",
        code=f"基{n}",
        division_code="360102",
        master_account_no=f"9{n:015d}",
        master_account_bank="基准银行",
        master_account_name="基准法院执行款专户",
    )
    setting_set(
        key="strict_three_way_match", value=False, court=court, reason="基准测试：按账号匹配"
    )
    officer = User.objects.create(username=f"bench-officer-{n}", role=Role.OFFICER, court=court)
    cases = []
    for i in range(50):
        case = Case.objects.create(
            court=court,
            number=f"（2030）基{n}执{i + 1}号",
            year=2030,
            court_code=court.code,
            case_type="执",
            sequence=i + 1,
            claim_fen=10**9,
            filed_on=dt.date(2030, 1, 1),
            created_at=clock.now(),
            officer=officer,
        )
        Party.objects.create(
            case=case,
            role=Party.Role.CREDITOR,
            kind=Party.Kind.PERSON,
            name="申请人",
            priority=1,
            claim_fen=10**9,
        )
        cases.append(case)
    return court, officer, cases


def _post_with_audit(
    court, case, source, target, key: str, amount: int, *, sync: bool = True
) -> None:
    """What every settlement service does at least: one balanced posting and its audit entry."""
    from django.db import connection, transaction

    from core.audit import audit_record
    from settlement import ledger

    with transaction.atomic():
        if not sync:  # diagnostic only: the engine's cost without waiting for the disk flush
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
        tx, _ = ledger.transfer(
            court=court.pk,
            case=case.pk,
            kind="bench",
            idempotency_key=key,
            source=source,
            target=target,
            amount_fen=amount,
            memo="基准记账",
        )
        audit_record(
            stream=f"case:{case.pk}",
            action="bench.posted",
            subject=key,
            after={"tx": tx.pk, "amount_fen": amount},
        )


def bench_core(count: int, threads: int, *, sync: bool = True) -> tuple[int, float]:
    """Postings with audit from ``threads`` connections at once, each on its own cases."""
    import threading

    from django.db import connection

    from settlement import ledger
    from settlement.services import case_account_open

    court, _, cases = _world(f"c{threads}")
    bank = ledger.bank_account(court=court.pk)
    targets = [(c, case_account_open(case_id=c.pk).ledger_account) for c in cases]
    per = count // threads
    errors = []

    def work(w: int) -> None:
        try:
            for i in range(per):
                case, acct = targets[(w + i * threads) % len(targets)]
                _post_with_audit(
                    court, case, bank, acct, f"bench-core-{court.pk}-{w}-{i}", 1_00, sync=sync
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    took = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return per * threads, took


def bench_split(count: int) -> tuple[float, float]:
    """Milliseconds per posting alone, and per audit entry alone (one connection)."""
    from django.db import transaction

    from core.audit import audit_record
    from settlement import ledger
    from settlement.services import case_account_open

    court, _, cases = _world("s")
    bank = ledger.bank_account(court=court.pk)
    acct = case_account_open(case_id=cases[0].pk).ledger_account
    t0 = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            ledger.transfer(
                court=court.pk,
                case=cases[0].pk,
                kind="bench",
                idempotency_key=f"bench-split-{court.pk}-{i}",
                source=bank,
                target=acct,
                amount_fen=1_00,
            )
    posting = (time.perf_counter() - t0) / count * 1000
    t0 = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            audit_record(
                stream=f"case:{cases[1].pk}", action="bench.audit", subject="bench", after={"i": i}
            )
    audit = (time.perf_counter() - t0) / count * 1000
    return posting, audit


def bench_postings(count: int) -> list[tuple[str, int, float]]:
    """Each service call is one ledger transaction plus its audit entry (and more)."""
    from core import clock
    from settlement.models import LedgerTransaction
    from settlement.services import case_account_open, payout_create, receipt_record

    court, officer, cases = _world("p")
    accounts = [case_account_open(case_id=c.pk).account_no for c in cases]
    results = []

    before = LedgerTransaction.objects.count()
    t0 = time.perf_counter()
    for i in range(count):
        receipt_record(
            court_id=court.pk,
            amount_fen=100_00 + i,
            bank_reference=f"BENCH-{court.pk}-{i}",
            received_at=clock.now(),
            payer_name="付款人",
            credited_account_no=accounts[i % len(accounts)],
            memo="基准",
        )
    took = time.perf_counter() - t0
    results.append(
        (
            "receipt_record（到账匹配入案款账户 + 审计 + FND-10 期限 + 到账通知）",
            LedgerTransaction.objects.count() - before,
            took,
        )
    )

    before = LedgerTransaction.objects.count()
    t0 = time.perf_counter()
    for i in range(count):
        payout_create(
            case_id=cases[i % len(cases)].pk,
            payee_kind="creditor",
            payee_ref="party:1",
            payee_name="申请人",
            amount_fen=1_00,
            purpose="基准发放",
            idempotency_key=f"bench-{court.pk}-{i}",
            actor=officer,
        )
    took = time.perf_counter() - t0
    results.append(
        (
            "payout_create（锁定案款账户、校验余额、预留 + 审计 + 审批记录 + 期限）",
            LedgerTransaction.objects.count() - before,
            took,
        )
    )
    return results


def bench_deposits(count: int) -> tuple[int, float]:
    """End to end through the simulator: request, pay on the page, signed webhook, hold posted."""
    from settlement.models import LedgerTransaction
    from settlement.services import deposit_request
    from settlement.simulator import simulate_payment

    _, _, cases = _world("d")
    before = LedgerTransaction.objects.count()
    t0 = time.perf_counter()
    for i in range(count):
        intent = deposit_request(
            case_id=cases[i % len(cases)].pk,
            ref=f"bench/{cases[0].pk}/registration:{i}",
            payer_ref=f"u{i}",
            payer_name="竞买人",
            amount_fen=10_000_00,
            idempotency_key=f"bench-dep-{cases[0].pk}-{i}",
        )
        simulate_payment(intent)
    return LedgerTransaction.objects.count() - before, time.perf_counter() - t0


def bench_reconcile(legs: int) -> dict:
    from django.db import connection, transaction

    from core import clock
    from core.calendar import CST
    from settlement import ledger
    from settlement.gateway import StatementLine
    from settlement.models import LedgerAccount, LedgerTransaction
    from settlement.reconcile import reconcile

    court, _, cases = _world("r")
    gateway = ledger.gateway_account(court=court.pk, gateway="benchgw")
    holding = ledger.account_for(
        court=court.pk, kind=LedgerAccount.Kind.CASE, case=cases[0], ref="bench"
    )
    day = dt.date(2030, 1, 15)
    base = dt.datetime.combine(day, dt.time(0, 0), tzinfo=CST)
    per_tx = 1000
    rng = random.Random(4)
    amounts = [rng.randint(1, 5_000_000) for _ in range(legs)]
    t0 = time.perf_counter()
    with transaction.atomic():
        txs = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    court=court,
                    kind="bench",
                    idempotency_key=f"bench-rec-{court.pk}-{k}",
                    fingerprint="",
                    posted_at=base + dt.timedelta(seconds=k),
                    memo="bench",
                )
                for k in range((legs + per_tx - 1) // per_tx)
            ]
        )
        with connection.cursor() as cur:
            cur.execute(
                "SET LOCAL session_replication_role = replica"
            )  # bench data: skip the per-leg trigger
            sql = (
                "COPY settlement_ledgerleg (transaction_id, account_id, amount_fen, external_ref, posted_at) "
                "FROM STDIN"
            )
            with cur.cursor.copy(sql) as copy:
                for k, tx in enumerate(txs):
                    chunk = amounts[k * per_tx : (k + 1) * per_tx]
                    at = base + dt.timedelta(seconds=k * 80)
                    for j, amount in enumerate(chunk):
                        copy.write_row(
                            (tx.pk, gateway.pk, -amount, f"PSP{k * per_tx + j:012d}", at)
                        )
                    copy.write_row((tx.pk, holding.pk, sum(chunk), "", at))
    load = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE settlement_ledgerleg")
    lines = [
        StatementLine(
            at=base,
            reference=f"PSP{i:012d}",
            merchant_reference="",
            event_code="AUTHORISATION",
            amount_fen=a,
        )
        for i, a in enumerate(amounts)
    ]
    # Plant one of each difference.
    lines.pop(10)  # missing from the statement
    lines.append(lines[20])  # duplicated
    lines[30] = StatementLine(
        at=base,
        reference=lines[30].reference,
        merchant_reference="",
        event_code="X",
        amount_fen=lines[30].amount_fen + 1,
    )  # wrong amount
    lines.append(
        StatementLine(
            at=base, reference="UNKNOWN-1", merchant_reference="", event_code="X", amount_fen=5
        )
    )
    t0 = time.perf_counter()
    result, _ = reconcile(court=court.pk, source="benchgw", start=day, end=day, lines=lines)
    took = time.perf_counter() - t0
    return {
        "legs": result.ledger_lines,
        "statement": result.statement_lines,
        "seconds": took,
        "load": load,
        "differences": sorted({d["kind"] for d in result.differences}),
        "count": len(result.differences),
        "now": clock.now(),
    }


def _commit_latency_ms(n: int = 200) -> float:
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (x int)")
    t0 = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO bench_commit_probe VALUES (%s)", [i])
    took = (time.perf_counter() - t0) / n * 1000
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_commit_probe")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=2000)
    parser.add_argument("--deposits", type=int, default=300)
    parser.add_argument("--legs", type=int, default=1_000_000)
    args = parser.parse_args()
    setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    print(
        f"# ledger bench — {platform.processor() or platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}, PostgreSQL {pg}"
    )
    print(
        f"commit latency (INSERT + COMMIT, one connection): {_commit_latency_ms():.2f} ms; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for threads in (1, 2, 4, 8):
        n, secs = bench_core(args.postings, threads)
        print(
            f"posting + audit entry (ledger.transfer + audit_record), {threads} connection(s): {n} postings in "
            f"{secs:.2f} s = {n / secs:,.0f} postings/s"
        )
    posting_ms, audit_ms = bench_split(args.postings)
    print(
        f"  split, one connection: ledger posting alone {posting_ms:.2f} ms ({1000 / posting_ms:,.0f}/s); "
        f"audit entry alone (core.audit) {audit_ms:.2f} ms"
    )
    for threads in (1, 4):
        n, secs = bench_core(args.postings, threads, sync=False)
        print(
            f"  diagnostic, synchronous_commit off, {threads} connection(s): {n / secs:,.0f} postings/s"
        )
    for label, n, secs in bench_postings(args.postings):
        print(f"{label}: {n} postings in {secs:.2f} s = {n / secs:,.0f} postings/s")
    n, secs = bench_deposits(args.deposits)
    print(
        f"deposit end to end (request → simulator page → signed webhook → hold): {args.deposits} deposits, "
        f"{n} postings in {secs:.2f} s = {args.deposits / secs:,.0f} deposits/s"
    )
    r = bench_reconcile(args.legs)
    print(
        f"reconcile: {r['legs']:,} ledger legs vs {r['statement']:,} statement lines in {r['seconds']:.2f} s "
        f"(load {r['load']:.1f} s, not timed); {r['count']} differences found: {', '.join(r['differences'])}"
    )


if __name__ == "__main__":
    main()
