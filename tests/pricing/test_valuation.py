"""Our valuation models: training and evaluation on a small sample, storage and loading, each
valuation's interval and explanation, bad inputs, and the built-in platforms in an inquiry."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import DomainError
from pricing.models import InquiryRequest, ValuationModel
from pricing.valuation.errors import ValuationError
from pricing.valuation.presets import preset
from pricing.valuation.service import clear_cache, value_asset
from pricing.valuation.training import (
    build_artifact,
    canonical_table,
    clean_table,
    read_table,
    train_model,
)
from tests.pricing.conftest import FLAT, admit_builtin_platforms, check

FLAT_INPUT = {**FLAT, "lat": 28.69, "lon": 115.905, "division_code": "360102"}


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    clear_cache()
    yield tmp_path / "models"
    clear_cache()


# ------------------------------------------------------------------ training and evaluation
def test_dated_data_get_a_time_ordered_hold_out(built_models):
    """Where sales have dates the hold-out is the latest sales, and the model says so."""
    _, built = built_models["gbm"]
    split = built.fitted.split
    assert split.kind == "time"
    assert split.train["sale_date"].max() < split.test["sale_date"].min()
    assert "按时间划分" in built.artifact["metrics"]["split_note"]
    m = built.artifact["metrics"]
    assert {"rmsle", "median_ape", "within_10", "within_20", "coverage"} <= set(m)
    assert m["n"] == len(split.test) and m["n_train"] == len(split.train)


def test_undated_data_get_a_random_hold_out_and_say_so():
    """Vehicles (Toyota Corolla) have no sale date: random hold-out, stated as such."""
    built = build_artifact(spec=preset("corolla"), method="knn", sample=300)
    assert built.fitted.split.kind == "random"
    assert "数据没有成交日期" in built.artifact["metrics"]["split_note"]
    assert built.artifact["spec"]["currency"] == "EUR"


def test_conformal_interval_coverage_is_measured_on_the_hold_out(built_models):
    """The stored coverage is the share of hold-out prices inside the interval (not a promise)."""
    _, built = built_models["knn"]
    art = built.artifact
    test = built.fitted.split.test
    from pricing.valuation.service import value_batch

    _pred, low, high = value_batch(art, test)
    inside = ((test["price"] >= low) & (test["price"] <= high)).mean()
    assert art["metrics"]["coverage"] == pytest.approx(inside)
    assert len(art["metrics"]["coverage_by_decile"]) == 10
    assert 0.5 < inside <= 1.0


def test_training_stores_versions_fingerprint_and_metrics_and_activates(model_dir, db, now):
    result = train_model(spec=preset("demo_cn"), method="knn", sample=400)
    m = result.model
    assert result.activated and m.is_active and m.version == 1
    assert m.library_versions["scikit-learn"] and len(m.data_fingerprint) == 64
    assert m.currency == "CNY" and "合成" in m.dataset
    assert (model_dir / m.file.split("/")[-1]).exists()


def test_a_worse_model_is_not_activated_unless_forced_with_a_reason(model_dir, db, now):
    """Refuse to activate a model worse than the active one (same hold-out)."""
    good = train_model(spec=preset("demo_cn"), method="knn", sample=500)
    # one comparable instead of ten: a noisier comparables model
    bad = train_model(spec=preset("demo_cn"), method="knn", sample=500, params={"k": 1})
    assert good.activated and not bad.activated
    assert "劣于现用模型" in bad.message
    assert ValuationModel.objects.get(is_active=True, method="knn").pk == good.model.pk
    from pricing.valuation.training import model_activate

    with pytest.raises(DomainError) as err:
        model_activate(model=bad.model, force=True, reason="")
    assert err.value.code == "force_reason_required"
    model_activate(model=bad.model, force=True, reason="演示强制启用")
    assert ValuationModel.objects.get(is_active=True, method="knn").pk == bad.model.pk


def test_valuation_train_command_reports_split_and_metrics(model_dir, db, now):
    out = io.StringIO()
    call_command(
        "valuation_train",
        "--preset",
        "demo_cn",
        "--method",
        "knn",
        "--sample",
        "300",
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert (
        "按时间划分" in text
        and "中位绝对误差" in text
        and "区间覆盖率" in text
        and "已启用" in text
    )


# ------------------------------------------------------------------ bad training data
def _demo_raw():
    return read_table(preset("demo_cn")["path"])


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        (-5, "price_under_one_unit"),
        (0, "price_under_one_unit"),
        (0.5, "price_under_one_unit"),
        (None, "price_not_numeric"),
        ("#NAME?", "price_not_numeric"),
        (5e13, "price_absurd"),
    ],
)
def test_bad_prices_in_training_data_are_dropped_and_reported(price, reason):
    raw = _demo_raw()
    raw["成交价（元）"] = raw["成交价（元）"].astype(object)
    raw.loc[3, "成交价（元）"] = price
    df, report = clean_table(raw, preset("demo_cn"))
    assert report.dropped == {reason: 1} and report.examples[reason] == [5]  # file line 5
    assert len(df) == len(raw) - 1 and report.rows_kept == len(df)
    assert "剔除" in report.text()


def test_missing_columns_and_tiny_tables_are_refused():
    raw = _demo_raw()
    with pytest.raises(ValuationError) as err:
        canonical_table(raw.drop(columns=["建成年份"]), preset("demo_cn"))
    assert err.value.code == "columns_missing" and "建成年份" in str(err.value.message)
    with pytest.raises(ValuationError) as err:
        canonical_table(raw.head(20), preset("demo_cn"))
    assert err.value.code == "too_few_rows"


def test_command_turns_errors_into_a_clear_message(model_dir, db, tmp_path, now):
    bad = tmp_path / "sales.csv"
    raw = _demo_raw()
    raw["成交价（元）"] = raw["成交价（元）"].astype(object)
    raw.loc[: len(raw) // 2 + 1, "成交价（元）"] = "#NAME?"
    raw.to_csv(bad, index=False)
    mapping = preset("demo_cn")
    with pytest.raises(CommandError) as err:
        call_command(
            "valuation_train",
            "--data",
            str(bad),
            "--mapping",
            str(mapping["path"]).replace(".csv", ".mapping.json"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert "[too_many_dropped]" in str(err.value) and "#NAME?" in str(err.value)


# ------------------------------------------------------------------ one valuation
def test_valuation_has_a_point_an_interval_and_an_explanation(active_models, now):
    v = value_asset(asset_class="residential", method="gbm", features=FLAT_INPUT)
    assert v.currency == "CNY"
    assert v.low < v.price < v.high
    assert v.level == 0.8
    assert len(v.comparables) == 6 and all(
        c["price"] > 0 and "sale_date" in c for c in v.comparables
    )
    assert v.explanation and {"feature", "label", "effect_pct"} <= set(v.explanation[0])
    assert any(e["feature"] == "area_m2" for e in v.explanation)
    assert "合成" in v.model_info["dataset"]
    bigger = value_asset(
        asset_class="residential", method="knn", features={**FLAT_INPUT, "area_m2": 140}
    )
    smaller = value_asset(
        asset_class="residential", method="knn", features={**FLAT_INPUT, "area_m2": 60}
    )
    assert smaller.price < bigger.price


def test_missing_features_are_named(active_models, now):
    with pytest.raises(ValuationError) as err:
        value_asset(asset_class="residential", method="gbm", features={"area_m2": 80})
    assert err.value.code == "missing_features"
    assert "建成年份" in str(err.value.message) and "位置" not in str(err.value.message)


def test_non_numeric_or_non_positive_features_are_refused(active_models, now):
    with pytest.raises(ValuationError) as err:
        value_asset(
            asset_class="residential", method="gbm", features={**FLAT_INPUT, "rooms": "三室"}
        )
    assert err.value.code == "bad_feature"
    with pytest.raises(ValuationError):
        value_asset(asset_class="residential", method="gbm", features={**FLAT_INPUT, "area_m2": -3})


def test_unknown_asset_kind_and_missing_model(active_models, now):
    with pytest.raises(ValuationError) as err:
        value_asset(asset_class="painting", method="gbm", features={})
    assert err.value.code == "unknown_asset_kind"
    with pytest.raises(ValuationError) as err:
        value_asset(asset_class="vehicle", method="gbm", features={})
    assert err.value.code == "no_model"


def test_a_model_whose_file_changed_is_not_loaded(active_models, now):
    rec = active_models["gbm"]
    with open(rec.file, "ab") as fh:
        fh.write(b"tampered")
    try:
        with pytest.raises(ValuationError) as err:
            value_asset(asset_class="residential", method="gbm", features=FLAT_INPUT)
        assert err.value.code == "model_file_changed"
        assert "valuation_train" in str(err.value.message)
    finally:
        with open(rec.file, "rb+") as fh:
            fh.seek(-len(b"tampered"), 2)
            fh.truncate()


def test_a_model_from_other_library_versions_is_refused(active_models, now):
    """NOTES.md: a pickled pipeline may not load under another scikit-learn → a clear error."""
    rec = active_models["knn"]
    rec.library_versions = {**rec.library_versions, "scikit-learn": "0.24.2"}
    rec.save(update_fields=["library_versions"])
    with pytest.raises(ValuationError) as err:
        value_asset(asset_class="residential", method="knn", features=FLAT_INPUT)
    assert err.value.code == "model_version_mismatch"
    assert "0.24.2" in str(err.value.message) and "重新训练" in str(err.value.message)


def test_a_missing_model_file_is_refused(active_models, now):
    rec = active_models["knn"]
    rec.file = rec.file + ".gone"
    rec.save(update_fields=["file"])
    with pytest.raises(ValuationError) as err:
        value_asset(asset_class="residential", method="knn", features=FLAT_INPUT)
    assert err.value.code == "model_file_missing"


def test_batch_valuation_matches_single_valuations(built_models):
    from pricing.valuation.service import value_batch

    _, built = built_models["knn"]
    rows = built.fitted.split.test.head(5)
    pred, low, high = value_batch(built.artifact, rows)
    assert (low < pred).all() and (pred < high).all()
    one = np.exp(built.artifact["valuer"].predict_log(rows.iloc[[2]]))[0]
    assert pred[2] == pytest.approx(one)


# ------------------------------------------------------------------ the built-in platforms
def test_builtin_platforms_answer_an_inquiry_at_once(
    active_models, flat, judge, now, django_capture_on_commit_callbacks
):
    """Two built-in platforms that differ in method both report, on time, in CNY, with intervals."""
    from pricing.services import (
        inquiry_deliver_electronic,
        inquiry_fix,
        inquiry_send,
        procedure_open,
    )

    admit_builtin_platforms()
    proc = check(procedure_open(asset=flat, actor=judge), judge)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    reqs = list(InquiryRequest.objects.filter(inquiry=inquiry))
    assert {r.status for r in reqs} == {"reported"}, [r.last_error for r in reqs]
    reps = [r.reports.get() for r in reqs]
    assert {r.currency for r in reps} == {"CNY"}
    assert all(
        r.interval_low_fen is not None
        and r.interval_high_fen is not None
        and r.interval_low_fen < r.amount_fen < r.interval_high_fen
        for r in reps
    )
    assert all(r.samples and r.explanation and r.model_info["dataset"] for r in reps)
    assert len({r.method for r in reps}) == 2
    inquiry_deliver_electronic(inquiry=inquiry)
    import datetime as dt

    from core import clock

    clock.advance(dt.timedelta(days=8))
    price = inquiry_fix(inquiry=inquiry, actor=judge)
    from pricing.services import mean_half_up

    assert price.amount_fen == mean_half_up([r.amount_fen for r in reps])


def test_builtin_platform_with_a_foreign_model_reports_an_error(
    active_models, flat, judge, now, django_capture_on_commit_callbacks
):
    """A model trained on USD prices cannot price a Chinese asset: the request carries the reason."""
    from pricing.services import inquiry_send, procedure_open

    for rec in active_models.values():
        rec.currency = "USD"
        rec.save(update_fields=["currency"])
    admit_builtin_platforms()
    proc = check(procedure_open(asset=flat, actor=judge), judge)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    req = InquiryRequest.objects.filter(inquiry=inquiry).first()
    assert req is not None
    assert req.status == "pending" and "境外价格不得作为人民币参考价" in req.last_error


def test_asset_without_coordinates_cannot_be_valued(
    active_models, case, judge, now, django_capture_on_commit_callbacks
):
    from pricing.services import inquiry_send, procedure_open
    from tests.pricing.conftest import make_asset

    asset = make_asset(case, features=dict(FLAT))
    admit_builtin_platforms()
    proc = check(procedure_open(asset=asset, actor=judge), judge)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    req = InquiryRequest.objects.filter(inquiry=inquiry).first()
    assert req is not None
    assert "缺少估价所需特征" in req.last_error and "纬度" in req.last_error


def test_pandas_frame_is_not_needed_by_callers():
    assert isinstance(_demo_raw(), pd.DataFrame)
