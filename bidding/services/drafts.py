"""Drafts, panel decisions, priority holders, exclusion list, auction notices (AUC-04,
AUC-10, AUC-11, AUC-19); the linked draft of a next round or re-auction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from bidding import locks
from bidding.models import Auction, ExclusionEntry, PanelDecision, PriorityHolder
from bidding.services._common import (
    _case_audit,
    _notice_subject,
    _refuse,
    _require_staff,
    _require_transition,
    _save_stream_head,
    _stream_append,
)
from core import clock
from core.audit import audit_record
from core.rulesettings import SPECS
from core.types import Actor

if TYPE_CHECKING:
    from cases.models import Identity, Lot, Party
    from core.models import ServiceRecord


def _draft_following(
    auction: Auction,
    *,
    link: str,
    round_: str,
    now: dt.datetime,
    actor: Actor,
    starting_price_fen: int | None = None,
) -> Auction:
    """A new draft linked to ``auction`` (next round, 变卖, or re-auction after default)."""
    start = starting_price_fen or auction.starting_price_fen
    titles: dict[str, str] = {
        Auction.Round.FIRST: "一拍",
        Auction.Round.SECOND: "二拍",
        Auction.Round.SALE: "变卖",
    }
    base_title = auction.title
    for word in titles.values():
        base_title = base_title.replace(f"（{word}）", "")
    suffix = titles[round_] + ("（重新拍卖）" if link == Auction.Link.REAUCTION else "")
    new = Auction.objects.create(
        court_id=auction.court_id,
        case_id=auction.case_id,
        lot_id=auction.lot_id,
        previous=auction,
        link=link,
        title=f"{base_title}（{suffix}）",
        round=round_,
        is_practice=auction.is_practice,
        starting_price_fen=start,
        increment_fen=auction.increment_fen,
        deposit_fen=auction.deposit_fen if round_ != Auction.Round.SALE else start,
        balance_period_days=auction.balance_period_days,
        setting_overrides=dict(auction.setting_overrides or {}),
        announcement=auction.announcement,
        bidding_rules=auction.bidding_rules,
        pricing_basis_note=auction.pricing_basis_note,
        title_document_barred_reason=auction.title_document_barred_reason,
        priority_holders_note=auction.priority_holders_note,
        deposit_account=auction.deposit_account,
        taxes_note=auction.taxes_note,
        court_contact=auction.court_contact,
        known_defects_note=auction.known_defects_note,
        priority_claims_fen=auction.priority_claims_fen,
        costs_estimate_fen=auction.costs_estimate_fen,
        platform_chosen_by=auction.platform_chosen_by,
        platform_choice_note=auction.platform_choice_note,
        created_at=now,
        created_by=actor,
    )
    for holder in auction.priority_holders.all():
        PriorityHolder.objects.create(
            auction=new,
            name=holder.name,
            identity=holder.identity,
            rank=holder.rank,
            basis=holder.basis,
            added_by=holder.added_by,
            added_at=now,
        )
    _stream_append(
        new,
        action="auction.drafted",
        actor=actor,
        subject=new.ref,
        at=now,
        after={"previous": auction.ref, "link": link, "round": round_, "starting_price_fen": start},
    )
    _save_stream_head(new)
    return new


DRAFT_FIELDS = (
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
    "title_document_barred_reason",
    "priority_holders_note",
    "deposit_account",
    "taxes_note",
    "court_contact",
    "known_defects_note",
    "warnings_text",
    "priority_claims_fen",
    "costs_estimate_fen",
    "setting_overrides",
    "platform_chosen_by",
    "platform_choice_note",
)

MONEY_FIELDS = (
    "starting_price_fen",
    "increment_fen",
    "deposit_fen",
    "priority_claims_fen",
    "costs_estimate_fen",
)

#: Per-auction court choices a draft may carry into its snapshot (AUC-21, AUC-27).
AUCTION_SETTING_KEYS = (
    "proxy_bidding_enabled",
    "bids_on_increment_grid",
    "first_bid_must_equal_start",
    "forbid_rebid_while_leading",
)


def _clean_fields(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in DRAFT_FIELDS:
            raise _refuse("unknown_field", _("不能修改字段 %(key)s") % {"key": key})
        if key in MONEY_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _refuse("invalid_amount", _("金额须为非负整数（分）"))
            if key in ("starting_price_fen", "increment_fen") and value <= 0:
                raise _refuse("invalid_amount", _("起拍价和加价幅度须大于零"))
        if key == "platform_chosen_by" and value not in ("", *Auction.PlatformChoice.values):
            raise _refuse("invalid_platform_choice", _("平台选定方式无效"), "AUC-02")
        if key == "round" and value not in Auction.Round.values:
            raise _refuse("invalid_round", _("轮次无效"))
        if (
            key == "balance_period_days"
            and value is not None
            and (not isinstance(value, int) or value <= 0)
        ):
            raise _refuse("invalid_balance_period", _("尾款支付期限须为正整数（日）"), "AUC-31")
        if key == "setting_overrides":
            value = dict(value or {})
            for k, v in value.items():
                if k not in AUCTION_SETTING_KEYS:
                    raise _refuse(
                        "unknown_setting", _("本场拍卖不能单独设置参数 %(key)s") % {"key": k}
                    )
                value[k] = SPECS[k].clean(v)
        if isinstance(value, str):
            value = value.strip()
        out[key] = value
    return out


def draft_defaults(lot: Lot) -> dict[str, str]:
    """What a new draft starts with: the lot's title, the court's deposit account and phone."""
    court = lot.case.court
    return {
        "title": lot.title,
        "deposit_account": " ".join(
            x
            for x in (
                court.master_account_name,
                court.master_account_bank,
                court.master_account_no,
            )
            if x
        ),
        "court_contact": court.contact_phone or "",
    }


@transaction.atomic
def auction_draft_create(*, lot: Lot, actor: Actor, **fields: Any) -> Auction:
    """A draft auction (草稿) for a lot of the court's own case; nothing is public yet."""
    case = lot.case
    probe = Auction(court_id=case.court_id, is_practice=False)
    actor = _require_staff(actor, probe)
    values = _clean_fields(fields)
    # A blank field from the page means "the court's own": its account and phone (AUC-09).
    for key, default in draft_defaults(lot).items():
        if not values.get(key):
            values[key] = default
    now = clock.now()
    for key in ("starting_price_fen", "increment_fen", "deposit_fen"):
        if key not in values:
            raise _refuse("field_required", _("须填写起拍价、加价幅度和保证金"), "AUC-04")
    auction = Auction.objects.create(
        court_id=case.court_id, case=case, lot=lot, created_at=now, created_by=actor, **values
    )
    _stream_append(
        auction,
        action="auction.drafted",
        actor=actor,
        subject=auction.ref,
        at=now,
        after={k: v for k, v in values.items() if k in MONEY_FIELDS or k in ("round", "title")},
    )
    _save_stream_head(auction)
    return auction


