"""The inquiry-platform roster (PRC-18): entry conditions, lateness counted per window, flag at 5,
removal with a 5-year bar."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar, clock
from core.errors import DomainError
from core.models import OutboxMessage
from core.rulesettings import setting_set
from pricing.models import InquiryPlatform, PlatformLateness
from pricing.services import (
    active_platforms,
    inquiry_close_window,
    inquiry_send,
    late_count,
    lateness_excuse,
    platform_admit,
    platform_remove,
)
from tests.conftest import make_user
from tests.pricing.conftest import check, make_asset

KINDS = ["挂牌价", "成交价", "评估价"]


def admit(code="p1", **kw):
    return platform_admit(
        code=code,
        name=kw.pop("name", f"平台{code}"),
        adapter="http",
        config={"url": "http://127.0.0.1:9"},
        secret="s",
        price_data_kinds=kw.pop("kinds", KINDS),
        retention_years=kw.pop("years", 10),
        **kw,
    )


def test_entry_needs_three_kinds_of_price_data_and_ten_years_retention(db, now):
    with pytest.raises(DomainError) as err:
        admit(kinds=["挂牌价", "成交价"])
    assert (err.value.code, err.value.rule) == ("too_few_price_data", "PRC-18")
    with pytest.raises(DomainError) as err:
        admit(years=9)
    assert err.value.code == "retention_too_short"
    assert admit().status == "active"


def miss_once(case, judge):
    """One inquiry that the (only) platform misses entirely → one unexcused late report."""
    asset = make_asset(case)
    from pricing.services import procedure_open

    proc = check(procedure_open(asset=asset, actor=judge), judge)
    inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    clock.advance(dt.timedelta(days=5))
    inquiry_close_window(inquiry=inquiry)


def test_five_unexcused_late_reports_in_a_calendar_year_flag_the_platform(
    case, parties, judge, now
):
    """PRC-18: count unexcused late reports; flag at 5 in one year and tell the roster keeper."""
    keeper = make_user("operator")
    platform = admit()
    for _ in range(4):
        miss_once(case, judge)
    platform.refresh_from_db()
    assert (late_count(platform), platform.status) == (4, "active")
    miss_once(case, judge)
    platform.refresh_from_db()
    assert (late_count(platform), platform.status) == (5, "flagged")
    assert OutboxMessage.objects.filter(recipient=keeper, topic="pricing.platform_flagged").exists()
    # A flagged platform stays on the roster until the keeper decides.
    assert platform in active_platforms()


def test_excused_lateness_does_not_count_and_lifts_the_flag(case, parties, judge, now):
    platform = admit()
    for _ in range(5):
        miss_once(case, judge)
    platform.refresh_from_db()
    assert platform.status == "flagged"
    late = PlatformLateness.objects.filter(platform=platform).first()
    assert late is not None
    lateness_excuse(lateness=late, excuse="法院系统故障导致委托未送达")
    platform.refresh_from_db()
    assert (late_count(platform), platform.status) == (4, "active")


def _late_at(platform, case, when, n):
    """n unexcused late reports of ``platform`` due at ``when`` (rows as the lateness recorder writes them)."""
    from pricing.models import Inquiry, InquiryRequest, PricingStep
    from pricing.services import procedure_open

    clock.set_time(when)
    for _ in range(n):
        proc = procedure_open(asset=make_asset(case), actor=None)
        step = PricingStep.objects.create(
            procedure=proc, method="online_inquiry", reason="t", reason_code="t", started_at=when
        )
        inq = Inquiry.objects.create(
            procedure=proc, step=step, sent_at=when, due_at=when, mandate={}
        )
        req = InquiryRequest.objects.create(
            inquiry=inq, platform=platform, sent_at=when, due_at=when
        )
        PlatformLateness.objects.create(
            platform=platform, request=req, due_at=when, recorded_at=when
        )


def test_calendar_year_window_starts_afresh_on_new_year(case, parties, now):
    """late_count_window = calendar_year: last December's lateness does not count in January."""
    platform = admit()
    _late_at(platform, case, dt.datetime(2026, 12, 20, 12, tzinfo=calendar.CST), n=4)
    clock.set_time(dt.datetime(2026, 12, 31, 12, tzinfo=calendar.CST))
    assert late_count(platform) == 4
    clock.set_time(dt.datetime(2027, 1, 2, 12, tzinfo=calendar.CST))
    assert late_count(platform) == 0


def test_rolling_window_counts_the_last_twelve_months(case, parties, now):
    """late_count_window = rolling_12_months: the same lateness still counts in January, not a year on."""
    setting_set(key="late_count_window", value="rolling_12_months", reason="本院采用滚动统计")
    platform = admit()
    _late_at(platform, case, dt.datetime(2026, 12, 20, 12, tzinfo=calendar.CST), n=4)
    clock.set_time(dt.datetime(2027, 1, 2, 12, tzinfo=calendar.CST))
    assert late_count(platform) == 4
    clock.set_time(dt.datetime(2027, 12, 21, 12, tzinfo=calendar.CST))
    assert late_count(platform) == 0


def test_removal_bars_the_platform_for_five_years(db, now):
    """PRC-18: a removed platform is barred 5 years from re-entry; it gets no more inquiries."""
    platform = admit()
    with pytest.raises(DomainError):
        platform_remove(platform=platform, reason="  ")
    removed = platform_remove(platform=platform, reason="一年内无正当理由逾期 5 次")
    assert removed.barred_until == calendar.months_after(now, 60)
    assert platform not in active_platforms()
    clock.set_time(removed.barred_until - dt.timedelta(days=1))
    with pytest.raises(DomainError) as err:
        admit()
    assert (err.value.code, err.value.rule) == ("platform_barred", "PRC-18")
    clock.set_time(removed.barred_until + dt.timedelta(days=1))
    again = admit()
    assert again.pk == platform.pk and again.status == InquiryPlatform.Status.ACTIVE
