"""Fixtures for pricing: a case with a creditor and a debtor, a seized flat, helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from core import clock
from tests.conftest import make_user
from tests.factories import AssetFactory, CaseFactory, CreditorFactory, DebtorFactory

if TYPE_CHECKING:
    from pytest_django import DjangoDbBlocker, Settings

    from cases.models import Asset, Case, Party
    from core.models import Court, User
    from pricing.models import PricingProcedure, ReferencePrice

CST = dt.timezone(dt.timedelta(hours=8))


def make_case(court: Court, judge: User | None = None, **kw: Any) -> Case:
    """A case filed 2026-09-01, without parties (the ``parties`` fixture adds them)."""
    kw.setdefault("claim_fen", 50_000_000)
    return CaseFactory.create(court=court, judge=judge, filed_on=dt.date(2026, 9, 1), **kw)


def make_asset(case: Case, kind: str = "residential", **kw: Any) -> Asset:
    kw.setdefault("name", "东湖区示例小区 3 栋 502 室")
    kw.setdefault("address", "南昌市东湖区示例路 1 号")
    return AssetFactory.create(case=case, kind=kind, **kw)


@pytest.fixture
def now(frozen_now: dt.datetime) -> dt.datetime:
    return frozen_now


@pytest.fixture
def creditor_user(db: None) -> User:
    return make_user("party")


@pytest.fixture
def debtor_user(db: None) -> User:
    return make_user("party")


@pytest.fixture
def case(court: Court, judge: User, now: dt.datetime) -> Case:
    return make_case(court, judge)


@pytest.fixture
def parties(case: Case, creditor_user: User, debtor_user: User) -> tuple[Party, Party]:
    creditor = CreditorFactory.create(
        case=case, kind="organisation", name="甲银行（测试）", user=creditor_user
    )
    debtor = DebtorFactory.create(case=case, name="乙某（测试）", user=debtor_user)
    return creditor, debtor


@pytest.fixture
def asset(case: Case, parties: tuple[Party, Party]) -> Asset:
    return make_asset(case)


@pytest.fixture
def procedure(asset: Asset, judge: User) -> PricingProcedure:
    from pricing.services import procedure_open

    return procedure_open(asset=asset, actor=judge)


CHECKS = {
    "title": "登记在被执行人名下",
    "encumbrances": "设定抵押一项",
    "possession": "被执行人自住",
    "arrears": "无欠缴物业费",
    "defects": "未发现",
}


def check(procedure: PricingProcedure, judge: User, **conditions: bool) -> PricingProcedure:
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
def checked(procedure: PricingProcedure, judge: User) -> PricingProcedure:
    return check(procedure, judge)


def fix_by_directed(
    procedure: PricingProcedure,
    judge: User,
    amount_fen: int = 100_000_000,
    valid_until: dt.datetime | None = None,
) -> ReferencePrice:
    """Fix a price the short way: checks with a tax base, both parties skip to directed inquiry.
    The result arrives in time (PRC-05), so a price is always fixed; fails the test otherwise."""
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
    price = directed_inquiry_result(
        procedure=procedure, amount_fen=amount_fen, valid_until=valid_until, actor=judge
    )
    assert price is not None, "the directed inquiry result was late: no price fixed"
    return price


# ----------------------------------------------------------------------------- valuation models
SMALL_PARAMS = {"max_iter": 60, "learning_rate": 0.15}


@pytest.fixture(scope="session")
def built_models(
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
) -> dict[str, tuple[Path, Any]]:
    """Two small models (gbm, knn) on a 500-row sample of the demo data, fitted once per session."""
    import joblib

    from pricing.valuation.presets import preset
    from pricing.valuation.training import build_artifact

    out: dict[str, tuple[Path, Any]] = {}
    folder = tmp_path_factory.mktemp("models")
    with django_db_blocker.unblock():
        spec = preset("demo_cn")
        for method in ("gbm", "knn"):
            built = build_artifact(spec=spec, method=method, sample=500, params=SMALL_PARAMS)
            path = folder / f"demo-{method}.joblib"
            joblib.dump(built.artifact, path)
            out[method] = (path, built)
    return out


@pytest.fixture
def active_models(
    db: None,
    built_models: dict[str, tuple[Path, Any]],
    settings: Settings,
    tmp_path: Path,
) -> Iterator[dict[str, Any]]:
    """Register and activate the session's small models for this test."""
    from pricing.valuation.service import clear_cache
    from pricing.valuation.training import register_artifact

    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    clear_cache()
    records: dict[str, Any] = {}
    for method, (path, built) in built_models.items():
        rec = register_artifact(path=path, artifact=built.artifact, fingerprint_=built.fingerprint)
        rec.is_active = True
        rec.save(update_fields=["is_active"])
        records[method] = rec
    yield records
    clear_cache()


FLAT = {"area_m2": "89.50", "rooms": 3, "floor": 12, "total_floors": 18, "year_built": 2012}


@pytest.fixture
def flat(case: Case, parties: tuple[Party, Party]) -> Asset:
    from decimal import Decimal

    return make_asset(
        case, features=dict(FLAT), latitude=Decimal("28.690000"), longitude=Decimal("115.905000")
    )


def admit_builtin_platforms() -> tuple[Any, Any]:
    from pricing.services import platform_admit

    kinds = ["挂牌价", "成交价", "评估价"]
    a = platform_admit(
        code="gavel-gbm",
        name="内置模型平台甲（梯度提升）",
        adapter="builtin",
        config={"method": "gbm"},
        price_data_kinds=kinds,
        retention_years=10,
        sort_order=1,
    )
    b = platform_admit(
        code="gavel-knn",
        name="内置模型平台乙（市场比较）",
        adapter="builtin",
        config={"method": "knn"},
        price_data_kinds=kinds,
        retention_years=10,
        sort_order=2,
    )
    return a, b
