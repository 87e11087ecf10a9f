from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("拍卖大厅")

    def ready(self) -> None:
        from marketplace import alerts

        # Outbid and saved-search alerts (bidding's after-commit events), watch reminders.
        alerts.connect()
