"""What waits for the valuation model keeper (core.duties, issue 13): the outcome of a training
run asked for on 估价模型 (``pricing.train_models``). The newest run of each data set and
method counts: a failed run (why, in words; it can be run again) and a finished run whose model
was not put in use (better or worse than the one in use: the keeper decides). A new request for
the same data set and method replaces either."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from core.duties import TODO, Duty, register
from core.permissions import can


def _training_outcomes(user: Any) -> list[Duty]:
    from pricing.models import ValuationTrainingRun
    from pricing.services.training_runs import METHOD_LABELS, shipped_datasets

    if not can(user, "pricing.keep_roster"):
        return []
    R = ValuationTrainingRun.Status
    names = {d.preset: d.dataset for d in shipped_datasets()}
    newest: dict[tuple[str, str], ValuationTrainingRun] = {}
    for run in ValuationTrainingRun.objects.select_related("model").order_by(
        "-requested_at", "-pk"
    )[:200]:
        newest.setdefault((run.preset, run.method), run)
    url = reverse("pricing:models")
    out: list[Duty] = []
    for (preset, method), run in newest.items():
        subject = _("%(method)s（训练数据：%(dataset)s）") % {
            "method": _(METHOD_LABELS.get(method, method)),
            "dataset": names.get(preset, preset),
        }
        if run.status == R.FAILED:
            out.append(
                Duty(
                    "training_failed",
                    TODO,
                    _("估价模型训练失败，可查明原因后重新训练"),
                    subject,
                    url,
                    since=run.finished_at or run.requested_at,
                    detail=run.message,
                )
            )
        elif run.status == R.DONE and run.model is not None and not run.model.is_active:
            out.append(
                Duty(
                    "training_done",
                    TODO,
                    _("估价模型已训练完成，待决定是否启用"),
                    subject,
                    url,
                    since=run.finished_at or run.requested_at,
                    detail=run.message,
                )
            )
    return out


register("pricing.training", _training_outcomes)
