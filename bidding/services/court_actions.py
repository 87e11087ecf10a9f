"""Court actions with published reasons (AUC-40..43), taking in lieu (AUC-36), next rounds
(AUC-35/37)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from bidding import locks
from bidding.models import Auction, AuctionResult, CourtAction, InLieuTaking, Registration
from bidding.services._common import (
    S,
    _auction_link,
    _case_audit,
    _case_id,
    _fire,
    _lot_asset_ids,
    _lot_purchase_restricted,
    _notice_subject,
    _notify_many,
    _outstanding_claim_fen,
    _parties_users,
    _refuse,
    _require_staff,
    _require_transition,
    _save_stream_head,
    _state_changed,
    _stream_append,
    price_lapsed_assets,
    setting,
)
from bidding.services.after_sale import _balance_settled
from bidding.services.drafts import _draft_following
from core import calendar, clock
from core.deadlines import ENFORCEMENT_ACT, THIRD_PARTY, deadline_title
from core.errors import Conflict
from core.models import User
from core.notifications import Message, text
from core.types import Actor

WITHDRAW_GROUNDS = {
    "title_set_aside": gettext_lazy("执行依据被撤销"),
    "creditor_withdrew": gettext_lazy("申请执行人撤回申请"),
    "debt_paid": gettext_lazy("被执行人已履行债务"),
    "settlement": gettext_lazy("当事人达成和解"),
    "third_party_objection": gettext_lazy("案外人异议成立"),
    "collusion": gettext_lazy("存在恶意串通"),
    "debtor_paid_before_auction": gettext_lazy("被执行人于拍卖日前清偿并申请停止拍卖"),
    "other": gettext_lazy("其他事由"),
}

SET_ASIDE_GROUNDS = {
    "untrue_description": gettext_lazy("严重失实的标的物描述"),
    "system_fault": gettext_lazy("系统故障、病毒、黑客攻击或数据错误导致结果错误"),
    "collusion": gettext_lazy("恶意串通"),
    "unqualified_buyer": gettext_lazy("买受人不具备资格"),
    "excluded_or_unequal": gettext_lazy("违法限制竞买人或设置不平等条件"),
    "other_serious": gettext_lazy("其他严重违法情形"),
}

SUSPEND_GROUNDS = {
    "court_decision": gettext_lazy("法院决定暂缓"),
    "platform_failure": gettext_lazy("网络服务提供者系统故障或紧急情况（已立即报告法院）"),
    "enforcement_objection": gettext_lazy("执行异议"),
    "third_party_objection": gettext_lazy("案外人异议"),
    "other": gettext_lazy("其他事由"),
}


def _objection_received(auction: Auction, track: str, objector: str, actor: Actor) -> None:
    from bidding.services.objections import auction_objection_received

    auction_objection_received(auction=auction, track=track, objector=objector, actor=actor)


def _court_action(
    auction: Auction,
    *,
    kind: str,
    actor: User,
    reason: str,
    ground: str = "",
    document: str = "",
    follow_up: str = "",
    old: str = "",
    **extra: Any,
) -> CourtAction:
    if not reason or not reason.strip():
        raise _refuse("reason_required", _("须写明公开的理由"), "REC-09")
    now = clock.now()
    action = CourtAction.objects.create(
        auction=auction,
        kind=kind,
        ground=ground,
        reason=reason.strip(),
        document=document.strip(),
        follow_up=follow_up.strip(),
        decided_by=actor,
        decided_at=now,
        from_state=old,
        to_state=auction.state,
        **extra,
    )
    _stream_append(
        auction,
        action=f"court.{kind}",
        actor=actor,
        subject=f"court_action:{action.pk}",
        at=now,
        before={"state": old},
        after={
            "state": auction.state,
            "ground": ground,
            "document": document,
            "follow_up": follow_up,
            **{k: v for k, v in extra.items()},
        },
        reason=reason,
        rules=_ACTION_RULES.get(kind, ["AUC-40"]),
    )
    _case_audit(
        auction,
        action=f"auction.{kind}",
        actor=actor,
        reason=reason,
        rules=_ACTION_RULES.get(kind, []),
        before={"state": old},
        after={"state": auction.state, "ground": ground},
    )
    _state_changed(auction, old)
    return action


_ACTION_RULES = {
    "suspend": ["AUC-40", "REC-09"],
    "halt": ["AUC-40", "AUC-41", "REC-09"],
    "resume": ["AUC-40", "AUC-41", "AUC-22"],
    "withdraw": ["AUC-42", "AUC-41"],
    "set_aside": ["AUC-43"],
    "case_withdrawn": ["AUC-03"],
    "third_party_objection": ["AUC-40", "REC-12"],
    "ground_ended": ["AUC-40"],
}


def _release_all(
    auction: Auction, *, reason: Message, hours: int, exclude: set[int] | None = None
) -> int:
    """Refund every deposit still held (AUC-30 / AUC-41), through settlement or as play money."""
    regs = [
        r
        for r in Registration.objects.filter(
            auction_id=auction.pk,
            deposit_held_at__isnull=False,
            status__in=[Registration.Status.ACTIVE, Registration.Status.WINNER],
        )
        if r.pk not in (exclude or set())
    ]
    if not regs:
        return 0
    if not auction.is_practice:
        from settlement import services as money

        money.deposit_release_schedule(
            case_id=_case_id(auction),
            refs=[r.money_ref for r in regs],
            closed_at=clock.now(),
            hours=hours,
            rule_id="AUC-41",
        )
        with translation.override(settings.LANGUAGE_CODE):  # the ledger's words: Chinese
            stored_reason = str(reason)
        for r in regs:
            money.deposit_release(
                ref=r.money_ref, reason=stored_reason, idempotency_key=f"{r.money_ref}/release"
            )
    Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
        status=Registration.Status.RELEASED
    )
    for r in regs:
        _notify_many(
            [r.user],
            topic="auction.deposit_refund",
            subject=gettext_lazy("【保证金退还】"),
            body=reason,
            key=f"{r.money_ref}:refund",
            link=_auction_link(auction),
            court=auction.court_id,
        )
    return len(regs)


def _notify_action(auction: Auction, subject: Message, body: Message, key: str) -> None:
    _notify_many(
        _parties_users(auction),
        topic="auction.court_action",
        subject=subject,
        body=body,
        key=f"auction:{auction.pk}:{key}",
        link=_auction_link(auction),
        court=auction.court_id,
    )


@transaction.atomic
def auction_suspend(
    *,
    auction_id: int,
    actor: Actor,
    reason: str,
    ground: str = "court_decision",
    document: str = "",
) -> CourtAction:
    """暂缓 (AUC-40): bidding stops, deposits stay held; the reason is published.

    The court suspends; the platform operator may suspend first on a system failure or
    emergency (ground ``platform_failure`` only), and the case judge is told at once."""
    auction = locks.auction_for_update(auction_id)
    if ground not in SUSPEND_GROUNDS:
        raise _refuse("invalid_ground", _("暂缓事由无效"), "AUC-40")
    platform_first = ground == "platform_failure" and _is_platform_operator(actor)
    actor = actor if platform_first and actor is not None else _require_staff(actor, auction)
    old = auction.state
    _fire(auction.suspend, code="cannot_suspend", message="当前状态不能暂缓")
    auction.save(update_fields=["state"])
    action = _court_action(
        auction,
        kind="suspend",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        old=old,
    )
    _save_stream_head(auction)
    if ground == "enforcement_objection":
        _objection_received(auction, ENFORCEMENT_ACT, "", actor)  # REC-12: 15-day review
    _notify_action(
        auction,
        gettext_lazy("【暂缓拍卖】"),
        text(
            gettext_lazy("%(title)s 暂缓拍卖。理由：%(reason)s"), title=auction.title, reason=reason
        ),
        f"suspend:{action.pk}",
    )
    if platform_first:
        _report_platform_suspension(auction, reason, action)
    return action


def _is_platform_operator(actor: Actor) -> bool:
    from core.models import Role

    return bool(actor is not None and actor.is_authenticated and actor.role == Role.OPERATOR)


def _report_platform_suspension(auction: Auction, reason: str, action: CourtAction) -> None:
    """AUC-40: the platform reports its own suspension to the court at once (the case judge;
    without one, the court's judges and officers)."""
    from core.models import Role

    judge = auction.case.judge if auction.case is not None else None
    staff = [judge] if judge is not None else []
    if not staff and auction.court_id:
        staff = list(
            User.objects.filter(
                court_id=auction.court_id, role__in=[Role.JUDGE, Role.OFFICER], is_active=True
            )
        )
    _notify_many(
        staff,
        topic="auction.platform_suspended",
        subject=gettext_lazy("【平台暂缓拍卖报告】"),
        body=text(
            gettext_lazy(
                "网络服务提供者因系统故障或紧急情况已先行暂缓“%(title)s”，请及时审查处理。"
                "理由：%(reason)s"
            ),
            title=auction.title,
            reason=reason,
        ),
        key=f"auction:{auction.pk}:platform_suspend:{action.pk}",
        link=_auction_link(auction),
        court=auction.court_id,
    )


@transaction.atomic
def auction_halt(
    *,
    auction_id: int,
    actor: Actor,
    reason: str,
    ground: str = "court_decision",
    document: str = "",
) -> CourtAction:
    """中止 (AUC-40): bidding stops and deposits are refunded within 24 h (AUC-41)."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if ground not in SUSPEND_GROUNDS:
        raise _refuse("invalid_ground", _("中止事由无效"), "AUC-40")
    old = auction.state
    _fire(auction.halt, code="cannot_halt", message="当前状态不能中止")
    auction.save(update_fields=["state"])
    action = _court_action(
        auction, kind="halt", actor=actor, reason=reason, ground=ground, document=document, old=old
    )
    _release_all(
        auction,
        reason=text(
            gettext_lazy(
                "%(title)s 中止拍卖，保证金于 24 小时内退还（AUC-41）。恢复后可重新交纳。"
            ),
            title=auction.title,
        ),
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    _save_stream_head(auction)
    _notify_action(
        auction,
        gettext_lazy("【中止拍卖】"),
        text(
            gettext_lazy("%(title)s 中止拍卖。理由：%(reason)s"), title=auction.title, reason=reason
        ),
        f"halt:{action.pk}",
    )
    return action


@transaction.atomic
def auction_third_party_objection(
    *, auction_id: int, actor: Actor, objector: str, reason: str, measure: str = "suspend"
) -> CourtAction:
    """A third party's objection to the lot (案外人异议) forces a suspension or halt (AUC-40)."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if measure not in ("suspend", "halt"):
        raise _refuse("invalid_measure", _("案外人异议须暂缓或中止拍卖"), "AUC-40")
    if not objector.strip():
        raise _refuse("field_required", _("须写明异议人"), "AUC-40")
    old = auction.state
    # Suspension is possible from fewer states than a halt (and a suspended auction is halted).
    _require_transition(auction.halt, code="cannot_suspend", message="当前状态不能暂缓或中止")
    _court_action(
        auction,
        kind="third_party_objection",
        actor=actor,
        reason=f"{objector}：{reason}",
        old=old,
        ground="third_party_objection",
    )
    _save_stream_head(auction)
    _objection_received(auction, THIRD_PARTY, objector, actor)  # REC-12: 15-day review
    if measure == "halt" or old == S.SUSPENDED:
        return auction_halt(
            auction_id=auction_id,
            actor=actor,
            ground="third_party_objection",
            reason=f"案外人对标的物提出异议：{reason}",
        )
    return auction_suspend(
        auction_id=auction_id,
        actor=actor,
        ground="third_party_objection",
        reason=f"案外人对标的物提出异议：{reason}",
    )


@transaction.atomic
def auction_ground_ended(
    *, auction_id: int, actor: Actor, reason: str, ended_at: dt.datetime | None = None
) -> CourtAction:
    """The ground of a suspension or halt ended: resume within 5 days (AUC-40), tracked."""
    from core.deadlines import deadline_open

    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.resume, code="not_suspended", message="拍卖未处于暂缓或中止状态", rule="AUC-40"
    )
    ended = ended_at or clock.now()
    days = int(setting(auction, "resume_days_online"))
    action = _court_action(
        auction, kind="ground_ended", actor=actor, reason=reason, old=auction.state
    )
    deadline_open(
        rule_id="AUC-40",
        title=deadline_title(gettext_noop("暂缓/中止事由消除后%(days)s日内恢复拍卖"), days=days),
        subject=f"{_notice_subject(auction)}/resume",
        start_event=gettext_noop("暂缓/中止事由消除"),
        started_at=ended,
        period=days,
        court=auction.court_id,
        owner=actor,
    )
    _save_stream_head(auction)
    return action


