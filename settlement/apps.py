from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("执行款")

    def ready(self) -> None:
        from core.worker import register_task
        from settlement import worker
        from settlement.services import arrivals
        from settlement.settings_specs import register_specs

        register_specs()
        from core.audit import register_action_labels
        from settlement.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
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
        register_task("settlement.release_scheduled", worker.release_scheduled, every=30.0)
        register_task("settlement.capture_expiring", worker.capture_expiring, every=300.0)
        # FND-08: the monthly clearing of unclaimed receipts (idempotent per court and month).
        register_task(
            "settlement.unclaimed_clearing", arrivals.unclaimed_clearing_due, every=3600.0
        )
