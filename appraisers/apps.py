from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisersConfig(AppConfig):
    name = "appraisers"
    verbose_name = _("评估机构")
