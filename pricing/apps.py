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
        register_task("pricing.sweep", pricing_sweep, every=60)
