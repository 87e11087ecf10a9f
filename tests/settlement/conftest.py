"""Settlement fixtures: a case with parties, the simulator's payer, the money loop."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from core import clock
from tests.conftest import make_user
from tests.factories import CaseFactory, CreditorFactory, DebtorFactory

if TYPE_CHECKING:
    from cases.models import Case
    from core.models import Court, User
    from settlement.models import PaymentIntent, Receipt

_seq = itertools.count(1)


def make_case(
    court: Court,
    *,
    officer: User | None = None,
    judge: User | None = None,
    claim_fen: int = 50_000_000,
    creditors: Iterable[tuple[str, int, int]] = (("申请人甲", 1, 50_000_000),),
    debtor: str | None = "被执行人乙",
) -> Case:
    """A case with its creditors (name, priority, claim) and a debtor, filed 2026-03-01."""
    case = CaseFactory.create(
        court=court,
        judge=judge,
        officer=officer,
        claim_fen=claim_fen,
        filed_on=dt.date(2026, 3, 1),
    )
    for name, priority, claim in creditors:
        CreditorFactory.create(case=case, name=name, priority=priority, claim_fen=claim)
    if debtor:
        DebtorFactory.create(case=case, name=debtor)
    return case


@pytest.fixture
def case(court: Court, officer: User, judge: User) -> Case:
    return make_case(court, officer=officer, judge=judge)


@pytest.fixture
def other_case(court: Court, officer: User, judge: User) -> Case:
    return make_case(court, officer=officer, judge=judge)


@pytest.fixture
def drain() -> Callable[..., Any]:
    from settlement.worker import drain as _drain

    return _drain


def pay(intent: PaymentIntent, *, approve: bool = True) -> PaymentIntent:
    """The payer confirms on the simulator's page, then the money loop runs."""
    from settlement import simulator
    from settlement.models import SimPayment
    from settlement.worker import drain as _drain

    token = SimPayment.objects.get(merchant_reference=intent.reference).token
    simulator.payer_confirm(token=token, approve=approve)
    _drain()
    intent.refresh_from_db()
    return intent


@pytest.fixture
def events() -> Iterator[list[tuple[object, bool]]]:
    """Record settlement events as they are published, and whether inside a transaction."""
    from django.db import connection

    from core import events as core_events
    from settlement import events as se

    seen: list[tuple[object, bool]] = []

    def handler(event: object) -> None:
        seen.append((event, connection.in_atomic_block))

    kinds = [
        se.DepositHeld,
        se.DepositReleased,
        se.DepositForfeited,
        se.BalancePaid,
        se.BalanceOverdue,
        se.FundsArrived,
    ]
    for kind in kinds:
        core_events.subscribe(kind, handler)
    yield seen
    for kind in kinds:
        core_events.unsubscribe(kind, handler)


@pytest.fixture
def finance_user(court: Court) -> User:
    return make_user("finance", court)


def fund(
    case: Case, amount_fen: int, *, ref: str | None = None, payer: str = "被执行人乙"
) -> Receipt:
    """Money arrives on the case account by bank transfer, matched three ways (FND-03)."""
    from settlement.services import case_account_open, payment_notice_issue, receipt_record

    account = case_account_open(case_id=case.pk)
    payment_notice_issue(
        case_id=case.pk, payer_name=payer, purpose="履行义务", amount_fen=amount_fen
    )
    return receipt_record(
        court_id=case.court_id,
        amount_fen=amount_fen,
        bank_reference=ref or f"B{next(_seq):08d}",
        received_at=clock.now(),
        payer_name=payer,
        credited_account_no=account.account_no,
        memo=case.number,
    )
