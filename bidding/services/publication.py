"""Publication (公告): every refusal names its rule; the AUC-06/07 records before it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django_fsm import can_proceed

from bidding import locks
from bidding.events import AuctionPublished
from bidding.models import Auction, AuctionResult, DisposalRoute, InLieuTaking, PanelDecision
from bidding.services._common import (
    S,
    _auction_link,
    _case_audit,
    _case_id,
    _case_of,
    _cst,
    _lot_asset_ids,
    _lot_of,
    _lot_purchase_restricted,
    _notice_subject,
    _notify_many,
    _parties_users,
    _refuse,
    _require_staff,
    _require_transition,
    _snapshot_for,
    _state_changed,
    _stream_append,
    _titled_text,
    setting,
)
from bidding.services.disposal import disposal_route_current
from bidding.services.drafts import current_panel_decisions
from core import calendar, clock
from core.errors import Conflict, DomainError
from core.events import publish_on_commit
from core.fsm import require_allowed
from core.notifications import text
from core.types import Actor

# Stored in Chinese in the announcement (the court's text); shown to a reader line by line
# through gettext (``|stored``), so an English reader sees these standard lines in English.
STANDARD_WARNINGS = [
    gettext_noop(
        "竞买人应当具备完全民事行为能力，法律、行政法规对买受人资格有特别规定的，应当具备相应资格。"
    ),
    gettext_noop("委托他人代为竞买的，应当在竞价程序开始前经人民法院确认，并通知网络服务提供者。"),
    gettext_noop("标的物以实物现状为准，法院不负瑕疵担保责任；已知瑕疵见披露事项。"),
    gettext_noop("拍卖成交后，买受人的真实身份将依法公示。"),
    gettext_noop("买受人悔拍的，交纳的保证金不予退还。"),
]

HOUSE_WARNING = gettext_noop(
    "本标的物为住房，竞买人须符合当地住房限购政策，报名时声明具备购房资格，成交裁定前须提交资格证明。"
)


def _price_basis_for(
    auction: Auction, at: dt.datetime
) -> tuple[int | None, dict[int, dict[str, Any]], list[str]]:
    from pricing.services import reference_price_valid_for

    bases: dict[int, dict[str, Any]] = {}
    missing: list[str] = []
    for asset in _lot_of(auction).assets.order_by("pk"):
        basis = reference_price_valid_for(asset_id=asset.pk, at=at)
        if basis is None:
            missing.append(asset.name)
            continue
        bases[asset.pk] = {
            "kind": basis.kind,
            "amount_fen": basis.amount_fen,
            "ground": basis.ground,
            "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
            "procedure_ref": basis.procedure_ref,
        }
    total = sum(b["amount_fen"] for b in bases.values()) if not missing else None
    return total, bases, missing


def _lead_days(auction: Auction, immovable: bool) -> tuple[int, str]:
    if auction.round == Auction.Round.SALE:
        return (int(setting(auction, "sale_immovable_lead_days")) if immovable else 0), "AUC-38"
    if auction.round == Auction.Round.SECOND:
        key = "announce_lead_days_r2_immovable" if immovable else "announce_lead_days_r2_movable"
        return int(setting(auction, key)), "AUC-35"
    key = "announce_lead_days_r1_immovable" if immovable else "announce_lead_days_r1_movable"
    return int(setting(auction, key)), "AUC-08"


def _pack_missing(auction: Auction) -> list[str]:
    """AUC-09: what the disclosure pack still lacks."""
    from cases.models import AssetFile, Disclosure
    from cases.selectors import current_disclosures

    missing = []
    if not auction.announcement:
        missing.append(gettext("拍卖公告正文"))
    if not auction.bidding_rules:
        missing.append(gettext("竞价规则"))
    if not (_case_of(auction).title_document or auction.title_document_barred_reason):
        missing.append(gettext("执行依据（或不公开的理由）"))
    if not auction.pricing_basis_note:
        missing.append(gettext("评估报告或定价依据说明"))
    if not auction.priority_holders_note:
        missing.append(gettext("优先购买权人情况（无则写明“无”）"))
    if not auction.deposit_account:
        missing.append(gettext("保证金账户"))
    if not auction.court_contact:
        missing.append(gettext("法院联系方式"))
    required_topics = [
        Disclosure.Topic.TITLE,
        Disclosure.Topic.ENCUMBRANCES,
        Disclosure.Topic.POSSESSION,
        Disclosure.Topic.DEFECTS,
    ]
    for asset in _lot_of(auction).assets.order_by("pk"):
        have = current_disclosures(asset)
        for topic in required_topics:
            if topic not in have:
                missing.append(
                    gettext("%(asset)s：%(topic)s")
                    % {"asset": asset.name, "topic": Disclosure.Topic(topic).label}
                )
        if Disclosure.Topic.TAXES not in have and not (auction.taxes_note or "").strip():
            # AUC-45: who pays the transfer taxes (the payer the law names, else the court's
            # decision) is stated in the announcement; a note of blanks states nothing.
            missing.append(
                gettext("%(asset)s：%(topic)s（AUC-45）")
                % {"asset": asset.name, "topic": Disclosure.Topic.TAXES.label}
            )
        if not asset.files.filter(kind__in=[AssetFile.Kind.PHOTO, AssetFile.Kind.VIDEO]).exists():
            missing.append(gettext("%(asset)s：照片或视频") % {"asset": asset.name})
    return missing


def lot_unsold_awaiting_next_round(
    lot_id: int, *, now: dt.datetime | None = None
) -> Auction | None:
    """The lot's 流拍 auction whose next round (再次拍卖 AUC-35, 变卖 AUC-37) is still due: no
    following auction yet and its window still open. While it is, the lot continues through
    "准备下一轮", never through a fresh first auction (which would skip the AUC-35 price floor)."""
    now = now or clock.now()
    last = (
        Auction.objects.filter(lot_id=lot_id, is_practice=False, state=S.UNSOLD)
        .order_by("-closed_at", "-pk")
        .first()
    )
    if last is None or last.closed_at is None or last.round == Auction.Round.SALE:
        return None
    if last.following.exclude(state=S.WITHDRAWN).exists():
        return None
    if last.round == Auction.Round.FIRST:
        days = int(setting(last, "reauction_days_after_unsold"))
    else:
        days = int(setting(last, "sale_announce_days"))
    if now > calendar.within_days(last.closed_at, days, court=last.court_id):
        return None
    return last


#: Collects one publication problem: ``add(code, message, rule)``.
AddProblem = Callable[[str, str, str], None]


def auction_publish_problems(
    auction: Auction, *, now: dt.datetime | None = None
) -> list[DomainError]:
    """Every reason publication is refused, each naming its rule (the court page lists them all).

    The checks run in the order the court page lists them; each adds its problems with ``add``.
    """
    now = now or clock.now()
    problems: list[DomainError] = []

    def add(code: str, message: str, rule: str) -> None:
        problems.append(DomainError(code, message, rule=rule))

    if auction.is_practice:
        return problems
    if not can_proceed(auction.publish):
        add("not_a_draft", gettext("只有草稿可以发布"), "AUC-03")
        return problems
    _check_case_and_route(auction, add)
    _check_panel_decisions(auction, add)
    _check_period(auction, now, add)
    _check_platform_and_balance_period(auction, add)
    _check_deposit(auction, add)
    # AUC-05 (first round) against the price basis; AUC-35 / AUC-37 against the previous round.
    _check_starting_price(auction, now, add)
    _check_price_validity(auction, now, add)
    _check_next_round_due(auction, now, add)
    _check_low_start(auction, add)
    _check_proceeds(auction, add)
    _check_lot_free(auction, add)
    # AUC-09: the full disclosure pack.
    missing = _pack_missing(auction)
    if missing:
        add(
            "disclosure_incomplete",
            gettext("披露材料不全：%(items)s") % {"items": gettext("、").join(missing)},
            "AUC-09",
        )
    _check_parties_served(auction, now, add)
    return problems


def _check_case_and_route(auction: Auction, add: AddProblem) -> None:
    """AUC-42: the case is open; AUC-44 / AUC-01: no other disposal route was decided."""
    if _case_of(auction).status != "open":
        add("case_not_open", gettext("案件不在执行中，不能发布拍卖"), "AUC-42")
    route = disposal_route_current(lot_id=auction.lot_id) if auction.lot_id else None
    if route is not None and route.route == DisposalRoute.Route.SELF_SALE:
        add("self_sale_in_progress", gettext("被执行人自行处置期间，不得发布网络拍卖"), "AUC-44")
    elif route is not None:
        add("offline_route_decided", gettext("法院已决定以其他途径处置该拍品"), "AUC-01")


def _check_panel_decisions(auction: Auction, add: AddProblem) -> None:
    """AUC-04: a current panel decision for each number, matching what is published."""
    start, inc, dep = auction.starting_price_fen, auction.increment_fen, auction.deposit_fen
    decisions = current_panel_decisions(auction)
    for topic, value in (("starting_price", start), ("increment", inc), ("deposit", dep)):
        d = decisions.get(topic)
        label = PanelDecision.Topic(topic).label
        if d is None:
            add(
                "panel_decision_missing",
                gettext("缺少合议庭关于%(label)s的决定") % {"label": label},
                "AUC-04",
            )
        elif d.value_fen != value:
            add(
                "panel_decision_mismatch",
                gettext("%(label)s与合议庭决定不一致") % {"label": label},
                "AUC-04",
            )
    if PanelDecision.Topic.PRIORITY_PURCHASERS not in decisions:
        add(
            "panel_decision_missing",
            gettext("缺少合议庭关于优先购买权人资格及顺序的决定"),
            "AUC-04",
        )


def _check_period(auction: Auction, now: dt.datetime, add: AddProblem) -> None:
    """Time: a future start, a period of at least 24 h (AUC-22), the lead time (AUC-08/35/38)."""
    if not auction.start_at or not auction.end_at:
        add("period_required", gettext("须设定竞价开始和结束时间"), "AUC-22")
        return
    if auction.round == Auction.Round.SALE:
        days = int(setting(auction, "sale_period_days"))
        if auction.end_at - auction.start_at != dt.timedelta(days=days):
            add("sale_period", gettext("变卖期须为 %(days)s 日") % {"days": days}, "AUC-37")
    elif auction.end_at - auction.start_at < dt.timedelta(
        hours=int(setting(auction, "bidding_min_hours"))
    ):
        add("bidding_period_too_short", gettext("竞价时间不得少于二十四小时"), "AUC-22")
    immovable = any(a.is_immovable for a in _lot_of(auction).assets.all())
    lead, rule = _lead_days(auction, immovable)
    earliest = calendar.at_least_days_before(now, lead)
    if auction.start_at.astimezone(calendar.CST).date() < earliest or auction.start_at <= now:
        kind = "不动产或财产权" if immovable else "动产"
        add(
            "lead_time_too_short",
            gettext("%(kind)s公告期不足 %(lead)s 日，竞价最早可于 %(earliest)s 开始")
            % {"kind": kind, "lead": lead, "earliest": format(earliest, "%Y-%m-%d")},
            rule,
        )


def _check_platform_and_balance_period(auction: Auction, add: AddProblem) -> None:
    """AUC-02: who chose the platform is on record (the court designates only with a reason);
    AUC-31: the balance period is a required field with no default."""
    if not auction.platform_chosen_by:
        add(
            "platform_choice_missing",
            gettext("须记录网络拍卖平台由谁选定（申请执行人选择或法院指定）"),
            "AUC-02",
        )
    elif (
        auction.platform_chosen_by == Auction.PlatformChoice.COURT
        and not auction.platform_choice_note
    ):
        add(
            "platform_choice_reason",
            gettext("法院指定平台的，须记录申请执行人未选择或当事人意见不一的情况"),
            "AUC-02",
        )
    if not auction.balance_period_days:
        add("balance_period_required", gettext("须设定尾款支付期限（无默认值）"), "AUC-31")


def _check_deposit(auction: Auction, add: AddProblem) -> None:
    """AUC-16 (or AUC-37: 变卖 qualifies by paying the full price)."""
    start, dep = auction.starting_price_fen, auction.deposit_fen
    if auction.round == Auction.Round.SALE and setting(auction, "sale_full_payment_to_qualify"):
        if dep != start:
            add("sale_full_payment", gettext("变卖须全额交纳价款方可参与竞买"), "AUC-37")
        return
    low = Decimal(start) * Decimal(str(setting(auction, "deposit_ratio_min")))
    high = Decimal(start) * Decimal(str(setting(auction, "deposit_ratio_max")))
    if not (low <= dep <= high):
        add("deposit_out_of_range", gettext("保证金须为起拍价的 5% 至 20%"), "AUC-16")


def _check_next_round_due(auction: Auction, now: dt.datetime, add: AddProblem) -> None:
    """AUC-35 / AUC-37: a lot whose unsold round is still due continues there, never through a
    fresh first auction."""
    if auction.round != Auction.Round.FIRST or auction.previous_id is not None:
        return
    if not auction.lot_id:
        return
    unsold = lot_unsold_awaiting_next_round(auction.lot_id, now=now)
    if unsold is not None:
        nxt = "AUC-35" if unsold.round == Auction.Round.FIRST else "AUC-37"
        add(
            "next_round_due",
            gettext("该拍品的%(round)s已流拍，应在其拍卖页面“准备下一轮”继续处置，不能另行发布一拍")
            % {"round": unsold.get_round_display()},
            nxt,
        )


def _check_low_start(auction: Auction, add: AddProblem) -> None:
    """AUC-06: a start that cannot cover priority claims and costs."""
    floor = auction.priority_claims_fen + auction.costs_estimate_fen
    if floor <= 0 or auction.starting_price_fen > floor:
        return
    if auction.low_start_notified_at is None:
        add(
            "low_start_notice_required",
            gettext("起拍价不足以清偿优先债权和执行费用，须先通知申请执行人"),
            "AUC-06",
        )
    elif auction.applicant_insisted_at is None:
        add(
            "applicant_not_insisted",
            gettext("申请执行人未在收到通知后五日内申请继续拍卖"),
            "AUC-06",
        )
    else:
        add(
            "low_start_not_exceeding",
            gettext("申请执行人申请继续拍卖的，重新确定的起拍价须高于优先债权和执行费用总额"),
            "AUC-06",
        )


def _check_proceeds(auction: Auction, add: AddProblem) -> None:
    """AUC-07: the case's proceeds already cover the debt and costs."""
    if (
        _case_proceeds_fen(auction) >= _case_of(auction).claim_fen + auction.costs_estimate_fen
        and auction.debtor_consented_at is None
    ):
        add(
            "proceeds_cover_debt",
            gettext("本案已拍卖所得足以清偿债务和费用，未经被执行人同意不得继续拍卖"),
            "AUC-07",
        )


