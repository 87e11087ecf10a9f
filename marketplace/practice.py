"""The practice lobby (模拟拍): start bidding's practice auctions on demand, outside any case.

A practice auction uses play money and bidding's real rules (the 5-minute extension, the
increment grid, priority ties), and stays out of ledgers, statistics and the real audit
streams: bidding keeps it in a ``practice:<id>`` stream, settlement never sees its deposit,
the marketplace never lists, reminds or counts it.
"""

from __future__ import annotations

from typing import Any

from bidding.models import Auction
from bidding.services import practice_auction_start
from core.errors import PermissionDenied

# scenario → (title, minutes, what it teaches)
PRACTICE_SCENARIOS: dict[str, dict[str, Any]] = {
    "basic": {
        "title": "基础练习：报名、交保证金、出价",
        "minutes": 20,
        "text": "20 分钟的模拟拍：完成报名、交纳模拟保证金、设置出价密码，按加价幅度出价。",
    },
    "extension": {
        "title": "延时规则练习：最后 5 分钟",
        "minutes": 6,
        "text": "6 分钟后结束：在最后 5 分钟内出价，结束时间会顺延到出价时间后 5 分钟（AUC-23），可反复延时。",
    },
}


def practice_start(*, user: Any, scenario: str = "basic") -> Auction:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("not_authenticated", "请先登录")
    spec = PRACTICE_SCENARIOS.get(scenario)
    if spec is None:
        from core.errors import DomainError

        raise DomainError("invalid_scenario", f"练习场景“{scenario}”不存在")
    return practice_auction_start(
        user=user,
        title=f"模拟拍 · {spec['title']}（练习用，不产生真实交易）",
        duration_minutes=spec["minutes"],
    )


def practice_auctions_of(user: Any) -> list[Auction]:
    return list(Auction.objects.filter(is_practice=True, practice_owner=user).order_by("-pk")[:20])
