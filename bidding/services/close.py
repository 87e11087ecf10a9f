"""The clock: open due auctions, close ended ones exactly once (AUC-28), then the follow-up
(money, pricing, deadlines, notices) retried until it succeeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy, gettext_noop

from bidding import locks
from bidding.events import AuctionClosed
from bidding.models import Auction, AuctionResult, Registration, RegistrationMember
from bidding.services._common import (
    _auction_link,
    _case_audit,
    _case_id,
    _case_judge,
    _cst_date,
    _lot_asset_ids,
    _notify_many,
    _parties_users,
    _scheduled,
    _state_changed,
    _stream_append,
    _titled_text,
    log,
    price_lapsed_assets,
    receipt_grace,
    setting,
)
from core import calendar, clock
from core.deferred import deferred
from core.events import publish_on_commit
from core.models import AuditEntry
from core.notifications import Message, text


def _sold_result(
    auction: Auction, winner: Registration, buyer: str, now: dt.datetime
) -> AuctionResult:
    """The sale's record (unsaved), the same whichever path closes: AUC-28 the leader wins at
    the current price; AUC-29 the confirmation is written and published at once."""
    return AuctionResult(
        auction=auction,
        outcome=AuctionResult.Outcome.SOLD,
        closed_at=now,
        price_fen=auction.current_price_fen,
        winner=winner,
        winner_code=winner.bidder_code or "",
        bid_count=auction.last_seq,
        buyer_name=buyer,
        confirmation_text=_confirmation_text(auction, winner, buyer, now),
        confirmation_published_at=now,
        handover_state=AuctionResult.Handover.NOT_STARTED,
    )


def _close_record(auction: Auction, result: AuctionResult, old: str) -> dict[str, Any]:
    """The close's entry in the auction's own stream, the same whichever path closes (the
    batch, one by one, the worker): REC-08's old and new state, AUC-28/29's outcome."""
    return {
        "action": f"auction.closed.{result.outcome}",
        "subject": auction.ref,
        "before": {"state": old},
        "after": {
            "state": auction.state,
            "outcome": result.outcome,
            "price_fen": result.price_fen,
            "winner_code": result.winner_code,
            "bids": auction.last_seq,
            "extensions": auction.extension_count,
            "end_at": auction.end_at,
        },
        "rules": ["AUC-28"] + (["AUC-29"] if result.outcome == "sold" else []),
    }


def auction_clock_tick(*, followups: bool = True) -> dict[str, int]:
    """One clock turn (several may run at once). ``followups=False`` (``run_clock`` and the
    worker's ``bidding.close_due``, issue 18): closes only; their follow-ups are queued work
    for the worker task ``bidding.close_followups`` (:func:`auction_followups_due`).
    ``busy`` is 1 when the turn closed its limit (``GAVEL_CLOSE_TICK_LIMIT``): more may be
    due, the next turn should start at once."""
    limit = max(int(settings.GAVEL_CLOSE_TICK_LIMIT or 1), 1)
    opened = auction_open_due()
    closed = auction_close_due(limit=limit, followups=followups)
    retried = auction_followups_retry() if followups else 0
    return {
        "opened": opened,
        "closed": len(closed),
        "followups": retried,
        "busy": int(len(closed) >= limit),
    }


def auction_clock_closes() -> dict[str, int]:
    """The periodic task ``bidding.close_due``: opens and closes, follow-ups queued."""
    return auction_clock_tick(followups=False)


def auction_open_due(*, limit: int = 50) -> int:
    n = 0
    with transaction.atomic():
        now = clock.now()
        for auction in locks.due_auctions_for_open(now, limit=limit):
            lapsed = price_lapsed_assets(auction)
            if lapsed:
                _price_lapsed(auction, now, lapsed)
                continue
            old = auction.state
            auction.open()
            _stream_append(
                auction,
                action="auction.opened",
                subject=auction.ref,
                after={"state": auction.state},
                rules=["AUC-03"],
                at=now,
            )
            auction.save(update_fields=["state", "stream_seq", "stream_hash"])
            _state_changed(auction, old)
            n += 1
    return n


def _price_lapsed(auction: Auction, now: dt.datetime, assets: list[str]) -> None:
    """PRC-11: bidding would start after the price's validity and grace: the auction does not
    open (no bids), the court sees the flag and is told at once."""
    auction.price_lapsed_at = now
    _stream_append(
        auction,
        action="auction.price_lapsed",
        subject=auction.ref,
        after={"assets": assets, "start_at": auction.start_at},
        rules=["PRC-11"],
        at=now,
    )
    auction.save(update_fields=["price_lapsed_at", "stream_seq", "stream_hash"])
    judge = _case_judge(auction)
    _notify_many(
        [judge] if judge is not None else [],
        topic="auction.price_lapsed",
        subject=gettext_lazy("【参考价已失效，拍卖未开始】"),
        body=text(
            gettext_lazy(
                "%(auction)s的竞价开始时参考价已超过有效期及宽限期（%(assets)s），拍卖未开始竞价。"
                "请撤回拍卖并重新确定参考价（PRC-11、PRC-12）。"
            ),
            auction=_titled_text(auction),
            assets="、".join(assets),
        ),
        key=f"auction:{auction.pk}:price_lapsed",
        link=_auction_link(auction),
        court=auction.court_id,
    )


def auction_close_due(*, limit: int = 50, followups: bool = True) -> list[int]:
    """Close every auction whose end has passed, each exactly once.

    Each close is its own short transaction on the auction's row lock, taken with
    ``skip_locked`` so several clocks share the work; the guarded transition and the unique
    outcome record make a second close impossible. A bid and the close race on the same lock.

    AUC-24: an auction is due once its end is ``receipt_grace`` past: a bid the server received
    before the end may still wait for a thread or the row lock, and is accepted by its receipt
    time when it gets there (and may extend the end); the close waits for it.

    The follow-up (money, pricing, deadlines, notices) is queued by the close itself: its
    ``AuctionResult`` row is written with ``followup_done_at`` empty in the close's own
    transaction, so a crash right after the commit loses nothing. With ``followups`` (the
    default for direct callers) it then runs here; without (the clock processes, issue 18) the
    worker's ``bidding.close_followups`` takes it (:func:`auction_followups_due`). AUC-29's
    confirmation never waits for either: it is written and published in the close.
    """
    closed: list[int] = []
    grace = receipt_grace()
    batch = max(int(settings.GAVEL_CLOSE_BATCH or 1), 1)
    failed: list[int] = []
    while len(closed) < limit:
        batch_closed: list[int] = []
        try:
            # Issue 18: the after-commit handlers of every close in the batch (the listing
            # index's state check, collusion's queue marker, the live push to watchers) collect
            # their work in this outer block and do it once for the batch (core.deferred).
            with deferred(), transaction.atomic():
                now = clock.now()
                # Up to ``batch`` due auctions per transaction (one locking query, one commit).
                due = list(
                    locks.due_auctions_for_close(
                        now - grace, limit=min(batch, limit - len(closed)), exclude=failed
                    )
                )
                if not due:
                    break
                # Work that higher layers derive from each close (the listing index) is done
                # once for the batch, at its end, inside this transaction.
                with deferred(separate=True):
                    batch_closed = _close_locked(due, now, failed)
            closed += batch_closed  # committed
        except Exception:
            log.exception("closing auctions failed")
            break
    if not followups:
        return closed
    for auction_id in closed:
        try:
            auction_close_followup(auction_id=auction_id)
        except Exception:
            log.exception("follow-up of auction %s failed; the clock retries it", auction_id)
    return closed


def _close_locked(due: list[Auction], now: dt.datetime, failed: list[int]) -> list[int]:
    """Close ``due`` (locked by the caller's transaction): set-based on PostgreSQL
    (:func:`_close_batch`); if that fails, or elsewhere, one by one, each in a savepoint, so
    one failing close rolls back alone (``failed`` gets its id; the next turn skips it)."""
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                return _close_batch(due, now)
        except Exception:
            log.exception("closing %s auctions at once failed; closing them one by one", len(due))
            # The rows are still ours (the batch's savepoint rolled back, not the lock); the
            # objects were moved in memory: read them again.
            due = list(
                Auction.objects.select_for_update(of=("self",))
                .select_related("case")
                .filter(pk__in=[a.pk for a in due])
                .order_by("end_at", "pk")
            )
    done: list[int] = []
    for auction in due:
        try:
            with transaction.atomic():
                _close(auction, now)
        except Exception:
            log.exception("closing auction %s failed", auction.pk)
            failed.append(auction.pk)
            continue
        done.append(auction.pk)
    return done


def _close_batch(due: list[Auction], now: dt.datetime) -> list[int]:
    """Close a batch of locked, due auctions with set-based statements (issue 18): the same
    outcome, records and audit as :func:`_close` for each one, in a fixed number of statements
    whatever the batch's size — the winners and their members read at once, every audit entry
    (each auction's stream and its case's, before/after per auction, REC-08) in one insert
    with one compare-and-set of the heads, one insert of the outcome records, one update of
    the auctions and one of the winners, one insert of the queued documents. PostgreSQL only.

    Exactly once as the one-by-one close: the rows are locked (``skip_locked``) and still in
    an open state, and the outcome record is unique per auction. Raises (the caller's
    savepoint rolls everything back) if any auction's stream mirror is stale
    (``StreamMoved``) or a record does not fit: the caller then closes them one by one."""
    from django.db.models.signals import post_save

    from bidding.documents import SALE_CONFIRMATION, UNSOLD_NOTICE
    from core.audit import audit_append_chains, audit_entry_next, audit_heads_lock
    from core.documents import document_request_many
    from core.validation import check_instance

    leader_ids = [a.leader_id for a in due if a.current_price_fen is not None and a.leader_id]
    winners = Registration.objects.select_related("identity", "user").in_bulk(leader_ids)
    members: dict[int, list[RegistrationMember]] = {}
    if leader_ids:
        for m in RegistrationMember.objects.filter(registration_id__in=leader_ids).select_related(
            "identity"
        ):
            members.setdefault(m.registration_id, []).append(m)
    case_stream = {
        a.pk: f"case:{a.case_id}" for a in due if not a.is_practice and a.case_id is not None
    }
    heads = audit_heads_lock(case_stream.values())
    stream_chains: list[list[AuditEntry]] = []
    case_chains: dict[str, list[AuditEntry]] = {}
    results: list[AuctionResult] = []
    documents: list[tuple[str, str]] = []
    olds: list[str] = []
    for auction in due:
        old = auction.state
        olds.append(old)
        if _scheduled(auction):
            auction.open()  # its whole bidding period passed while no clock ran
        if auction.current_price_fen is not None and auction.leader_id:
            # AUC-28: at least one valid bid → the leader (kept in AUC-26 order by every bid)
            # wins; AUC-29: the confirmation is written and published at once.
            auction.close_sold()
            winner = winners[auction.leader_id]
            buyer = _buyer_label(winner, members.get(winner.pk, []))
            result = _sold_result(auction, winner, buyer, now)
        else:
            auction.close_unsold()
            result = AuctionResult(
                auction=auction, outcome=AuctionResult.Outcome.UNSOLD, closed_at=now, bid_count=0
            )
        check_instance(result)  # what ``pre_save`` checks on a saved record
        results.append(result)
        auction.closed_at = now
        entry = audit_entry_next(
            stream=auction.stream,
            last_seq=auction.stream_seq,
            last_hash=auction.stream_hash,
            at=now,
            **_close_record(auction, result, old),
        )
        stream_chains.append([entry])
        auction.stream_seq, auction.stream_hash = entry.seq, entry.hash
        name = case_stream.get(auction.pk)
        if name is not None:
            chain = case_chains.setdefault(name, [])
            last_seq, last_hash = (chain[-1].seq, chain[-1].hash) if chain else heads[name]
            chain.append(
                audit_entry_next(
                    stream=name,
                    last_seq=last_seq,
                    last_hash=last_hash,
                    action=f"auction.closed.{result.outcome}",
                    subject=auction.ref,
                    after={
                        "outcome": result.outcome,
                        "price_fen": result.price_fen,
                        "winner_code": result.winner_code,
                    },
                    rules=["AUC-28"],
                    at=now,
                )
            )
        if not auction.is_practice:
            if result.outcome == AuctionResult.Outcome.SOLD:
                documents.append((SALE_CONFIRMATION.code, f"auction:{auction.pk}/sale"))
            else:
                documents.append((UNSOLD_NOTICE.code, f"auction:{auction.pk}"))

    audit_append_chains([*stream_chains, *case_chains.values()])
    AuctionResult.objects.bulk_create(results)
    winner_ids = [r.winner_id for r in results if r.winner_id is not None]
    if winner_ids:
        Registration.objects.filter(pk__in=winner_ids).update(status=Registration.Status.WINNER)
    _auctions_update_closed(due)
    document_request_many(documents)
    # The records were written without ``save()``: tell the receivers of a save what was saved
    # (the listing index collects them and rebuilds its rows once, at the batch's end).
    fields = frozenset({"state", "closed_at", "stream_seq", "stream_hash"})
    for auction, result in zip(due, results, strict=True):
        post_save.send(
            sender=Auction,
            instance=auction,
            created=False,
            update_fields=fields,
            raw=False,
            using=connection.alias,
        )
        post_save.send(
            sender=AuctionResult,
            instance=result,
            created=True,
            update_fields=None,
            raw=False,
            using=connection.alias,
        )
    for auction, old, result in zip(due, olds, results, strict=True):
        _state_changed(auction, old)
        publish_on_commit(AuctionClosed(auction_id=auction.pk, outcome=result.outcome))
    return [a.pk for a in due]


def _auctions_update_closed(due: list[Auction]) -> None:
    """One UPDATE of the closed auctions' state, close time and stream head mirror."""
    table = connection.ops.quote_name(Auction._meta.db_table)
    rows, params = [], []
    for a in due:
        rows.append("(%s::bigint, %s::varchar, %s::timestamptz, %s::bigint, %s::varchar)")
        params += [a.pk, a.state, a.closed_at, a.stream_seq, a.stream_hash]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} AS a SET "state" = v.state, "closed_at" = v.closed_at, '
            '"stream_seq" = v.stream_seq, "stream_hash" = v.stream_hash '
            f"FROM (VALUES {', '.join(rows)}) AS v(id, state, closed_at, stream_seq, stream_hash) "
            'WHERE a."id" = v.id',
            params,
        )
        if cursor.rowcount != len(due):
            raise RuntimeError(f"closed {cursor.rowcount} of {len(due)} auctions")


