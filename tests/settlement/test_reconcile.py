"""Reconciliation (FND-15): the ledger against the simulator's and the bank's statements; every
planted difference is found."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.management import call_command

from core import clock
from settlement.reconcile import compare, reconcile, statement_from_csv, statement_to_csv
from settlement.services import deposit_release, deposit_request
from settlement.simulator import statement_lines
from tests.settlement.conftest import fund, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_day(case, drain, frozen_now):
    """A day of gateway traffic: three deposits paid, one released, one balance of another."""
    for n in range(3):
        pay(
            deposit_request(
                case_id=case.pk,
                ref=f"reg-test:9/registration:{n}",
                payer_ref=f"u:{n}",
                payer_name=f"竞买人{n}",
                amount_fen=100_000 * (n + 1),
                idempotency_key=f"d{n}",
                mode="pay" if n else "authorise",
            )
        )
    deposit_release(ref="reg-test:9/registration:1", reason="未成交", idempotency_key="r1")
    drain()
    return clock.now().date()


def _lines(case, day):
    return list(statement_lines(court=case.court_id, start=day, end=day))


def test_the_ledger_reconciles_with_the_simulator_with_zero_differences(case, busy_day):
    result, run = reconcile(court=case.court_id, source="simulator", start=busy_day, end=busy_day)
    assert result.ledger_lines == result.statement_lines == 4
    assert result.differences == []
    assert (
        result.ledger_total_fen
        == result.statement_total_fen
        == 100_000 + 200_000 + 300_000 - 200_000
    )
    assert run is not None and run.difference_count == 0


def test_each_planted_difference_is_found(case, busy_day):
    lines = _lines(case, busy_day)
    missing = lines.pop(0)  # a missing line
    lines.append(lines[0])  # a duplicated line
    lines[1] = dataclasses.replace(lines[1], amount_fen=lines[1].amount_fen + 1)  # a wrong amount
    lines.append(
        dataclasses.replace(lines[0], reference="9999888877776666")
    )  # an unknown reference
    result, _ = reconcile(
        court=case.court_id, source="simulator", start=busy_day, end=busy_day, lines=lines
    )
    kinds = {(d["kind"], d["reference"]) for d in result.differences}
    assert kinds == {
        ("missing_in_statement", missing.reference),
        ("duplicated", lines[0].reference),
        ("wrong_amount", lines[1].reference),
        ("unknown_reference", "9999888877776666"),
    }


def test_a_line_posted_on_another_day_is_a_timing_difference_not_unknown(case, busy_day):
    lines = _lines(case, busy_day)
    next_day = busy_day + dt.timedelta(days=1)
    result, _ = reconcile(
        court=case.court_id, source="simulator", start=next_day, end=next_day, lines=lines[:1]
    )
    assert [d["kind"] for d in result.differences] == ["other_period"]


def test_the_statement_csv_round_trips(case, busy_day):
    lines = _lines(case, busy_day)
    again = statement_from_csv(statement_to_csv(lines))
    assert [(x.reference, x.amount_fen, x.event_code) for x in again] == [
        (x.reference, x.amount_fen, x.event_code) for x in lines
    ]


def test_the_bank_statement_reconciles_against_receipts(case, frozen_now):
    fund(case, 120_000, ref="BK1")
    fund(case, 80_000, ref="BK2")
    text = (
        "交易时间,流水号,付款人,付款账号,收款账号,金额,币种,附言\n"
        "2026-11-02 09:30,BK1,被执行人乙,,,1200.00,CNY,\n"
        "2026-11-02 09:40,BK2,被执行人乙,,,800.01,CNY,\n"
    )
    result, _ = reconcile(
        court=case.court_id,
        source="bank",
        start=clock.now().date(),
        end=clock.now().date(),
        lines=statement_from_csv(text),
    )
    assert [(d["kind"], d["reference"]) for d in result.differences] == [("wrong_amount", "BK2")]


def test_compare_handles_a_ledger_duplicate():
    from settlement.gateway import StatementLine

    line = StatementLine(
        at=clock.now(), reference="A", merchant_reference="", event_code="X", amount_fen=5
    )
    result = compare([("A", -5), ("A", -5)], [line])
    assert [(d["kind"], d["side"]) for d in result.differences] == [("duplicated", "ledger")]


def test_manage_py_reconcile_lists_every_difference_and_fails(case, busy_day, tmp_path, capsys):
    call_command(
        "reconcile",
        "--court",
        case.court.code,
        "--day",
        busy_day.isoformat(),
        "--source",
        "simulator",
    )
    out = capsys.readouterr().out
    assert "差异 0 项" in out
    lines = _lines(case, busy_day)
    path = tmp_path / "stmt.csv"
    path.write_text(statement_to_csv(lines[1:]), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "reconcile",
            "--court",
            case.court.code,
            "--month",
            busy_day.strftime("%Y-%m"),
            "--source",
            "simulator",
            "--file",
            str(path),
        )
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "差异 1 项" in out and lines[0].reference in out