@transaction.atomic
def auction_draft_update(*, auction_id: int, actor: Actor, **fields: Any) -> Auction:
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.publish,
        code="not_a_draft",
        message="已公告的拍卖不能修改；如需变更，请撤回后重新发布",
    )
    values = _clean_fields(fields)
    before = {k: getattr(auction, k) for k in values}
    for k, v in values.items():
        setattr(auction, k, v)
    _stream_append(
        auction,
        action="auction.draft_updated",
        actor=actor,
        subject=auction.ref,
        before=before,
        after=values,
    )
    auction.save()
    return auction


def current_panel_decisions(auction: Auction) -> dict[str, PanelDecision]:
    """The decision in force per topic: the latest not superseded (REC-08)."""
    out: dict[str, PanelDecision] = {}
    for d in auction.panel_decisions.filter(superseded_by__isnull=True).order_by(
        "recorded_at", "pk"
    ):
        out[d.topic] = d
    return out


@transaction.atomic
def panel_decision_record(
    *,
    auction_id: int,
    actor: Actor,
    topic: str,
    panel_members: str,
    decided_at: dt.datetime,
    value_fen: int | None = None,
    text: str = "",
) -> PanelDecision:
    """Record a collegial-panel decision (AUC-04). Never edited: a new one supersedes the old."""
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    if topic not in PanelDecision.Topic.values:
        raise _refuse("invalid_topic", _("合议事项无效"), "AUC-04")
    if not panel_members or not panel_members.strip():
        raise _refuse("panel_members_required", _("须写明合议庭成员"), "AUC-04")
    if decided_at > clock.now():
        raise _refuse("decided_in_future", _("合议时间不能晚于现在"), "AUC-04")
    if topic != PanelDecision.Topic.PRIORITY_PURCHASERS:
        if isinstance(value_fen, bool) or not isinstance(value_fen, int) or value_fen <= 0:
            raise _refuse("invalid_amount", _("合议决定须写明金额（分）"), "AUC-04")
    elif not text.strip():
        raise _refuse(
            "text_required", _("须写明优先购买权人的资格及顺序（无则写明“无”）"), "AUC-04"
        )
    previous = current_panel_decisions(auction).get(topic)
    now = clock.now()
    decision = PanelDecision.objects.create(
        auction=auction,
        topic=topic,
        value_fen=value_fen,
        text=text.strip(),
        panel_members=panel_members.strip(),
        decided_at=decided_at,
        recorded_by=actor,
        recorded_at=now,
        supersedes=previous,
    )
    _stream_append(
        auction,
        action="panel.decided",
        actor=actor,
        subject=f"panel_decision:{decision.pk}",
        at=now,
        before={"decision": previous.pk, "value_fen": previous.value_fen} if previous else None,
        after={
            "topic": topic,
            "value_fen": value_fen,
            "text": text,
            "panel": panel_members,
            "decided_at": decided_at,
        },
        rules=["AUC-04", "REC-08"],
    )
    _save_stream_head(auction)
    _case_audit(
        auction,
        action="panel.decided",
        actor=actor,
        rules=["AUC-04"],
        after={"topic": topic, "value_fen": value_fen, "decided_at": decided_at},
    )
    return decision


