"""A fresh installation gets its built-in inquiry platforms through pages (issue 13): the roster
keeper puts a built-in platform on the roster (PRC-18 entry conditions), asks for its model on
估价模型 (trained by the worker from the data the project ships), and until then the platform's
answer reads in words a judge understands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from core.models import User
from pricing.models import InquiryPlatform, InquiryRequest, ValuationModel, ValuationTrainingRun
from pricing.services import (
    inquiry_dispatch,
    inquiry_send,
    procedure_open,
    valuation_training_run_next,
)
from tests.conftest import make_user
from tests.pricing.conftest import check

pytestmark = pytest.mark.django_db
KINDS = "挂牌价，成交价，评估价"


@pytest.fixture
def model_dir(settings: Any, tmp_path: Path) -> Path:
    from pricing.valuation.service import clear_cache

    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    clear_cache()
    return tmp_path / "models"


def admit(client: Any, **fields: str) -> Any:
    data = {"action": "admit_builtin", "method": "knn", "kinds": KINDS, "retention_years": "10"}
    return client.post(reverse("pricing:roster"), {**data, **fields}, follow=True)


def test_the_operator_puts_a_builtin_platform_on_the_roster_through_the_page(
    client: Any, platform_operator: User
) -> None:
    client.force_login(platform_operator)
    text = client.get(reverse("pricing:roster")).content.decode()
    assert "内置估价平台入库" in text and "名单库为空" in text
    text = admit(client).content.decode()
    assert "内置估价平台已入库" in text
    p = InquiryPlatform.objects.get(code="gavel-knn")
    assert (p.adapter, p.config, p.status) == ("builtin", {"method": "knn"}, "active")
    assert p.name == "内置估价平台（市场比较法）"
    # No model yet: the roster says so and where to train one.
    assert "尚无启用的估价模型，暂不能出具报告" in text
    # Twice is refused in words.
    assert "该平台已在名单库中" in admit(client).content.decode()


@pytest.mark.parametrize(
    ("kinds", "years", "admitted"),
    [
        ("挂牌价，成交价", "10", False),  # PRC-18: 2 kinds of price data < 3
        (KINDS, "10", True),
        (KINDS, "9", False),  # PRC-18: 9 years' retention < 10
    ],
)
def test_prc18_entry_conditions_hold_for_builtin_platforms_too(
    client: Any, platform_operator: User, kinds: str, years: str, admitted: bool
) -> None:
    client.force_login(platform_operator)
    admit(client, kinds=kinds, retention_years=years)
    assert InquiryPlatform.objects.filter(code="gavel-knn").exists() is admitted


def test_only_the_roster_keeper_admits_or_trains(client: Any, judge: User) -> None:
    client.force_login(judge)
    assert admit(client).status_code == 403
    r = client.post(
        reverse("pricing:roster"), {"action": "train", "preset": "demo_cn", "methods": ["knn"]}
    )
    assert r.status_code == 403
    assert not InquiryPlatform.objects.exists() and not ValuationTrainingRun.objects.exists()


def test_the_keeper_trains_a_model_from_the_shipped_data_and_the_worker_runs_it(
    client: Any, model_dir: Path, platform_operator: User
) -> None:
    client.force_login(platform_operator)
    text = client.get(reverse("pricing:models")).content.decode()
    assert "训练模型" in text and "南昌住宅成交（合成演示数据，非真实成交）" in text
    r = client.post(
        reverse("pricing:roster"),
        {
            "action": "train",
            "preset": "demo_cn",
            "methods": ["knn"],
            "next": reverse("pricing:models"),
        },
        follow=True,
    )
    text = r.content.decode()
    assert "已提交训练请求" in text and "排队中" in text
    # Asked again before the worker ran: refused, in words.
    again = client.post(
        reverse("pricing:roster"),
        {"action": "train", "preset": "demo_cn", "methods": ["knn"]},
        follow=True,
    ).content.decode()
    assert "尚未完成" in again
    assert ValuationTrainingRun.objects.count() == 1

    assert valuation_training_run_next() == 1
    assert valuation_training_run_next() == 0  # nothing queued any more
    run = ValuationTrainingRun.objects.get()
    assert run.status == "done" and run.model is not None and run.model.is_active
    assert (run.model.asset_class, run.model.method, run.model.currency) == (
        "residential",
        "knn",
        "CNY",
    )
    assert Path(run.model.file).parent == model_dir
    text = client.get(reverse("pricing:models")).content.decode()
    assert "已完成" in text


def test_an_unknown_data_set_or_method_is_refused(client: Any, platform_operator: User) -> None:
    client.force_login(platform_operator)
    for data in (
        {"preset": "nowhere", "methods": ["knn"]},
        {"preset": "demo_cn", "methods": ["svm"]},
        {"preset": "demo_cn"},
    ):
        text = client.post(
            reverse("pricing:roster"), {"action": "train", **data}, follow=True
        ).content.decode()
        assert "请选择" in text
    assert not ValuationTrainingRun.objects.exists()


def test_a_failed_training_says_why(
    model_dir: Path, platform_operator: User, frozen_now: dt.datetime
) -> None:
    """A run that cannot train ends ``failed`` with a message, never stays ``running``."""
    run = ValuationTrainingRun.objects.create(
        preset="demo_cn", method="knn", requested_by=platform_operator, requested_at=frozen_now
    )
    ValuationTrainingRun.objects.filter(pk=run.pk).update(preset="gone")
    assert valuation_training_run_next() == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.message
    assert not ValuationModel.objects.exists()


def test_a_builtin_platform_without_a_model_answers_in_words_then_reports_once_trained(
    flat: Any,
    judge: User,
    model_dir: Path,
    now: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Fresh installation: the platform is on the roster, its model not trained yet. The judge
    reads what is wrong and who fixes it (no command line, no class code); once the worker
    trained the model, the next call reports (PRC-07: still inside the 3-day window)."""
    from pricing.services import platform_admit_builtin, valuation_training_request

    platform_admit_builtin(
        method="knn", price_data_kinds=["挂牌价", "成交价", "评估价"], retention_years=10
    )
    proc = check(procedure_open(asset=flat, actor=judge), judge)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.status == "pending"
    assert "本平台尚无可用于住宅的估价模型（市场比较法）" in req.last_error
    assert "估价模型" in req.last_error and "自动重新询价" in req.last_error
    for technical in ("manage.py", "residential", "knn"):
        assert technical not in req.last_error

    valuation_training_request(preset="demo_cn", methods=["knn"], actor=make_user("operator"))
    assert valuation_training_run_next() == 1
    inquiry_dispatch(inquiry=inquiry)
    req.refresh_from_db()
    assert req.status == "reported" and req.last_error == ""
    report = req.reports.get()
    assert report.on_time and report.currency == "CNY" and report.amount_fen > 0
