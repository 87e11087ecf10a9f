"""Money that arrives by hand (FND-07, FND-09), direct payments (FND-05) and the monthly
clearing of unclaimed receipts (FND-08)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import calendar, clock
from core.errors import Conflict, DomainError, PermissionDenied
from core.models import AuditEntry, Deadline, OutboxMessage
from core.rulesettings import setting_set
from settlement import ledger
from settlement.models import Arrival, Receipt
from settlement.services import (
    cash_receive,
    direct_payment_record,
    field_cash_collect,
    field_cash_hand_over,
    instrument_cleared,
    instrument_formal_notice,
    instrument_receive,
    receipt_record,
    unclaimed_clearing_run,
)
from settlement.services.accounts import case_ledger_account
from settlement.services.arrivals import unclaimed_clearing_due
from tests.conftest import make_user
from tests.settlement.conftest import make_case

pytestmark = pytest.mark.django_db
CST = calendar.CST


def case_balance(case) -> int:
    return ledger.balance(case_ledger_account(case.pk))


# FND-07: cash at the counter ------------------------------------------------------------


def test_cash_at_the_counter_gets_a_receipt_on_the_spot_and_credits_the_case_fnd07(case, finance):
    arrival = cash_receive(case_id=case.pk, amount_fen=120_000, payer_name="张三", actor=finance)
    assert arrival.status == Arrival.Status.CREDITED
    assert arrival.voucher_no == f"{case.court.code}-2026-X000001"
    assert case_balance(case) == 120_000
    assert arrival.receipt is not None and arrival.receipt.status == Receipt.Status.MATCHED
    entry = AuditEntry.objects.get(action="arrival.cash_received")
    assert entry.stream == f"case:{case.pk}" and entry.rule_ids == "FND-07"
    # the officer hears of it (FND-07 notify_on_arrival)
    assert OutboxMessage.objects.filter(
        recipient=case.officer, topic="settlement.funds_arrived"
    ).exists()


def test_only_finance_of_the_court_takes_cash_fnd07(case, officer, other_court):
    with pytest.raises(PermissionDenied):
        cash_receive(case_id=case.pk, amount_fen=100, payer_name="张三", actor=officer)
    stranger = make_user("finance", other_court)
    with pytest.raises(PermissionDenied):
        cash_receive(case_id=case.pk, amount_fen=100, payer_name="张三", actor=stranger)
    assert not Arrival.objects.exists()


def test_cash_amount_must_be_positive_whole_fen(case, finance):
    for bad in (0, -5):
        with pytest.raises(DomainError):
            cash_receive(case_id=case.pk, amount_fen=bad, payer_name="张三", actor=finance)
    assert case_balance(case) == 0


# FND-09: field cash ---------------------------------------------------------------------


@pytest.fixture
def second_officer(court):
    return make_user("officer", court, username="officer2")


def test_field_cash_needs_two_officers_one_is_refused_two_are_enough_fnd09(
    case, officer, second_officer
):
    with pytest.raises(DomainError) as exc:
        field_cash_collect(
            case_id=case.pk,
            amount_fen=50_000,
            payer_name="李四",
            officer_ids=[],
            signed_by_ids=[officer.pk],
            place="被执行人住所",
            actor=officer,
        )
    assert exc.value.code == "field_cash_too_few_officers" and exc.value.rule == "FND-09"
    arrival = field_cash_collect(
        case_id=case.pk,
        amount_fen=50_000,
        payer_name="李四",
        officer_ids=[second_officer.pk],
        signed_by_ids=[officer.pk, second_officer.pk],
        place="被执行人住所",
        actor=officer,
    )
    assert arrival.status == Arrival.Status.WITH_OFFICERS
    assert set(arrival.officers.all()) == {officer, second_officer}
    assert arrival.voucher_no.endswith("F000001")
    assert case_balance(case) == 0  # not credited until finance has it


def test_field_cash_record_must_be_signed_by_all_present_fnd09(case, officer, second_officer):
    with pytest.raises(DomainError) as exc:
        field_cash_collect(
            case_id=case.pk,
            amount_fen=50_000,
            payer_name="李四",
            officer_ids=[second_officer.pk],
            signed_by_ids=[officer.pk],
            place="现场",
            actor=officer,
        )
    assert exc.value.code == "field_cash_record_unsigned"
    assert second_officer.username in exc.value.message or "officer2" in exc.value.message


def test_field_cash_officers_must_be_of_the_cases_court(case, officer, other_court):
    outsider = make_user("officer", other_court, username="outsider")
    with pytest.raises(DomainError) as exc:
        field_cash_collect(
            case_id=case.pk,
            amount_fen=1,
            payer_name="李四",
            officer_ids=[outsider.pk],
            signed_by_ids=[officer.pk, outsider.pk],
            place="现场",
            actor=officer,
        )
    assert exc.value.code == "field_cash_officer_invalid"


def test_min_officers_is_a_court_setting_fnd09(case, officer, second_officer, court, judge):
    setting_set(key="field_cash_min_officers", value=3, court=court, actor=None, reason="本院规定")
    with pytest.raises(DomainError):
        field_cash_collect(
            case_id=case.pk,
            amount_fen=1,
            payer_name="李四",
            officer_ids=[second_officer.pk],
            signed_by_ids=[officer.pk, second_officer.pk],
            place="现场",
            actor=officer,
        )
    arrival = field_cash_collect(
        case_id=case.pk,
        amount_fen=1,
        payer_name="李四",
        officer_ids=[second_officer.pk, judge.pk],
        signed_by_ids=[officer.pk, second_officer.pk, judge.pk],
        place="现场",
        actor=officer,
    )
    assert arrival.officers.count() == 3


@pytest.fixture
def collected(case, officer, second_officer):
    return field_cash_collect(
        case_id=case.pk,
        amount_fen=80_000,
        payer_name="李四",
        officer_ids=[second_officer.pk],
        signed_by_ids=[officer.pk, second_officer.pk],
        place="被执行人住所",
        actor=officer,
    )


def test_field_cash_handed_over_the_same_day_needs_no_reason_and_credits_the_case_fnd09(
    collected, case, finance
):
    assert collected.handover_due_at == calendar.end_of_day(dt.date(2026, 11, 2))
    assert Deadline.objects.get(rule_id="FND-09").status == Deadline.Status.OPEN
    clock.set_time(dt.datetime(2026, 11, 2, 23, 59, tzinfo=CST))
    arrival = field_cash_hand_over(arrival_id=collected.pk, actor=finance)
    assert arrival.status == Arrival.Status.CREDITED and not arrival.handover_overdue
    assert case_balance(case) == 80_000
    assert Deadline.objects.get(rule_id="FND-09").status != Deadline.Status.OPEN
    with pytest.raises(Conflict):
        field_cash_hand_over(arrival_id=collected.pk, actor=finance)
    assert case_balance(case) == 80_000


def test_field_cash_the_next_day_needs_a_written_reason_fnd09(collected, case, finance):
    clock.set_time(dt.datetime(2026, 11, 3, 0, 1, tzinfo=CST))
    with pytest.raises(DomainError) as exc:
        field_cash_hand_over(arrival_id=collected.pk, actor=finance)
    assert exc.value.code == "field_cash_late_reason_required"
    assert case_balance(case) == 0
    arrival = field_cash_hand_over(arrival_id=collected.pk, actor=finance, late_reason="夜间收取")
    assert arrival.handover_late_reason == "夜间收取" and not arrival.handover_overdue


def test_field_cash_past_one_more_day_is_recorded_overdue_fnd09(collected, finance):
    clock.set_time(dt.datetime(2026, 11, 4, 0, 1, tzinfo=CST))
    arrival = field_cash_hand_over(arrival_id=collected.pk, actor=finance, late_reason="车辆故障")
    assert arrival.handover_overdue
    entry = AuditEntry.objects.get(action="arrival.field_cash_handed_over")
    assert (entry.after or {})["overdue"] is True


# FND-07: instruments --------------------------------------------------------------------


def test_instrument_gets_an_interim_voucher_and_credits_only_when_cleared_fnd07(case, finance):
    arrival = instrument_receive(
        case_id=case.pk,
        amount_fen=300_000,
        payer_name="某公司",
        instrument_no="支票 00123",
        actor=finance,
    )
    assert arrival.status == Arrival.Status.INTERIM and arrival.voucher_no.endswith("P000001")
    assert case_balance(case) == 0
    clock.advance(dt.timedelta(days=2))
    arrival = instrument_cleared(arrival_id=arrival.pk, bank_reference="B-778", actor=finance)
    assert arrival.status == Arrival.Status.CREDITED and case_balance(case) == 300_000
    # the formal-receipt notice is due 3 days after the money arrived (Wed 4 → Sat 7 → Mon 9)
    assert arrival.formal_notice_due_at == calendar.end_of_day(dt.date(2026, 11, 9))
    with pytest.raises(Conflict):
        instrument_cleared(arrival_id=arrival.pk, bank_reference="B-779", actor=finance)
    assert case_balance(case) == 300_000


def test_formal_receipt_notice_closes_the_deadline_and_tells_the_parties_fnd07(case, finance):
    arrival = instrument_receive(
        case_id=case.pk,
        amount_fen=1000,
        payer_name="某公司",
        instrument_no="汇票 1",
        actor=finance,
    )
    with pytest.raises(Conflict):
        instrument_formal_notice(arrival_id=arrival.pk, actor=finance)  # not cleared yet
    instrument_cleared(arrival_id=arrival.pk, bank_reference="B-1", actor=finance)
    arrival = instrument_formal_notice(arrival_id=arrival.pk, actor=finance)
    assert arrival.status == Arrival.Status.FORMAL_NOTIFIED
    d = Deadline.objects.get(rule_id="FND-07")
    assert d.status != Deadline.Status.OPEN
    assert OutboxMessage.objects.filter(topic="settlement.formal_receipt").exists()


def test_instrument_receipt_notice_days_is_a_setting_fnd07(case, finance, court):
    setting_set(
        key="instrument_receipt_notice_days", value=5, court=court, actor=None, reason="本院"
    )
    arrival = instrument_receive(
        case_id=case.pk,
        amount_fen=1000,
        payer_name="某公司",
        instrument_no="汇票 2",
        actor=finance,
    )
    arrival = instrument_cleared(arrival_id=arrival.pk, bank_reference="B-2", actor=finance)
    assert arrival.formal_notice_due_at == calendar.end_of_day(dt.date(2026, 11, 9))  # Sat 7→Mon
    # Monday 2 + 5 = Saturday 7 → Monday 9; with 3 it was Thursday 5


# FND-05: direct payments ----------------------------------------------------------------


def test_direct_payment_to_the_sole_creditor_is_recorded_and_audited_fnd05(case, officer):
    creditor = case.parties.get(role="creditor")
    payment = direct_payment_record(
        case_id=case.pk,
        creditor_party_id=creditor.pk,
        amount_fen=10_000,
        paid_at=clock.now() - dt.timedelta(days=1),
        channel="direct",
        evidence="银行回单",
        actor=officer,
    )
    assert payment.amount_fen == 10_000
    assert case_balance(case) == 0  # no money passes the court
    assert AuditEntry.objects.get(action="direct_payment.recorded").rule_ids == "FND-05"


def test_a_network_control_deduction_is_never_a_direct_payment_fnd05(case, officer):
    creditor = case.parties.get(role="creditor")
    with pytest.raises(DomainError) as exc:
        direct_payment_record(
            case_id=case.pk,
            creditor_party_id=creditor.pk,
            amount_fen=10_000,
            paid_at=clock.now(),
            channel="deduction",
            evidence="查控扣划",
            actor=officer,
        )
    assert exc.value.code == "deduction_must_use_special_account" and exc.value.rule == "FND-05"


def test_disputed_or_distributable_money_goes_to_the_special_account_fnd05(court, officer, judge):
    case = make_case(
        court,
        officer=officer,
        judge=judge,
        creditors=(("甲", 1, 1_000_000), ("乙", 2, 1_000_000)),
    )
    creditor = case.parties.filter(role="creditor").first()
    assert creditor is not None
    with pytest.raises(DomainError) as exc:
        direct_payment_record(
            case_id=case.pk,
            creditor_party_id=creditor.pk,
            amount_fen=1,
            paid_at=clock.now(),
            channel="direct",
            evidence="回单",
            actor=officer,
        )
    assert exc.value.code == "distributable_money_to_special_account"
    single = make_case(court, officer=officer, judge=judge)
    with pytest.raises(DomainError) as exc:
        direct_payment_record(
            case_id=single.pk,
            creditor_party_id=single.parties.get(role="creditor").pk,
            amount_fen=1,
            paid_at=clock.now(),
            channel="direct",
            evidence="回单",
            disputed=True,
            actor=officer,
        )
    assert exc.value.code == "disputed_money_to_special_account"


# FND-08: monthly clearing ---------------------------------------------------------------


def _unidentified(court, when, ref):
    return receipt_record(
        court_id=court.pk,
        amount_fen=7_700,
        bank_reference=ref,
        received_at=when,
        payer_name="不明",
        memo="",
    )


def test_monthly_clearing_lists_receipts_unclaimed_past_their_period_once_fnd08(court, finance):
    old = _unidentified(court, clock.now() - dt.timedelta(days=20), "R-OLD")
    _unidentified(court, clock.now(), "R-NEW")  # its claim period is still running
    assert old.status == Receipt.Status.UNIDENTIFIED
    clock.set_time(dt.datetime(2026, 12, 1, 8, tzinfo=CST))
    assert unclaimed_clearing_due() >= 1
    clearing = unclaimed_clearing_run(court_id=court.pk, month=dt.date(2026, 12, 1))
    # R-NEW's period (3 days from 2 Nov) also ended before December: both are listed
    assert clearing.count == 2 and clearing.total_fen == 15_400
    assert OutboxMessage.objects.filter(
        recipient=finance, topic="settlement.unclaimed_clearing"
    ).exists()
    again = unclaimed_clearing_due()
    assert again == 0
    assert AuditEntry.objects.filter(action="unclaimed.cleared", subject="2026-12").count() == 1


def test_clearing_leaves_out_receipts_whose_period_runs_into_the_month_fnd08(court):
    clock.set_time(dt.datetime(2026, 11, 30, 10, tzinfo=CST))
    _unidentified(court, clock.now(), "R-LATE")  # due 3 Dec
    clearing = unclaimed_clearing_run(court_id=court.pk, month=dt.date(2026, 12, 1))
    assert clearing.count == 0 and clearing.items == []


# The page (settlement:arrivals) ---------------------------------------------------------


def _page(client, user, case):
    client.force_login(user)
    return reverse("settlement:arrivals", args=[case.pk])


def test_finance_takes_cash_on_the_page_and_sees_the_voucher_fnd07(client, case, finance):
    url = _page(client, finance, case)
    resp = client.post(
        url, {"action": "cash", "payer_name": "张三", "amount": "1,200.00"}, follow=True
    )
    text = resp.content.decode()
    assert resp.status_code == 200 and "已收取现金并开具收据" in text
    assert f"{case.court.code}-2026-X000001" in text
    assert case_balance(case) == 120_000


def test_officers_collect_field_cash_and_finance_takes_it_on_the_page_fnd09(
    client, case, officer, second_officer, finance
):
    url = _page(client, officer, case)
    form = {"action": "field_cash", "payer_name": "李四", "amount": "800", "place": "住所"}
    # alone: refused with the rule, nothing written
    resp = client.post(url, {**form, "signed": [str(officer.pk)]}, follow=True)
    assert "FND-09" in resp.content.decode() and not Arrival.objects.exists()
    resp = client.post(
        url,
        {
            **form,
            "officers": [str(second_officer.pk)],
            "signed": [str(officer.pk), str(second_officer.pk)],
        },
        follow=True,
    )
    assert "已登记现场收取现金" in resp.content.decode()
    arrival = Arrival.objects.get()
    url = _page(client, finance, case)
    resp = client.post(url, {"action": "hand_over", "arrival": str(arrival.pk)}, follow=True)
    assert "已交财务并入案款账户" in resp.content.decode()
    assert case_balance(case) == 80_000


def test_the_page_is_for_staff_of_the_cases_court(client, case, other_court, bidder):
    for user in (make_user("finance", other_court, username="f2"), bidder):
        client.force_login(user)
        assert client.get(reverse("settlement:arrivals", args=[case.pk])).status_code == 404


def test_a_bidder_cannot_post_to_the_page(client, case, bidder):
    client.force_login(bidder)
    resp = client.post(
        reverse("settlement:arrivals", args=[case.pk]),
        {"action": "cash", "payer_name": "x", "amount": "1"},
    )
    assert resp.status_code == 404 and not Arrival.objects.exists()
