"""Settlement's periodic tasks (registered in ``SettlementConfig.ready``). Each is safe to run
from several workers at once (``select_for_update(skip_locked=True)`` inside)."""

from __future__ import annotations


def send_operations() -> int:
    from settlement.services.confirmations import operations_send

    return operations_send()


def simulator_deliver() -> int:
    from django.conf import settings

    from settlement.simulator import deliver_due

    if not settings.GAVEL_SIMULATOR_ENABLED:
        return 0  # production: no bank simulator, nothing of it to deliver

    return deliver_due()


def process_webhooks() -> int:
    from settlement.webhooks import webhooks_process

    return webhooks_process()


def balance_overdue() -> int:
    from settlement.services.balances import balances_overdue_sweep

    return balances_overdue_sweep()


def balance_reminders() -> int:
    from settlement.services.balances import balances_remind

    return balances_remind()


def release_scheduled() -> int:
    from settlement.services.deposits import releases_run_scheduled

    return releases_run_scheduled()


def capture_expiring() -> int:
    from settlement.services.deposits import deposits_capture_expiring

    return deposits_capture_expiring()


def drain(*, rounds: int = 20) -> int:
    """Run the money loop until quiet: send operations, deliver simulator webhooks, process them.

    Used by tests, the demo seed and the simulator page so a payment settles without waiting.
    """
    total = 0
    for _ in range(rounds):
        n = send_operations() + simulator_deliver() + process_webhooks()
        total += n
        if n == 0:
            break
    return total
