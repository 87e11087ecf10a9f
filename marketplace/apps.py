from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("拍卖大厅")

    def ready(self) -> None:
        from marketplace import alerts

        # Outbid and saved-search alerts (bidding's after-commit events), watch reminders.
        alerts.connect()
        from marketplace import search_index

        # The listing index (issue 18): bidding's saves and events, assets, loans, the sweep.
        search_index.connect()
        from core.audit import register_action_labels
        from marketplace.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)

        # The marketplace's parts of bidding's one auction page (follow, viewings, tags).
        from bidding import page_parts
        from marketplace.auction_parts import auction_page_parts

        page_parts.register("marketplace", auction_page_parts)

        # The home page shows the auctions under way and about to start (core.home).
        from core import home
        from marketplace.home import auctions_now

        home.register(
            home.Section(
                key="marketplace.auctions",
                template="marketplace/home/auctions.html",
                order=10,
                context=auctions_now,
                stylesheets=("marketplace/marketplace.css",),
                scripts=("marketplace/listings.js",),
            )
        )

        from core import nav
        from core.models import Role

        staff = {Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD, Role.FINANCE}
        public = {nav.ANON, nav.ANY}
        nav.register(
            _("拍卖大厅"),
            "marketplace:listings",
            roles=public,
            order=50,
            description=_("正在进行、即将开始和已结束的司法拍卖"),
        )
        nav.register(
            _("拍卖日历"),
            "marketplace:calendar",
            roles=public,
            order=51,
            description=_("即将开始的拍卖（预告）"),
        )
        nav.register(
            _("成交结果"),
            "marketplace:results",
            roles=public,
            order=52,
            description=_("成交确认书与完整出价记录"),
        )
        nav.register(
            _("模拟拍"),
            "marketplace:practice",
            roles={Role.BIDDER, nav.ANON},
            order=53,
            description=_("用练习资金熟悉延时规则与出价"),
        )
        nav.register(
            _("我的账户"),
            "marketplace:account",
            roles={Role.BIDDER},
            order=54,
            description=_("报名、保证金、出价、成交与应付尾款"),
        )
        nav.register(
            _("工作台"),
            "marketplace:workbench",
            roles={nav.ANY},  # every role has duties waiting (issue 13)
            order=5,
            description=_("等待我办理的事项：期限、审批、草稿和其他待办"),
        )
        nav.register(
            _("拍卖统计"),
            "marketplace:public_statistics",
            roles=public,
            order=59,
            description=_("各法院、各地区的成交率、溢价率、竞买人数与处置用时"),
        )
        nav.register(
            _("辖区统计"),
            "marketplace:statistics_courts",
            roles=staff,
            order=61,
            description=_("本院及下级法院的拍卖统计"),
        )
        nav.register(
            _("统计"),
            "marketplace:statistics",
            roles=staff,
            order=60,
            description=_("成交率、溢价率与处置周期"),
        )
