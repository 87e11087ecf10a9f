"""Deadlines (REC-13): due per REC-01/REC-03, yellow when overdue, red and escalated later,
owners and bureau heads notified once, recomputed when the calendar changes (REC-02)."""

import datetime as dt

import pytest

from core import calendar, clock
from core.calendar import CST
from core.deadlines import (
    deadline_close,
    deadline_extend,
    deadline_open,
    deadlines_open_for_user,
    deadlines_sweep,
)
from core.models import AuditEntry, CalendarDay, Deadline, OutboxMessage
from core.notifications import deliver_pending
from core.rulesettings import setting_set

pytestmark = pytest.mark.django_db

MONDAY_9 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=CST)


def _open(court, owner=None, **kw):
    defaults = dict(
        rule_id="PRC-13",
        title="确定参考价后启动变价",
        subject="case:1/asset:2",
        start_event="reference_price_fixed",
        started_at=MONDAY_9,
        period=10,
        court=court,
        owner=owner,
    )
    defaults.update(kw)
    return deadline_open(**defaults)


def test_day_deadline_due_at_end_of_nth_day_moved_off_weekend(court, judge):
    """REC-01: 2 Nov + 10 days = Thursday 12 Nov; + 12 days = Saturday → Monday 16 Nov."""
    d = _open(court, judge)
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 12))
    d2 = _open(court, judge, period=12)
    assert d2.due_at == calendar.end_of_day(dt.date(2026, 11, 16))
    assert AuditEntry.objects.filter(stream="case:1", action="deadline.opened").count() == 2


def test_hour_deadline_is_exact_elapsed_time(court):
    """REC-03: a 24-hour refund deadline ends exactly 24 hours later, weekend or not."""
    friday_18 = dt.datetime(2026, 11, 6, 18, 0, tzinfo=CST)
    d = _open(court, rule_id="AUC-30", started_at=friday_18, period=24, unit=Deadline.Unit.HOURS)
    assert d.due_at == friday_18 + dt.timedelta(hours=24)


def test_overdue_deadline_turns_yellow_and_notifies_owner_once(court, judge):
    """REC-13: after the due time the sweep flags it yellow and tells the owner, once."""
    d = _open(court, judge)
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 12)))
    assert deadlines_sweep() == {"yellow": 0, "red": 0}  # due, not yet overdue
    clock.advance(dt.timedelta(seconds=1))
    assert deadlines_sweep() == {"yellow": 1, "red": 0}
    d.refresh_from_db()
    assert d.flag == Deadline.Flag.YELLOW and d.overdue_at == clock.now()
    assert deadlines_sweep() == {"yellow": 0, "red": 0}
    deliver_pending()
    inbox = list(judge.inbox.all())
    assert len(inbox) == 1
    assert "已超期" in inbox[0].subject and "PRC-13" in inbox[0].body


def test_yellow_deadline_escalates_red_to_bureau_heads_after_escalation_days(
    court, judge, bureau_head
):
    """REC-13: ``deadline_escalation_days`` (default 3) after turning yellow it turns red and
    the court's bureau heads are told."""
    d = _open(court, judge)
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 13)))
    deadlines_sweep()
    clock.advance(dt.timedelta(days=3) - dt.timedelta(seconds=1))
    assert deadlines_sweep()["red"] == 0
    clock.advance(dt.timedelta(seconds=1))
    assert deadlines_sweep()["red"] == 1
    d.refresh_from_db()
    assert d.flag == Deadline.Flag.RED and d.escalated_at == clock.now()
    deliver_pending()
    assert bureau_head.inbox.filter(subject__contains="升级").count() == 1
    assert judge.inbox.count() == 1  # the owner's yellow notice, not a second one


def test_escalation_days_is_a_court_setting(court, judge, bureau_head):
    setting_set(key="deadline_escalation_days", value=0, court=court, reason="本院要求立即升级")
    d = _open(court, judge)
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 13)))
    assert deadlines_sweep() == {"yellow": 1, "red": 1}
    d.refresh_from_db()
    assert d.flag == Deadline.Flag.RED


