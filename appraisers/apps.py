from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisersConfig(AppConfig):
    name = "appraisers"
    verbose_name = _("评估机构")

    def ready(self) -> None:
        from appraisers import settings_specs  # noqa: F401  (registers this app's settings)
        from core.worker import register_task

        def _sweep():
            from appraisers.services import appraisers_sweep

            return appraisers_sweep()

        register_task("appraisers.sweep", _sweep, every=60.0)
