"""Races on PostgreSQL: two requests at once never double a case, a lot or an identity claim."""

import datetime as dt

import pytest

from cases.models import Case, Disclosure, Identity, Lot
from cases.selectors import current_disclosures
from cases.services import case_create, disclosure_record, identity_submit, lot_create
from core.errors import DomainError
from tests.cases.conftest import id_number
from tests.conftest import make_user
from tests.race import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls at the same moment in their own threads (own connections); return results."""
    return together(*calls, timeout=30)


def codes(results):
    return sorted(r.code if isinstance(r, DomainError) else type(r).__name__ for r in results)


def test_the_same_case_number_at_once_is_created_once(court, judge):
    def create():
        return case_create(
            court=court,
            number="（2026）赣0102执77号",
            claim_fen=1,
            filed_on=dt.date(2026, 1, 5),
            actor=judge,
        )

    results = race(create, create)
    assert codes(results) == ["Case", "case_number_taken"]
    assert Case.objects.count() == 1


def test_two_lots_racing_for_one_asset_make_one(case, flat, judge):
    """AUC-07: an asset is sold in one lot only."""
    results = race(
        lambda: lot_create(case=case, assets=[flat], title="甲", actor=judge),
        lambda: lot_create(case=case, assets=[flat], title="乙", actor=judge),
    )
    assert codes(results) == ["Lot", "asset_in_lot"]
    assert Lot.objects.count() == 1


def test_simultaneous_disclosures_of_one_topic_chain_instead_of_forking(flat, judge, officer):
    results = race(
        lambda: disclosure_record(asset=flat, topic="possession", text="自住", actor=judge),
        lambda: disclosure_record(asset=flat, topic="possession", text="出租", actor=officer),
    )
    assert codes(results) == ["Disclosure", "Disclosure"]
    assert Disclosure.objects.filter(superseded_by__isnull=True).count() == 1
    assert Disclosure.objects.filter(supersedes__isnull=False).count() == 1
    assert current_disclosures(flat)["possession"].text in {"自住", "出租"}


def test_two_accounts_claiming_one_number_at_once_get_one_verified(db):
    number = id_number("36010219900307251")
    a, b = make_user("bidder"), make_user("bidder")
    results = race(
        lambda: identity_submit(user=a, kind="resident_id", number=number, name="赵六"),
        lambda: identity_submit(user=b, kind="resident_id", number=number, name="赵六"),
    )
    assert codes(results) == ["Identity", "identity_taken"]
    assert Identity.objects.get().status == Identity.Status.VERIFIED