def _check_lot_free(auction: Auction, add: AddProblem) -> None:
    """Only one live auction per lot (AUC-03)."""
    if (
        Auction.objects.filter(
            lot_id=_lot_of(auction).pk,
            state__in=[S.SCHEDULED, S.BIDDING, S.EXTENDED, S.SUSPENDED, S.HALTED, S.SOLD],
        )
        .exclude(pk=auction.pk)
        .exists()
    ):
        add("lot_busy", gettext("该拍品已有进行中或已成交的拍卖"), "AUC-03")


def _check_parties_served(auction: Auction, now: dt.datetime, add: AddProblem) -> None:
    """AUC-10: parties and known priority purchasers served at least 3 days before."""
    from cases.models import Party
    from core.service import recipient_served_at

    days = int(setting(auction, "party_notice_lead_days"))
    recipients = [
        (f"party:{p.pk}", p.name)
        for p in Party.objects.filter(
            case_id=_case_id(auction), role__in=[Party.Role.CREDITOR, Party.Role.DEBTOR]
        ).order_by("pk")
    ]
    recipients += [(h.recipient_ref, h.name) for h in auction.priority_holders.all()]
    unserved = []
    for ref, name in recipients:
        # AUC-10: counted from when the receipt, waiver or publication was recorded, never
        # from an earlier date typed in with it.
        served = recipient_served_at(
            subject=_notice_subject(auction), recipient_ref=ref, as_recorded=True
        )
        if (
            served is None
            or not calendar.is_at_least_days_before(served, now, days)
            or served > now
        ):
            unserved.append(name)
    if unserved:
        add(
            "parties_not_served",
            gettext(
                "以下当事人或优先购买权人未在公告 %(days)s 日前送达（签收、书面放弃或视为送达）：%(names)s"
            )
            % {"days": days, "names": gettext("、").join(unserved)},
            "AUC-10",
        )


