"""Settlement fixtures: a case with parties, the simulator's payer, the money loop."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core import clock
from tests.conftest import make_user

_seq = itertools.count(1)


def make_case(
    court,
    *,
    officer=None,
    judge=None,
    claim_fen=50_000_000,
    creditors=(("申请人甲", 1, 50_000_000),),
    debtor="被执行人乙",
):
    from cases.models import Case, Party

    n = next(_seq)
    case = Case.objects.create(
        court=court,
        number=f"（2026）{court.code}执{1000 + n}号",
        year=2026,
        court_code=court.code,
        case_type="执",
        sequence=1000 + n,
        title="借款合同纠纷",
        judge=judge,
        officer=officer,
        claim_fen=claim_fen,
        filed_on=dt.date(2026, 3, 1),
        created_at=clock.now(),
    )
    for name, priority, claim in creditors:
        Party.objects.create(
            case=case,
            role=Party.Role.CREDITOR,
            kind=Party.Kind.PERSON,
            name=name,
            priority=priority,
            claim_fen=claim,
        )
    if debtor:
        Party.objects.create(case=case, role=Party.Role.DEBTOR, kind=Party.Kind.PERSON, name=debtor)
    return case


@pytest.fixture
def case(court, officer, judge):
    return make_case(court, officer=officer, judge=judge)


@pytest.fixture
def other_case(court, officer, judge):
    return make_case(court, officer=officer, judge=judge)


@pytest.fixture
def drain():
    from settlement.worker import drain as _drain

    return _drain


def pay(intent, *, approve=True):
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
def events():
    """Record settlement events as they are published, and whether inside a transaction."""
    from django.db import connection

    from core import events as core_events
    from settlement import events as se

    seen: list[tuple[object, bool]] = []

    def handler(event):
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
def finance_user(court):
    return make_user("finance", court)


def fund(case, amount_fen, *, ref=None, payer="被执行人乙"):
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
