"""Builders for the bidding engine's tests: a case with a lot, verified bidders, live auctions.

Auctions built here skip publication (tested on its own in ``test_services_publish``) and
carry a real settings snapshot, exactly as a published auction does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from bidding import services
from bidding.models import Auction, AuctionState, Registration
from core import clock
from tests.factories import (
    YUAN,
    AssetFactory,
    AuctionFactory,
    BidderFactory,
    CaseFactory,
    CreditorFactory,
    DebtorFactory,
    IdentityFactory,
    LotFactory,
)

if TYPE_CHECKING:
    from cases.models import Case, Identity, Lot, Party
    from core.models import Court, User

PASSWORD = "bid-pass-2026"


def make_identity(
    user: User | None,
    *,
    kind: str = "resident_id",
    name: str | None = None,
    verified: bool = True,
) -> Identity:
    kw: dict[str, Any] = {"name": name} if name else {}
    return IdentityFactory.create(user=user, kind=kind, verified=verified, **kw)


def make_case(
    court: Court,
    *,
    judge: User | None = None,
    claim_fen: int = 1_000_000 * YUAN,
    kind: str = "residential",
    restricted: bool = False,
    creditor_user: User | None = None,
    debtor_user: User | None = None,
    n_assets: int = 1,
    basis_fen: int | None = 120_000 * YUAN,
) -> tuple[Case, Lot, Party, Party]:
    """A case with ``n_assets`` assets in one lot, a creditor and a debtor; each asset priced
    at ``basis_fen`` through pricing's own service unless ``basis_fen`` is None."""
    case = CaseFactory.create(
        court=court,
        judge=judge,
        claim_fen=claim_fen,
        title_document="（2025）测0102民初1号民事判决书",
    )
    n = case.sequence
    assets = [
        AssetFactory.create(
            case=case, kind=kind, name=f"示例标的{n}-{i}", purchase_restricted=restricted
        )
        for i in range(n_assets)
    ]
    if basis_fen:
        from pricing.services import pricing_skip

        for asset in assets:  # a real, usable price basis (PRC-19 market price)
            pricing_skip(asset=asset, ground="easily_priced", market_price_fen=basis_fen)
    lot = LotFactory.create(case=case, title=f"示例拍品{n}", assets=assets)
    creditor = CreditorFactory.create(case=case, user=creditor_user, claim_fen=claim_fen)
    debtor = DebtorFactory.create(case=case, user=debtor_user)
    return case, lot, creditor, debtor


def make_live_auction(
    court: Court | None,
    lot: Lot | None = None,
    *,
    state: str = AuctionState.BIDDING,
    start: int = 100_000 * YUAN,
    increment: int = 1_000 * YUAN,
    deposit: int = 10_000 * YUAN,
    hours: int = 24,
    starts_in: dt.timedelta | None = None,
    round_: str = "1",
    overrides: dict[str, Any] | None = None,
    practice: bool = False,
    owner: User | None = None,
) -> Auction:
    """An auction in ``state`` that started an hour ago (or starts in ``starts_in``)."""
    return AuctionFactory.create(
        court=None if practice else court,
        lot=None if practice else lot,
        practice=practice,
        practice_owner=owner,
        state=state,
        round=round_,
        starting_price_fen=start,
        increment_fen=increment,
        deposit_fen=deposit,
        hours=hours,
        starts_in=starts_in if starts_in is not None else -dt.timedelta(hours=1),
        overrides=overrides,
    )


def bidder_user() -> User:
    """A bidder with a verified identity."""
    user = BidderFactory.create()
    make_identity(user)
    return user


def register_active(
    auction: Auction, user=None, *, priority_rank=None, password=PASSWORD
) -> Registration:
    """A registration whose deposit is held (as settlement's ``DepositHeld`` does), with a
    code and a bidding password. ``priority_rank`` makes it a court-confirmed priority purchaser."""
    user = user or bidder_user()
    reg = services.registration_create(
        auction_id=auction.pk, user=user, accept_terms=True, eligibility_declared=True
    )
    if priority_rank is not None:
        Registration.objects.filter(pk=reg.pk).update(is_priority=True, priority_rank=priority_rank)
    reg = services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=user, password=password)
    reg.refresh_from_db()
    return reg


def bid(auction, reg, amount_fen, *, password=PASSWORD):
    return services.bid_place(
        auction_id=auction.pk, user=reg.user, amount_fen=amount_fen, password=password
    )


