"""Firm pricing rules with a number, at their boundary (one value each side)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar, clock
from tests.pricing.test_inquiry import platforms, report, requests, send

pytestmark = pytest.mark.django_db


def test_prc07_report_at_the_3_day_deadline_is_on_time_a_second_later_is_late(
    procedure, judge, now
):
    """PRC-07: each platform reports within 3 days of receipt; a report at the due time counts,
    one a second later is late (kept, counted under PRC-18, never in the mean)."""
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    assert inquiry.due_at is not None
    clock.set_time(inquiry.due_at)
    assert report(r1, 1_000_000_00).on_time is True
    clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
    late = report(r2, 1_000_000_00)
    r2.refresh_from_db()
    assert (late.on_time, r2.status) == (False, "late")


def test_prc08_correction_at_the_3_day_deadline_is_on_time_a_second_later_is_not(
    procedure, judge, now
):
    """PRC-08: when every report has a basic-fact error, all platforms correct within 3 days;
    a correction at the due time counts, one a second later does not."""
    from pricing.services import inquiry_request_corrections, report_review
    from tests.pricing.test_inquiry import _three_reports

    inquiry, reps = _three_reports(procedure, judge)
    for r in reps:
        report_review(report=r, fact_error=True, note="遗漏车位")
    reqs = inquiry_request_corrections(inquiry=inquiry, note="遗漏地下车位一个")
    inquiry.refresh_from_db()
    due = inquiry.corrections_due_at
    assert due is not None
    clock.set_time(due)
    assert report(reqs[0], 1_100_000_00).on_time is True
    clock.set_time(due + dt.timedelta(seconds=1))
    assert report(reqs[1], 1_300_000_00).on_time is False


# ---- issue 14: the remaining firm pricing rules at their boundary ------------------------------
# Dates are China Standard Time; the clock starts frozen on Monday 2026-11-02 09:00.


def _flag_after_sweep(d):
    from core.deadlines import deadlines_sweep

    deadlines_sweep()
    d.refresh_from_db()
    return d.flag


@pytest.mark.rule("PRC-01", entry="service")
@pytest.mark.parametrize(("offset", "flag"), [(0, "green"), (1, "yellow")])
def test_prc01_pricing_started_on_day_30_is_on_time_a_second_later_is_overdue(
    asset, judge, now, offset, flag
):
    """PRC-01: seized Monday 10-05 → pricing starts by the end of day 30, Wednesday 11-04 (not
    11-03, not 11-05). Started at that instant the deadline is met and never flagged; a second
    later it has turned yellow first (alerted, REC-13), and starting pricing still meets it."""
    from cases.services import seizure_record
    from core.models import Deadline
    from pricing.services import procedure_open

    seizure_record(
        asset=asset, kind="seal", seized_on=dt.date(2026, 10, 5), document="查封裁定", actor=judge
    )
    d = Deadline.objects.get(subject=asset.ref, rule_id="PRC-01")
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 4))
    clock.set_time(d.due_at + dt.timedelta(seconds=offset))
    assert _flag_after_sweep(d) == flag
    procedure_open(asset=asset, actor=judge)
    d.refresh_from_db()
    assert (d.status, d.flag) == ("met", flag)


@pytest.mark.rule("PRC-13", entry="service")
@pytest.mark.parametrize(("offset", "flag"), [(0, "green"), (1, "yellow")])
def test_prc13_sale_started_on_day_10_after_the_price_is_on_time_a_second_later_overdue(
    asset, procedure, judge, now, offset, flag
):
    """PRC-13: price fixed Monday 11-02 → the sale starts by the end of day 10, Thursday 11-12.
    At that instant the deadline is not overdue; one second later it is (yellow); the
    announcement meets it either way."""
    from core.models import Deadline
    from pricing.services import reference_price_record_announcement
    from tests.pricing.conftest import fix_by_directed

    fix_by_directed(procedure, judge)
    d = Deadline.objects.get(subject=procedure.subject, rule_id="PRC-13", status="open")
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 12))
    clock.set_time(d.due_at + dt.timedelta(seconds=offset))
    assert _flag_after_sweep(d) == flag
    reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:9", published_at=clock.now()
    )
    d.refresh_from_db()
    assert d.status == "met"


@pytest.mark.rule("PRC-09", entry="service")
def test_prc09_mean_of_reports_on_time_at_the_deadline_not_one_a_second_late_half_up(
    procedure, judge, now
):
    """PRC-09: the reference price is the mean of the on-time results: two reports at the due
    instant count, one a second later does not; (1,000,000.00 + 1,000,000.01) / 2 =
    1,000,000.005 → 1,000,000.01 (half up)."""
    from pricing.services import inquiry_fix
    from tests.pricing.test_inquiry import after_objection_window, serve_all

    platforms(3)
    inquiry = send(procedure, judge)
    r1, r2, r3 = requests(inquiry)
    assert inquiry.due_at is not None
    clock.set_time(inquiry.due_at)
    assert report(r1, 1_000_000_00).on_time is True
    assert report(r2, 1_000_000_01).on_time is True
    clock.set_time(inquiry.due_at + dt.timedelta(seconds=1))
    assert report(r3, 9_000_000_00).on_time is False
    serve_all(inquiry)
    after_objection_window()
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    assert price.amount_fen == 1_000_000_01
    assert price.basis["case"] == "all_on_time"


@pytest.mark.rule("PRC-12", entry="service")
def test_prc12_platforms_reissue_within_3_days_at_the_deadline_on_time_a_second_later_late(
    procedure, judge, now
):
    """PRC-12: a price lapsed before any announcement is reissued by the platforms within 3 days
    (REC-01: date + 3, moved off holidays): a reissued report at the due instant is on time, one
    a second later is late."""
    from pricing.models import Inquiry, ReferencePrice
    from pricing.services import reference_price_reissue
    from tests.pricing.test_inquiry import _fixed_three

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    old = ReferencePrice.objects.get(procedure=procedure)
    clock.set_time(old.valid_until + dt.timedelta(days=1))
    asked = clock.now().astimezone(calendar.CST).date()
    reissue = reference_price_reissue(procedure=procedure, actor=judge)
    assert isinstance(reissue, Inquiry)  # an online-inquiry price is reissued by inquiry
    assert reissue.due_at == calendar.end_of_day(
        calendar.next_working_day(asked + dt.timedelta(days=3))
    )
    r1, r2, _r3 = requests(reissue)
    clock.set_time(reissue.due_at)
    assert report(r1, 1_000_000_00).on_time is True
    clock.set_time(reissue.due_at + dt.timedelta(seconds=1))
    assert report(r2, 1_000_000_00).on_time is False


@pytest.mark.rule("PRC-15", entry="service")
@pytest.mark.parametrize(
    ("sale_fen", "paid"),
    [
        (1_099_999_99, [("inquiry-platform:p1", 300_000)]),
        (1_100_000_00, [("inquiry-platform:p1", 150_000), ("inquiry-platform:p2", 150_000)]),
        (1_100_000_01, [("inquiry-platform:p2", 300_000)]),
    ],
)
def test_prc15_fee_to_the_closest_platform_split_only_at_the_exact_midpoint(
    procedure, judge, now, sale_fen, paid
):
    """PRC-15: results 1,000,000 and 1,200,000 yuan; a sale exactly halfway (1,100,000.00) is an
    exact tie and splits the fee; one fen below pays only the lower platform, one fen above only
    the higher one."""
    from pricing.services import reference_price_record_sale
    from settlement.models import Charge
    from tests.pricing.test_inquiry import _fixed_three

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    reference_price_record_sale(
        asset_id=procedure.asset_id,
        auction_ref="auction:5",
        outcome="sold",
        sale_price_fen=sale_fen,
    )
    assert (
        sorted(Charge.objects.filter(kind="inquiry_fee").values_list("payee_ref", "amount_fen"))
        == paid
    )


# ---- issue 14 (bounds): PRC-11 first announcement and the 6-month grace, one value each side ----


@pytest.mark.rule("PRC-11", entry="service")
@pytest.mark.parametrize(
    ("after_expiry", "ok"), [(dt.timedelta(0), True), (dt.timedelta(seconds=1), False)]
)
def test_prc11_first_announcement_at_the_end_of_validity_accepted_a_second_later_refused(
    asset, procedure, judge, now, after_expiry, ok
):
    """PRC-11: validity is at most 1 year, and a first announcement on an expired price is
    refused. Published at the last instant of validity it is recorded and opens the 6-month
    grace; a second later it is refused ``price_expired`` and records nothing."""
    from core.errors import DomainError
    from pricing.models import ReferencePrice
    from pricing.services import reference_price_record_announcement
    from tests.pricing.conftest import fix_by_directed

    price = fix_by_directed(procedure, judge)
    assert price.valid_until == calendar.months_after(now, 12)
    published = price.valid_until + after_expiry
    if ok:
        basis = reference_price_record_announcement(
            asset_id=asset.pk, auction_ref="auction:7", published_at=published
        )
        assert basis.grace_until == calendar.months_after(price.valid_until, 6)
    else:
        with pytest.raises(DomainError) as exc:
            reference_price_record_announcement(
                asset_id=asset.pk, auction_ref="auction:7", published_at=published
            )
        assert (exc.value.code, exc.value.rule) == ("price_expired", "PRC-11")
    price = ReferencePrice.objects.get(pk=price.pk)
    assert (price.announcement_published_at is not None) is ok
    assert (price.grace_until is not None) is ok


@pytest.mark.rule("PRC-11", entry="service")
def test_prc11_grace_runs_to_6_months_after_expiry_usable_at_its_end_not_a_second_later(
    asset, procedure, judge, now
):
    """PRC-11 grace: announced inside validity, the sale may start up to 6 months after expiry.
    The price is a basis at the last instant of the grace and no basis a second later."""
    from pricing.services import reference_price_record_announcement, reference_price_valid_for
    from tests.pricing.conftest import fix_by_directed

    price = fix_by_directed(procedure, judge)
    basis = reference_price_record_announcement(
        asset_id=asset.pk, auction_ref="auction:7", published_at=now + dt.timedelta(days=300)
    )
    grace_until = calendar.months_after(price.valid_until, 6)
    assert basis.grace_until == grace_until
    at_end = reference_price_valid_for(asset_id=asset.pk, at=grace_until)
    assert at_end is not None and at_end.grace_until == grace_until
    assert (
        reference_price_valid_for(asset_id=asset.pk, at=grace_until + dt.timedelta(seconds=1))
        is None
    )
