"""Fixtures for pricing: a case with a creditor and a debtor, a seized flat, helpers."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core import clock
from tests.conftest import make_user

_n = itertools.count(1)
CST = dt.timezone(dt.timedelta(hours=8))


def make_case(court, judge=None, **kw):
    from cases.models import Case

    n = next(_n)
    return Case.objects.create(
        court=court,
        number=f"（2026）测0102执{n}号",
        year=2026,
        court_code="测0102",
        case_type="执",
        sequence=n,
        judge=judge,
        claim_fen=kw.pop("claim_fen", 50_000_000),
        filed_on=dt.date(2026, 9, 1),
        created_at=clock.now(),
        **kw,
    )


def make_asset(case, kind="residential", **kw):
    from cases.models import Asset

    return Asset.objects.create(
        case=case,
        kind=kind,
        name=kw.pop("name", "东湖区示例小区 3 栋 502 室"),
        division_code="360102",
        address=kw.pop("address", "南昌市东湖区示例路 1 号"),
        features=kw.pop("features", {}),
        created_at=clock.now(),
        **kw,
    )


@pytest.fixture
def now(frozen_now):
    return frozen_now


@pytest.fixture
def creditor_user(db):
    return make_user("party")


@pytest.fixture
def debtor_user(db):
    return make_user("party")


@pytest.fixture
def case(court, judge, now):
    return make_case(court, judge)


@pytest.fixture
def parties(case, creditor_user, debtor_user):
    from cases.models import Party

    creditor = Party.objects.create(
        case=case, role="creditor", kind="organisation", name="甲银行（测试）", user=creditor_user
    )
    debtor = Party.objects.create(
        case=case, role="debtor", kind="person", name="乙某（测试）", user=debtor_user
    )
    return creditor, debtor


@pytest.fixture
def asset(case, parties):
    return make_asset(case)


@pytest.fixture
def procedure(asset, judge):
    from pricing.services import procedure_open

    return procedure_open(asset=asset, actor=judge)


CHECKS = {
    "title": "登记在被执行人名下",
    "encumbrances": "设定抵押一项",
    "possession": "被执行人自住",
    "arrears": "无欠缴物业费",
    "defects": "未发现",
}


def check(procedure, judge, **conditions):
    from pricing.services import procedure_record_checks

    kw = dict(
        has_tax_base_or_gov_price=False,
        online_feasible=True,
        needs_site_inspection=False,
        law_requires_appraisal=False,
    )
    kw.update(conditions)
    return procedure_record_checks(procedure=procedure, checks=CHECKS, actor=judge, **kw)


@pytest.fixture
def checked(procedure, judge):
    return check(procedure, judge)


def fix_by_directed(procedure, judge, amount_fen=100_000_000, valid_until=None):
    """Fix a price the short way: checks with a tax base, both parties skip to directed inquiry."""
    from pricing.services import directed_inquiry_result, directed_inquiry_start

    if procedure.state == "opened":
        procedure = check(procedure, judge, has_tax_base_or_gov_price=True)
    directed_inquiry_start(
        procedure=procedure,
        body_name="南昌市税务局",
        letter_ref="（2026）询 1 号",
        deadline_at=clock.now() + dt.timedelta(days=10),
        joint_request=True,
        actor=judge,
    )
    return directed_inquiry_result(
        procedure=procedure, amount_fen=amount_fen, valid_until=valid_until, actor=judge
    )
