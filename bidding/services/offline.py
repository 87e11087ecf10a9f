"""AUC-39: the offline channel (线下拍卖/变卖) under a recorded offline route (AUC-01) follows
the rules for auctions and sales by the court (ASR 10, 13, 23–26, 32), never the online
rounds' (it never mixes into them: an active offline route blocks online publication).

- deposit at least 5% of the appraisal (ASR 10), rounded up to the fen;
- deposits of those who did not buy refunded within 3 days of the auction (ASR 13);
- after an unsold auction, the next one within 60 days (ASR 23), its start price at least 80%
  of the previous one (ASR 26: each cut at most 20%);
- a third auction only for immovables and other property rights (ASR 25–26); movables stop
  after the second;
- a sale (变卖) at no less than ``offline_sale_floor_ratio`` (½) of the appraisal (ASR 32);
- holders of a priority right of the same rank offering the same price: the buyer is drawn by
  lot (ASR 14), with the project's lot-draw algorithm (``appraisers.draw_algorithm``) on the
  list and the public value drawn in the hall, so anyone can re-run it;
- AUC-40 (ASR 18, the entrusted auction): a pending round may be suspended (暂缓) or halted
  (中止) with its reason; once the ground ends the court resumes it within
  ``resume_days_entrusted`` (15) days, a tracked deadline, and sets the new time of the hall.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bidding.models import DisposalRoute, OfflineRound
from bidding.services._common import _require_court_staff
from core import calendar, clock
from core.audit import audit_record
from core.deadlines import deadline_close, deadline_open, deadline_title
from core.errors import Conflict, DomainError, NotFound
from core.rulesettings import get_setting
from core.types import Actor

M = OfflineRound.Method
O = OfflineRound.Outcome  # noqa: E741
#: ASR 10 / 13 / 23 / 26: constants of the statute (RULES.md §8 keeps them out of settings).
DEPOSIT_MIN_RATIO = Decimal("0.05")
REFUND_DAYS = 3
REAUCTION_DAYS = 60
MAX_CUT = Decimal("0.20")
MAX_ROUNDS_MOVABLE = 2
MAX_ROUNDS_IMMOVABLE = 3


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def deposit_minimum(appraisal_fen: int) -> int:
    """ASR 10: the deposit is at least 5% of the appraisal, in whole fen (rounded up)."""
    return _ceil(Decimal(appraisal_fen) * DEPOSIT_MIN_RATIO)


def sale_floor(appraisal_fen: int, *, court: int | None) -> int:
    """ASR 32: a sale (变卖) at no less than half of the appraisal (a setting, never lower)."""
    ratio = Decimal(str(get_setting("offline_sale_floor_ratio", court=court)))
    return _ceil(Decimal(appraisal_fen) * ratio)


def _positive(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DomainError(
            "invalid_amount", _("%(label)s须为正数（分）") % {"label": label}, rule="AUC-39"
        )
    return value


def _route(lot_id: int) -> DisposalRoute:
    route = (
        DisposalRoute.objects.select_for_update()
        .select_related("lot__case")
        .filter(
            lot_id=lot_id, route=DisposalRoute.Route.OFFLINE, status=DisposalRoute.Status.ACTIVE
        )
        .first()
    )
    if route is None:
        raise Conflict(
            "no_offline_route",
            _("该拍品没有有效的线下处置决定（须先记录不采用网络拍卖的理由）"),
            rule="AUC-01",
        )
    return route


def _immovable(route: DisposalRoute) -> bool:
    return any(a.is_immovable for a in route.lot.assets.all())


def _appraisal_cut_off(route: DisposalRoute, at: dt.datetime, actor: Actor) -> None:
    """APR-14: an offline auction or a direct sale of the lot ends the time in which a late
    objection alleging fraud still goes to enforcement supervision (appraisers' record)."""
    try:
        from appraisers.services import appraisal_record_announcement
    except ImportError:
        return
    for asset in route.lot.assets.all():
        appraisal_record_announcement(
            published_at=min(at, clock.now()), asset_id=asset.pk, actor=actor
        )


def _stream(route: DisposalRoute) -> str:
    return f"case:{route.lot.case_id}"


@transaction.atomic
def offline_round_record(
    *,
    lot_id: int,
    method: str,
    appraisal_fen: int,
    start_price_fen: int,
    held_at: dt.datetime,
    actor: Actor,
    deposit_fen: int = 0,
) -> OfflineRound:
    """Record an offline auction or sale to be held (AUC-39), checked against its rules."""
    if method not in M.values:
        raise DomainError("invalid_offline_method", _("方式只能是线下拍卖或变卖"), rule="AUC-39")
    route = _route(lot_id)
    court_id = route.lot.case.court_id
    person = _require_court_staff(actor, court_id)
    appraisal = _positive(appraisal_fen, _("评估价"))
    start = _positive(start_price_fen, _("起拍价/变卖价"))
    previous = list(route.offline_rounds.select_for_update().order_by("held_at", "pk"))
    if any(r.outcome == O.PENDING for r in previous):
        raise Conflict("offline_round_pending", _("上一次拍卖/变卖尚未登记结果"), rule="AUC-39")
    if any(r.outcome == O.SOLD for r in previous):
        raise Conflict("offline_sold", _("该拍品已线下成交"), rule="AUC-39")
    number = 0
    if method == M.AUCTION:
        auctions = [r for r in previous if r.method == M.AUCTION]
        number = len(auctions) + 1
        limit = MAX_ROUNDS_IMMOVABLE if _immovable(route) else MAX_ROUNDS_MOVABLE
        if number > limit:
            raise DomainError(
                "offline_round_limit",
                _("动产拍卖以两次为限，第三次拍卖仅适用于不动产和其他财产权")
                if limit == MAX_ROUNDS_MOVABLE
                else _("不动产拍卖以三次为限"),
                rule="AUC-39",
            )
        minimum = deposit_minimum(appraisal)
        if (
            isinstance(deposit_fen, bool)
            or not isinstance(deposit_fen, int)
            or deposit_fen < minimum
        ):
            raise DomainError(
                "offline_deposit_too_low",
                _("保证金不得低于评估价的5%%（%(minimum).2f 元）") % {"minimum": minimum / 100},
                rule="AUC-39",
            )
        if auctions:
            last = auctions[-1]
            if last.next_round_due_at is not None and held_at > last.next_round_due_at:
                raise DomainError(
                    "offline_reauction_late",
                    _("流拍后应在六十日内再行拍卖（至 %(date)s）")
                    % {"date": format(last.next_round_due_at.astimezone(calendar.CST), "%Y-%m-%d")},
                    rule="AUC-39",
                )
            least = _ceil(Decimal(last.start_price_fen) * (1 - MAX_CUT))
            if start < least:
                raise DomainError(
                    "offline_cut_too_deep",
                    _("再次拍卖每次降低不得超过前次起拍价的20%%（不低于 %(least).2f 元）")
                    % {"least": least / 100},
                    rule="AUC-39",
                )
    else:
        floor = sale_floor(appraisal, court=court_id)
        if start < floor:
            raise DomainError(
                "offline_sale_below_half",
                _("变卖价不得低于评估价的二分之一（%(floor).2f 元）") % {"floor": floor / 100},
                rule="AUC-39",
            )
    r = OfflineRound.objects.create(
        route=route,
        lot_id=lot_id,
        method=method,
        round=number,
        appraisal_fen=appraisal,
        start_price_fen=start,
        deposit_fen=deposit_fen if method == M.AUCTION else 0,
        held_at=held_at,
        recorded_by=person,
        recorded_at=clock.now(),
    )
    _appraisal_cut_off(route, held_at, person)  # APR-14: announced or sold directly
    for p in previous:  # the 60-day duty is met by this round
        deadline_close(subject=p.ref, rule_id="AUC-39", actor=person, reason="已再次拍卖/变卖")
    audit_record(
        stream=_stream(route),
        action="offline.round_recorded",
        actor=person,
        subject=r.ref,
        after={
            "method": method,
            "round": number,
            "appraisal_fen": appraisal,
            "start_price_fen": start,
            "deposit_fen": r.deposit_fen,
            "held_at": held_at.isoformat(),
        },
        rules=["AUC-39"],
    )
    return r


def _tie_draw(r: OfflineRound, tied: list[str], public_value: str) -> dict[str, object]:
    """ASR 14: holders of the same priority rank at the same price → the buyer by lot."""
    from appraisers import draw_algorithm as alg

    names = [n.strip() for n in tied if n and n.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise DomainError(
            "tie_list_invalid", _("抽签须列明两名以上不同的同顺位竞买人"), rule="AUC-39"
        )
    if not (public_value or "").strip():
        raise DomainError(
            "tie_public_value_required", _("须记录现场公开抽取的随机数"), rule="AUC-39"
        )
    entries = [{"id": i, "name": n} for i, n in enumerate(names, start=1)]
    list_hash = alg.sha256_hex(alg.canonical_json(entries))
    seed = alg.seed_of(
        draw_id=r.pk, list_hash_hex=list_hash, reveals=[], public_value=public_value.strip()
    )
    order = alg.ordering(seed, range(1, len(names) + 1))
    return {
        "algorithm": alg.ALGORITHM_VERSION,
        "list": entries,
        "list_hash": list_hash,
        "public_value": public_value.strip(),
        "seed": seed,
        "order": order,
        "winner": names[order[0] - 1],
    }


@transaction.atomic
def offline_round_result(
    *,
    round_id: int,
    outcome: str,
    actor: Actor,
    price_fen: int | None = None,
    buyer_name: str = "",
    tied_same_rank: list[str] | None = None,
    public_value: str = "",
) -> OfflineRound:
    """Record how an offline round ended; opens the 3-day refund and the 60-day re-auction."""
    r = (
        OfflineRound.objects.select_for_update()
        .select_related("route__lot__case")
        .filter(pk=round_id)
        .first()
    )
    if r is None:
        raise NotFound("offline_round_not_found", _("未找到该次线下拍卖/变卖"))
    court_id = r.route.lot.case.court_id
    person = _require_court_staff(actor, court_id)
    if r.outcome != O.PENDING:
        raise Conflict("offline_result_recorded", _("该次拍卖/变卖已登记结果"), rule="AUC-39")
    if r.suspended_at is not None:
        raise Conflict(
            "offline_round_suspended", _("该次拍卖/变卖已暂缓或中止，须先恢复"), rule="AUC-40"
        )
    if outcome not in (O.SOLD, O.UNSOLD):
        raise DomainError("invalid_outcome", _("结果只能是成交或流拍"), rule="AUC-39")
    now = clock.now()
    if r.held_at > now:
        raise DomainError("offline_not_held", _("拍卖/变卖尚未举行"), rule="AUC-39")
    if outcome == O.SOLD:
        price = _positive(price_fen, _("成交价"))
        if price < r.start_price_fen:
            raise DomainError(
                "offline_price_too_low", _("成交价不得低于起拍价/变卖价"), rule="AUC-39"
            )
        if r.method == M.SALE and price < sale_floor(r.appraisal_fen, court=court_id):
            raise DomainError(
                "offline_sale_below_half", _("变卖价不得低于评估价的二分之一"), rule="AUC-39"
            )
        if tied_same_rank:
            draw = _tie_draw(r, tied_same_rank, public_value)
            r.tie_draw = draw
            buyer_name = str(draw["winner"])
        if not (buyer_name or "").strip():
            raise DomainError("buyer_required", _("须写明买受人"), rule="AUC-39")
        r.price_fen, r.buyer_name = price, buyer_name.strip()
    r.outcome, r.result_at = outcome, now
    if r.method == M.AUCTION and r.deposit_fen:
        r.deposit_refund_due_at = calendar.within_days(r.held_at, REFUND_DAYS, court=court_id)
        deadline_open(
            rule_id="AUC-39",
            title=gettext_noop("退还未成交竞买人的保证金（线下拍卖）"),
            subject=f"{r.ref}/refund",
            start_event="offline.auction_held",
            started_at=r.held_at,
            period=REFUND_DAYS,
            court=court_id,
            owner=person,
            actor=person,
        )
    if outcome == O.UNSOLD and r.method == M.AUCTION:
        limit = MAX_ROUNDS_IMMOVABLE if _immovable(r.route) else MAX_ROUNDS_MOVABLE
        if r.round < limit:
            r.next_round_due_at = calendar.within_days(r.held_at, REAUCTION_DAYS, court=court_id)
            deadline_open(
                rule_id="AUC-39",
                title=gettext_noop("流拍后六十日内再行拍卖（线下）"),
                subject=r.ref,
                start_event="offline.auction_unsold",
                started_at=r.held_at,
                period=REAUCTION_DAYS,
                court=court_id,
                owner=person,
                actor=person,
            )
    r.save()
    if outcome == O.SOLD:
        route = r.route
        route.status = DisposalRoute.Status.COMPLETED
        route.proceeds_fen = r.price_fen
        route.save(update_fields=["status", "proceeds_fen"])
    audit_record(
        stream=_stream(r.route),
        action="offline.round_result",
        actor=person,
        subject=r.ref,
        before={"outcome": O.PENDING},
        after={
            "outcome": outcome,
            "price_fen": r.price_fen,
            "buyer": r.buyer_name,
            "tie_draw": r.tie_draw,
            "deposit_refund_due_at": r.deposit_refund_due_at,
            "next_round_due_at": r.next_round_due_at,
        },
        rules=["AUC-39"],
    )
    return r


def _pending_round(round_id: int, actor: Actor) -> tuple[OfflineRound, Actor]:
    r = (
        OfflineRound.objects.select_for_update()
        .select_related("route__lot__case")
        .filter(pk=round_id)
        .first()
    )
    if r is None:
        raise NotFound("offline_round_not_found", _("未找到该次线下拍卖/变卖"))
    person = _require_court_staff(actor, r.route.lot.case.court_id)
    if r.outcome != O.PENDING:
        raise Conflict("offline_result_recorded", _("该次拍卖/变卖已登记结果"), rule="AUC-39")
    return r, person


@transaction.atomic
def offline_round_suspend(*, round_id: int, reason: str, actor: Actor) -> OfflineRound:
    """AUC-40: suspend (暂缓) or halt (中止) a pending offline round, with its reason."""
    r, person = _pending_round(round_id, actor)
    if r.suspended_at is not None:
        raise Conflict("offline_round_suspended", _("该次拍卖/变卖已暂缓或中止"), rule="AUC-40")
    if not (reason or "").strip():
        raise DomainError("reason_required", _("须写明暂缓或中止的理由"), rule="AUC-40")
    r.suspended_at, r.suspend_reason = clock.now(), reason.strip()
    r.ground_ended_at = r.resume_due_at = None
    r.save(update_fields=["suspended_at", "suspend_reason", "ground_ended_at", "resume_due_at"])
    audit_record(
        stream=_stream(r.route),
        action="offline.round_suspended",
        actor=person,
        subject=r.ref,
        after={"suspended_at": r.suspended_at.isoformat()},
        reason=r.suspend_reason,
        rules=["AUC-40"],
    )
    return r


@transaction.atomic
def offline_round_ground_ended(
    *, round_id: int, actor: Actor, ended_at: dt.datetime | None = None
) -> OfflineRound:
    """AUC-40 / ASR 18: the ground of the suspension ended → the court resumes the entrusted
    auction within ``resume_days_entrusted`` (15) days of that day (a tracked deadline)."""
    r, person = _pending_round(round_id, actor)
    if r.suspended_at is None:
        raise Conflict("offline_round_not_suspended", _("该次拍卖/变卖未暂缓或中止"), rule="AUC-40")
    now = clock.now()
    ended = ended_at or now
    if ended > now or ended < r.suspended_at:
        raise DomainError(
            "ground_ended_at_invalid", _("事由消除时间须在暂缓之后、不晚于现在"), rule="AUC-40"
        )
    court_id = r.route.lot.case.court_id
    days = int(get_setting("resume_days_entrusted", court=court_id))
    deadline = deadline_open(
        rule_id="AUC-40",
        title=deadline_title(
            gettext_noop("暂缓/中止事由消除后%(days)s日内恢复拍卖（委托拍卖）"), days=days
        ),
        subject=f"{r.ref}/resume",
        start_event="offline.ground_ended",
        started_at=ended,
        period=days,
        court=court_id,
        owner=person,
        actor=person,
    )
    r.ground_ended_at, r.resume_due_at = ended, deadline.due_at
    r.save(update_fields=["ground_ended_at", "resume_due_at"])
    audit_record(
        stream=_stream(r.route),
        action="offline.round_ground_ended",
        actor=person,
        subject=r.ref,
        after={"ground_ended_at": ended.isoformat(), "resume_due_at": deadline.due_at.isoformat()},
        rules=["AUC-40"],
    )
    return r


@transaction.atomic
def offline_round_resume(
    *, round_id: int, held_at: dt.datetime, actor: Actor, reason: str = ""
) -> OfflineRound:
    """AUC-40: resume a suspended offline round at a new time of the hall (meets the deadline)."""
    r, person = _pending_round(round_id, actor)
    if r.suspended_at is None:
        raise Conflict("offline_round_not_suspended", _("该次拍卖/变卖未暂缓或中止"), rule="AUC-40")
    if held_at < clock.now():
        raise DomainError("held_at_in_past", _("恢复后的举行时间不能早于现在"), rule="AUC-40")
    before = {"held_at": r.held_at.isoformat(), "suspended_at": r.suspended_at.isoformat()}
    late = r.resume_due_at is not None and clock.now() > r.resume_due_at
    r.held_at, r.suspended_at, r.suspend_reason = held_at, None, ""
    r.ground_ended_at = r.resume_due_at = None
    r.save(
        update_fields=[
            "held_at",
            "suspended_at",
            "suspend_reason",
            "ground_ended_at",
            "resume_due_at",
        ]
    )
    deadline_close(subject=f"{r.ref}/resume", rule_id="AUC-40", actor=person, reason="已恢复拍卖")
    audit_record(
        stream=_stream(r.route),
        action="offline.round_resumed",
        actor=person,
        subject=r.ref,
        before=before,
        after={"held_at": held_at.isoformat(), "late": late},
        reason=(reason or "").strip(),
        rules=["AUC-40"],
    )
    return r
