"""Wiring of collusion detection, called once from ``BiddingConfig.ready``."""

from __future__ import annotations


def ready() -> None:
    from django.utils.translation import gettext_lazy as _

    from bidding.collusion import settings_specs  # noqa: F401  (registers the thresholds)
    from bidding.collusion.services import collusion_tick, on_auction_closed
    from bidding.events import AuctionClosed
    from core import nav
    from core.events import subscribe
    from core.models import Role
    from core.worker import register_task

    nav.register(
        _("串通风险预警"),
        "bidding:collusion_flags",
        roles={Role.JUDGE, Role.OFFICER, Role.BUREAU_HEAD},
        order=31,
        description=_("疑似恶意串通、围标、抬价的自动预警与证据，法院审查决定（AUC-43）"),
    )

    subscribe(AuctionClosed, on_auction_closed)
    register_task("bidding.collusion", collusion_tick, every=30.0)