def test_role_owned_deadline_notifies_that_role_in_that_court_only(court, other_court):
    from tests.conftest import make_user

    mine = make_user("finance", court)
    theirs = make_user("finance", other_court)
    _open(court, rule_id="FND-10", owner_role="finance")
    clock.set_time(dt.datetime(2026, 12, 1, tzinfo=CST))
    deadlines_sweep()
    deliver_pending()
    assert mine.inbox.count() == 1 and theirs.inbox.count() == 0


def test_met_deadline_is_never_flagged(court, judge):
    d = _open(court, judge)
    assert deadline_close(subject="case:1/asset:2", rule_id="PRC-13", actor=judge) == 1
    clock.set_time(dt.datetime(2027, 1, 1, tzinfo=CST))
    assert deadlines_sweep() == {"yellow": 0, "red": 0}
    d.refresh_from_db()
    assert d.status == Deadline.Status.MET and d.flag == Deadline.Flag.GREEN


def test_calendar_change_recomputes_open_deadlines_and_clears_the_flag(
    court, judge, platform_operator
):
    """REC-02: declaring 12 Nov a holiday moves the deadline to 13 Nov; an overdue flag
    raised on 12 Nov's deadline turns green again, and the change is audited."""
    d = _open(court, judge)
    closed = _open(court, judge, subject="case:1/asset:3")
    deadline_close(subject="case:1/asset:3")
    clock.set_time(dt.datetime(2026, 11, 13, 8, 0, tzinfo=CST))
    deadlines_sweep()
    d.refresh_from_db()
    assert d.flag == Deadline.Flag.YELLOW
    calendar.calendar_day_set(
        date=dt.date(2026, 11, 12),
        kind="holiday",
        name="示例假日",
        actor=platform_operator,
        reason="通知",
    )
    d.refresh_from_db()
    closed.refresh_from_db()
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 13))
    assert d.flag == Deadline.Flag.GREEN and d.overdue_at is None
    assert closed.due_at == calendar.end_of_day(dt.date(2026, 11, 12))  # closed: untouched
    recomputed = AuditEntry.objects.get(action="deadline.recomputed")
    assert recomputed.actor == platform_operator and "REC-02" in recomputed.rule_ids
    # Overdue again after the new due time: the owner is told again (a new due time).
    clock.set_time(dt.datetime(2026, 11, 14, 8, 0, tzinfo=CST))
    deadlines_sweep()
    assert OutboxMessage.objects.filter(recipient=judge, channel="inbox").count() == 2


def test_calendar_change_does_not_touch_hour_or_fixed_deadlines(court):
    h = _open(court, rule_id="AUC-30", period=24, unit=Deadline.Unit.HOURS)
    before = h.due_at
    CalendarDay.objects.all().delete()
    calendar.calendar_day_set(date=MONDAY_9.date(), kind="holiday", reason="测试")
    h.refresh_from_db()
    assert h.due_at == before


def test_extension_moves_due_time_clears_flag_and_is_audited(court, judge):
    d = _open(court, judge)
    clock.set_time(dt.datetime(2026, 11, 20, tzinfo=CST))
    deadlines_sweep()
    new_due = dt.datetime(2026, 11, 30, 17, 0, tzinfo=CST)
    d = deadline_extend(deadline=d, due_at=new_due, actor=judge, reason="APR-08 延期获准")
    assert d.due_at == new_due and d.flag == Deadline.Flag.GREEN
    assert AuditEntry.objects.filter(action="deadline.extended", reason__contains="延期").exists()


def test_my_deadlines_shows_own_and_role_deadlines_of_own_court(court, other_court, judge):
    from tests.conftest import make_user

    mine = _open(court, judge)
    role = _open(court, owner_role="judge", subject="case:1/asset:9")
    _open(other_court, owner_role="judge", subject="case:2/asset:1")
    assert set(deadlines_open_for_user(judge)) == {mine, role}
    outsider = make_user("judge", other_court)
    assert mine not in set(deadlines_open_for_user(outsider))
