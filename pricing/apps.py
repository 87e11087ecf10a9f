from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # models load after the app registry: imported where used
    from django.db.models import QuerySet

    from cases.models import Case
    from pricing.models import PricingProcedure


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = _("参考价")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from core.deadlines import register_start_events

        register_start_events(
            {
                "pricing.fixed": pgettext_lazy("start event", "参考价确定"),
                "pricing.report_received": pgettext_lazy("start event", "收到询价报告"),
            }
        )

        from core.worker import register_task
        from pricing import handlers
        from pricing.services.inquiry import pricing_sweep

        handlers.connect()
        from pricing import documents

        documents.connect()  # issue 16: 询价结果通知书, 定价通知书
        from core.audit import register_action_labels
        from pricing.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        _register_case_sections()

        from core import nav
        from core.models import Role

        nav.register(
            _("参考价"),
            "pricing:court_list",
            roles={Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD},
            order=20,
            description=_("当事人议价、定向询价、网络询价与委托评估"),
        )
        nav.register(
            _("定价结果"),
            "pricing:party_list",
            roles={Role.PARTY},
            order=20,
            description=_("送达给我的询价、评估结果与异议"),
        )
        register_task("pricing.sweep", pricing_sweep, every=60)
        from pricing.services.training_runs import valuation_training_run_next

        # Models asked for on the 估价模型 page (issue 13): one training at a time per worker.
        register_task("pricing.train_models", valuation_training_run_next, every=10)
        nav.register(
            _("询价平台名单库"),
            "pricing:roster",
            roles={Role.OPERATOR},
            order=62,
            description=_("网络询价平台入库、内置估价平台与模型训练、逾期与除名（PRC-18）"),
        )


def _register_case_sections() -> None:
    """The case's reference-price procedures on the staff case page and a party's view."""
    from cases.portal import register_case_sections
    from pricing.models import PricingProcedure

    def procedures(case: Case) -> QuerySet[PricingProcedure]:
        return PricingProcedure.objects.filter(case=case).select_related("asset").order_by("pk")

    register_case_sections(
        key="pricing.procedures",
        title=_("参考价"),
        template="pricing/_case_procedures.html",
        order=40,
        context=lambda request, case, staff: {
            "case_procedures": procedures(case),
            "staff_view": staff,
        },
        visible=lambda request, case, staff: procedures(case).exists(),
    )