def _buyer_label(reg: Registration, members: list[RegistrationMember] | None = None) -> str:
    """The buyer as the confirmation names them (AUC-29), joint buyers with their shares;
    ``members`` when the caller read them already (the batch close)."""
    from core.access import mask

    parts = []
    if reg.identity is not None:
        parts.append(
            f"{reg.identity.name}（{reg.identity.get_kind_display()} {mask(reg.identity.number)}）"
        )
    else:
        parts.append(str(reg.user))
    if members is None:
        members = list(reg.members.select_related("identity"))
    if members:
        own = Decimal(100) - sum((m.share_percent for m in members), Decimal(0))
        parts[0] += f"，份额 {own.normalize()}%"
        for m in members:
            parts.append(
                f"{m.identity.name}（{mask(m.identity.number)}），份额 {m.share_percent.normalize()}%"
            )
    return "；".join(parts)


def _confirmation_text(auction: Auction, reg: Registration, buyer: str, now: dt.datetime) -> str:
    """成交确认书 (AUC-29): generated at the close and published at once, naming the buyer."""
    from core.money import yuan

    local = now.astimezone(calendar.CST).strftime("%Y年%m月%d日 %H:%M:%S")
    lines = [
        "网络竞价成交确认书",
        f"拍卖标的：{auction.title}",
        f"案号：{auction.case.number}"
        if auction.case is not None
        else "模拟拍（练习，不产生法律效力）",
        f"竞价结束时间：{local}（北京时间）",
        f"买受人：{buyer}",
        f"竞买号：{reg.bidder_code}",
        f"成交价：人民币 {yuan(auction.current_price_fen)} 元",
        f"买受人应在 {auction.balance_period_days} 日内付清余款（尾款）；逾期不付的，保证金不予退还，"
        "标的物重新拍卖（悔拍，AUC-33）。",
        "标的物所有权自拍卖成交裁定送达买受人时起转移。",
    ]
    return "\n".join(lines)


