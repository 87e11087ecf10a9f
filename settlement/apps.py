from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("执行款")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from core.deadlines import register_start_events

        register_start_events(
            {
                "payout_created": pgettext_lazy("start event", "发放申请创建"),
                "deferral_ended": pgettext_lazy("start event", "暂缓发放事由消除"),
                "funds_arrived": pgettext_lazy("start event", "执行款到账"),
                "deposit_applied": pgettext_lazy("start event", "保证金转作价款"),
                "auction_closed": pgettext_lazy("start event", "竞价结束"),
                "field_cash_collected": pgettext_lazy("start event", "外勤收取现金"),
                "instrument_cleared": pgettext_lazy("start event", "票据兑付"),
                "sale": pgettext_lazy("start event", "成交"),
            }
        )

        from core.worker import register_task
        from settlement import worker
        from settlement.services import arrivals
        from settlement.settings_specs import register_specs

        register_specs()
        from settlement import handlers

        handlers.connect()  # issue 16: receipts and vouchers queued on the money events
        from core.audit import register_action_labels
        from settlement.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        _register_case_section()
        from core import nav
        from core.models import Role

        nav.register(
            _("执行款"),
            "settlement:dashboard",
            roles={Role.FINANCE, Role.BUREAU_HEAD, Role.JUDGE, Role.OFFICER},
            order=30,
            description=_("一案一账号：案款账户、认领、分配与发放"),
        )
        register_task("settlement.gateway_outbox", worker.send_operations, every=2.0)
        register_task("settlement.simulator", worker.simulator_deliver, every=1.0)
        register_task("settlement.webhooks", worker.process_webhooks, every=1.0)
        register_task("settlement.balance_overdue", worker.balance_overdue, every=30.0)
        register_task("settlement.balance_reminders", worker.balance_reminders, every=300.0)
        register_task("settlement.release_scheduled", worker.release_scheduled, every=30.0)
        register_task("settlement.capture_expiring", worker.capture_expiring, every=300.0)
        # FND-08: the monthly clearing of unclaimed receipts (idempotent per court and month).
        register_task(
            "settlement.unclaimed_clearing", arrivals.unclaimed_clearing_due, every=3600.0
        )


def _register_case_section() -> None:
    """The case's account (一案一账号, FND-02) on the staff case page: its balance and a link to
    the account's statement, for those who may open it (issue 13)."""
    from cases.portal import Section, register_section
    from core import permissions as perms
    from settlement.selectors import case_account_balance

    register_section(
        Section(
            key="settlement.case_account",
            where="case",
            title=_("案款账户"),
            template="settlement/_case_account_section.html",
            order=60,
            context=lambda request, case: {
                "case_account_balance_fen": case_account_balance(case.pk)  # type: ignore[union-attr]
            },
            visible=lambda request, case: perms.can(
                request.user, "settlement.view_case_account", case
            ),
        )
    )
