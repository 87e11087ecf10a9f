"""The demo seed: case accounts, receipts (one unidentified), a fee, a plan with payouts
awaiting approval; safe to run twice; tolerant of missing cases."""

from __future__ import annotations

import pytest

from settlement.models import CaseAccount, Charge, DistributionPlan, Payout, Receipt

pytestmark = pytest.mark.django_db


def _counts():
    return (
        CaseAccount.objects.count(),
        Receipt.objects.count(),
        Charge.objects.count(),
        DistributionPlan.objects.count(),
        Payout.objects.count(),
    )


def test_the_demo_seed_builds_a_money_story_and_is_idempotent(
    court, case, other_case, officer, judge, finance
):
    from settlement.demo import seed

    ctx = {
        "court": court,
        "users": {"officer": officer, "judge": judge, "finance": finance},
        "cases": [case, other_case],
    }
    seed(ctx)
    first = _counts()
    assert Receipt.objects.filter(status="unidentified").count() == 1
    assert Receipt.objects.filter(status="matched").count() == 2
    assert Payout.objects.filter(status=Payout.Status.PENDING_LEADER).exists()
    seed(ctx)
    assert _counts() == first


def test_the_demo_seed_copes_without_cases(court):
    from settlement.demo import seed

    seed({"court": court})
    seed({})
    assert Receipt.objects.filter(status="unidentified").count() == 1
