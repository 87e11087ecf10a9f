"""After the sale: balance, sale ruling, handover (AUC-31, AUC-32); default (AUC-33/34, AUC-15)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_fsm import can_proceed

from bidding import locks
from bidding.models import Auction, AuctionResult, DefaulterBar, Registration
from bidding.services._common import (
    BOUGHT_STATES,
    _auction_link,
    _case_audit,
    _case_judge,
    _cst_date,
    _lot_purchase_restricted,
    _notice_subject,
    _notify_many,
    _parties_users,
    _refuse,
    _require_staff,
    _save_stream_head,
    _state_changed,
    _stream_append,
    setting,
)
from bidding.services.drafts import _draft_following
from core import calendar, clock
from core.errors import Conflict
from core.notifications import text
from core.types import Actor


def _balance_settled(
    auction: Auction, result: AuctionResult, now: dt.datetime, *, title: str, start_event: str
) -> None:
    """The price is paid in full: the ruling (sale or in lieu) is due within the court's
    ``sale_ruling_days`` (AUC-32), a deadline owned by the case judge."""
    from core.deadlines import deadline_open

    days = int(setting(auction, "sale_ruling_days"))
    result.balance_paid_at = now
    result.ruling_due_at = calendar.within_days(now, days, court=auction.court_id)
    result.handover_state = AuctionResult.Handover.AWAITING_RULING
    result.save()
    deadline_open(
        rule_id="AUC-32",
        title=title,
        subject=f"{_notice_subject(auction)}/ruling",
        start_event=start_event,
        started_at=now,
        period=days,
        court=auction.court_id,
        owner=_case_judge(auction),
        owner_role="judge",
    )


@transaction.atomic
def auction_balance_paid(*, auction_id: int, amount_fen: int | None = None) -> AuctionResult:
    """Full payment arrived (``BalancePaid``): the sale ruling is due within 10 days (AUC-32)."""
    auction = locks.auction_for_update(auction_id)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.balance_paid_at is not None or auction.state not in BOUGHT_STATES:
        return result
    now = clock.now()
    _balance_settled(
        auction,
        result,
        now,
        title=gettext_noop("付清价款后十日内送达拍卖成交裁定"),
        start_event=gettext_noop("买受人付清全部价款"),
    )
    _stream_append(
        auction,
        action="sale.balance_paid",
        subject=auction.sale_ref,
        at=now,
        after={"amount_fen": amount_fen, "ruling_due_at": result.ruling_due_at},
        rules=["AUC-31", "AUC-32"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.balance_paid",
        rules=["AUC-32"],
        after={"ruling_due_at": result.ruling_due_at},
    )
    return result


@transaction.atomic
def auction_ruling_served(
    *,
    auction_id: int,
    actor: Actor,
    document: str,
    served_at: dt.datetime | None = None,
    eligibility_proof: str = "",
) -> AuctionResult:
    """The sale ruling (拍卖成交裁定) was served: ownership passes; handover within 15 days (AUC-32)."""
    from core.deadlines import deadline_close, deadline_open

    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if auction.state not in BOUGHT_STATES or result.balance_paid_at is None:
        raise _refuse("balance_not_paid", _("买受人付清全部价款后方可送达成交裁定"), "AUC-32")
    if result.ruling_served_at is not None:
        raise Conflict("ruling_already_served", _("成交裁定已送达"))
    if not document.strip():
        raise _refuse("document_required", _("须填写成交裁定文号"), "AUC-32")
    if auction.lot_id and _lot_purchase_restricted(auction) and not eligibility_proof.strip():
        raise _refuse(
            "eligibility_proof_required",
            _("限购房产须有买受人购房资格证明方可作出成交裁定"),
            "AUC-13",
        )
    now = clock.now()
    served = served_at or now
    days = int(setting(auction, "handover_days"))
    result.ruling_served_at = served
    result.ruling_document = document.strip()
    result.eligibility_proof = eligibility_proof.strip()
    result.handover_due_at = calendar.within_days(served, days, court=auction.court_id)
    result.handover_state = AuctionResult.Handover.VACATING
    result.save()
    deadline_close(
        subject=f"case:{auction.case_id}/auction:{auction.pk}/ruling", rule_id="AUC-32", actor=actor
    )
    deadline_open(
        rule_id="AUC-32",
        title=gettext_noop("成交裁定送达后十五日内移交标的物"),
        subject=f"case:{auction.case_id}/auction:{auction.pk}/handover",
        start_event=gettext_noop("成交裁定送达"),
        started_at=served,
        period=days,
        court=auction.court_id,
        owner=actor,
    )
    _stream_append(
        auction,
        action="sale.ruling_served",
        actor=actor,
        subject=auction.sale_ref,
        at=now,
        after={
            "document": result.ruling_document,
            "served_at": served,
            "handover_due_at": result.handover_due_at,
        },
        rules=["AUC-32"] + (["AUC-13"] if eligibility_proof else []),
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.ruling_served",
        actor=actor,
        rules=["AUC-32"],
        after={"document": result.ruling_document, "handover_due_at": result.handover_due_at},
    )
    if result.winner is not None:
        _notify_many(
            [result.winner.user],
            topic="auction.ruling",
            subject=gettext_lazy("【成交裁定已送达】"),
            body=text(
                gettext_lazy(
                    "%(title)s 的拍卖成交裁定（%(document)s）已送达，标的物所有权自送达时起转移。"
                    "法院将于 %(due)s 前移交标的物。"
                ),
                title=auction.title,
                document=result.ruling_document,
                due=_cst_date(result.handover_due_at),
            ),
            key=f"auction:{auction.pk}:ruling",
            link=_auction_link(auction),
            court=auction.court_id,
        )
    return result


@transaction.atomic
def auction_handover_update(
    *,
    auction_id: int,
    actor: Actor,
    state: str,
    note: str = "",
    vehicle_violations_cleared: bool | None = None,
) -> AuctionResult:
    """Track the handover (AUC-32; RO 2019 item 30): vacating, eviction, keys, vehicle violations."""
    from core.deadlines import deadline_close

    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.ruling_served_at is None:
        raise _refuse("ruling_not_served", _("成交裁定送达后方可办理移交"), "AUC-32")
    if state not in AuctionResult.Handover.values or state in ("not_started", "awaiting_ruling"):
        raise _refuse("invalid_handover_state", _("移交状态无效"))
    if result.handover_state in (
        AuctionResult.Handover.COMPLETED,
        AuctionResult.Handover.IMPOSSIBLE,
    ):
        raise Conflict("handover_finished", _("移交已结束"))
    now = clock.now()
    before = {
        "state": result.handover_state,
        "vehicle_violations_cleared": result.vehicle_violations_cleared,
    }
    if vehicle_violations_cleared is not None:
        result.vehicle_violations_cleared = vehicle_violations_cleared
    has_vehicle = auction.lot is not None and auction.lot.assets.filter(kind="vehicle").exists()
    if (
        state == AuctionResult.Handover.COMPLETED
        and has_vehicle
        and not result.vehicle_violations_cleared
    ):
        raise _refuse("vehicle_violations_open", _("车辆违章处理完毕后方可完成移交"), "AUC-32")
    if state == AuctionResult.Handover.IMPOSSIBLE and not note.strip():
        raise _refuse("reason_required", _("依法不能移交的，须说明理由"), "AUC-32")
    if state == AuctionResult.Handover.KEYS_HANDED:
        result.keys_handed_at = now
    result.handover_state = state
    if note:
        result.handover_note = (
            result.handover_note + "\n" if result.handover_note else ""
        ) + note.strip()
    if state in (AuctionResult.Handover.COMPLETED, AuctionResult.Handover.IMPOSSIBLE):
        result.handover_completed_at = now
        deadline_close(
            subject=f"case:{auction.case_id}/auction:{auction.pk}/handover",
            rule_id="AUC-32",
            actor=actor,
            reason=note,
        )
    result.save()
    after = {"state": state, "vehicle_violations_cleared": result.vehicle_violations_cleared}
    _stream_append(
        auction,
        action="sale.handover",
        actor=actor,
        subject=auction.sale_ref,
        at=now,
        before=before,
        after=after,
        reason=note,
        rules=["AUC-32"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="sale.handover",
        actor=actor,
        before=before,
        after=after,
        reason=note,
        rules=["AUC-32"],
    )
    return result


@transaction.atomic
def auction_default(*, auction_id: int) -> Auction | None:
    """Balance overdue (``BalanceOverdue``) → 悔拍 (AUC-33): forfeit the deposit, bar the
    defaulter from every re-auction of the lot (AUC-15), create the linked re-auction."""
    auction = locks.auction_for_update(auction_id)
    if not can_proceed(auction.default):
        return None  # idempotent: already defaulted, set aside, or not a sale
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.balance_paid_at is not None:
        return None
    now = clock.now()
    old = auction.state
    auction.default()
    if result.winner_id is None:  # never: a sale has a buyer (AUC-28)
        raise RuntimeError(f"auction {auction.pk}: sold without a buyer")
    winner = Registration.objects.select_related("identity").get(pk=result.winner_id)
    Registration.objects.filter(pk=winner.pk).update(status=Registration.Status.FORFEITED)
    identities = [winner.identity] if winner.identity else []
    identities += [m.identity for m in winner.members.select_related("identity")]
    for ident in identities:
        DefaulterBar.objects.get_or_create(
            lot_id=auction.lot_id, identity=ident, defaults={"auction": auction, "created_at": now}
        )
    if not auction.is_practice:
        from settlement.services import deposit_forfeit

        forfeit_fen = None
        if (
            auction.round == Auction.Round.SALE
            and setting(auction, "sale_default_forfeit") == "announced_deposit"
        ):
            # AUC-37: a 变卖 buyer prepaid the full price; only the announced deposit (that of
            # the second auction it follows) is forfeited, the rest goes back.
            forfeit_fen = auction.previous.deposit_fen if auction.previous is not None else None
        deposit_forfeit(
            ref=winner.money_ref,
            sale_ref=auction.sale_ref,
            reason="买受人未在期限内支付尾款，保证金不予退还（AUC-33）",
            idempotency_key=f"{winner.money_ref}/forfeit",
            forfeit_fen=forfeit_fen,
        )
    reauction = _draft_following(
        auction, link=Auction.Link.REAUCTION, round_=auction.round, now=now, actor=None
    )
    _stream_append(
        auction,
        action="auction.defaulted",
        subject=auction.ref,
        at=now,
        after={
            "winner_code": result.winner_code,
            "reauction": reauction.pk,
            "pursue_shortfall": bool(setting(auction, "pursue_shortfall_from_defaulter")),
            "return_surplus": bool(setting(auction, "return_forfeit_surplus_to_defaulter")),
        },
        rules=["AUC-33", "AUC-34", "AUC-15"],
    )
    auction.save(update_fields=["state", "stream_seq", "stream_hash"])
    _case_audit(
        auction,
        action="auction.defaulted",
        rules=["AUC-33", "AUC-15"],
        after={"reauction": reauction.ref},
    )
    _notify_many(
        _parties_users(auction),
        topic="auction.defaulted",
        subject=gettext_lazy("【悔拍】买受人未按期支付尾款"),
        body=text(
            gettext_lazy(
                "%(title)s 的买受人未在期限内付清尾款，保证金不予退还，标的物将重新拍卖（AUC-33）。"
            ),
            title=auction.title,
        ),
        key=f"auction:{auction.pk}:defaulted",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _notify_many(
        [winner.user],
        topic="auction.defaulted",
        subject=gettext_lazy("【悔拍】保证金不予退还"),
        body=text(
            gettext_lazy(
                "您未在期限内支付 %(title)s 的尾款，保证金不予退还，"
                "且不得参加该标的物的再次拍卖（AUC-15、AUC-33）。"
            ),
            title=auction.title,
        ),
        key=f"auction:{auction.pk}:defaulted:winner",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _state_changed(auction, old)
    return reauction