def _close(auction: Auction, now: dt.datetime) -> AuctionResult:
    old = auction.state
    if _scheduled(auction):
        auction.open()  # its whole bidding period passed while no clock ran
    if auction.current_price_fen is not None and auction.leader_id:
        # AUC-28: at least one valid bid → the leader (kept in AUC-26 order by every bid) wins.
        auction.close_sold()
        winner = Registration.objects.select_related("identity", "user").get(pk=auction.leader_id)
        buyer = _buyer_label(winner)
        result = _sold_result(auction, winner, buyer, now)
        result.save(force_insert=True)
        Registration.objects.filter(pk=winner.pk).update(status=Registration.Status.WINNER)
    else:
        auction.close_unsold()
        result = AuctionResult.objects.create(
            auction=auction,
            outcome=AuctionResult.Outcome.UNSOLD,
            closed_at=now,
            bid_count=0,
        )
    auction.closed_at = now
    _stream_append(auction, at=now, **_close_record(auction, result, old))
    auction.save(update_fields=["state", "closed_at", "stream_seq", "stream_hash"])
    _case_audit(
        auction,
        action=f"auction.closed.{result.outcome}",
        rules=["AUC-28"],
        after={
            "outcome": result.outcome,
            "price_fen": result.price_fen,
            "winner_code": result.winner_code,
        },
    )
    if not auction.is_practice:
        _queue_close_document(auction, result.outcome)
    _state_changed(auction, old)
    publish_on_commit(AuctionClosed(auction_id=auction.pk, outcome=result.outcome))
    return result


