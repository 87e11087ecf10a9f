"""Firm appraisal rules with a number, at their boundary (one value each side)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from core import calendar, clock
from tests.appraisers.test_commission import _in_progress, offered  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_apr07_report_due_on_day_30_is_not_late_a_second_after_it_is(offered):  # noqa: F811
    """APR-07: the report is due within 30 days of the commission; the sweep marks it late only
    once that moment has passed."""
    c = _in_progress(offered)
    due = c.report_due_at
    assert due == calendar.within_days(c.offered_at, 30, court=offered["court"].pk)
    clock.set_time(due)
    assert services.appraisers_sweep()["late"] == 0
    clock.set_time(due + dt.timedelta(seconds=1))
    assert services.appraisers_sweep()["late"] == 1


@pytest.mark.parametrize(("count", "ok"), [(2, False), (3, True), (4, False)])
def test_apr02_parties_agree_on_exactly_three_firms(setup, count, ok):
    """APR-02: the parties agree on 3 firms in order; 2 or 4 are refused, 3 are taken."""
    from appraisers.models import RankedFirm
    from core.errors import DomainError
    from tests.appraisers.conftest import start_request

    req = start_request(setup)
    ids = [f.pk for f in setup["firms"][:count]]

    def submit(party):
        return services.agreement_submit(
            request=req, party=party, choice="firms", firm_ids=ids, actor=party.user
        )

    if ok:
        submit(setup["creditor"])
        submit(setup["debtor"])
        req.refresh_from_db()
        assert req.status == "commissioned"
        assert list(RankedFirm.objects.filter(request=req).values_list("firm_id", flat=True)) == ids
    else:
        with pytest.raises(DomainError) as exc:
            submit(setup["creditor"])
        assert (exc.value.code, exc.value.rule) == ("three_firms_required", "APR-02")