def _check_starting_price(auction: Auction, now: dt.datetime, add: AddProblem) -> None:
    start = auction.starting_price_fen
    prev = auction.previous
    if auction.round == Auction.Round.FIRST:
        _check_floor_after_unsold(auction, add)
        total, bases, missing = _price_basis_for(auction, now)
        if missing or total is None:
            add(
                "no_price_basis",
                gettext("以下财产没有有效的参考价：%(items)s")
                % {"items": gettext("、").join(missing)},
                "PRC-11",
            )
            return
        if any(b["kind"] == "equity_waiver" for b in bases.values()):
            # PRC-20: the 70% check is waived; the start must exceed the enforcement costs.
            if start <= total:
                add("start_below_costs", gettext("股权起拍价须高于执行费用"), "PRC-20")
            return
        ratio = Decimal(str(setting(auction, "first_auction_min_start_ratio")))
        if Decimal(start) < ratio * Decimal(total):
            add(
                "start_below_ratio",
                gettext("一拍起拍价不得低于参考价的 %(ratio)s%%") % {"ratio": int(ratio * 100)},
                "AUC-05",
            )
        return
    if prev is None:
        add("previous_round_required", gettext("再次拍卖或变卖须关联上一轮拍卖"), "AUC-35")
        return
    if auction.link == Auction.Link.REAUCTION:
        return  # AUC-33: the re-auction after a default repeats the defaulted round's numbers
    expected_prev_round = (
        Auction.Round.FIRST if auction.round == Auction.Round.SECOND else Auction.Round.SECOND
    )
    closed = prev.closed_at
    if prev.state != S.UNSOLD or prev.round != expected_prev_round or closed is None:
        add("previous_round_not_unsold", gettext("上一轮拍卖须为流拍"), "AUC-35")
        return
    anchor_at = (
        now
        if setting(auction, "reauction_deadline_anchor") == "announcement_published"
        else auction.start_at
    )
    if auction.round == Auction.Round.SECOND:
        cut = Decimal(str(setting(auction, "second_auction_max_cut_ratio")))
        if Decimal(start) < (1 - cut) * Decimal(prev.starting_price_fen):
            add(
                "cut_too_deep",
                gettext("再次拍卖起拍价降价幅度不得超过前次起拍价的 %(cut)s%%")
                % {"cut": int(cut * 100)},
                "AUC-35",
            )
        days = int(setting(auction, "reauction_days_after_unsold"))
        if anchor_at and anchor_at > calendar.within_days(closed, days, court=auction.court_id):
            add(
                "reauction_too_late",
                gettext("流拍后应在 %(days)s 日内再次拍卖") % {"days": days},
                "AUC-35",
            )
    else:
        ratio = Decimal(str(setting(auction, "sale_price_ratio_to_r2_start")))
        if Decimal(start) < ratio * Decimal(prev.starting_price_fen):
            add("sale_price_too_low", gettext("变卖价不得低于二拍起拍价"), "AUC-37")
        days = int(setting(auction, "sale_announce_days"))
        if now > calendar.within_days(closed, days, court=auction.court_id):
            add(
                "sale_too_late",
                gettext("二拍流拍后应在 %(days)s 日内发布变卖公告") % {"days": days},
                "AUC-37",
            )