def pay_deposit(reg: Registration) -> Registration:
    """The full deposit path: settlement's request, the gateway's confirmation, ``DepositHeld``."""
    from settlement.services.confirmations import intent_confirm

    intent = services.registration_pay_deposit(registration_id=reg.pk, user=reg.user)
    if intent is not None and intent.amount_fen:
        intent_confirm(
            intent_id=intent.pk,
            success=True,
            psp_reference=f"PSP{intent.pk}",
            amount_minor=intent.amount_fen,
            currency="CNY",
        )
    reg.refresh_from_db()
    return reg


def register_paid(auction: Auction, user=None, *, password=PASSWORD, **kw) -> Registration:
    """Register and pay the deposit through settlement (real ledger), then set the password."""
    user = user or bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True, **kw)
    reg = pay_deposit(reg)
    services.registration_set_password(registration_id=reg.pk, user=user, password=password)
    reg.refresh_from_db()
    return reg


def full_disclosures(lot, actor, *, without=()):
    """Every AUC-09 disclosure topic (but those ``without``) and a photo for each asset."""
    from cases.models import AssetFile, Disclosure

    now = clock.now()
    for asset in lot.assets.all():
        for topic in [t for t in Disclosure.Topic.values if t not in without]:
            Disclosure.objects.create(
                asset=asset,
                topic=topic,
                text=f"{topic} 已查明（示例）",
                recorded_by=actor,
                recorded_at=now,
            )
        AssetFile.objects.create(
            asset=asset,
            kind="photo",
            title="外观",
            file="assets/demo.jpg",
            uploaded_at=now,
            uploaded_by=actor,
        )


def serve_all(auction, actor, *, at=None):
    """Serve the auction notice on the parties and priority holders, received and recorded at
    ``at`` (the clock is moved there meanwhile: AUC-10 counts service from its recording)."""
    now = clock.now()
    at = at or now
    clock.set_time(at)
    try:
        _serve_all(auction, actor, at)
    finally:
        clock.set_time(now)


def _serve_all(auction, actor, at):
    from cases.models import Party

    for party in Party.objects.filter(case_id=auction.case_id, role__in=["creditor", "debtor"]):
        services.auction_notice_record(
            auction_id=auction.pk,
            actor=actor,
            recipient=party,
            method="in_person",
            sent_at=at,
            received_at=at,
            proof="送达回证",
        )
    for holder in auction.priority_holders.all():
        services.auction_notice_record(
            auction_id=auction.pk,
            actor=actor,
            recipient=holder,
            method="in_person",
            sent_at=at,
            received_at=at,
            proof="送达回证",
        )


def decide_all(auction, actor, *, at=None):
    """Panel decisions matching the draft's numbers (AUC-04)."""
    at = at or clock.now()
    for topic, value in (
        ("starting_price", auction.starting_price_fen),
        ("increment", auction.increment_fen),
        ("deposit", auction.deposit_fen),
    ):
        services.panel_decision_record(
            auction_id=auction.pk,
            actor=actor,
            topic=topic,
            value_fen=value,
            panel_members="王法官、李法官、赵法官",
            decided_at=at,
        )
    services.panel_decision_record(
        auction_id=auction.pk,
        actor=actor,
        topic="priority_purchasers",
        text="无优先购买权人",
        panel_members="王法官、李法官、赵法官",
        decided_at=at,
    )


def publishable_draft(
    court,
    judge,
    *,
    kind="residential",
    basis_fen=120_000 * YUAN,
    start=100_000 * YUAN,
    lead_days=31,
    without=(),
    **case_kw,
):
    """A draft that passes every publication check: served 3+ days ago, panel decided, full pack."""
    _case, lot, _creditor, _debtor = make_case(
        court, judge=judge, kind=kind, basis_fen=basis_fen, **case_kw
    )
    full_disclosures(lot, judge, without=without)
    now = clock.now()
    start_at = now + dt.timedelta(days=lead_days)
    auction = services.auction_draft_create(
        lot=lot,
        actor=judge,
        starting_price_fen=start,
        increment_fen=1_000 * YUAN,
        deposit_fen=start // 10,
        balance_period_days=30,
        start_at=start_at,
        end_at=start_at + dt.timedelta(hours=24),
        announcement="拍卖公告（示例）",
        bidding_rules="竞价规则（示例）",
        pricing_basis_note="参考价依据（示例）",
        priority_holders_note="无",
        court_contact="0791-00000000（执行局）",
        platform_chosen_by="creditor",
        platform_choice_note="申请执行人书面选择本平台",
    )
    serve_all(auction, judge, at=now - dt.timedelta(days=3))
    decide_all(auction, judge)
    auction.refresh_from_db()
    return auction
