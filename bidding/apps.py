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

        _register_case_sections()
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


def _case_auctions(case, *, public: bool):
    from bidding.models import Auction, AuctionState

    qs = Auction.objects.filter(case=case, is_practice=False).order_by("pk")
    return qs.exclude(state=AuctionState.DRAFT) if public else qs


def _register_case_sections() -> None:
    """The case's auctions on the staff case page and on a party's view of the case."""
    from cases.portal import Section, register_section

    register_section(
        Section(
            key="bidding.auctions",
            where="case",
            title=_("网络拍卖"),
            template="bidding/court/_case_auctions.html",
            order=50,
            context=lambda request, case: {
                "case_auctions": _case_auctions(case, public=False),
                "staff_view": True,
            },
            visible=lambda request, case: _case_auctions(case, public=False).exists(),
        )
    )
    register_section(
        Section(
            key="bidding.auctions.party",
            where="portal_case",
            title=_("网络拍卖"),
            template="bidding/court/_case_auctions.html",
            order=50,
            context=lambda request, case: {
                "case_auctions": _case_auctions(case, public=True),
                "staff_view": False,
            },
            visible=lambda request, case: _case_auctions(case, public=True).exists(),
        )
    )