@transaction.atomic
def auction_resume(
    *, auction_id: int, actor: Actor, reason: str, start_at: dt.datetime, end_at: dt.datetime
) -> CourtAction:
    """恢复 (AUC-40/41): the court sets a new bidding period, still at least 24 hours (AUC-22)."""
    from core.deadlines import deadline_close

    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.resume, code="not_suspended", message="拍卖未处于暂缓或中止状态", rule="AUC-40"
    )
    now = clock.now()
    if start_at < now - dt.timedelta(minutes=1):
        raise _refuse("start_in_past", _("恢复后的竞价开始时间不能早于现在"), "AUC-41")
    if end_at - start_at < dt.timedelta(hours=int(setting(auction, "bidding_min_hours"))):
        raise _refuse("bidding_period_too_short", _("恢复后的竞价时间不得少于二十四小时"), "AUC-22")
    if price_lapsed_assets(auction, start_at):
        raise _refuse(
            "price_lapses_before_start",
            _("恢复后的竞价开始时参考价已过有效期（含宽限期），须重新确定参考价"),
            "PRC-11",
        )
    old = auction.state
    auction.resume()
    auction.start_at, auction.end_at, auction.scheduled_end_at = start_at, end_at, end_at
    auction.save(update_fields=["state", "start_at", "end_at", "scheduled_end_at"])
    action = _court_action(
        auction,
        kind="resume",
        actor=actor,
        reason=reason,
        old=old,
        new_start_at=start_at,
        new_end_at=end_at,
    )
    _save_stream_head(auction)
    deadline_close(subject=f"{_notice_subject(auction)}/resume", rule_id="AUC-40", actor=actor)
    _notify_action(
        auction,
        gettext_lazy("【恢复拍卖】"),
        text(
            gettext_lazy("%(title)s 恢复拍卖，竞价时间 %(start)s 至 %(end)s。"),
            title=auction.title,
            start=start_at,
            end=end_at,
        ),
        f"resume:{action.pk}",
    )
    return action


