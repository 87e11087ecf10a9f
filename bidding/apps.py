from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bidding.models import Auction, DisposalRoute
    from cases.models import Case, Lot


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("网络拍卖")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from core.deadlines import register_start_events

        register_start_events(
            {
                "self_sale_authorized": pgettext_lazy("start event", "准许自行变卖"),
                "offline.auction_held": pgettext_lazy("start event", "线下拍卖举行"),
                "offline.auction_unsold": pgettext_lazy("start event", "线下拍卖流拍"),
                "offline.ground_ended": pgettext_lazy("start event", "线下拍卖暂缓事由消除"),
                "collusion.flag_raised": pgettext_lazy("start event", "发现串标嫌疑"),
            }
        )

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
        from cases.rules import register_publication

        register_publication(_announced_file)
        from core.audit import register_action_labels

        register_action_labels(ACTION_LABELS)
        handlers.connect()
        from bidding import documents

        documents.connect()
        import_module("bidding.live")  # the live hub subscribes to the auction events
        from bidding.services import auction_clock_closes, auction_followups_due
        from core.worker import register_task

        # The auction clock: opens due auctions and closes ended ones exactly once (AUC-28);
        # each close's follow-up (money, notices, deadlines) is queued for its own task.
        register_task("bidding.close_due", auction_clock_closes, every=1.0)
        register_task("bidding.close_followups", auction_followups_due, every=1.0)
        from bidding.services import forfeits_apply_due

        # Forfeited deposits applied once the default is final (AUC-33/34, FND-06).
        register_task("bidding.forfeits_apply", forfeits_apply_due, every=60.0)

        from bidding.collusion import setup as collusion

        collusion.ready()  # issue 19: thresholds, close handler, worker task


# The names of this app's actions in a case's history (cases/audit_labels.py shows them).
ACTION_LABELS = {
    "auction.drafted": _("新建拍卖草稿"),
    "auction.draft_updated": _("修改拍卖草稿"),
    "panel.decided": _("合议庭决定"),
    "priority_holder.added": _("增加优先购买权人"),
    "exclusion.added": _("列入回避名单"),
    "auction.low_start_notified": _("通知申请执行人起拍价不足以清偿"),
    "auction.applicant_insisted": _("申请执行人申请继续拍卖"),
    "auction.debtor_consented": _("被执行人同意继续拍卖"),
    "auction.published": _("发布拍卖公告"),
    "auction.opened": _("竞价开始"),
    "auction.closed.sold": _("竞价结束：成交"),
    "auction.closed.unsold": _("竞价结束：流拍"),
    "auction.defaulted": _("买受人悔拍"),
    "auction.forfeit_applied": _("悔拍保证金依序处理"),
    "auction.in_lieu": _("以物抵债"),
    "auction.next_round": _("准备下一轮拍卖"),
    "auction.suspend": _("暂缓拍卖"),
    "auction.halt": _("中止拍卖"),
    "auction.resume": _("恢复拍卖"),
    "auction.withdraw": _("撤回拍卖"),
    "auction.set_aside": _("撤销拍卖"),
    "auction.case_withdrawn": _("撤案"),
    "auction.third_party_objection": _("案外人异议"),
    "auction.ground_ended": _("暂缓/中止事由消除"),
    "sale.balance_paid": _("尾款付清"),
    "sale.ruling_served": _("成交裁定送达"),
    "sale.handover": _("移交标的物"),
    "disposal.offline": _("决定不采用网络拍卖"),
    "disposal.self_sale_authorized": _("准许被执行人自行处置"),
    "disposal.self_sale_completed": _("被执行人自行处置完成"),
    "in_lieu.applied": _("债权人申请以物抵债"),
    "in_lieu.decided": _("决定以物抵债"),
    "in_lieu.draw_frozen": _("以物抵债摇号名单冻结"),
    "in_lieu.draw_committed": _("提交摇号承诺值"),
    "in_lieu.draw_revealed": _("揭示摇号随机串"),
    "in_lieu.draw_done": _("以物抵债摇号完成"),
    "collusion.flag_raised": _("串通风险预警"),
    "collusion.flag_updated": _("串通风险预警更新"),
    "collusion.flag_dismissed": _("串通风险预警：排除"),
    "collusion.flag_referred": _("串通风险预警：移送审查"),
}


def _case_auctions(case: Case, *, public: bool) -> QuerySet[Auction]:
    from bidding.models import Auction, AuctionState

    qs = Auction.objects.filter(case=case, is_practice=False).order_by("pk")
    return qs.exclude(state=AuctionState.DRAFT) if public else qs


def _case_lots(case: Case) -> list[tuple[Lot, DisposalRoute | None]]:
    """Staff: each lot of the case with its disposal route (AUC-01 / AUC-44; None = online)."""
    from bidding.services import disposal_route_current

    return [(lot, disposal_route_current(lot_id=lot.pk)) for lot in case.lots.order_by("pk")]


def _announced_file(asset_file: Any) -> bool:
    """An asset's file is public once an auction of a lot holding the asset is announced: the
    announcement shows it (AUC-09, ``bidding/_disclosure.html``)."""
    from bidding.models import Auction
    from bidding.selectors import PUBLIC_STATES

    return Auction.objects.filter(lot__assets=asset_file.asset_id, state__in=PUBLIC_STATES).exists()


def _register_case_sections() -> None:
    """The case's auctions on the staff case page (court pages, drafts too; each lot with its
    disposal route) and on a party's view of the case (published auctions, public pages)."""
    from cases.portal import register_case_sections
    from core.permissions import can

    register_case_sections(
        key="bidding.auctions",
        title=_("网络拍卖"),
        template="bidding/court/_case_auctions.html",
        order=50,
        context=lambda request, case, staff: {
            "case_auctions": _case_auctions(case, public=not staff),
            "case_lots": _case_lots(case) if staff else [],
            "staff_view": staff,
            # The court's auction and lot pages: judges, officers, heads (finance reads the
            # case, and the public auction pages).
            "court_pages": staff and can(request.user, "bidding.manage_auction", case),
        },
        visible=lambda request, case, staff: (
            _case_auctions(case, public=not staff).exists() or (staff and case.lots.exists())
        ),
    )
