"""Practice auctions (模拟拍): same bidding rules, no case, no real money, no publication checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from bidding.events import AuctionPublished
from bidding.models import Auction, AuctionState
from bidding.services._common import Caller, _refuse, _snapshot_for, _stream_append
from core import clock
from core.errors import PermissionDenied
from core.events import publish_on_commit
from core.models import User

PRACTICE_DEFAULTS = {"starting_price_fen": 100_000, "increment_fen": 10_000, "deposit_fen": 10_000}


#: The largest practice price (fen): 1 trillion yuan, far inside ``bigint`` with every increment.
PRACTICE_MAX_FEN = 10**14


def _practice_limit(user: User) -> None:
    """At most ``GAVEL_PRACTICE_MAX_ACTIVE`` practice auctions not yet ended per person (the
    person's row is locked, so two starts at once cannot both pass)."""
    limit = settings.GAVEL_PRACTICE_MAX_ACTIVE
    User.objects.select_for_update().filter(pk=user.pk).first()
    active = Auction.objects.filter(
        is_practice=True,
        practice_owner=user,
        state__in=[AuctionState.SCHEDULED, AuctionState.BIDDING, AuctionState.EXTENDED],
    ).count()
    if active >= limit:
        raise _refuse(
            "practice_limit",
            gettext("进行中的模拟拍最多 %(n)s 场，请等其结束后再开始新的一场") % {"n": limit},
        )


@transaction.atomic
def practice_auction_start(
    *,
    user: Caller,
    title: str = "",
    starting_price_fen: int | None = None,
    increment_fen: int | None = None,
    deposit_fen: int | None = None,
    duration_minutes: int = 15,
    starts_in_minutes: int = 0,
    settings_override: dict[str, Any] | None = None,
) -> Auction:
    """Start a practice auction for ``user``'s lobby: short, play money, out of every statistic.

    The flag relaxes publication only, never a bidding rule: bids still go through ``bid_place``.
    """
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("not_authenticated", _("请先登录"))
    if not (1 <= int(duration_minutes) <= 24 * 60) or not (0 <= int(starts_in_minutes) <= 24 * 60):
        raise _refuse("invalid_period", _("模拟拍时长须在 1 分钟至 24 小时之间"))
    # None is "the default"; a 0 (or less) is refused like any price: an increment > 0.
    start = (
        PRACTICE_DEFAULTS["starting_price_fen"]
        if starting_price_fen is None
        else starting_price_fen
    )
    inc = PRACTICE_DEFAULTS["increment_fen"] if increment_fen is None else increment_fen
    dep = deposit_fen if deposit_fen is not None else PRACTICE_DEFAULTS["deposit_fen"]
    for v in (start, inc, dep):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > PRACTICE_MAX_FEN:
            raise _refuse("invalid_amount", _("金额须为正整数（分），且不超过一万亿元"))
    if start == 0 or inc == 0:
        raise _refuse("invalid_amount", _("起拍价和加价幅度须大于零"))
    _practice_limit(user)
    now = clock.now()
    start_at = now + dt.timedelta(minutes=int(starts_in_minutes))
    auction = Auction(
        title=title or "模拟拍（练习用，不产生真实交易）",
        round=Auction.Round.FIRST,
        is_practice=True,
        practice_owner=user,
        starting_price_fen=start,
        increment_fen=inc,
        deposit_fen=dep,
        balance_period_days=1,
        start_at=start_at,
        end_at=start_at + dt.timedelta(minutes=int(duration_minutes)),
        created_at=now,
        created_by=user,
        setting_overrides=dict(settings_override or {}),
        bidding_rules="模拟拍使用与正式拍卖相同的竞价规则：每次加价为加价幅度的整数倍，最后五分钟内出价延时五分钟。",
    )
    auction.scheduled_end_at = auction.end_at
    auction.settings_snapshot = _snapshot_for(auction)
    auction.save()
    auction.publish()
    if starts_in_minutes == 0:
        auction.open()
    auction.published_at = now
    _stream_append(
        auction,
        action="practice.started",
        actor=user,
        subject=auction.ref,
        after={"start_at": auction.start_at, "end_at": auction.end_at, "state": auction.state},
    )
    auction.save()
    publish_on_commit(AuctionPublished(auction_id=auction.pk))
    return auction
