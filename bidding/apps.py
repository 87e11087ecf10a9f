from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("网络拍卖")

    def ready(self) -> None:
        from importlib import import_module

        from bidding import handlers

        handlers.connect()
        try:
            import_module("bidding.live")
        except ModuleNotFoundError as exc:
            if exc.name != "bidding.live":
                raise
        from bidding.services import auction_clock_tick
        from core.worker import register_task

        # The auction clock: opens due auctions and closes ended ones exactly once (AUC-28).
        register_task("bidding.close_due", auction_clock_tick, every=1.0)