def _queue_close_document(auction: Auction, outcome: str) -> None:
    """A sale's 成交确认书 (AUC-29) or the 流拍公告 (AUC-35), queued in the close's own
    transaction (a crash after the commit loses nothing; idempotent by its key): the worker
    renders and seals it, so the close never waits for a PDF (issues 16, 18). The confirmation
    text itself is published by the close, at once."""
    from bidding.documents import SALE_CONFIRMATION, UNSOLD_NOTICE
    from core.documents import document_request

    if outcome == AuctionResult.Outcome.SOLD:
        document_request(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    else:
        document_request(doc_type=UNSOLD_NOTICE.code, subject=f"auction:{auction.pk}")


def auction_followups_due(*, limit: int = 50) -> int:
    """The worker task ``bidding.close_followups`` (issue 18): the queued follow-ups of closed
    auctions, oldest close first, one short transaction each, taken with ``skip_locked`` so
    several workers share them. Each runs exactly once: the outcome row stays locked until its
    ``followup_done_at`` commits, and a follow-up already done is skipped; every money call
    carries its idempotency key besides (AUC-30: each loser's deposit released once)."""
    done = 0
    failed: list[int] = []
    for _ in range(limit):
        pk: int | None = None
        try:
            with transaction.atomic():
                result = (
                    AuctionResult.objects.select_for_update(skip_locked=True)
                    .filter(followup_done_at__isnull=True)
                    .exclude(pk__in=failed)
                    .order_by("closed_at", "pk")
                    .first()
                )
                if result is None:
                    break
                pk = result.pk
                _followup(result)
                done += 1
        except Exception:
            log.exception("follow-up of auction result %s failed; retried later", pk)
            if pk is None:
                break
            failed.append(pk)
    return done


def auction_followups_retry(*, limit: int = 10) -> int:
    ids = list(
        AuctionResult.objects.filter(followup_done_at__isnull=True)
        .order_by("closed_at")
        .values_list("auction_id", flat=True)[:limit]
    )
    n = 0
    for auction_id in ids:
        try:
            auction_close_followup(auction_id=auction_id)
            n += 1
        except Exception:
            log.exception("follow-up of auction %s failed again", auction_id)
    return n


def _apportion(auction: Auction, total_fen: int) -> dict[int, int]:
    """Split a lot's price over its assets in proportion to their price bases (bundles)."""
    ids = _lot_asset_ids(auction)
    if len(ids) <= 1:
        return {i: total_fen for i in ids}
    bases = {int(k): int(v.get("amount_fen") or 0) for k, v in (auction.price_basis or {}).items()}
    weights = [max(bases.get(i, 0), 0) for i in ids]
    if sum(weights) == 0:
        weights = [1] * len(ids)
    out, left = {}, total_fen
    for i, w in zip(ids[:-1], weights[:-1], strict=True):
        share = total_fen * w // sum(weights)
        out[i] = share
        left -= share
    out[ids[-1]] = left
    return out


@transaction.atomic
def auction_close_followup(*, auction_id: int) -> AuctionResult:
    """After the close: money through settlement (AUC-30/31), pricing (PRC-15/16), deadlines
    (AUC-35..38), notices (REC-11). Idempotent (every money call carries its key); the clock
    retries it until it succeeds."""
    # Lock the outcome record, not the auction row: settlement's ``DepositHeld`` handler locks
    # a hold and then the auction, so holding the auction here while calling settlement could
    # deadlock. The outcome record serialises follow-ups; registrations are updated last.
    result = AuctionResult.objects.select_for_update().get(auction_id=auction_id)
    if result.followup_done_at is not None:
        return result
    return _followup(result)


def _followup(result: AuctionResult) -> AuctionResult:
    """The follow-up of one close, its outcome row locked by the caller's transaction."""
    auction_id = result.auction_id
    auction = Auction.objects.select_related("case", "lot").get(pk=auction_id)
    now = clock.now()
    held = list(
        Registration.objects.filter(auction_id=auction.pk, deposit_held_at__isnull=False)
        .select_related("identity", "user")
        .order_by("pk")
    )
    losers = [r for r in held if r.pk != result.winner_id]
    if auction.is_practice:
        # Play money: nothing touches the ledger.
        Registration.objects.filter(pk__in=[r.pk for r in losers]).update(
            status=Registration.Status.RELEASED
        )
    else:
        from settlement import services as money

        hours = int(setting(auction, "refund_hours_after_close"))
        refs = [r.money_ref for r in losers]
        if refs:
            money.deposit_release_schedule(
                case_id=_case_id(auction),
                refs=refs,
                closed_at=result.closed_at,
                hours=hours,
                rule_id="AUC-30",
            )
        for r in losers:
            money.deposit_release(
                ref=r.money_ref,
                reason="竞价结束，未成交竞买人保证金退还（AUC-30）",
                idempotency_key=f"{r.money_ref}/release",
            )
        asset_ids = _lot_asset_ids(auction)
        if result.outcome == AuctionResult.Outcome.SOLD:
            winner, price = _sale_of(result)
            money.deposit_apply(
                ref=winner.money_ref,
                sale_ref=auction.sale_ref,
                idempotency_key=f"{winner.money_ref}/apply",
            )
            days = auction.balance_period_days
            if days is None:  # never: publication requires it (AUC-31)
                raise RuntimeError(f"auction {auction.pk}: sold without a balance period")
            due = calendar.within_days(result.closed_at, int(days), court=auction.court_id)
            money.balance_due(
                case_id=_case_id(auction),
                sale_ref=auction.sale_ref,
                payer_ref=f"user:{winner.user_id}",
                payer_name=winner.identity.name if winner.identity else str(winner.user),
                price_fen=price,
                deposit_applied_fen=int(winner.deposit_held_fen or 0),
                due_at=due,
                idempotency_key=f"{auction.sale_ref}/balance",
            )
            result.balance_due_at = due
            from pricing.services import reference_price_record_sale

            for asset_id, share in _apportion(auction, price).items():
                reference_price_record_sale(
                    asset_id=asset_id, auction_ref=auction.ref, outcome="sold", sale_price_fen=share
                )
        else:
            from pricing.services import reference_price_record_sale

            for asset_id in asset_ids:
                reference_price_record_sale(
                    asset_id=asset_id, auction_ref=auction.ref, outcome="unsold"
                )
            _open_unsold_deadlines(auction, result)
        _notify_close(auction, result, losers)
        Registration.objects.filter(pk__in=[r.pk for r in losers]).update(
            status=Registration.Status.RELEASED
        )
    result.followup_done_at = now
    result.followup_error = ""
    result.save()
    return result


def _open_unsold_deadlines(auction: Auction, result: AuctionResult) -> None:
    """After 流拍: the next round (AUC-35), 变卖 (AUC-37), or the end of the road (AUC-38)."""
    from core.deadlines import deadline_open

    subject = f"case:{auction.case_id}/auction:{auction.pk}"
    if auction.round == Auction.Round.FIRST:
        deadline_open(
            rule_id="AUC-35",
            title=gettext_noop("流拍后三十日内再次拍卖"),
            subject=subject,
            start_event=gettext_noop("一拍流拍"),
            started_at=result.closed_at,
            period=int(setting(auction, "reauction_days_after_unsold")),
            court=auction.court_id,
            owner=_case_judge(auction),
            owner_role="judge",
        )
    elif auction.round == Auction.Round.SECOND:
        deadline_open(
            rule_id="AUC-37",
            title=gettext_noop("二拍流拍后发布变卖公告"),
            subject=subject,
            start_event=gettext_noop("二拍流拍"),
            started_at=result.closed_at,
            period=int(setting(auction, "sale_announce_days")),
            court=auction.court_id,
            owner=_case_judge(auction),
            owner_role="judge",
        )


def _sale_of(result: AuctionResult) -> tuple[Registration, int]:
    """The buyer and the price of a sold auction (the close records both, AUC-28/29)."""
    if result.winner is None or result.price_fen is None:
        raise RuntimeError(f"auction {result.auction_id}: sold without a buyer or a price")
    return result.winner, result.price_fen


def _notify_close(auction: Auction, result: AuctionResult, losers: list[Registration]) -> None:
    from core.money import yuan

    link = _auction_link(auction)
    if result.outcome == AuctionResult.Outcome.SOLD:
        winner, price = _sale_of(result)
        body: Message = text(
            gettext_lazy("%(title)s 已于竞价结束时成交，成交价 %(price)s 元，成交确认书已公示。"),
            title=auction.title,
            price=yuan(price),
        )
        _notify_many(
            _parties_users(auction),
            topic="auction.result",
            subject=gettext_lazy("【拍卖结果】已成交"),
            body=body,
            key=f"auction:{auction.pk}:result",
            link=link,
            court=auction.court_id,
        )
        _notify_many(
            [winner.user],
            topic="auction.won",
            subject=gettext_lazy("【竞价成功】请按期支付尾款"),
            body=text(
                gettext_lazy(
                    "您以竞买号 %(code)s 竞得 %(title)s，成交价 %(price)s 元。"
                    "请于 %(due)s 前付清尾款；逾期保证金不予退还（AUC-33）。"
                ),
                code=winner.bidder_code,
                title=auction.title,
                price=yuan(price),
                due=_cst_date(result.balance_due_at),
            ),
            key=f"auction:{auction.pk}:won",
            link=link,
            court=auction.court_id,
        )
    else:
        body = text(
            gettext_lazy(
                "%(auction)s无人出价，已流拍。申请执行人可申请以该次起拍价以物抵债（AUC-36）。"
            ),
            auction=_titled_text(auction),
        )
        if auction.round == Auction.Round.SALE:
            body = body + gettext_lazy(
                "变卖期内无人出价，变卖不成；不以物抵债的，将解除查封或交申请执行人管理（AUC-38）。"
            )
        _notify_many(
            _parties_users(auction),
            topic="auction.result",
            subject=gettext_lazy("【拍卖结果】流拍"),
            body=body,
            key=f"auction:{auction.pk}:result",
            link=link,
            court=auction.court_id,
        )
    for r in losers:
        _notify_many(
            [r.user],
            topic="auction.deposit_refund",
            subject=gettext_lazy("【保证金退还】"),
            body=text(
                gettext_lazy("%(title)s 竞价已结束，您的保证金将在 24 小时内退还（AUC-30）。"),
                title=auction.title,
            ),
            key=f"auction:{auction.pk}:refund:{r.pk}",
            link=link,
            court=auction.court_id,
        )
