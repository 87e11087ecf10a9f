"""Bringing a new market: ``manage.py valuation_train --data … --mapping …`` as a court would
(encoding, mapping collisions, units, cleaning report, unseen categories, where models go).
Every failure is a clear message with a stable code."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from pricing.valuation.errors import ValuationError
from pricing.valuation.presets import DATA_DIR, load_mapping, preset
from pricing.valuation.service import value_asset
from pricing.valuation.training import clean_table, read_table
from tests.pricing.conftest import FLAT

FLAT_INPUT = {**FLAT, "lat": 28.69, "lon": 115.905, "division_code": "360102"}
MAPPING = DATA_DIR / "demo_nanchang_flats.mapping.json"


def _raw(n: int = 400) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "demo_nanchang_flats.csv").head(n)


def _mapping(tmp_path: Path, **changes: Any) -> Path:
    spec = json.loads(MAPPING.read_text(encoding="utf-8"))
    spec.update(changes)
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return path


def _train(data: Path, mapping: Path) -> str:
    out = io.StringIO()
    call_command(
        "valuation_train",
        "--data",
        str(data),
        "--mapping",
        str(mapping),
        "--method",
        "knn",
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


@pytest.fixture
def model_dir(settings: Any, tmp_path: Path) -> Path:
    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    return tmp_path / "models"


# ------------------------------------------------------------------ encoding
def test_a_gbk_file_is_read_and_an_undecodable_one_refused_clearly(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    _raw().to_csv(gbk, index=False, encoding="gbk")
    df = read_table(gbk)
    assert df.attrs["encoding"] == "gb18030" and "成交价（元）" in df.columns
    utf8 = tmp_path / "utf8.csv"
    _raw().to_csv(utf8, index=False, encoding="utf-8")
    assert read_table(utf8).attrs["encoding"] == "utf-8-sig"
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"a,b\n\x80\xff,1\n")
    with pytest.raises(ValuationError) as err:
        read_table(junk)
    assert err.value.code == "data_encoding" and "UTF-8" in str(err.value.message)


def test_gbk_file_trains_through_the_command(db: None, model_dir: Path, tmp_path: Path) -> None:
    gbk = tmp_path / "sales.csv"
    _raw().to_csv(gbk, index=False, encoding="gbk")
    text = _train(gbk, MAPPING)
    assert "清洗" in text and "已启用" in text
    assert list(model_dir.glob("*.joblib"))  # written where GAVEL_MODEL_DIR says


# ------------------------------------------------------------------ mapping collisions
def test_mapping_onto_price_when_the_source_has_a_price_column_is_refused() -> None:
    raw = _raw().rename(columns={"成交价（元）": "price"})
    raw["单价"] = raw["price"] / raw["建筑面积"]
    spec = {**preset("demo_cn")}
    spec["columns"] = {**spec["columns"]}
    del spec["columns"]["成交价（元）"]
    spec["columns"]["单价"] = "price"
    with pytest.raises(ValuationError) as err:
        clean_table(raw, spec)
    assert err.value.code == "mapping_collision" and "单价" in str(err.value.message)


def test_two_columns_mapped_onto_one_is_refused() -> None:
    raw = _raw()
    raw["总价"] = raw["成交价（元）"]
    spec = {**preset("demo_cn")}
    spec["columns"] = {**spec["columns"], "总价": "price"}
    with pytest.raises(ValuationError) as err:
        clean_table(raw, spec)
    assert err.value.code == "mapping_collision" and "总价" in str(err.value.message)


# ------------------------------------------------------------------ units and currency
def test_a_price_in_ten_thousands_of_yuan_is_caught_unless_declared() -> None:
    raw = _raw()
    raw["成交价（元）"] = raw["成交价（元）"] / 10_000  # 万元
    with pytest.raises(ValuationError) as err:
        clean_table(raw, preset("demo_cn"))
    assert err.value.code == "price_unit_suspect" and "price_unit" in str(err.value.message)
    df, _ = clean_table(raw, {**preset("demo_cn"), "price_unit": 10_000})
    assert df["price"].median() == pytest.approx(_raw()["成交价（元）"].median(), rel=1e-6)


def test_a_price_per_square_metre_mapped_onto_price_is_caught() -> None:
    raw = _raw()
    raw["成交价（元）"] = raw["成交价（元）"] / raw["建筑面积"]
    with pytest.raises(ValuationError) as err:
        clean_table(raw, preset("demo_cn"))
    assert err.value.code == "price_unit_suspect"


def test_mapping_must_declare_currency_code_and_area_unit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="currency"):
        load_mapping(_mapping(tmp_path, currency="元"))
    with pytest.raises(ValueError, match="area_unit"):
        load_mapping(_mapping(tmp_path, area_unit=""))


def test_the_command_names_a_bad_mapping(db: None, model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "sales.csv"
    _raw().to_csv(data, index=False)
    with pytest.raises(CommandError) as err:
        _train(data, _mapping(tmp_path, currency="元"))
    assert "currency" in str(err.value)


# ------------------------------------------------------------------ cleaning
def test_cleaning_drops_junk_rows_and_reports_why() -> None:
    raw = _raw().astype({"成交价（元）": object, "建筑面积": object})
    raw.loc[1, "成交价（元）"] = "#NAME?"
    raw.loc[2, "成交价（元）"] = 0.5  # under one yuan
    raw.loc[3, "成交日期"] = "2002-05-01"  # far older than the rest
    raw.loc[4, "成交日期"] = "not a date"
    raw.loc[5, "建筑面积"] = "#NAME?"
    raw.loc[6, "成交日期"] = "2099-01-01"  # after today
    df, report = clean_table(raw, preset("demo_cn"))
    assert report.dropped == {
        "price_not_numeric": 1,
        "price_under_one_unit": 1,
        "date_unreadable": 1,
        "date_out_of_range": 2,
        "feature_not_numeric": 1,
    }
    assert report.rows_kept == len(df) == len(raw) - 6
    assert report.examples["date_out_of_range"] == [5, 8]  # lines in the file
    assert "成交日期超出范围" in report.text() and "#NAME?" in report.text()


def test_a_declared_date_range_is_applied() -> None:
    raw = _raw()
    first = pd.to_datetime(raw["成交日期"]).min()
    spec = {**preset("demo_cn"), "dates": {"min": f"{first + pd.Timedelta(days=1):%Y-%m-%d}"}}
    df, report = clean_table(raw, spec)
    assert report.dropped["date_out_of_range"] >= 1 and df["sale_date"].min() > first


def test_messages_are_in_english_too() -> None:
    raw = _raw()
    raw["成交价（元）"] = raw["成交价（元）"] / 10_000
    with translation.override("en"), pytest.raises(ValuationError) as err:
        clean_table(raw, preset("demo_cn"))
    assert "price_unit" in str(err.value.message) and "万元" not in str(err.value.message)


# ------------------------------------------------------------------ valuation time
def test_an_unseen_region_code_is_valued_with_a_warning(active_models: Any, now: Any) -> None:
    seen = value_asset(asset_class="residential", method="gbm", features=FLAT_INPUT)
    assert seen.warnings == ()
    unseen = value_asset(
        asset_class="residential",
        method="gbm",
        features={**FLAT_INPUT, "division_code": "999999"},
    )
    assert len(unseen.warnings) == 1 and "999999" in unseen.warnings[0]
    assert unseen.model_info["warnings"] == list(unseen.warnings)


# ------------------------------------------------------------------ where models go
def test_model_dir_is_read_from_the_environment_and_defaults_outside_tracked_files() -> None:
    code = "import django; django.setup(); from django.conf import settings; print(settings.GAVEL_MODEL_DIR)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "GAVEL_MODEL_DIR": "/tmp/gavel-v20-models",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    assert out.stdout.strip() == "/tmp/gavel-v20-models"
    env.pop("GAVEL_MODEL_DIR")
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=django_settings.BASE_DIR,
    )
    default = Path(out.stdout.strip())
    assert default == Path(django_settings.BASE_DIR) / "var" / "models"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(default / "x.joblib")], cwd=django_settings.BASE_DIR
    )
    assert ignored.returncode == 0  # var/ is never tracked
