"""Service of legal notices (REC-10): receipt, written waiver, deemed service after
publication (5 days on the auction platform, NJA 16 / AUC-10; 15 days on
中国执行信息公开网, RPR 21 / PRC-10), counted under REC-01."""

import datetime as dt

import pytest

from core import calendar, clock
from core.calendar import CST
from core.errors import DomainError
from core.models import AuditEntry, CalendarDay, ServiceRecord
from core.service import is_served, recipient_served_at, served_at, service_receipt, service_record

pytestmark = pytest.mark.django_db

M = ServiceRecord.Method


def _serve(court, method, **kw):
    args = dict(
        court=court,
        subject="case:1/auction:3",
        document="拍卖通知书",
        document_kind="auction_notice",
        recipient_ref="party:9",
        recipient_name="被执行人甲",
        method=method,
    )
    args.update(kw)
    return service_record(**args)


def test_platform_publication_is_deemed_served_after_5_full_days(court, frozen_now):
    """AUC-10/REC-10: published Monday 2 Nov; the 5 full days end on Saturday 7 Nov, a weekend, so
    the period ends on the next working day and service counts from the end of Monday 9 Nov
    (REC-01)."""
    rec = _serve(court, M.PLATFORM_PUBLICATION, unreachable_reason="下落不明，电话无法接通")
    assert rec.published_at == frozen_now and rec.deemed_days == 5
    assert rec.deemed_at == calendar.end_of_day(dt.date(2026, 11, 9))
    assert not is_served(rec, at=dt.datetime(2026, 11, 9, 12, 0, tzinfo=CST))
    assert is_served(rec, at=calendar.end_of_day(dt.date(2026, 11, 9)))


def test_publication_on_wednesday_served_end_of_monday_and_on_tuesday_end_of_sunday_moves(
    court,
):
    wed = dt.datetime(2026, 11, 4, 10, 0, tzinfo=CST)
    rec = _serve(court, M.PLATFORM_PUBLICATION, sent_at=wed, unreachable_reason="地址不详")
    assert served_at(rec) == calendar.end_of_day(dt.date(2026, 11, 9))
    tue = dt.datetime(2026, 11, 3, 10, 0, tzinfo=CST)
    rec = _serve(court, M.PLATFORM_PUBLICATION, sent_at=tue, unreachable_reason="地址不详")
    assert served_at(rec) == calendar.end_of_day(dt.date(2026, 11, 9))  # Sunday 8 → Monday 9


def test_info_publication_is_deemed_served_after_15_days_moved_off_holidays(court):
    """PRC-10/REC-10: 15 days on 中国执行信息公开网; ending on a holiday, it ends the next working day."""
    CalendarDay.objects.create(date=dt.date(2026, 11, 17), kind="holiday", name="示例")
    rec = _serve(
        court,
        M.ENFORCEMENT_INFO_PUBLICATION,
        document="询价报告",
        sent_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=CST),
        unreachable_reason="无法联系",
    )
    assert rec.deemed_days == 15
    assert rec.deemed_at == calendar.end_of_day(dt.date(2026, 11, 18))


def test_publication_without_unreachable_reason_is_refused(court):
    with pytest.raises(DomainError) as exc:
        _serve(court, M.PLATFORM_PUBLICATION)
    assert exc.value.rule == "AUC-10"


def test_receipt_serves_at_its_time_and_is_audited(court, officer, frozen_now):
    rec = _serve(court, M.POST, actor=officer)
    assert not is_served(rec)
    received = frozen_now + dt.timedelta(days=2)
    service_receipt(record=rec, received_at=received, proof="EMS1234567", actor=officer)
    rec.refresh_from_db()
    assert served_at(rec) == received and is_served(rec, at=received)
    actions = list(AuditEntry.objects.filter(stream="case:1").values_list("action", flat=True))
    assert actions == ["service.recorded", "service.received"]
    with pytest.raises(DomainError):
        service_receipt(record=rec, received_at=received, proof="again")


def test_receipt_before_sending_is_refused(court, frozen_now):
    rec = _serve(court, M.POST)
    with pytest.raises(DomainError):
        service_receipt(record=rec, received_at=frozen_now - dt.timedelta(hours=1), proof="x")


def test_written_waiver_serves_at_once_and_needs_the_document(court, frozen_now):
    with pytest.raises(DomainError):
        _serve(court, M.WAIVER)
    rec = _serve(court, M.WAIVER, proof="书面放弃声明（扫描件 #12）")
    assert is_served(rec)


def test_earliest_service_among_several_records_counts(court, frozen_now):
    """A person published for (deemed in 5 days) who then signs a receipt is served at the
    receipt; the earliest of all records for that person and document counts."""
    _serve(court, M.PLATFORM_PUBLICATION, unreachable_reason="下落不明")
    post = _serve(court, M.POST)
    clock.advance(dt.timedelta(days=1))
    service_receipt(record=post, received_at=clock.now(), proof="EMS")
    assert recipient_served_at(subject="case:1/auction:3", recipient_ref="party:9") == clock.now()
    assert recipient_served_at(subject="case:1/auction:3", recipient_ref="party:10") is None


def test_unknown_method_is_refused(court):
    with pytest.raises(DomainError):
        _serve(court, "carrier_pigeon")
