"""The demo seed: sample cases of several kinds, verified bidders, idempotent."""

from typing import Any

import pytest

from cases import demo
from cases.models import Asset, Case, Disclosure, Identity, Lot, Party, Seizure
from cases.selectors import cases_for_party, current_disclosures, verified_identity_for
from core.demo import seed_core
from core.models import Deadline, ServiceRecord

pytestmark = pytest.mark.django_db


def run_seed():
    ctx: dict[str, Any] = {}
    seed_core(ctx)
    demo.seed(ctx)
    return ctx


def counts():
    return [
        m.objects.count()
        for m in (Case, Party, Identity, Asset, Disclosure, Seizure, Lot, Deadline, ServiceRecord)
    ]


def test_the_demo_seeds_cases_assets_lots_and_is_idempotent(frozen_now):
    ctx = run_seed()
    first = counts()
    again = run_seed()
    assert counts() == first
    assert [c.pk for c in again["cases"]] == [c.pk for c in ctx["cases"]]
    assert set(ctx["assets"]) == {"flat", "shop", "car", "equity"}
    assert {a.kind for a in ctx["assets"].values()} == {
        "residential",
        "commercial",
        "vehicle",
        "equity",
    }
    assert all("示例" in c.title for c in ctx["cases"])
    assert set(current_disclosures(ctx["assets"]["flat"])) == set(Disclosure.Topic.values)
    assert Deadline.objects.filter(rule_id="PRC-01").count() == 4
    assert all(lot.assets.count() == 1 for lot in ctx["lots"].values())
    users = ctx["users"]
    for key in ("bidder1", "bidder2"):
        assert verified_identity_for(users[key]) is not None
    assert list(cases_for_party(users["creditor"])) == [ctx["cases"][0]]
    assert list(cases_for_party(users["debtor"])) == [ctx["cases"][0]]
