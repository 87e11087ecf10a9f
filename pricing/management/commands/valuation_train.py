"""Train a valuation model from a table of past sales: ``manage.py valuation_train``.

    manage.py valuation_train --preset demo_cn --method gbm
    manage.py valuation_train --data sales.csv --mapping mapping.json --method knn --level 0.8
    manage.py valuation_train --preset king_county --method gbm --sample 3000

Evaluates on a time-ordered hold-out when the data has sale dates (random otherwise, and says
so), stores the fitted pipeline under var/models/ with its versions, data fingerprint and
metrics, and refuses to activate a model worse than the active one (``--force --reason``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from core.errors import DomainError
from pricing.valuation import presets
from pricing.valuation.training import Cleaning, train_model

STEPS = 8


class Command(BaseCommand):
    help = "训练估价模型（按资产类别），在检验集上评估并保存"

    def add_arguments(self, parser: CommandParser) -> None:
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--preset", choices=sorted(presets.PRESETS), help="随仓库提供的数据集")
        src.add_argument("--data", help="CSV 或 parquet 成交数据文件")
        parser.add_argument("--mapping", help="列映射 JSON（与 --data 一起使用）")
        parser.add_argument(
            "--method",
            action="append",
            choices=["gbm", "knn"],
            help="估价方法，可重复；默认两种都训练",
        )
        parser.add_argument("--level", type=float, default=0.8, help="预测区间水平（默认 0.8）")
        parser.add_argument("--sample", type=int, default=None, help="只取这么多行（快速演示）")
        parser.add_argument("--split", choices=["auto", "time", "random"], default="auto")
        parser.add_argument(
            "--split-date", default=None, help="按时间划分的分界日（之前训练，之后检验）"
        )
        parser.add_argument("--test-fraction", type=float, default=0.2)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--params", default=None, help='模型参数 JSON，如 {"max_iter": 300}')
        parser.add_argument("--no-activate", action="store_true")
        parser.add_argument(
            "--force", action="store_true", help="即使劣于现用模型也启用（须 --reason）"
        )
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["preset"]:
                spec = presets.preset(opts["preset"])
            else:
                if not opts["mapping"]:
                    raise CommandError(_("使用 --data 时须提供 --mapping 列映射文件"))
                spec = presets.load_mapping(opts["mapping"])
                spec["path"] = opts["data"]
        except (KeyError, ValueError, OSError) as exc:
            raise CommandError(_("列映射有误：%(error)s") % {"error": exc}) from exc
        params = json.loads(opts["params"]) if opts["params"] else None
        self.stdout.write(
            f"数据：{spec['dataset']}（{spec['currency']}，{spec.get('region', '')}）"
        )
        for method in opts["method"] or ["gbm", "knn"]:
            bar = tqdm(
                total=STEPS,
                desc=f"{spec['asset_class']}/{method}",
                unit="步",
                file=self.stderr._out,
            )

            def tick(msg: str, bar: tqdm = bar) -> None:
                bar.set_postfix_str(msg)
                bar.update(1)

            try:
                result = train_model(
                    spec=spec,
                    method=method,
                    level=opts["level"],
                    sample=opts["sample"],
                    how=opts["split"],
                    split_date=opts["split_date"],
                    test_fraction=opts["test_fraction"],
                    seed=opts["seed"],
                    params=params,
                    activate=not opts["no_activate"],
                    force=opts["force"],
                    reason=opts["reason"],
                    progress=tick,
                )
            except DomainError as exc:
                bar.close()
                raise CommandError(f"[{exc.code}] {exc.message}") from exc
            bar.update(STEPS - bar.n)
            bar.close()
            m = result.model.metrics
            if m.get("cleaning"):
                self.stdout.write(Cleaning(**m["cleaning"]).text())
            self.stdout.write(
                f"{result.model}：{m['split_note']}\n"
                f"  RMSLE {m['rmsle']:.4f}｜中位绝对误差 {m['median_ape']:.2%}｜±10% 内 {m['within_10']:.1%}｜"
                f"±20% 内 {m['within_20']:.1%}｜{m['level']:.0%} 区间覆盖率 {m['coverage']:.1%}"
            )
            style = self.style.SUCCESS if result.activated else self.style.WARNING
            self.stdout.write(style(result.message))
