"""Wiring of collusion detection, called once from ``BiddingConfig.ready``."""

from __future__ import annotations


def ready() -> None:
    from bidding.collusion import settings_specs  # noqa: F401  (registers the thresholds)
    from bidding.collusion.services import collusion_tick, on_auction_closed
    from bidding.events import AuctionClosed
    from core.events import subscribe
    from core.worker import register_task

    subscribe(AuctionClosed, on_auction_closed)
    register_task("bidding.collusion", collusion_tick, every=30.0)