def _check_price_validity(auction: Auction, now: dt.datetime, add: AddProblem) -> None:
    """PRC-11 for every round: the price is usable now (a later round or 变卖 too, inside the
    grace the first announcement opened), and bidding starts before validity and grace end."""
    from pricing.services import reference_price_usable_until

    if not auction.lot_id:
        return
    expired, late = [], []
    latest: dt.datetime | None = None
    for asset in _lot_of(auction).assets.order_by("pk"):
        until = reference_price_usable_until(asset_id=asset.pk, announced_at=now)
        if until is None or now > until:
            expired.append(asset.name)
        elif auction.start_at and auction.start_at > until:
            late.append(asset.name)
            latest = until if latest is None else min(latest, until)
    if expired and auction.round != Auction.Round.FIRST:  # 一拍: no_price_basis already says so
        add(
            "price_expired",
            gettext("以下财产的参考价已过有效期：%(items)s")
            % {"items": gettext("、").join(expired)},
            "PRC-11",
        )
    if late and latest is not None:
        add(
            "price_lapses_before_start",
            gettext("竞价开始时参考价已过有效期（含宽限期），最迟须于 %(latest)s 前开始：%(items)s")
            % {"latest": _cst(latest, "%Y-%m-%d %H:%M"), "items": gettext("、").join(late)},
            "PRC-11",
        )


