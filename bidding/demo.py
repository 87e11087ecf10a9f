"""Demo auctions (honest sample data, marked 示例), built through the real services.

Uses ``ctx["lots"]`` / ``ctx["assets"]`` / ``ctx["users"]`` from the cases and core seeds:

- the flat: bidding now, ending about 2 hours after the seed, with bids by bidder1 and
  bidder2 (registered, deposits confirmed through settlement, codes issued);
- the shop: announced (预告), bidding starts in 31 days;
- the car: ended and sold; balance paid, sale ruling served, handover in progress;
- the equity: ended unsold (流拍); the AUC-35 next-round deadline is open;
- a practice auction (模拟拍) for the marketplace lobby.

Past events (notices, announcements, bids) are recorded by running the services with the
injectable clock set to the time they happened, so every rule is checked as it would have
been then and the audit trail carries those times. Price basis: pricing's own basis when it
has one for the asset; otherwise a PRC-19 market price recorded through
``pricing.services.pricing_skip`` (ground 容易确定), marked 示例.

Idempotent: a lot that already has an auction is left alone. The bidding password of the demo
bidders is the demo password printed by ``seed_demo``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core import clock

if TYPE_CHECKING:
    from bidding.models import Auction, Registration
    from cases.models import Lot
    from core.models import User

log = logging.getLogger("gavel.demo")

YUAN = 100
DEMO_BID_PASSWORD = "gavel-demo-2026"
MARK = "（示例）"


@contextmanager
def _at(when: dt.datetime) -> Iterator[None]:
    """Run services as of ``when`` (the past), then give the clock back as it was."""
    saved = clock.state()
    clock.set_time(when)
    try:
        yield
    finally:
        clock.reset()
        frozen, offset = saved["frozen"], saved["offset"]
        if isinstance(frozen, str) and frozen:
            clock.set_time(dt.datetime.fromisoformat(frozen))
        elif isinstance(offset, int | float) and offset:
            clock.advance(dt.timedelta(seconds=float(offset)))


def _complete_pack(lot: Lot, judge: User) -> None:
    """Fill the disclosure topics and the photos AUC-09 needs, where the cases seed left gaps.

    The photos are drawn scenes of the lot's kind (``cases.demo_images``: a block of flats and
    its rooms, a shop front, a car…), a few per asset, marked 示例."""
    from django.core.files.base import ContentFile

    from cases.demo_images import photos_for
    from cases.models import AssetFile, Disclosure
    from cases.selectors import current_disclosures
    from cases.services import asset_file_add, disclosure_record

    for asset in lot.assets.all():
        have = current_disclosures(asset)
        for topic, _label in Disclosure.Topic.choices:
            if topic not in have:
                disclosure_record(
                    asset=asset,
                    topic=topic,
                    text=f"经查明，详见现场调查笔录{MARK}",  # the topic is the row's label
                    actor=judge,
                )
        if not asset.files.filter(kind__in=[AssetFile.Kind.PHOTO, AssetFile.Kind.VIDEO]).exists():
            for n, (caption, data) in enumerate(photos_for(asset.kind, seed=asset.pk), start=1):
                asset_file_add(
                    asset=asset,
                    kind="photo",
                    title=f"{asset.name} {caption}{MARK}",
                    file=ContentFile(data, name=f"photo-{n}.jpg"),
                    actor=judge,
                )


def _ensure_basis(lot: Lot, judge: User, *, amount_fen: int, at: dt.datetime) -> None:
    from pricing.services import pricing_skip, procedure_for_asset, reference_price_valid_for

    for asset in lot.assets.all():
        if reference_price_valid_for(asset_id=asset.pk, at=at) is not None:
            continue
        if procedure_for_asset(asset.pk) is None:
            with _at(at - dt.timedelta(days=2)):
                pricing_skip(
                    asset=asset,
                    ground="easily_priced",
                    market_price_fen=amount_fen,
                    note=f"参照同类财产近期成交价{MARK}",
                    actor=judge,
                )


def _start_from_basis(lot: Lot, *, at: dt.datetime, fallback_fen: int) -> int:
    """The lowest lawful first-round start (AUC-05: ≥ 70% of the price basis), rounded up to
    whole thousands of yuan; the demo's own figure when the lot has no basis."""
    from decimal import ROUND_UP

    from core.money import ratio_of
    from pricing.services import reference_price_valid_for

    total = 0
    for asset in lot.assets.all():
        basis = reference_price_valid_for(asset_id=asset.pk, at=at)
        if basis is None:
            return fallback_fen
        total += basis.amount_fen
    floor = ratio_of(total, "0.70", rounding=ROUND_UP)
    step = 1000 * YUAN
    return -(-floor // step) * step


def _publish(
    lot: Lot,
    judge: User,
    *,
    start_at: dt.datetime,
    hours: int,
    start_fen: int,
    published_at: dt.datetime,
    title: str,
) -> Auction:
    """Draft → notices (3+ days before) → panel decisions → publish, as of ``published_at``."""
    from bidding import services
    from cases.models import Party

    with _at(published_at - dt.timedelta(days=4)):
        auction = services.auction_draft_create(
            lot=lot,
            actor=judge,
            title=title,
            starting_price_fen=start_fen,
            increment_fen=max(YUAN * 100, start_fen // 100 // (YUAN * 100) * (YUAN * 100)),
            deposit_fen=start_fen // 10,
            balance_period_days=30,
            start_at=start_at,
            end_at=start_at + dt.timedelta(hours=hours),
            announcement=f"本院将在网络司法拍卖平台公开拍卖{lot.title}。{MARK}",
            bidding_rules="起拍价即保留价；每次加价为加价幅度的整数倍；竞价结束前五分钟内出价的，"
            "结束时间顺延至该出价时间后五分钟，不限次数（延时）。",
            pricing_basis_note=f"参考价依据见定价程序记录{MARK}",
            priority_holders_note="经查，无优先购买权人。",
            court_contact=f"{lot.case.court.contact_phone or '0791-00000000'}（执行局）",
            platform_chosen_by="creditor",
            platform_choice_note=f"申请执行人书面选择本平台{MARK}",
        )
        for party in Party.objects.filter(case_id=lot.case_id, role__in=["creditor", "debtor"]):
            services.auction_notice_record(
                auction_id=auction.pk,
                actor=judge,
                recipient=party,
                method="electronic",
                received_at=clock.now(),
                proof=f"电子送达回执{MARK}",
            )
    with _at(published_at - dt.timedelta(hours=2)):
        for topic, value in (
            ("starting_price", auction.starting_price_fen),
            ("increment", auction.increment_fen),
            ("deposit", auction.deposit_fen),
        ):
            services.panel_decision_record(
                auction_id=auction.pk,
                actor=judge,
                topic=topic,
                value_fen=value,
                panel_members=f"王法官、李法官、赵法官{MARK}",
                decided_at=clock.now(),
            )
        services.panel_decision_record(
            auction_id=auction.pk,
            actor=judge,
            topic="priority_purchasers",
            text="经审查，无优先购买权人。",
            panel_members=f"王法官、李法官、赵法官{MARK}",
            decided_at=clock.now(),
        )
    with _at(published_at):
        return services.auction_publish(auction_id=auction.pk, actor=judge)


def _register(auction: Auction, user: User, *, at: dt.datetime) -> Registration:
    """Register, pay the deposit through settlement (gateway confirmation), set the password."""
    from bidding import services
    from settlement.simulator import simulate_payment

    with _at(at):
        reg = services.registration_create(
            auction_id=auction.pk, user=user, accept_terms=True, eligibility_declared=True
        )
        intent = services.registration_pay_deposit(registration_id=reg.pk, user=user)
        if intent is not None and intent.amount_fen:
            # Through the bank simulator's signed webhook, as a real payment would arrive, so
            # later refunds and reconciliation find the payment at the "bank".
            simulate_payment(intent)
        services.registration_set_password(
            registration_id=reg.pk, user=user, password=DEMO_BID_PASSWORD
        )
        reg.refresh_from_db()
        return reg


def _bids(auction: Auction, regs: list[Registration], *, times: list[dt.datetime]) -> None:
    from bidding import services

    for i, when in enumerate(times):
        reg = regs[i % len(regs)]
        with _at(when):
            auction.refresh_from_db()
            amount = services.next_min_bid_fen(auction)
            services.bid_place(
                auction_id=auction.pk, user=reg.user, amount_fen=amount, password=DEMO_BID_PASSWORD
            )


def _close_time(auction: Auction) -> dt.datetime:
    """When the clock closes it: the end plus the AUC-24 receipt grace (bids received before
    the end may still be on their way), and a second to spare."""
    from django.conf import settings

    grace = dt.timedelta(milliseconds=int(settings.GAVEL_BID_RECEIPT_GRACE_MS))
    return _end_of(auction) + grace + dt.timedelta(seconds=1)


def _end_of(auction: Auction) -> dt.datetime:
    """The published auction's end as now stored (late bids may have extended it)."""
    auction.refresh_from_db()
    if auction.end_at is None:
        raise ValueError(f"auction {auction.pk} has no end time")
    return auction.end_at


def _fresh_live_lot(ctx: dict[str, Any], judge: User) -> Lot:
    """A new demo case (演示场次 N) with a detained car on its own lot, for a live auction."""
    from cases import demo as cases_demo
    from cases.models import Case

    n = Case.objects.filter(title__startswith="演示场次").count() + 1
    case = cases_demo._case(
        ctx, sequence=2000 + n, title=f"演示场次{n} 买卖合同纠纷", claim_fen=300_000_00, days_ago=40
    )
    cases_demo._party(
        case,
        role="creditor",
        kind="person",
        name=f"示例债权人{n}",
        identity_kind="resident_id",
        identity_number=cases_demo._id(f"36010219850612{n % 1000:03d}"),
        claim_fen=300_000_00,
        actor=judge,
    )
    cases_demo._party(
        case,
        role="debtor",
        kind="organisation",
        name=f"示例贸易有限公司{n}",
        identity_kind="uscc",
        identity_number=cases_demo._uscc(f"91360102MA38{n % 10000:04d}9"[:17]),
        actor=judge,
    )
    car = cases_demo._asset(
        case,
        kind="vehicle",
        name=f"小型普通客车 赣A·L{n:04d}（示例）",
        division_code="360102",
        address="南昌市东湖区示例停车场（示例）",
        features={
            "make": "示例品牌",
            "model": "示例轿车 1.5T",
            "year": 2021,
            "mileage_km": 32000,
            "plate": f"赣A·L{n:04d}（示例）",
        },
        actor=judge,
    )
    cases_demo._seize(
        car,
        kind="detain",
        days_ago=30,
        document=f"{case.number}之一执行裁定书（示例）",
        judge=judge,
    )
    return cases_demo._lot(car, title=car.name, judge=judge)


def seed(ctx: dict[str, Any]) -> None:
    from bidding import services
    from bidding.models import Auction, AuctionState

    users = ctx.get("users") or {}
    lots = ctx.get("lots") or {}
    judge, b1, b2 = users.get("judge"), users.get("bidder1"), users.get("bidder2")
    now = clock.now()
    made: dict[str, int] = {}
    if judge is None or b1 is None or b2 is None:
        return

    def fresh(key: str) -> Lot | None:
        lot = lots.get(key)
        if lot is None or Auction.objects.filter(lot=lot).exists():
            return None
        _complete_pack(lot, judge)
        return lot

    def scenario(name: str, build: Callable[[], int | None]) -> None:
        """One demo auction; a refusal (say, a lot another seed left without a price basis)
        skips it with a log line instead of stopping the whole demo."""
        from django.db import transaction

        from core.errors import DomainError

        try:
            with transaction.atomic():
                pk = build()
        except DomainError as exc:
            log.warning("demo auction %s skipped: %s", name, exc)
            return
        if pk:
            made[name] = pk

    # 1. Live now: the flat, bidding, ending ~2 hours from now, a few bids.
    def build_live() -> int | None:
        lot = fresh("flat")
        if lot is not None:
            start_at = now - dt.timedelta(hours=22)
            published = start_at - dt.timedelta(days=31)
            _ensure_basis(lot, judge, amount_fen=1_500_000 * YUAN, at=published)
            a = _publish(
                lot,
                judge,
                start_at=start_at,
                hours=24,
                start_fen=_start_from_basis(lot, at=published, fallback_fen=1_050_000 * YUAN),
                published_at=published,
                title=f"{lot.title}（一拍）",
            )
            regs = [
                _register(a, b1, at=published + dt.timedelta(days=5)),
                _register(a, b2, at=published + dt.timedelta(days=8)),
            ]
            _bids(a, regs, times=[now - dt.timedelta(hours=h) for h in (5, 4, 2, 1)])
            return a.pk
        return None

    scenario("live", build_live)

    # 1a. 拍品咨询 on the live flat (issue 17): one answered (public, the asker anonymous), one
    # waiting on the judge's workbench.
    def build_questions() -> int | None:
        from bidding.models import LotQuestion

        live_pk = made.get("live")
        if not live_pk or LotQuestion.objects.filter(auction_id=live_pk).exists():
            return None
        q = services.question_ask(
            auction_id=live_pk, user=b2, text="请问房屋目前是否有人居住？交付时能否腾空？"
        )
        services.question_answer(
            question_id=q.pk,
            actor=judge,
            answer="经现场调查，房屋现由被执行人居住；成交后由本院负责腾退并交付（示例）。",
        )
        services.question_ask(auction_id=live_pk, user=b1, text="请问该房屋能否办理按揭贷款？")
        return None  # not an auction of its own: ``made`` lists auctions

    scenario("questions", build_questions)

    # 1b. Whenever the demo starts, something is live: if no demo auction is bidding with at
    # least an hour to go (the one above ends about two hours after the first start), a new
    # demo case brings a car that is bidding now and ends three hours from now.
    def build_live_again() -> int | None:
        live = Auction.objects.filter(
            is_practice=False,
            state__in=[AuctionState.BIDDING, AuctionState.EXTENDED],
            end_at__gte=now + dt.timedelta(hours=1),
        )
        if live.exists():
            return None
        lot = _fresh_live_lot(ctx, judge)
        _complete_pack(lot, judge)
        published = now - dt.timedelta(days=16)  # a movable: 15 days' notice (AUC-08)
        _ensure_basis(lot, judge, amount_fen=150_000 * YUAN, at=published)
        a = _publish(
            lot,
            judge,
            start_at=now - dt.timedelta(hours=21),  # 24 hours of bidding (AUC-22)
            hours=24,
            start_fen=_start_from_basis(lot, at=published, fallback_fen=105_000 * YUAN),
            published_at=published,
            title=f"{lot.title}（一拍）",
        )
        regs = [
            _register(a, b1, at=published + dt.timedelta(days=2)),
            _register(a, b2, at=published + dt.timedelta(days=3)),
        ]
        _bids(a, regs, times=[now - dt.timedelta(minutes=m) for m in (40, 20)])
        return a.pk

    scenario("live_again", build_live_again)

    # 2. Announced (预告): the shop, bidding in 31 days.
    def build_scheduled() -> int | None:
        lot = fresh("shop")
        if lot is not None:
            _ensure_basis(lot, judge, amount_fen=800_000 * YUAN, at=now)
            start_at = (now + dt.timedelta(days=31)).replace(minute=0, second=0, microsecond=0)
            a = _publish(
                lot,
                judge,
                start_at=start_at,
                hours=24,
                start_fen=600_000 * YUAN,
                published_at=now,
                title=f"{lot.title}（一拍）",
            )
            return a.pk
        return None

    scenario("scheduled", build_scheduled)

    # 3. Ended, sold: the car (movable: 15 days' lead), balance paid, ruling served, handover on.
    def build_sold() -> int | None:
        lot = fresh("car")
        if lot is not None:
            published = now - dt.timedelta(days=21)
            start_at = published + dt.timedelta(days=16)
            _ensure_basis(lot, judge, amount_fen=120_000 * YUAN, at=published)
            a = _publish(
                lot,
                judge,
                start_at=start_at,
                hours=24,
                start_fen=90_000 * YUAN,
                published_at=published,
                title=f"{lot.title}（一拍）",
            )
            regs = [
                _register(a, b1, at=published + dt.timedelta(days=2)),
                _register(a, b2, at=published + dt.timedelta(days=3)),
            ]
            end = start_at + dt.timedelta(hours=24)
            _bids(
                a,
                regs,
                times=[
                    start_at + dt.timedelta(hours=1),
                    start_at + dt.timedelta(hours=3),
                    end - dt.timedelta(minutes=3),
                    end - dt.timedelta(minutes=1),
                ],
            )
            ended = _close_time(a)
            with _at(ended):
                services.auction_close_due()
            with _at(ended + dt.timedelta(days=2)):
                from settlement.services import balance_pay_request
                from settlement.simulator import simulate_payment

                simulate_payment(
                    balance_pay_request(
                        sale_ref=a.sale_ref, idempotency_key=f"demo:{a.sale_ref}:balance"
                    )
                )
            with _at(ended + dt.timedelta(days=3)):
                services.auction_ruling_served(
                    auction_id=a.pk, actor=judge, document=f"{lot.case.number}之二执行裁定书{MARK}"
                )
                services.auction_handover_update(
                    auction_id=a.pk,
                    actor=judge,
                    state="keys_handed",
                    note=f"已交付车辆钥匙及行驶证；违章记录待处理{MARK}",
                    vehicle_violations_cleared=False,
                )
            return a.pk
        return None

    scenario("sold", build_sold)

    # 4. Ended, unsold: the equity (a property right: 30 days' lead), no bids.
    def build_unsold() -> int | None:
        lot = fresh("equity")
        if lot is not None:
            published = now - dt.timedelta(days=40)
            start_at = published + dt.timedelta(days=31)
            _ensure_basis(lot, judge, amount_fen=400_000 * YUAN, at=published)
            a = _publish(
                lot,
                judge,
                start_at=start_at,
                hours=24,
                start_fen=300_000 * YUAN,
                published_at=published,
                title=f"{lot.title}（一拍）",
            )
            with _at(_close_time(a)):
                services.auction_close_due()
            return a.pk
        return None

    scenario("unsold", build_unsold)

    # 5. A practice auction (模拟拍) template for the lobby, when none is open.
    owner = users.get("operator") or b1
    open_practice = Auction.objects.filter(
        is_practice=True,
        state__in=[AuctionState.SCHEDULED, AuctionState.BIDDING, AuctionState.EXTENDED],
    )
    if not open_practice.exists():
        p = services.practice_auction_start(
            user=owner, title=f"模拟拍：练习竞价（不产生真实交易）{MARK}", duration_minutes=24 * 60
        )
        made["practice"] = p.pk
    ctx["bidding"] = made
