"""The per-auction risk score (0–100): the sum of the weights of the signals seen, capped.

Links alone (a shared network, a shared device) rarely reach the threshold; a link together
with the behaviour it explains (a related placeholder, a related bidder stopping, a party's
bidder raising the price) does. See docs/collusion.md for the reasoning and the bench.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bidding.collusion.facts import AuctionFacts
from bidding.collusion.signals import Evidence, Thresholds, run_signals

MAX_SCORE = 100


def score_of(evidence: list[Evidence]) -> int:
    seen: dict[str, int] = {}
    for e in evidence:
        seen[e.signal] = max(seen.get(e.signal, 0), e.weight)
    return min(MAX_SCORE, sum(seen.values()))


def assess(
    facts: AuctionFacts, th: Thresholds, *, live: bool = False
) -> tuple[int, list[Evidence]]:
    evidence = run_signals(facts, th, live=live)
    return score_of(evidence), evidence


def thresholds_for(court: Any = None, snapshot: dict[str, Any] | None = None) -> Thresholds:
    """The court's thresholds (rule settings, ``settings_specs.py``)."""
    from core.rulesettings import get_setting

    def g(key: str) -> Any:
        return get_setting(key, court=court)

    return Thresholds(
        flag_score=int(g("collusion_flag_score")),
        silent_registrants_min=int(g("collusion_silent_registrants_min")),
        co_appearance_min=int(g("collusion_co_appearance_min")),
        burst_count_min=int(g("collusion_burst_count_min")),
        burst_window_minutes=int(g("collusion_burst_window_minutes")),
        shill_share_min=Decimal(str(g("collusion_shill_share_min"))),
    )
