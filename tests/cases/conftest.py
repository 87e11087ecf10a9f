"""Fixtures for the cases tests: courts with real court codes, a case with parties and assets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from core import clock
from tests.conftest import make_court, make_user

if TYPE_CHECKING:
    from cases.models import Asset, Case, Party
    from core.models import Court, User


@pytest.fixture(autouse=True)
def _site_language_after_each_test() -> Iterator[None]:
    """A page test that picks English leaves it active in this thread (the middleware does
    not switch back); the next test's service messages must be Chinese again."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def id_number(first17: str) -> str:
    """A resident ID number with its correct GB 11643 check character."""
    from cases.identity import resident_id_check_char

    return first17 + resident_id_check_char(first17)


@pytest.fixture
def court(db: None) -> Court:
    return make_court("赣0102", name="南昌市东湖区人民法院（测试）")


@pytest.fixture
def other_court(db: None) -> Court:
    return make_court("赣0103", name="南昌市西湖区人民法院（测试）")


@pytest.fixture
def other_judge(other_court: Court) -> User:
    return make_user("judge", other_court)


@pytest.fixture
def today(frozen_now: dt.datetime) -> dt.date:
    return clock.today()


@pytest.fixture
def case(court: Court, judge: User, officer: User, frozen_now: dt.datetime) -> Case:
    from cases.services import case_create

    return case_create(
        court=court,
        number="（2026）赣0102执100号",
        claim_fen=123_456_78,
        filed_on=dt.date(2026, 3, 2),
        judge=judge,
        officer=officer,
        title="借款合同纠纷",
        title_document="（2025）赣0102民初1号民事判决书",
        actor=judge,
    )


@pytest.fixture
def flat(case: Case, judge: User) -> Asset:
    from cases.services import asset_register

    return asset_register(
        case=case,
        kind="residential",
        name="东湖区示例路1号2单元301室",
        division_code="360102",
        address="江西省南昌市东湖区示例路1号2单元301室",
        features={
            "area_m2": "89.50",
            "rooms": "3",
            "floor": "3",
            "total_floors": "6",
            "year_built": "2005",
        },
        actor=judge,
    )


@pytest.fixture
def debtor_party(case: Case, judge: User, party_user: User) -> Party:
    from cases.services import party_add

    return party_add(
        case=case,
        role="debtor",
        kind="person",
        name="张三",
        identity_kind="resident_id",
        identity_number=id_number("36010219800101123"),
        user=party_user,
        phone="13800000001",
        actor=judge,
    )
