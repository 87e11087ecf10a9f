"""Receipts: matched on case number, payer and amount (FND-03), else claimed later (FND-08);
bank statement import; arrival notices (FND-07)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import DomainError, PermissionDenied
from core.models import Deadline, OutboxMessage
from core.rulesettings import setting_set
from settlement import ledger
from settlement.models import PaymentNotice, Receipt
from settlement.services import (
    case_account_open,
    payment_notice_issue,
    receipt_claim,
    receipt_record,
    receipts_import_csv,
)
from settlement.services.accounts import case_ledger_account
from tests.settlement.conftest import fund

pytestmark = pytest.mark.django_db


def _receipt(case, **kw):
    args = {
        "court_id": case.court_id,
        "amount_fen": 1_000_000,
        "bank_reference": "B1",
        "received_at": clock.now(),
        "payer_name": "被执行人乙",
        "credited_account_no": case_account_open(case_id=case.pk).account_no,
        "memo": "",
        **kw,
    }
    return receipt_record(**args)


def test_the_payment_notice_carries_account_bank_name_and_the_memo_FND_04(case):
    notice = payment_notice_issue(
        case_id=case.pk, payer_name="被执行人乙", purpose="履行义务", amount_fen=500_000
    )
    assert notice.account_no == case_account_open(case_id=case.pk).account_no
    for part in (case.number, "被执行人乙", "履行义务"):
        assert part in notice.memo


def test_a_payment_matching_case_payer_and_amount_credits_the_case_FND_03(
    case, events, officer, django_capture_on_commit_callbacks
):
    payment_notice_issue(
        case_id=case.pk, payer_name="被执行人乙", purpose="履行义务", amount_fen=1_000_000
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = _receipt(case)
    assert r.status == Receipt.Status.MATCHED and r.case_id == case.pk
    assert ledger.balance(case_ledger_account(case.pk)) == 1_000_000
    assert PaymentNotice.objects.get().status == PaymentNotice.Status.PAID
    assert [(type(e).__name__, e.amount_fen, e.receipt_id) for e, _ in events] == [
        ("FundsArrived", 1_000_000, r.pk)
    ]
    assert OutboxMessage.objects.filter(
        recipient=officer, topic="settlement.funds_arrived"
    ).exists()  # FND-07
    assert Deadline.objects.filter(
        rule_id="FND-10", subject=f"case:{case.pk}/funds:receipt:{r.pk}"
    ).exists()


@pytest.mark.parametrize(
    ("kw", "why"), [({"payer_name": "别人"}, "付款人"), ({"amount_fen": 999_999}, "金额")]
)
def test_a_payer_or_amount_that_does_not_agree_leaves_it_unidentified_FND_03(case, kw, why):
    payment_notice_issue(
        case_id=case.pk, payer_name="被执行人乙", purpose="履行义务", amount_fen=1_000_000
    )
    r = _receipt(case, **kw)
    assert r.status == Receipt.Status.UNIDENTIFIED
    assert why in r.match_note
    assert ledger.balance(case_ledger_account(case.pk)) == 0


def test_without_the_strict_switch_the_case_number_is_enough_FND_03(case):
    setting_set(key="strict_three_way_match", value=False, court=case.court, reason="本院规定")
    r = _receipt(
        case,
        credited_account_no="",
        memo=f"还款 {case.number.replace('（', '(').replace('）', ')')}",
    )
    assert r.status == Receipt.Status.MATCHED


def test_account_and_memo_naming_different_cases_is_not_matched(case, other_case):
    setting_set(key="strict_three_way_match", value=False, court=case.court, reason="本院规定")
    r = _receipt(case, memo=other_case.number)
    assert r.status == Receipt.Status.UNIDENTIFIED


def test_an_unidentified_receipt_gets_the_claim_deadline_and_a_timely_claim_credits_the_case_FND_08(
    case, finance, frozen_now
):
    r = _receipt(case, credited_account_no="", memo="不明款项")
    d = Deadline.objects.get(rule_id="FND-08")
    assert r.claim_due_at == d.due_at
    claimed = receipt_claim(receipt_id=r.pk, case_id=case.pk, actor=finance)
    assert claimed.status == Receipt.Status.CLAIMED and not claimed.claimed_late
    assert ledger.balance(case_ledger_account(case.pk)) == 1_000_000
    d.refresh_from_db()
    assert d.status == Deadline.Status.MET


def test_a_late_claim_is_accepted_but_flagged_FND_08(case, finance, frozen_now):
    r = _receipt(case, credited_account_no="")
    clock.advance(dt.timedelta(days=10))
    from core.deadlines import deadlines_sweep

    deadlines_sweep()
    assert Deadline.objects.get(rule_id="FND-08").flag == Deadline.Flag.YELLOW
    claimed = receipt_claim(receipt_id=r.pk, case_id=case.pk, actor=finance)
    assert claimed.claimed_late is True
    assert ledger.balance(case_ledger_account(case.pk)) == 1_000_000  # the money is never stranded


def test_claiming_twice_or_by_a_bidder_is_refused(case, finance, bidder):
    r = _receipt(case, credited_account_no="")
    with pytest.raises(PermissionDenied):
        receipt_claim(receipt_id=r.pk, case_id=case.pk, actor=bidder)
    receipt_claim(receipt_id=r.pk, case_id=case.pk, actor=finance)
    with pytest.raises(DomainError):
        receipt_claim(receipt_id=r.pk, case_id=case.pk, actor=finance)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"amount_fen": 0}, "invalid_amount"),
        ({"amount_fen": -100}, "invalid_amount"),
        ({"currency": "HKD"}, "wrong_currency"),
        ({"bank_reference": ""}, "required"),
    ],
)
def test_bad_receipts_are_refused(case, kw, code):
    with pytest.raises(DomainError) as err:
        _receipt(case, **kw)
    assert err.value.code == code


def test_the_same_bank_line_is_recorded_once(case):
    a = fund(case, 300_000, ref="SAME")
    b = _receipt(case, bank_reference="SAME", amount_fen=300_000)
    assert a.pk == b.pk
    assert ledger.balance(case_ledger_account(case.pk)) == 300_000


def test_bank_statement_import_matches_claims_and_skips_duplicates_and_outgoing(case):
    account = case_account_open(case_id=case.pk).account_no
    payment_notice_issue(
        case_id=case.pk, payer_name="被执行人乙", purpose="履行义务", amount_fen=1_234_500
    )
    text = (
        "交易时间,流水号,付款人,付款账号,收款账号,金额,币种,附言\n"
        f'2026-11-02 10:00:00,S1,被执行人乙,6222000011112222,{account},"12,345.00",CNY,{case.number}\n'
        "2026-11-02 11:00:00,S2,某公司,6222000033334444,,500.00,CNY,货款\n"
        "2026-11-02 12:00:00,S3,法院,,,-100.00,CNY,付款\n"
        "2026-11-02 13:00:00,S4,某人,,,abc,CNY,错行\n"
        "2026-11-02 14:00:00,S5,某人,,,1.00,USD,外币\n"
    )
    result = receipts_import_csv(court_id=case.court_id, text=text)
    assert (result.created, result.matched, result.unidentified, result.outgoing) == (2, 1, 1, 1)
    assert [line for line, _ in result.errors] == [5, 6]
    again = receipts_import_csv(court_id=case.court_id, text=text)
    assert again.created == 0 and again.duplicates == 2
    assert ledger.balance(case_ledger_account(case.pk)) == 1_234_500


def test_a_statement_without_the_required_columns_is_refused(court):
    result = receipts_import_csv(court_id=court.pk, text="a,b\n1,2\n")
    assert result.created == 0 and result.errors
