from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = _("参考价")

    def ready(self) -> None:
        from core.worker import register_task
        from pricing import handlers
        from pricing.services.inquiry import pricing_sweep

        handlers.connect()

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
