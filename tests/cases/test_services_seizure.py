"""Seizures (查封、扣押、冻结) open the PRC-01 pricing deadline, counted under REC-01."""

import datetime as dt

import pytest

from cases.events import SeizureRecorded
from cases.selectors import case_deadlines
from cases.services import asset_register, case_create, seizure_record
from core import clock
from core.calendar import CST, calendar_day_set
from core.deadlines import deadline_close, deadlines_sweep
from core.errors import DomainError
from core.events import subscribe, unsubscribe
from core.models import Deadline, InboxMessage, OutboxMessage
from core.rulesettings import setting_set


def local_due(deadline):
    return deadline.due_at.astimezone(CST)


def test_a_seizure_opens_the_prc01_deadline_30_days_later_owned_by_the_judge(
    flat, judge, frozen_now
):
    """PRC-01: start pricing within 30 days of seizure; the deadline opens when it is recorded."""
    seen: list[SeizureRecorded] = []
    subscribe(SeizureRecorded, seen.append)
    try:
        seizure = seizure_record(
            asset=flat,
            kind="seal",
            seized_on=dt.date(2026, 10, 20),
            document="（2026）赣0102执100号之一",
            actor=judge,
        )
    finally:
        unsubscribe(SeizureRecorded, seen.append)
    d = Deadline.objects.get(rule_id="PRC-01")
    assert d.subject == f"case:{flat.case_id}/asset:{flat.pk}"
    assert d.owner == judge and d.status == Deadline.Status.OPEN
    # 20 Oct + 30 days = 19 Nov 2026, a Thursday: due at the end of that day, Beijing time.
    assert local_due(d).date() == dt.date(2026, 11, 19)
    assert (local_due(d).hour, local_due(d).minute) == (23, 59)
    assert seen == [
        SeizureRecorded(
            case_id=flat.case_id,
            asset_id=flat.pk,
            seizure_id=seizure.pk,
            seized_on=dt.date(2026, 10, 20),
        )
    ]
    assert list(case_deadlines(flat.case)) == [d]


def test_a_deadline_ending_in_a_holiday_moves_to_the_first_working_day_after_it(flat, judge):
    """PRC-01 with REC-01: 1 Sep + 30 = 1 Oct, National Day; the period ends on 8 Oct."""
    clock.set_time(dt.datetime(2026, 9, 2, 10, 0, tzinfo=CST))
    for day in range(1, 8):
        calendar_day_set(date=dt.date(2026, 10, day), kind="holiday", name="国庆节", reason="test")
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 9, 1), document="查封裁定", actor=judge
    )
    d = Deadline.objects.get(rule_id="PRC-01")
    assert local_due(d).date() == dt.date(2026, 10, 8)
    # Still open and green on the last holiday; overdue only once 8 October has passed.
    clock.set_time(dt.datetime(2026, 10, 8, 23, 0, tzinfo=CST))
    assert deadlines_sweep()["yellow"] == 0
    clock.set_time(dt.datetime(2026, 10, 9, 0, 1, tzinfo=CST))
    assert deadlines_sweep()["yellow"] == 1
    d.refresh_from_db()
    assert d.flag == Deadline.Flag.YELLOW
    assert OutboxMessage.objects.filter(recipient=judge, topic="deadline.overdue").exists()


def test_a_court_may_shorten_the_period_but_not_lengthen_it(
    flat, judge, court, bureau_head, frozen_now
):
    """PRC-01 is firm: a court may only tighten pricing_start_days_after_seizure."""
    setting_set(
        key="pricing_start_days_after_seizure",
        value=20,
        court=court,
        actor=bureau_head,
        reason="本院要求20日内启动",
    )
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 10, 20), document="裁定", actor=judge
    )
    assert local_due(Deadline.objects.get(rule_id="PRC-01")).date() == dt.date(2026, 11, 9)
    with pytest.raises(DomainError):
        setting_set(
            key="pricing_start_days_after_seizure",
            value=40,
            court=court,
            actor=bureau_head,
            reason="放宽",
        )


def test_a_second_seizure_of_the_same_asset_opens_no_second_deadline(flat, judge, frozen_now):
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 10, 20), document="裁定一", actor=judge
    )
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 10, 28), document="裁定二", actor=judge
    )
    assert Deadline.objects.filter(rule_id="PRC-01").count() == 1
    # Once pricing has started (pricing closes the deadline), a renewal opens nothing either.
    deadline_close(subject=flat.ref, rule_id="PRC-01")
    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 11, 1), document="续封裁定", actor=judge
    )
    assert Deadline.objects.filter(rule_id="PRC-01", status="open").count() == 0


def test_without_a_judge_the_deadline_goes_to_the_courts_judges(court, officer, frozen_now):
    case = case_create(
        court=court,
        number="（2026）赣0102执5号",
        claim_fen=1,
        filed_on=dt.date(2026, 1, 5),
        officer=officer,
        actor=officer,
    )
    car = asset_register(
        case=case,
        kind="vehicle",
        name="轿车",
        division_code="360102",
        features={"make": "示例", "model": "A", "year": 2020, "mileage_km": 1},
        actor=officer,
    )
    seizure_record(
        asset=car,
        kind="detain",
        seized_on=dt.date(2026, 10, 30),
        document="扣押裁定",
        actor=officer,
    )
    d = Deadline.objects.get(rule_id="PRC-01")
    assert d.owner is None and d.owner_role == "judge"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "detain"}, "seizure_kind_mismatch"),  # an immovable is sealed, not detained
        ({"kind": "freeze"}, "seizure_kind_mismatch"),
        ({"seized_on": dt.date(2026, 11, 3)}, "seized_in_future"),
        ({"seized_on": dt.date(2026, 3, 1)}, "seized_before_filing"),
        ({"expires_on": dt.date(2026, 10, 1)}, "invalid_expiry"),
        ({"document": " "}, "document_required"),
    ],
)
def test_seizure_refusals(flat, judge, frozen_now, kwargs, code):
    args = {
        "asset": flat,
        "kind": "seal",
        "seized_on": dt.date(2026, 10, 20),
        "document": "裁定",
        "actor": judge,
        **kwargs,
    }
    with pytest.raises(DomainError) as info:
        seizure_record(**args)
    assert info.value.code == code
    assert not Deadline.objects.exists()


def test_parties_with_an_account_are_told_of_the_seizure(flat, judge, debtor_party, frozen_now):
    """REC-11: the seizure is pushed to the parties, in Chinese even if the judge reads English."""
    from django.utils import translation

    with translation.override("en"):
        seizure_record(
            asset=flat, kind="seal", seized_on=dt.date(2026, 10, 20), document="裁定", actor=judge
        )
    from core.notifications import deliver_pending

    deliver_pending()
    msg = InboxMessage.objects.filter(recipient=debtor_party.user).get()
    assert "查封" in msg.subject and flat.name in msg.subject