@transaction.atomic
def priority_holder_add(
    *,
    auction_id: int,
    actor: Actor,
    name: str,
    rank: int,
    basis: str,
    identity: Identity | None = None,
) -> PriorityHolder:
    auction = locks.auction_for_update(auction_id)
    actor = _require_staff(actor, auction)
    _require_transition(
        auction.publish, code="not_a_draft", message="公告后不能再增加优先购买权人", rule="AUC-10"
    )
    if not isinstance(rank, int) or rank < 1:
        raise _refuse("invalid_rank", _("优先顺序须为正整数（1 为最优先）"), "AUC-19")
    if not name.strip() or not basis.strip():
        raise _refuse("field_required", _("须填写优先购买权人姓名及权利依据"), "AUC-19")
    holder = PriorityHolder.objects.create(
        auction=auction,
        name=name.strip(),
        identity=identity,
        rank=rank,
        basis=basis.strip(),
        added_by=actor,
        added_at=clock.now(),
    )
    _stream_append(
        auction,
        action="priority_holder.added",
        actor=actor,
        subject=f"priority_holder:{holder.pk}",
        after={"name": holder.name, "rank": rank, "basis": holder.basis},
        rules=["AUC-19"],
    )
    _save_stream_head(auction)
    return holder


@transaction.atomic
def exclusion_add(
    *, lot: Lot, actor: Actor, category: str, identity_kind: str, identity_number: str, name: str
) -> ExclusionEntry:
    """AUC-11: add a person or body to the lot's exclusion list."""
    probe = Auction(court_id=lot.case.court_id)
    actor = _require_staff(actor, probe)
    if category not in ExclusionEntry.Category.values:
        raise _refuse("invalid_category", _("类别无效"), "AUC-11")
    number = (identity_number or "").strip().upper()
    if not number or not name.strip():
        raise _refuse("field_required", _("须填写证件号码和姓名/名称"), "AUC-11")
    entry = ExclusionEntry.objects.create(
        lot=lot,
        category=category,
        identity_kind=identity_kind,
        identity_number=number,
        name=name.strip(),
        added_by=actor,
        added_at=clock.now(),
    )

    audit_record(
        stream=f"case:{lot.case_id}",
        action="exclusion.added",
        actor=actor,
        subject=f"case:{lot.case_id}/lot:{lot.pk}",
        after={"category": category, "name": entry.name},
        rules=["AUC-11"],
    )
    return entry


@transaction.atomic
def auction_notice_record(
    *,
    auction_id: int,
    actor: Actor,
    recipient: PriorityHolder | Party,
    method: str,
    sent_at: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    proof: str = "",
    unreachable_reason: str = "",
) -> ServiceRecord:
    """Serve the auction notice on a party (``cases.Party``) or priority holder (AUC-10)."""
    from core.service import service_record

    auction = Auction.objects.get(pk=auction_id)
    actor = _require_staff(actor, auction)
    if isinstance(recipient, PriorityHolder):
        ref, name, user = recipient.recipient_ref, recipient.name, None
    else:
        ref, name, user = f"party:{recipient.pk}", recipient.name, recipient.user
    return service_record(
        court=auction.court_id,
        subject=_notice_subject(auction),
        document=f"拍卖通知：{auction.title}",
        document_kind="auction_notice",
        recipient_ref=ref,
        recipient_name=name,
        recipient_user=user,
        method=method,
        sent_at=sent_at,
        received_at=received_at,
        proof=proof,
        unreachable_reason=unreachable_reason,
        actor=actor,
    )