def _check_floor_after_unsold(auction: Auction, add: AddProblem) -> None:
    """AUC-35: once a round of the lot went unsold, a later start is at least 80% of that
    round's start, whatever the timing: a fresh 一拍 after the 30-day window (or a next round
    made anew) cannot go under the floor with the first round's 70% of the basis (AUC-05)."""
    if not auction.lot_id:
        return
    last = (
        Auction.objects.filter(lot_id=auction.lot_id, is_practice=False, state=S.UNSOLD)
        .exclude(pk=auction.pk)
        .order_by("-closed_at", "-pk")
        .first()
    )
    if last is None:
        return
    cut = Decimal(str(setting(auction, "second_auction_max_cut_ratio")))
    if Decimal(auction.starting_price_fen) < (1 - cut) * Decimal(last.starting_price_fen):
        add(
            "cut_too_deep",
            gettext("该拍品曾于%(round)s流拍，起拍价降价幅度不得超过前次起拍价的 %(cut)s%%")
            % {"round": last.get_round_display(), "cut": int(cut * 100)},
            "AUC-35",
        )


def _case_proceeds_fen(auction: Auction) -> int:
    """What the case's other lots already fetched (sales not defaulted or set aside, takings in lieu)."""
    sold = (
        AuctionResult.objects.filter(
            auction__case_id=_case_id(auction),
            auction__state=S.SOLD,
            outcome=AuctionResult.Outcome.SOLD,
        )
        .exclude(auction_id=auction.pk)
        .values_list("price_fen", flat=True)
    )
    in_lieu = InLieuTaking.objects.filter(auction__case_id=_case_id(auction)).values_list(
        "price_fen", flat=True
    )
    return sum(p or 0 for p in sold) + sum(in_lieu)


