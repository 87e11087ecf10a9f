"""The built-in platforms on a fresh installation (issue 13): the roster keeper trains their
models from a page and the worker runs the training (``pricing.train_models``).

A page never trains inside the request (a minute on a loaded machine): the keeper's request
is a ``ValuationTrainingRun``; the worker takes one at a time (``skip_locked``, so several
workers never train the same run) and calls the public training entry point
(``pricing.valuation.training.train_model``), the same one ``manage.py valuation_train`` uses.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.errors import Conflict, DomainError
from core.models import User
from core.types import Actor
from pricing.models import InquiryPlatform, ValuationModel, ValuationTrainingRun

log = logging.getLogger(__name__)
STREAM = "system:pricing-models"
R = ValuationTrainingRun.Status

#: A running training renews its lease every ``HEARTBEAT``; one not renewed for ``LEASE`` is
#: taken as abandoned (the worker was stopped or died mid-training).
HEARTBEAT = dt.timedelta(seconds=30)
LEASE = dt.timedelta(minutes=5)

#: The two built-in methods, in the words the roster and the reports use.
METHOD_LABELS = {"gbm": "梯度提升模型", "knn": "市场比较法"}


def _person(actor: Actor) -> User | None:
    return actor if getattr(actor, "pk", None) else None


@dataclass(frozen=True)
class ShippedDataset:
    """A data set that ships with the project (data/README.md) and can train a model."""

    preset: str
    dataset: str
    note: str
    asset_class: str
    currency: str
    available: bool

    @property
    def foreign(self) -> bool:
        return self.currency != "CNY"


def shipped_datasets() -> list[ShippedDataset]:
    """The presets of ``manage.py valuation_train`` whose files are present, CNY first."""
    from pricing.valuation.presets import PRESETS, preset

    out = []
    for name in PRESETS:
        try:
            spec = preset(name)
        except (OSError, ValueError):  # its mapping file is missing or broken
            continue
        out.append(
            ShippedDataset(
                preset=name,
                dataset=str(spec.get("dataset", name)),
                note=str(spec.get("note", "")),
                asset_class=str(spec.get("asset_class", "")),
                currency=str(spec.get("currency", "")),
                available=Path(str(spec.get("path", ""))).exists(),
            )
        )
    return sorted(out, key=lambda d: (d.foreign, d.preset))


@transaction.atomic
def valuation_training_request(
    *, preset: str, methods: list[str], actor: Actor = None
) -> list[ValuationTrainingRun]:
    """Queue the training of one model per method on a shipped data set."""
    found = {d.preset: d for d in shipped_datasets()}.get(preset)
    if found is None or not found.available:
        raise DomainError("unknown_dataset", _("请选择随系统提供的训练数据"))
    methods = list(dict.fromkeys(m for m in methods if m))
    valuation_training_runs_expire()  # a run abandoned by a dead worker blocks no new request
    if not methods or any(m not in METHOD_LABELS for m in methods):
        raise DomainError("unknown_method", _("请选择估价方法（梯度提升模型或市场比较法）"))
    busy = ValuationTrainingRun.objects.filter(
        preset=preset, method__in=methods, status__in=[R.QUEUED, R.RUNNING]
    ).first()
    if busy is not None:
        raise Conflict(
            "training_pending",
            _("以「%(dataset)s」训练%(method)s的请求尚未完成，请稍后再看")
            % {"dataset": found.dataset, "method": METHOD_LABELS[busy.method]},
        )
    now = clock.now()
    runs = [
        ValuationTrainingRun.objects.create(
            preset=preset, method=m, requested_by=_person(actor), requested_at=now
        )
        for m in methods
    ]
    audit_record(
        stream=STREAM,
        action="model.training_requested",
        actor=actor,
        subject=f"dataset:{preset}",
        after={"methods": methods, "runs": [r.pk for r in runs]},
    )
    return runs


def _finish(run: ValuationTrainingRun, status: str, message: str, model: object = None) -> None:
    with transaction.atomic():
        run.status = status
        run.message = message[:2000]
        run.finished_at = clock.now()
        run.model = model if isinstance(model, ValuationModel) else None
        run.save(update_fields=["status", "message", "finished_at", "model"])
        audit_record(
            stream=STREAM,
            action="model.training_done" if status == R.DONE else "model.training_failed",
            actor=run.requested_by,
            subject=f"dataset:{run.preset}",
            after={"run": run.pk, "method": run.method, "model": run.model_id},
            reason=run.message,
        )


def valuation_training_runs_expire() -> int:
    """Mark failed the runs whose worker stopped renewing their lease (it was stopped or died
    while training), with a message the keeper understands; they can then be asked for again.
    Returns how many were marked."""
    cutoff = clock.now() - LEASE
    stale = ValuationTrainingRun.objects.filter(status=R.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    marked = 0
    for pk in list(stale.values_list("pk", flat=True)[:100]):
        with transaction.atomic():
            run = (
                ValuationTrainingRun.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=R.RUNNING)
                .first()
            )
            if run is None:  # finished meanwhile, or another process is marking it
                continue
            last = run.heartbeat_at or run.started_at or run.requested_at
            minutes = int(LEASE.total_seconds() // 60)
            _finish(
                run,
                R.FAILED,
                f"训练中断：后台训练进程自 {timezone.localtime(last):%Y-%m-%d %H:%M} 起超过"
                f" {minutes} 分钟没有响应（可能已停止或重启），本次训练已标记为失败。"
                "训练数据和已启用的模型均未改变，可以重新提交训练。",
            )
            marked += 1
    return marked


class _Heartbeat(threading.Thread):
    """Renews a running training's lease every ``HEARTBEAT`` until stopped."""

    def __init__(self, run_id: int) -> None:
        super().__init__(name=f"training-heartbeat-{run_id}", daemon=True)
        self.run_id = run_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT.total_seconds()):
                try:
                    ValuationTrainingRun.objects.filter(pk=self.run_id, status=R.RUNNING).update(
                        heartbeat_at=clock.now()
                    )
                except DatabaseError:  # a busy database: the next beat tries again
                    log.warning("training run %s: heartbeat not written", self.run_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def valuation_training_run_next() -> int:
    """Worker task ``pricing.train_models``: train the oldest queued run, if any; returns 1 when
    one ran. A model that cannot be loaded any more (another library version) is replaced."""
    from pricing.valuation.errors import ValuationError
    from pricing.valuation.presets import preset
    from pricing.valuation.service import load_artifact
    from pricing.valuation.training import train_model

    valuation_training_runs_expire()
    with transaction.atomic():
        run = (
            ValuationTrainingRun.objects.select_for_update(skip_locked=True)
            .filter(status=R.QUEUED)
            .order_by("requested_at", "pk")
            .first()
        )
        if run is None:
            return 0
        run.status = R.RUNNING
        run.started_at = run.heartbeat_at = clock.now()
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
    heartbeat = _Heartbeat(run.pk)
    heartbeat.start()
    try:
        spec = preset(run.preset)
        active = ValuationModel.objects.filter(
            asset_class=spec["asset_class"], method=run.method, is_active=True
        ).first()
        broken = False
        if active is not None:
            try:
                load_artifact(active)
            except ValuationError:
                broken = True
        result = train_model(
            spec=spec,
            method=run.method,
            actor=run.requested_by,
            force=broken,
            reason="原启用模型无法加载，以新模型替换" if broken else "",
        )
    except ValuationError as exc:
        _finish(run, R.FAILED, str(exc.message))
    except Exception:  # the detail is for the log; the page says where to look
        log.exception("training run %s failed", run.pk)
        _finish(run, R.FAILED, "训练失败（系统错误，详情见服务器日志），请联系运维人员")
    else:
        _finish(run, R.DONE, result.message, result.model)
        if result.activated:
            _ask_again(run.method)
    finally:
        heartbeat.stop()
    return 1


def _ask_again(method: str) -> None:
    """A new active model: the built-in platforms of that method that were waiting out their
    backoff are called at the next sweep (the judge was told "训练完成后系统会自动重新询价")."""
    from pricing.models import InquiryRequest

    InquiryRequest.objects.filter(
        status=InquiryRequest.Status.PENDING,
        platform__adapter=InquiryPlatform.Adapter.BUILTIN,
        platform__config__method=method,
    ).exclude(last_error="").update(next_attempt_at=None)