@transaction.atomic
def auction_withdraw(
    *, auction_id: int, actor: Actor, ground: str, reason: str, document: str = ""
) -> CourtAction:
    """撤回 (AUC-42) before bidding starts; deposits refunded (AUC-41), costs per PRC-16."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if ground not in WITHDRAW_GROUNDS:
        raise _refuse("invalid_ground", _("撤回事由无效"), "AUC-42")
    old = auction.state
    _fire(
        auction.withdraw,
        code="cannot_withdraw",
        message="竞价开始后不能撤回；可暂缓、中止或撤销",
        rule="AUC-42",
    )
    auction.closed_at = clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(
        auction,
        kind="withdraw",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        old=old,
    )
    _release_all(
        auction,
        reason=text(
            gettext_lazy("%(title)s 已撤回拍卖，保证金于 24 小时内退还（AUC-41）。"),
            title=auction.title,
        ),
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    if old != S.DRAFT:
        from pricing.services import reference_price_record_sale

        for asset_id in _lot_asset_ids(auction):
            reference_price_record_sale(
                asset_id=asset_id, auction_ref=auction.ref, outcome="withdrawn"
            )
    _save_stream_head(auction)
    _notify_action(
        auction,
        gettext_lazy("【撤回拍卖】"),
        text(
            gettext_lazy("%(title)s 已撤回拍卖。理由：%(reason)s"),
            title=auction.title,
            reason=reason,
        ),
        f"withdraw:{action.pk}",
    )
    return action


@transaction.atomic
def auction_set_aside(
    *, auction_id: int, actor: Actor, ground: str, reason: str, document: str, follow_up: str
) -> CourtAction:
    """撤销 (AUC-43): the ground, the decision (ruling) and the follow-up are all recorded.

    Deposits still held are refunded, except the buyer's where the ground lies with the
    buyer (collusion, unqualified buyer): the follow-up decides on that one.
    """
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if ground not in SET_ASIDE_GROUNDS:
        raise _refuse("invalid_ground", _("撤销事由无效"), "AUC-43")
    if not document.strip() or not follow_up.strip():
        raise _refuse("field_required", _("须写明撤销裁定和后续处理"), "AUC-43")
    old = auction.state
    _fire(auction.set_aside, code="cannot_set_aside", message="当前状态不能撤销")
    auction.closed_at = auction.closed_at or clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(
        auction,
        kind="set_aside",
        actor=actor,
        reason=reason,
        ground=ground,
        document=document,
        follow_up=follow_up,
        old=old,
    )
    keep = set()
    result = AuctionResult.objects.filter(auction_id=auction.pk).first()
    if result and result.winner_id and ground in ("collusion", "unqualified_buyer"):
        keep.add(result.winner_id)
    if not (result and result.followup_done_at is None and old in (S.SOLD, S.UNSOLD)):
        _release_all(
            auction,
            reason=text(gettext_lazy("%(title)s 拍卖已被撤销，保证金退还。"), title=auction.title),
            exclude=keep,
            hours=int(setting(auction, "refund_hours_after_close")),
        )
    _save_stream_head(auction)
    _notify_action(
        auction,
        gettext_lazy("【撤销拍卖】"),
        text(
            gettext_lazy("%(title)s 的拍卖已被撤销。理由：%(reason)s"),
            title=auction.title,
            reason=reason,
        ),
        f"set_aside:{action.pk}",
    )
    return action


@transaction.atomic
def auction_case_withdrawn(*, auction_id: int, actor: Actor, reason: str) -> CourtAction:
    """撤案: the enforcement case ended before a sale; deposits refunded."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    old = auction.state
    _fire(auction.case_withdraw, code="cannot_withdraw", message="当前状态不能撤案")
    auction.closed_at = auction.closed_at or clock.now()
    auction.save(update_fields=["state", "closed_at"])
    action = _court_action(auction, kind="case_withdrawn", actor=actor, reason=reason, old=old)
    _release_all(
        auction,
        reason=text(gettext_lazy("%(title)s 因撤案终止拍卖，保证金退还。"), title=auction.title),
        hours=int(setting(auction, "refund_hours_on_halt_or_withdrawal")),
    )
    _save_stream_head(auction)
    return action


