"""Demo data for pricing (honest sample data, marked 示例). Idempotent.

- the roster: the two built-in platforms (gradient boosting; comparable sales) and one sample
  external HTTP platform entry (示例; nothing listens at its address, so it misses the
  deadline like a real platform that does not answer, and the roster counts it late);
- the valuation models: trained at seed time on a small sample of the **synthetic** Nanchang
  table (data/demo_nanchang_flats.csv, labelled as invented) only if no model is active;
- the demo flat (``ctx["assets"]["flat"]``): a completed online inquiry → reference price,
  run with the clock set in the past (sent 50 days ago, fixed after the objection windows),
  so bidding's demo can publish an auction on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.translation import gettext_noop

from core import clock

log = logging.getLogger("gavel.demo")
MARK = "（示例）"
KINDS = [
    gettext_noop("挂牌价"),
    gettext_noop("成交价"),
    gettext_noop("评估价"),
]  # stored in Chinese, shown translated
SEED_SAMPLE = 800
SEED_PARAMS = {"max_iter": 150, "learning_rate": 0.1}


@contextmanager
def _at(when: dt.datetime) -> Iterator[None]:
    saved = clock.state()
    offset = saved["offset"]  # seconds, a float
    clock.set_time(when)
    try:
        yield
    finally:
        clock.reset()
        if saved["frozen"]:
            clock.set_time(dt.datetime.fromisoformat(str(saved["frozen"])))
        elif isinstance(offset, float) and offset:
            clock.advance(dt.timedelta(seconds=offset))


def _platforms() -> None:
    from pricing.models import InquiryPlatform
    from pricing.services import platform_admit

    entries: list[tuple[str, str, str, dict[str, Any], str, int]] = [
        ("gavel-gbm", "内置估价平台甲（梯度提升模型）", "builtin", {"method": "gbm"}, "", 1),
        ("gavel-knn", "内置估价平台乙（市场比较法）", "builtin", {"method": "knn"}, "", 2),
        (
            "sample-http",
            f"外部询价平台{MARK}",
            "http",
            {"url": "http://127.0.0.1:8765", "timeout": 2},
            "demo-shared-secret-change-me",
            3,
        ),
    ]
    for code, name, adapter, config, secret, order in entries:
        if not InquiryPlatform.objects.filter(code=code).exists():
            platform_admit(
                code=code,
                name=name,
                adapter=adapter,
                config=config,
                secret=secret,
                price_data_kinds=KINDS,
                retention_years=10,
                sort_order=order,
            )


def _models() -> None:
    from pricing.models import ValuationModel
    from pricing.valuation.errors import ValuationError
    from pricing.valuation.presets import preset
    from pricing.valuation.service import load_artifact
    from pricing.valuation.training import train_model

    for method in ("gbm", "knn"):
        active = ValuationModel.objects.filter(
            asset_class="residential", method=method, is_active=True
        ).first()
        if active is not None:
            try:
                load_artifact(active)
                continue
            except ValuationError as exc:  # fitted with another library or engine version: retrain
                log.warning("demo model %s cannot be loaded (%s); retraining", active, exc.message)
        result = train_model(
            spec=preset("demo_cn"),
            method=method,
            sample=SEED_SAMPLE,
            params=SEED_PARAMS,
            force=active is not None,
            reason="演示数据初始化（原模型无法加载时重新训练）",
        )
        log.info("demo model: %s", result.message)


def _flat_price(ctx: dict[str, Any]) -> None:
    from cases.models import Party
    from core.models import ServiceRecord
    from pricing.models import Inquiry
    from pricing.services import (
        inquiry_close_window,
        inquiry_deliver_electronic,
        inquiry_dispatch,
        inquiry_fix,
        inquiry_send,
        procedure_for_asset,
        procedure_open,
        procedure_record_checks,
        report_deliver,
    )

    flat = (ctx.get("assets") or {}).get("flat")
    judge = (ctx.get("users") or {}).get("judge")
    if flat is None or judge is None or procedure_for_asset(flat.pk) is not None:
        return
    start = clock.now() - dt.timedelta(days=50)
    with _at(start):
        proc = procedure_open(asset=flat, actor=judge)
        proc = procedure_record_checks(
            procedure=proc,
            actor=judge,
            has_tax_base_or_gov_price=False,
            online_feasible=True,
            needs_site_inspection=False,
            law_requires_appraisal=False,
            checks={
                "title": f"登记在被执行人名下，无共有人{MARK}",
                "encumbrances": f"抵押一项（申请执行人）{MARK}",
                "possession": f"被执行人自住，无租赁{MARK}",
                "arrears": f"物业费欠缴约 2,000 元{MARK}",
                "defects": f"未发现明显瑕疵{MARK}",
            },
        )
        # Both parties asked in writing to go straight to online inquiry (PRC-03 joint request).
        inquiry = inquiry_send(
            procedure=proc,
            purpose=f"确定财产处置参考价{MARK}",
            fee_fen=1_500_00,
            joint_request=True,
            actor=judge,
        )
        inquiry_dispatch(inquiry=inquiry)
    with _at(start + dt.timedelta(days=4)):
        inquiry_close_window(inquiry=inquiry, actor=judge)
        inquiry_deliver_electronic(inquiry=inquiry, actor=judge)
        for party in Party.objects.filter(case_id=flat.case_id, user__isnull=True):
            for rep in Inquiry.objects.get(pk=inquiry.pk).requests.filter(status="reported"):
                report = rep.reports.filter(on_time=True).first()
                if report is not None:
                    report_deliver(
                        report=report,
                        party=party,
                        method=ServiceRecord.Method.POST,
                        received_at=clock.now(),
                        proof=f"邮寄送达回执{MARK}",
                        actor=judge,
                    )
    with _at(start + dt.timedelta(days=14)):
        price = inquiry_fix(inquiry=inquiry, actor=judge)
        log.info("demo flat reference price: %s fen", price.amount_fen)
    ctx["pricing"] = {"flat_procedure": proc.pk, "flat_price_fen": price.amount_fen}


def seed(ctx: dict[str, Any]) -> None:
    _platforms()
    _models()
    try:
        from django.db import transaction

        from core.errors import DomainError

        with transaction.atomic():
            _flat_price(ctx)
    except DomainError as exc:  # the demo goes on without the flat's price; bidding then skips it
        log.warning("demo pricing for the flat skipped: %s", exc)
