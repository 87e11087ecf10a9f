"""Fixtures for the marketplace tests: a case with an asset and a lot in the test court."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core import clock

_n = itertools.count(1)


def make_case(court, *, judge=None, officer=None, claim_fen=500_000_00):
    from cases.models import Case

    n = next(_n)
    return Case.objects.create(
        court=court,
        number=f"（2026）{court.code}执{n}号",
        year=2026,
        court_code=court.code,
        case_type="执",
        sequence=n,
        title="借款合同纠纷",
        claim_fen=claim_fen,
        filed_on=dt.date(2026, 1, 5),
        created_at=clock.now(),
        judge=judge,
        officer=officer,
    )


def make_lot(
    case,
    *,
    kind="residential",
    name="红谷滩区某小区3栋1单元501室",
    division_code="360102",
    restricted=False,
    seized_on=None,
    recorder=None,
):
    from cases.models import Asset, Lot, Seizure

    asset = Asset.objects.create(
        case=case,
        kind=kind,
        name=name,
        division_code=division_code,
        address="南昌市示例路1号",
        purchase_restricted=restricted,
        created_at=clock.now(),
        features={},
    )
    lot = Lot.objects.create(case=case, title=name, created_at=clock.now())
    lot.assets.add(asset)
    if seized_on is not None:
        Seizure.objects.create(
            asset=asset,
            kind="seal",
            seized_on=seized_on,
            document="（2026）执保1号",
            recorded_by=recorder,
            recorded_at=clock.now(),
        )
    return lot


@pytest.fixture
def case(court, judge, officer):
    return make_case(court, judge=judge, officer=officer)


@pytest.fixture
def lot(case):
    return make_lot(case)
