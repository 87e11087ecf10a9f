"""The double-entry ledger: balanced, append-only, idempotent, never below zero (FND-01)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.errors import Conflict, DomainError
from settlement import accountno, ledger
from settlement.models import LedgerAccount, LedgerLeg, LedgerTransaction
from settlement.services import case_account_open

pytestmark = pytest.mark.django_db
K = LedgerAccount.Kind


def _accounts(case):
    acct = case_account_open(case_id=case.pk).ledger_account
    bank = ledger.bank_account(court=case.court_id)
    return acct, bank


def _fund(case, amount, key="fund"):
    acct, bank = _accounts(case)
    with transaction.atomic():
        ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key=key,
            source=bank,
            target=acct,
            amount_fen=amount,
        )
    return acct, bank


def test_a_transfer_moves_money_and_the_ledger_sums_to_zero(case):
    acct, bank = _fund(case, 12_345)
    assert ledger.balance(acct) == 12_345
    assert ledger.balance(bank) == -12_345
    assert sum(LedgerLeg.objects.values_list("amount_fen", flat=True)) == 0


def test_unbalanced_legs_are_refused(case):
    acct, bank = _accounts(case)
    with transaction.atomic(), pytest.raises(DomainError) as err:
        ledger.post(
            court=case.court_id,
            kind="test",
            idempotency_key="x",
            legs=[ledger.Leg(bank, -100), ledger.Leg(acct, 99)],
        )
    assert err.value.code == "unbalanced"
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_zero_negative_or_fractional_amounts_are_refused(case, amount):
    acct, bank = _accounts(case)
    with transaction.atomic(), pytest.raises(DomainError) as err:
        ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key="x",
            source=bank,
            target=acct,
            amount_fen=amount,
        )
    assert err.value.code == "invalid_amount"


def test_a_custody_account_never_goes_below_zero(case):
    acct, bank = _fund(case, 1_000)
    with transaction.atomic(), pytest.raises(DomainError) as err:
        ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key="out",
            source=acct,
            target=bank,
            amount_fen=1_001,
        )
    assert err.value.code == "insufficient_funds"
    assert ledger.balance(acct) == 1_000


def test_a_repeated_key_returns_the_first_transaction_and_moves_nothing(case):
    acct, bank = _fund(case, 500, key="same")
    with transaction.atomic():
        _, created = ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key="same",
            source=bank,
            target=acct,
            amount_fen=500,
        )
    assert not created
    assert ledger.balance(acct) == 500
    assert LedgerTransaction.objects.count() == 1


def test_a_key_reused_for_a_different_movement_is_refused(case):
    acct, bank = _fund(case, 500, key="same")
    with transaction.atomic(), pytest.raises(Conflict):
        ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key="same",
            source=bank,
            target=acct,
            amount_fen=501,
        )


def test_money_of_one_case_never_moves_to_another_case(case, other_case):
    acct, _ = _fund(case, 1_000)
    other = case_account_open(case_id=other_case.pk).ledger_account
    with transaction.atomic(), pytest.raises(DomainError) as err:
        ledger.transfer(
            court=case.court_id,
            kind="test",
            idempotency_key="x",
            source=acct,
            target=other,
            amount_fen=10,
        )
    assert err.value.rule == "FND-01"


def test_a_correction_is_a_reversing_entry(case):
    acct, _ = _fund(case, 700, key="wrong")
    tx = LedgerTransaction.objects.get(idempotency_key="wrong")
    with transaction.atomic():
        rev = ledger.reverse(tx=tx, idempotency_key="fix", memo="更正")
    assert rev.reverses_id == tx.pk
    assert ledger.balance(acct) == 0
    assert LedgerLeg.objects.count() == 4  # nothing edited, nothing deleted


# ---- FND-02: virtual account numbers -------------------------------------------------------


def test_case_account_number_is_deterministic_under_the_master_account_with_a_check_digit(case):
    account = case_account_open(case_id=case.pk)
    again = case_account_open(case_id=case.pk)
    assert account.pk == again.pk
    master = case.court.master_account_no
    assert account.account_no.startswith(master)
    assert account.account_no == accountno.virtual_account_no(master, case.pk)
    assert accountno.is_valid(account.account_no)
    assert accountno.split(account.account_no, master) == (case.pk, 0)


def test_a_mistyped_or_transposed_digit_fails_the_check(case):
    number = case_account_open(case_id=case.pk).account_no
    i = len(number) - 6
    typo = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    assert not accountno.is_valid(typo)
    if swapped != number:
        assert not accountno.is_valid(swapped)


def test_per_payer_numbers_only_with_per_person_granularity(case):
    from core.rulesettings import setting_set

    with pytest.raises(DomainError) as err:
        case_account_open(case_id=case.pk, party_ref="party:1")
    assert err.value.rule == "FND-02"
    setting_set(
        key="account_granularity", value="per_person_per_case", court=case.court, reason="测试"
    )
    sub = case_account_open(case_id=case.pk, party_ref="party:1")
    primary = case_account_open(case_id=case.pk)
    assert sub.account_no != primary.account_no
    assert sub.ledger_account_id == primary.ledger_account_id
    assert accountno.split(sub.account_no, case.court.master_account_no) == (case.pk, 1)


def test_unknown_case_is_not_found(db):
    from core.errors import NotFound

    with pytest.raises(NotFound):
        case_account_open(case_id=999_999)


# ---- PostgreSQL guards ------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_ledger_rows(case):
    _fund(case, 100)
    leg = LedgerLeg.objects.first()
    assert leg is not None
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerLeg.objects.filter(pk=leg.pk).update(amount_fen=200)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerLeg.objects.filter(pk=leg.pk).delete()
    assert LedgerLeg.objects.filter(pk=leg.pk, amount_fen=leg.amount_fen).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_unbalanced_transaction_inserted_by_raw_sql(court):
    from django.db import IntegrityError

    from tests.settlement.conftest import make_case

    case = make_case(court)
    acct, bank = _accounts(case)
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO settlement_ledgertransaction (court_id, case_id, kind, idempotency_key, fingerprint, ref,"
            " memo, posted_at) VALUES (%s, %s, 'raw', 'raw-1', '', '', '', now()) RETURNING id",
            [court.pk, case.pk],
        )
        tx_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO settlement_ledgerleg (transaction_id, account_id, amount_fen, external_ref, posted_at)"
            " VALUES (%s, %s, 100, '', now()), (%s, %s, -99, '', now())",
            [tx_id, acct.pk, tx_id, bank.pk],
        )
    assert not LedgerTransaction.objects.filter(idempotency_key="raw-1").exists()
    # A balanced one by the same route commits.
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO settlement_ledgertransaction (court_id, case_id, kind, idempotency_key, fingerprint, ref,"
            " memo, posted_at) VALUES (%s, %s, 'raw', 'raw-2', '', '', '', now()) RETURNING id",
            [court.pk, case.pk],
        )
        tx_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO settlement_ledgerleg (transaction_id, account_id, amount_fen, external_ref, posted_at)"
            " VALUES (%s, %s, 100, '', now()), (%s, %s, -100, '', now())",
            [tx_id, acct.pk, tx_id, bank.pk],
        )
    assert ledger.balance(acct) == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_the_same_key_posted_twice_at_once_moves_money_once(court):
    """Two connections post one idempotency key at the same instant: one posting, two answers."""
    from tests import race
    from tests.settlement.conftest import make_case

    case = make_case(court)
    acct, bank = _accounts(case)

    def post_once():
        with transaction.atomic():
            tx, created = ledger.transfer(
                court=case.court_id,
                kind="test",
                idempotency_key="race",
                source=bank,
                target=acct,
                amount_fen=250,
            )
        return tx.pk, created

    answers = race.together(post_once, post_once, reraise=True)
    assert sorted(created for _, created in answers) == [False, True]
    assert len({pk for pk, _ in answers}) == 1
    assert ledger.balance(acct) == 250
