"""The practice lobby (模拟拍): start bidding's practice auctions on demand, outside any case.

A practice auction uses play money and bidding's real rules (the increment grid, the 5-minute
extension, AUC-23), and stays out of ledgers, statistics and the real audit streams: bidding
keeps it in a ``practice:<id>`` stream, settlement never sees its deposit, the marketplace
never lists, reminds or counts it.

A sparring partner (陪练竞买人, a system account) can join a practice auction: it registers
through bidding's own services, opens with the starting price and answers each higher bid
with one increment, up to a cap, so a new bidder feels being outbid and sees the end move
when bids come in the last five minutes. Its bids go through ``bid_place`` like anyone's.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bidding.models import OPEN_STATES, Auction, Registration
from bidding.services import (
    bid_place,
    practice_auction_start,
    registration_create,
    registration_pay_deposit,
    registration_set_password,
)
from core import clock
from core.errors import DomainError, PermissionDenied
from core.models import Role, User

log = logging.getLogger("gavel.marketplace")
SPARRING_USERNAME = "practice-sparring"
SPARRING_MAX_RAISES = 8  # the partner stops after starting price + 8 increments


class PracticeScenario(TypedDict):
    title: str
    minutes: int
    sparring: bool  # a sparring partner joins and answers each higher bid
    text: str


PRACTICE_SCENARIOS: dict[str, PracticeScenario] = {
    "basic": {
        "title": gettext_noop("基础练习：报名、交保证金、出价"),
        "minutes": 20,
        "sparring": False,
        "text": gettext_noop(
            "20 分钟的模拟拍：完成报名、交纳模拟保证金、设置出价密码，按加价幅度出价。"
        ),
    },
    "extension": {
        "title": gettext_noop("延时规则练习：与陪练竞价"),
        "minutes": 7,
        "sparring": True,
        "text": gettext_noop(
            "7 分钟后结束，陪练竞买人已按起拍价出价，您每加价一次它就跟一次（最多 8 次）。"
            "最后 5 分钟内的每次出价都会把结束时间顺延到出价后 5 分钟（AUC-23），不设上限。"
        ),
    },
}


def sparring_user() -> User:
    user, created = User.objects.get_or_create(
        username=SPARRING_USERNAME,
        defaults={"role": Role.BIDDER, "display_name": "陪练竞买人（系统）", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _sparring_password(auction_id: int) -> str:
    """A per-auction password derived from the secret key: never stored, never shown."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"sparring:{auction_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def _sparring_join(auction: Auction) -> Registration:
    partner = sparring_user()
    reg = registration_create(auction_id=auction.pk, user=partner, accept_terms=True)
    registration_pay_deposit(registration_id=reg.pk, user=partner)  # play money: confirmed at once
    registration_set_password(
        registration_id=reg.pk, user=partner, password=_sparring_password(auction.pk)
    )
    reg.refresh_from_db()
    return reg


def practice_start(*, user: User, scenario: str = "basic") -> Auction:
    if not user.is_authenticated:
        raise PermissionDenied("not_authenticated", _("请先登录"))
    spec = PRACTICE_SCENARIOS.get(scenario)
    if spec is None:
        raise DomainError(
            "invalid_scenario", _("练习场景“%(scenario)s”不存在") % {"scenario": scenario}
        )
    with transaction.atomic():
        auction = practice_auction_start(
            user=user,
            title=_("模拟拍 · %(title)s（练习用，不产生真实交易）") % {"title": _(spec["title"])},
            duration_minutes=spec["minutes"],
        )
        if spec["sparring"]:
            _sparring_join(auction)
    if spec["sparring"]:
        sparring_answer(auction.pk)  # the opening bid: the learner starts behind
    return auction


def sparring_answer(auction_id: int) -> bool:
    """Let the partner answer once on one practice auction; True when it bid."""
    partner = User.objects.filter(username=SPARRING_USERNAME).first()
    if partner is None:
        return False
    a = Auction.objects.filter(pk=auction_id, is_practice=True, state__in=list(OPEN_STATES)).first()
    reg = Registration.objects.filter(auction_id=auction_id, user=partner).first()
    if a is None or reg is None or a.leader_id == reg.pk or (a.end_at and a.end_at <= clock.now()):
        return False
    amount = (
        a.starting_price_fen
        if a.current_price_fen is None
        else a.current_price_fen + a.increment_fen
    )
    if amount > a.starting_price_fen + SPARRING_MAX_RAISES * a.increment_fen:
        return False
    try:
        bid_place(
            auction_id=a.pk,
            user=partner,
            amount_fen=amount,
            password=_sparring_password(a.pk),
            client_id="practice-sparring",
        )
    except DomainError as exc:  # another worker answered first, or the auction just closed
        log.info("sparring partner did not bid on %s: %s", a.pk, exc.code)
        return False
    return True


def practice_sparring_tick(*, limit: int = 50) -> int:
    """The periodic task: the partner answers on every open practice auction it joined."""
    ids = list(
        Auction.objects.filter(
            is_practice=True,
            state__in=list(OPEN_STATES),
            registrations__user__username=SPARRING_USERNAME,
        ).values_list("pk", flat=True)[:limit]
    )
    return sum(1 for auction_id in ids if sparring_answer(auction_id))


def practice_auctions_of(user: User) -> list[dict[str, Any]]:
    from marketplace.listings import auction_url

    return [
        {"auction": a, "url": auction_url(a.pk)}
        for a in Auction.objects.filter(is_practice=True, practice_owner=user).order_by("-pk")[:20]
    ]
