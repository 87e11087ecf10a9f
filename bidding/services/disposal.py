"""Other disposal routes: AUC-01 (a recorded reason for anything but online auction) and
AUC-44 (the debtor sells the lot itself at a supervised price within a fixed period)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bidding.models import OPEN_STATES, Auction, DisposalRoute
from bidding.services._common import BOUGHT_STATES, S, _require_court_staff
from core import calendar, clock
from core.audit import audit_record
from core.errors import Conflict, DomainError, NotFound
from core.models import Role, User
from core.rulesettings import get_setting
from core.types import Actor

if TYPE_CHECKING:
    from cases.models import Lot


def disposal_route_current(*, lot_id: int) -> DisposalRoute | None:
    """The lot's active other route, if any (a lapsed self-sale no longer blocks an auction)."""
    route = (
        DisposalRoute.objects.filter(lot_id=lot_id, status=DisposalRoute.Status.ACTIVE)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if (
        route is not None
        and route.route == DisposalRoute.Route.SELF_SALE
        and route.period_end_at is not None
        and route.period_end_at <= clock.now()
    ):
        return None
    return route


def _route_supersede(lot_id: int, actor: Actor) -> None:
    for old in DisposalRoute.objects.select_for_update().filter(
        lot_id=lot_id, status=DisposalRoute.Status.ACTIVE
    ):
        old.status = DisposalRoute.Status.SUPERSEDED
        old.save(update_fields=["status"])


def _lot_for_route(lot_id: int, actor: Actor) -> tuple[Lot, User]:
    """The lot, free for another route, and the court staff deciding it (AUC-01)."""
    from cases.models import Lot

    lot = Lot.objects.select_related("case").filter(pk=lot_id).first()
    if lot is None:
        raise NotFound("lot_not_found", _("拍品不存在"))
    staff = _require_court_staff(actor, lot.case.court_id)
    if Auction.objects.filter(lot_id=lot_id, state__in=ROUTE_BLOCKING_STATES).exists():
        raise Conflict(
            "auction_in_progress", _("该拍品有正在进行或已公告的拍卖，须先依法撤回"), rule="AUC-01"
        )
    if Auction.objects.filter(lot_id=lot_id, state__in=BOUGHT_STATES).exists():
        raise Conflict("lot_already_disposed", _("该拍品已拍卖成交或以物抵债"), rule="AUC-01")
    return lot, staff


#: An auction of the lot in these states is announced or under way: another route must wait
#: until it is withdrawn (a suspended or halted auction may still resume, AUC-40/41).
ROUTE_BLOCKING_STATES = (S.SCHEDULED, *OPEN_STATES, S.SUSPENDED, S.HALTED)


@transaction.atomic
def disposal_offline_record(
    *, lot_id: int, ground: str, reason: str, actor: Actor
) -> DisposalRoute:
    """AUC-01: all court sales run online; another route needs a recorded reason."""
    if ground not in (DisposalRoute.Ground.REQUIRED_BY_LAW, DisposalRoute.Ground.UNSUITABLE):
        raise DomainError(
            "offline_ground_invalid",
            _("须说明理由：法律、行政法规规定须由其他途径处置，或不宜网络拍卖"),
            rule="AUC-01",
        )
    if not (reason or "").strip():
        raise DomainError("reason_required", _("不采用网络拍卖须记录具体理由"), rule="AUC-01")
    lot, actor = _lot_for_route(lot_id, actor)
    _route_supersede(lot_id, actor)
    route = DisposalRoute.objects.create(
        lot=lot,
        route=DisposalRoute.Route.OFFLINE,
        ground=ground,
        reason=reason.strip(),
        decided_by=actor,
        decided_at=clock.now(),
    )
    audit_record(
        stream=f"case:{lot.case_id}",
        action="disposal.offline",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={"ground": ground, "reason": route.reason},
        reason=route.reason,
        rules=["AUC-01"],
    )
    return route


@transaction.atomic
def self_sale_authorize(
    *, lot_id: int, supervised_price_fen: int, days: int, reason: str, actor: Actor
) -> DisposalRoute:
    """AUC-44: the court lets the debtor sell the lot itself at a supervised price in a period
    of at most ``debtor_self_sale_max_days``; the proceeds must reach the case account."""
    from core.deadlines import deadline_open

    if (
        isinstance(supervised_price_fen, bool)
        or not isinstance(supervised_price_fen, int)
        or supervised_price_fen <= 0
    ):
        raise DomainError("invalid_amount", _("监督价须为正数"), rule="AUC-44")
    lot, actor = _lot_for_route(lot_id, actor)
    max_days = int(get_setting("debtor_self_sale_max_days", court=lot.case.court_id))
    if not isinstance(days, int) or days < 1 or days > max_days:
        raise DomainError(
            "self_sale_period_invalid",
            _("自行处置期限须为 1 至 %(max_days)s 日") % {"max_days": max_days},
            rule="AUC-44",
        )
    if not (reason or "").strip():
        raise DomainError("reason_required", _("准许自行处置须记录理由"), rule="AUC-01")
    now = clock.now()
    _route_supersede(lot_id, actor)
    period_end_at = calendar.within_days(now, days, court=lot.case.court_id)
    route = DisposalRoute.objects.create(
        lot=lot,
        route=DisposalRoute.Route.SELF_SALE,
        ground=DisposalRoute.Ground.SELF_SALE,
        reason=reason.strip(),
        supervised_price_fen=supervised_price_fen,
        period_end_at=period_end_at,
        decided_by=actor,
        decided_at=now,
    )
    deadline_open(
        rule_id="AUC-44",
        title=gettext_noop("被执行人自行处置期限"),
        subject=f"case:{lot.case_id}/lot:{lot.pk}/self_sale:{route.pk}",
        start_event="self_sale_authorized",
        started_at=now,
        period=days,
        court=lot.case.court_id,
        owner=lot.case.judge,
        owner_role=Role.JUDGE,
        actor=actor,
    )
    audit_record(
        stream=f"case:{lot.case_id}",
        action="disposal.self_sale_authorized",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={
            "supervised_price_fen": supervised_price_fen,
            "days": days,
            "period_end_at": period_end_at.isoformat(),
        },
        reason=route.reason,
        rules=["AUC-44"],
    )
    return route


@transaction.atomic
def self_sale_complete(*, route_id: int, receipt_id: int, actor: Actor) -> DisposalRoute:
    """AUC-44: the debtor's sale is done when its proceeds, at least the supervised price,
    have arrived in this case's account (a settlement receipt matched to the case)."""
    from core.deadlines import deadline_close
    from settlement.models import Receipt

    route = (
        DisposalRoute.objects.select_for_update()
        .select_related("lot__case")
        .filter(pk=route_id)
        .first()
    )
    if route is None or route.route != DisposalRoute.Route.SELF_SALE:
        raise NotFound("self_sale_not_found", _("自行处置记录不存在"))
    case = route.lot.case
    actor = _require_court_staff(actor, case.court_id)
    if route.status != DisposalRoute.Status.ACTIVE:
        raise Conflict("self_sale_not_active", _("该自行处置已结束"), rule="AUC-44")
    receipt = Receipt.objects.filter(pk=receipt_id, case_id=case.pk).first()
    if receipt is None:
        raise DomainError(
            "proceeds_not_in_case_account", _("处置款须进入本案执行款账户"), rule="AUC-44"
        )
    if receipt.received_at < route.decided_at or (
        route.period_end_at is not None and receipt.received_at > route.period_end_at
    ):
        raise DomainError(
            "proceeds_outside_period", _("处置款须在准许自行处置后、处置期限内到账"), rule="AUC-44"
        )
    if DisposalRoute.objects.filter(proceeds_receipt_id=receipt.pk).exists():
        raise Conflict("receipt_already_used", _("该笔到账已作为其他处置的价款登记"), rule="AUC-44")
    if receipt.amount_fen < (route.supervised_price_fen or 0):
        raise DomainError("below_supervised_price", _("处置价款低于法院监督价"), rule="AUC-44")
    route.status = DisposalRoute.Status.COMPLETED
    route.proceeds_fen = receipt.amount_fen
    route.proceeds_receipt_id = receipt.pk
    route.save(update_fields=["status", "proceeds_fen", "proceeds_receipt_id"])
    deadline_close(
        subject=f"case:{case.pk}/lot:{route.lot_id}/self_sale:{route.pk}",
        rule_id="AUC-44",
        actor=actor,
    )
    audit_record(
        stream=f"case:{case.pk}",
        action="disposal.self_sale_completed",
        actor=actor,
        subject=f"case:{case.pk}/lot:{route.lot_id}",
        after={"proceeds_fen": receipt.amount_fen, "receipt": receipt.pk},
        rules=["AUC-44"],
    )
    return route