@transaction.atomic
def auction_publish(*, auction_id: int, actor: Actor) -> Auction:
    """公告: refuse, naming every rule not met; else snapshot the settings and go public."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    not_a_draft = Conflict("not_a_draft", gettext("只有草稿状态的拍卖可以发布"))
    if auction.is_practice:
        # A practice auction goes live when it starts (``practice_auction_start``); it has no
        # case to check a publication against.
        raise not_a_draft
    require_allowed(auction.publish, not_a_draft)
    now = clock.now()
    problems = auction_publish_problems(auction, now=now)
    if problems:
        first = problems[0]
        raise DomainError(
            "publication_refused",
            gettext("不能发布：%(problems)s")
            % {"problems": gettext("；").join(f"{p.message}（{p.rule}）" for p in problems)},
            rule=first.rule,
            problems=[p.as_dict() for p in problems],
        )
    old = auction.state
    if auction.round == Auction.Round.FIRST:
        _, bases, _ = _price_basis_for(auction, now)
        auction.price_basis = {str(k): v for k, v in bases.items()}
    auction.settings_snapshot = _snapshot_for(auction)
    warnings = [w for w in STANDARD_WARNINGS if w not in auction.warnings_text]
    if _lot_purchase_restricted(auction) and HOUSE_WARNING not in auction.warnings_text:
        warnings.append(HOUSE_WARNING)
    if warnings:
        auction.warnings_text = "\n".join(filter(None, [auction.warnings_text, *warnings]))
    auction.applicant_bears_costs = auction.applicant_insisted_at is not None
    auction.scheduled_end_at = auction.end_at
    auction.published_at = now
    auction.published_by = actor
    auction.publish()
    pack = {
        k: getattr(auction, k)
        for k in (
            "title",
            "round",
            "starting_price_fen",
            "increment_fen",
            "deposit_fen",
            "balance_period_days",
            "start_at",
            "end_at",
            "announcement",
            "bidding_rules",
            "pricing_basis_note",
            "priority_holders_note",
            "deposit_account",
            "taxes_note",
            "court_contact",
            "known_defects_note",
            "warnings_text",
        )
    }
    _stream_append(
        auction,
        action="auction.published",
        actor=actor,
        subject=auction.ref,
        at=now,
        after={"announcement": pack, "price_basis": auction.price_basis},
        rules=[
            "AUC-04",
            "AUC-05",
            "AUC-08",
            "AUC-09",
            "AUC-10",
            "AUC-16",
            "AUC-22",
            "AUC-31",
            "REC-06",
        ],
    )
    auction.save()
    _case_audit(
        auction,
        action="auction.published",
        actor=actor,
        rules=["AUC-03"],
        after={
            "round": auction.round,
            "starting_price_fen": auction.starting_price_fen,
            "start_at": auction.start_at,
            "end_at": auction.end_at,
        },
    )
    from pricing.services import reference_price_record_announcement

    if auction.round == Auction.Round.FIRST:
        for asset_id in _lot_asset_ids(auction):
            reference_price_record_announcement(
                asset_id=asset_id, auction_ref=auction.ref, published_at=now
            )
    if auction.previous_id:
        from core.deadlines import deadline_close

        deadline_close(
            subject=f"case:{auction.case_id}/auction:{auction.previous_id}",
            actor=actor,
            reason=f"已发布 {auction.ref}",
        )
    _notify_many(
        _parties_users(auction),
        topic="auction.announced",
        subject=gettext_lazy("【拍卖公告】"),
        body=text(
            gettext_lazy("%(auction)s已公告，竞价时间 %(start)s 至 %(end)s。"),
            auction=_titled_text(auction),
            start=auction.start_at or "",
            end=auction.end_at or "",
        ),
        key=f"auction:{auction.pk}:announced",
        link=_auction_link(auction),
        court=auction.court_id,
    )
    _state_changed(auction, old)
    publish_on_commit(AuctionPublished(auction_id=auction.pk))
    return auction


@transaction.atomic
def auction_low_start_notice(
    *, auction_id: int, actor: Actor, insisted_at: dt.datetime | None = None
) -> Auction:
    """AUC-06: record the notice to the applicant, or (``insisted_at``) the applicant's request
    to continue, which must come within 5 days of the notice (a constant, not a setting)."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.publish, code="not_a_draft", message="只有草稿可以记录", rule="AUC-06"
    )
    now = clock.now()
    if insisted_at is None:
        auction.low_start_notified_at = now
        action = "auction.low_start_notified"
    else:
        if auction.low_start_notified_at is None:
            raise _refuse("notice_first", gettext("须先通知申请执行人"), "AUC-06")
        if insisted_at > calendar.within_days(
            auction.low_start_notified_at, 5, court=auction.court_id
        ):
            raise _refuse(
                "insist_too_late", gettext("申请执行人须在收到通知后五日内申请继续拍卖"), "AUC-06"
            )
        auction.applicant_insisted_at = insisted_at
        action = "auction.applicant_insisted"
    _stream_append(
        auction,
        action=action,
        actor=actor,
        subject=auction.ref,
        rules=["AUC-06"],
        after={
            "notified_at": auction.low_start_notified_at,
            "insisted_at": auction.applicant_insisted_at,
        },
    )
    auction.save()
    return auction


@transaction.atomic
def auction_debtor_consent(*, auction_id: int, actor: Actor, note: str) -> Auction:
    """AUC-07: the debtor consents to selling further lots after the debt is covered."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if not note.strip():
        raise _refuse("reason_required", gettext("须记录被执行人同意的方式和内容"), "AUC-07")
    auction.debtor_consented_at = clock.now()
    _stream_append(
        auction,
        action="auction.debtor_consented",
        actor=actor,
        subject=auction.ref,
        reason=note,
        rules=["AUC-07"],
    )
    auction.save()
    return auction
