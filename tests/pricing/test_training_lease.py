"""A training run whose worker died never stays "训练中" (issue 13): the worker renews a lease
while it trains; once the lease lapses the run is marked failed, in words the model keeper
understands, and the same training can be asked for again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from core import clock
from core.models import AuditEntry, User
from pricing.models import ValuationTrainingRun
from pricing.services import valuation_training_request
from pricing.services.training_runs import LEASE, valuation_training_runs_expire

pytestmark = pytest.mark.django_db


def _running(user: User, *, beat_ago: dt.timedelta) -> ValuationTrainingRun:
    """A run the worker took and last renewed ``beat_ago`` (it died without finishing)."""
    (run,) = valuation_training_request(preset="demo_cn", methods=["knn"], actor=user)
    now = clock.now()
    ValuationTrainingRun.objects.filter(pk=run.pk).update(
        status="running", started_at=now - beat_ago, heartbeat_at=now - beat_ago
    )
    return run


def test_a_run_whose_lease_lapsed_is_marked_failed_and_can_run_again(
    client: Any, frozen_now: dt.datetime, platform_operator: User
) -> None:
    run = _running(platform_operator, beat_ago=dt.timedelta(0))
    # Within the lease: still training, and a second request waits for it.
    clock.advance(LEASE - dt.timedelta(seconds=1))
    assert valuation_training_runs_expire() == 0
    run.refresh_from_db()
    assert run.status == "running"
    client.force_login(platform_operator)
    again = client.post(
        reverse("pricing:roster"),
        {"action": "train", "preset": "demo_cn", "methods": ["knn"]},
        follow=True,
    ).content.decode()
    assert "尚未完成" in again
    # The lease lapses: failed, with why and what to do, audited.
    clock.advance(dt.timedelta(seconds=2))
    assert valuation_training_runs_expire() == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at == clock.now()
    assert "训练中断" in run.message and "可以重新提交训练" in run.message
    assert AuditEntry.objects.filter(action="model.training_failed").count() == 1
    assert valuation_training_runs_expire() == 0  # once
    # The keeper sees it on the workbench and the models page, and can ask again.
    html = client.get(reverse("marketplace:workbench")).content.decode()
    assert "估价模型训练失败" in html and "训练中断" in html
    assert "训练中断" in client.get(reverse("pricing:models")).content.decode()
    resp = client.post(
        reverse("pricing:roster"),
        {"action": "train", "preset": "demo_cn", "methods": ["knn"]},
        follow=True,
    ).content.decode()
    assert "已提交训练请求" in resp
    assert ValuationTrainingRun.objects.filter(status="queued").count() == 1


def test_a_renewed_lease_keeps_a_long_training_running(
    frozen_now: dt.datetime, platform_operator: User
) -> None:
    run = _running(platform_operator, beat_ago=dt.timedelta(0))
    clock.advance(LEASE * 3)  # a long training …
    ValuationTrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=clock.now())  # … alive
    clock.advance(LEASE - dt.timedelta(seconds=1))
    assert valuation_training_runs_expire() == 0
    run.refresh_from_db()
    assert run.status == "running"


def test_the_worker_marks_an_abandoned_run_before_taking_the_next(
    frozen_now: dt.datetime, platform_operator: User, settings: Any, tmp_path: Any
) -> None:
    from pricing.services import valuation_training_run_next
    from pricing.valuation.service import clear_cache

    settings.GAVEL_MODEL_DIR = str(tmp_path / "models")
    clear_cache()
    run = _running(platform_operator, beat_ago=LEASE + dt.timedelta(minutes=1))
    assert valuation_training_run_next() == 0  # nothing queued; the dead run was marked
    run.refresh_from_db()
    assert run.status == "failed" and "训练中断" in run.message
