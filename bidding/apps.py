from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("网络拍卖")

    def ready(self) -> None:
        from importlib import import_module

        from bidding import handlers
        from core import nav
        from core.models import Role

        nav.register(
            _("网络拍卖"),
            "bidding:court_auctions",
            roles={Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD},
            order=30,
            description=_("拍卖草稿、公告、竞价实况、法院处置与移交"),
        )

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
