"""Races on PostgreSQL row locks: a draw is run once; a late firm is replaced once, even when
two operators or two workers act at the same moment."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.models import Commission, LotDraw
from core import clock
from tests import race
from tests.appraisers.conftest import firm_user_for, make_case, make_firm, start_request
from tests.conftest import make_court, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _close_pool():
    """Other threads returned their connections to the pool; close it so the test DB can be dropped."""
    yield
    from django.db import connection as conn

    if hasattr(conn, "close_pool"):
        conn.close_pool()


def _world():
    clock.set_time(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    court = make_court()
    judge = make_user("judge", court)
    case, creditor, debtor, asset = make_case(court, judge)
    for _ in range(4):
        make_firm(None)
    s = {
        "court": court,
        "judge": judge,
        "case": case,
        "creditor": creditor,
        "debtor": debtor,
        "asset": asset,
    }
    req = start_request(s)
    services.agreement_skip(request=req, reason="无法联系", actor=judge)
    draw = services.draw_schedule(
        request=req,
        scheduled_at=clock.now() + dt.timedelta(hours=1),
        seed_mode="public_value",
        actor=judge,
    )
    clock.advance(dt.timedelta(hours=1))
    services.draw_public_value_set(
        draw=draw, value="12345", source="开奖公告", fixed_at=clock.now(), actor=judge
    )
    return s, req, draw


def _together(*fns):
    return race.codes(race.together(*fns))


def test_a_draw_run_twice_at_once_commissions_once():
    s, req, draw = _world()
    try:
        results = _together(
            lambda: services.draw_run(draw=draw, actor=s["judge"]),
            lambda: services.draw_run(draw=draw, actor=s["judge"]),
        )
        assert results == ["draw_not_open", "ok"]
        assert LotDraw.objects.get(pk=draw.pk).status == LotDraw.Status.DONE
        assert Commission.objects.filter(request=req).count() == 1
    finally:
        clock.reset()


def test_two_sweeps_replace_a_late_firm_once():
    s, req, draw = _world()
    try:
        services.draw_run(draw=draw, actor=s["judge"])
        c = Commission.objects.get(request=req)
        services.commission_accept(commission=c, actor=firm_user_for(c.firm))
        c.refresh_from_db()
        assert c.report_due_at is not None
        clock.set_time(c.report_due_at + dt.timedelta(minutes=1))
        results = _together(services.appraisers_sweep, services.appraisers_sweep)
        assert results == ["ok", "ok"]
        states = sorted(Commission.objects.filter(request=req).values_list("state", flat=True))
        assert states == ["late", "offered"]
    finally:
        clock.reset()