@transaction.atomic
def auction_take_in_lieu(
    *,
    auction_id: int,
    actor: Actor,
    party_id: int,
    reason: str,
    excess_days: int | None = None,
    eligibility_proof: str = "",
) -> InLieuTaking:
    """以物抵债 (AUC-36): after 流拍 a creditor takes the lot at this round's starting price;
    any excess over its claim is paid within a court-set period."""
    from cases.models import Party

    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.take_in_lieu,
        code="not_unsold",
        message="只有流拍的拍卖可以以物抵债",
        rule="AUC-36",
    )
    party = Party.objects.filter(
        pk=party_id, case_id=_case_id(auction), role=Party.Role.CREDITOR
    ).first()
    if party is None:
        raise _refuse("not_a_creditor", _("以物抵债须为本案申请执行人或其他债权人"), "AUC-36")
    if _lot_purchase_restricted(auction) and not eligibility_proof.strip():
        raise _refuse(
            "eligibility_proof_required", _("限购房产不得由不具备购房资格的债权人抵债"), "AUC-13"
        )
    from bidding.in_lieu import check_in_lieu_party, has_applications

    if has_applications(auction):
        # AUC-36: of the creditors who applied, the earliest priority; equals → lot draw (APR-03).
        check_in_lieu_party(auction, party.pk)
    else:
        others = Party.objects.filter(case_id=_case_id(auction), role=Party.Role.CREDITOR).exclude(
            pk=party.pk
        )
        if party.priority is not None and others.filter(priority__lt=party.priority).exists():
            raise _refuse("lower_priority", _("有受偿顺位在先的债权人，应由其先行抵债"), "AUC-36")
    price = auction.starting_price_fen
    claim = _outstanding_claim_fen(party)
    excess = max(0, price - claim)
    now = clock.now()
    due = None
    if excess:
        if not excess_days or excess_days < 1:
            raise _refuse(
                "excess_period_required", _("抵债价超过债权的，须设定补交差价期限"), "AUC-36"
            )
        due = calendar.within_days(now, excess_days, court=auction.court_id)
    old = auction.state
    auction.take_in_lieu()
    auction.save(update_fields=["state"])
    taking = InLieuTaking.objects.create(
        auction=auction,
        party=party,
        price_fen=price,
        claim_fen=claim,
        excess_fen=excess,
        excess_due_at=due,
        decided_by=actor,
        decided_at=now,
        reason=reason,
    )
    result = AuctionResult.objects.select_for_update().get(auction_id=auction.pk)
    result.buyer_name = party.name
    result.price_fen = price
    result.save(update_fields=["buyer_name", "price_fen"])
    _stream_append(
        auction,
        action="auction.in_lieu",
        actor=actor,
        subject=f"party:{party.pk}",
        at=now,
        before={"state": old},
        after={"price_fen": price, "claim_fen": claim, "excess_fen": excess, "excess_due_at": due},
        reason=reason,
        rules=["AUC-36"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="auction.in_lieu",
        actor=actor,
        reason=reason,
        rules=["AUC-36"],
        after={"party": f"party:{party.pk}", "price_fen": price, "excess_fen": excess},
    )
    from bidding.documents import IN_LIEU_RULING_DRAFT
    from core.documents import document_request

    # The judge's draft 以物抵债裁定书 (AUC-36), issued by the worker (issue 16).
    document_request(doc_type=IN_LIEU_RULING_DRAFT.code, subject=f"{auction.ref}/in_lieu")
    if due is not None:  # an excess over the claim (set just above)
        from settlement.services import balance_due

        balance_due(
            case_id=_case_id(auction),
            sale_ref=auction.sale_ref,
            payer_ref=f"party:{party.pk}",
            payer_name=party.name,
            price_fen=excess,
            deposit_applied_fen=0,
            due_at=due,
            idempotency_key=f"{auction.sale_ref}/in_lieu",
        )
    else:
        _balance_settled(
            auction,
            result,
            now,
            title=gettext_noop("付清价款后十日内送达成交（抵债）裁定"),
            start_event=gettext_noop("付清价款"),
        )
    _state_changed(auction, old)
    return taking


@transaction.atomic
def auction_next_round_create(
    *, auction_id: int, actor: Actor, starting_price_fen: int | None = None
) -> Auction:
    """After 流拍: draft the second auction (AUC-35) or, after a second 流拍, the 变卖 (AUC-37)."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if auction.state != S.UNSOLD:
        raise Conflict("not_unsold", _("只有流拍后才能准备下一轮"), "AUC-35")
    if auction.following.exclude(state__in=[S.WITHDRAWN]).exists():
        raise Conflict("next_round_exists", _("已准备下一轮拍卖"))
    now = clock.now()
    if auction.round == Auction.Round.FIRST:
        start = starting_price_fen or auction.starting_price_fen
        new = _draft_following(
            auction,
            link=Auction.Link.NEXT_ROUND,
            round_=Auction.Round.SECOND,
            now=now,
            actor=actor,
            starting_price_fen=start,
        )
    elif auction.round == Auction.Round.SECOND:
        ratio = Decimal(str(setting(auction, "sale_price_ratio_to_r2_start")))
        start = starting_price_fen or int(
            (Decimal(auction.starting_price_fen) * ratio).to_integral_value()
        )
        new = _draft_following(
            auction,
            link=Auction.Link.SALE,
            round_=Auction.Round.SALE,
            now=now,
            actor=actor,
            starting_price_fen=start,
        )
    else:
        raise Conflict("sale_failed", _("变卖不成的，可以物抵债或解除查封（AUC-38）"), "AUC-38")
    _stream_append(
        auction,
        action="auction.next_round",
        actor=actor,
        subject=new.ref,
        at=now,
        after={"round": new.round},
        rules=["AUC-35" if new.round == "2" else "AUC-37"],
    )
    _save_stream_head(auction)
    return new
