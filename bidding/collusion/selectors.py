"""Reads: an auction's recorded facts for the detector, the court's flags and statistics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import combinations
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from bidding.collusion.facts import AuctionFacts, BidderFacts, BidFacts
from bidding.collusion.marks import client_marks, mark
from bidding.collusion.models import ClientMark, CollusionFlag
from core import clock

if TYPE_CHECKING:
    from bidding.models import Auction

#: Sign-ins (django-axes access log) looked at for a person's networks and devices.
SIGN_IN_LOOKBACK = dt.timedelta(days=30)


def _sign_in_marks(usernames: set[str]) -> dict[str, dict[str, set[str]]]:
    """username → {"network": …, "device": …} from the sign-in log of the last 30 days."""
    from axes.models import AccessLog

    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    if not usernames:
        return out
    since = clock.now() - SIGN_IN_LOOKBACK
    rows = AccessLog.objects.filter(username__in=usernames, attempt_time__gte=since).values_list(
        "username", "ip_address", "user_agent"
    )
    for username, ip, ua in rows[:5000]:
        if not ip:
            continue
        network, _subnet, device = client_marks(str(ip), ua or "")
        out[username]["network"].add(network)
        out[username]["device"].add(device)
    return out


def _co_appearances(auction: Auction, user_code: dict[int, str]) -> dict[tuple[str, str], int]:
    """Pairs of this auction's registrants → other auctions of the same court or the same
    debtor where both registered."""
    from bidding.models import Registration

    if len(user_code) < 2:
        return {}
    same = Q(auction__court_id=auction.court_id)
    if auction.case_id:
        from cases.models import Party

        debtors = Party.objects.filter(
            case_id=auction.case_id, role=Party.Role.DEBTOR, identity__isnull=False
        ).values_list("identity_id", flat=True)
        other_cases = Party.objects.filter(
            identity_id__in=list(debtors), role=Party.Role.DEBTOR
        ).values_list("case_id", flat=True)
        same |= Q(auction__case_id__in=list(other_cases))
    rows = (
        Registration.objects.filter(same, user_id__in=list(user_code))
        .exclude(auction_id=auction.pk)
        .filter(auction__is_practice=False)
        .values_list("auction_id", "user_id")
    )
    by_auction: dict[int, set[int]] = defaultdict(set)
    for aid, uid in rows[:20000]:
        by_auction[aid].add(uid)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for users in by_auction.values():
        for a, b in combinations(sorted(users), 2):
            ca, cb = user_code[a], user_code[b]
            counts[(min(ca, cb), max(ca, cb))] += 1
    return dict(counts)


def _party_markers(auction: Auction) -> dict[str, dict[str, set[str]]]:
    from cases.models import Party

    out: dict[str, dict[str, set[str]]] = {}
    if not auction.case_id:
        return out
    parties = list(
        Party.objects.filter(
            case_id=auction.case_id, role__in=[Party.Role.DEBTOR, Party.Role.CREDITOR]
        ).select_related("user")
    )
    signins = _sign_in_marks({p.user.username for p in parties if p.user})
    for p in parties:
        m = out.setdefault(str(p.role), defaultdict(set))
        if p.identity_id:
            m["identity"].add(mark("identity", str(p.identity_id)))
        if p.phone:
            m["phone"].add(mark("phone", p.phone))
        if p.address:
            m["address"].add(mark("address", p.address))
        m["payer"].add(mark("payer", p.name))
        if p.user:
            if p.user.phone:
                m["phone"].add(mark("phone", p.user.phone))
            for kind, values in signins.get(p.user.username, {}).items():
                m[kind] |= values
    return {role: {k: {v for v in vs if v} for k, vs in m.items()} for role, m in out.items()}


def auction_facts(auction: Auction) -> AuctionFacts:
    """What the detector reads: registrations with codes, their hashed markers, bids, result."""
    from bidding.models import Bid, Registration, RegistrationMember
    from settlement.selectors import deposit_payer_names

    regs = list(
        Registration.objects.filter(auction=auction, bidder_code__isnull=False)
        .select_related("user")
        .order_by("pk")
    )
    members: dict[int, set[int]] = defaultdict(set)
    for reg_id, identity_id in RegistrationMember.objects.filter(registration__in=regs).values_list(
        "registration_id", "identity_id"
    ):
        members[reg_id].add(identity_id)
    client = {c.registration_id: c for c in ClientMark.objects.filter(registration__in=regs)}
    signins = _sign_in_marks({r.user.username for r in regs})
    payers = deposit_payer_names([r.money_ref for r in regs]) if not auction.is_practice else {}
    bidders = []
    for r in regs:
        code = str(r.bidder_code)
        markers: dict[str, set[str]] = defaultdict(set)
        cm = client.get(r.pk)
        if cm is not None:
            markers["network"].add(cm.network_hash)
            markers["device"].add(cm.device_hash)
        for kind, values in signins.get(r.user.username, {}).items():
            markers[kind] |= values
        if r.user.phone:
            markers["phone"].add(mark("phone", r.user.phone))
        named = {r.identity_id, r.agent_identity_id, *members[r.pk]}
        for identity_id in sorted(i for i in named if i is not None):
            markers["identity"].add(mark("identity", str(identity_id)))
        if r.money_ref in payers:
            markers["payer"].add(mark("payer", payers[r.money_ref]))
        bidders.append(
            BidderFacts(
                code=code,
                registered_at=r.created_at,
                deposit_paid=r.deposit_held_at is not None,
                markers={k: {v for v in vs if v} for k, vs in markers.items()},
                registered_from=cm.network_hash if cm else "",
            )
        )
    bids = [
        BidFacts(b.seq, b.bidder_code, b.amount_fen, b.at)
        for b in Bid.objects.filter(auction=auction).order_by("seq")
    ]
    result = getattr(auction, "result", None) if auction.has_ended else None
    now = clock.now()
    return AuctionFacts(
        auction_id=auction.pk,
        starting_price_fen=auction.starting_price_fen,
        increment_fen=auction.increment_fen,
        start_at=auction.start_at or now,
        end_at=auction.end_at or now,
        ended=auction.has_ended,
        winner_code=(result.winner_code or None) if result is not None else None,
        bidders=bidders,
        bids=bids,
        parties=_party_markers(auction),
        co_appearances=_co_appearances(auction, {r.user_id: str(r.bidder_code) for r in regs}),
    )


def court_flags(court_id: int, *, state: str = "") -> QuerySet[CollusionFlag]:
    qs = CollusionFlag.objects.filter(court_id=court_id).select_related("auction", "auction__case")
    return qs.filter(state=state) if state else qs


def collusion_stats(court_id: int | None = None) -> list[dict[str, Any]]:
    """Per court: flags raised, confirmed (referred), dismissed, open."""
    qs = CollusionFlag.objects.all()
    if court_id is not None:
        qs = qs.filter(court_id=court_id)
    S = CollusionFlag.State
    return list(
        qs.values("court_id", "court__name")
        .annotate(
            raised=Count("pk"),
            referred=Count("pk", filter=Q(state=S.REFERRED)),
            dismissed=Count("pk", filter=Q(state=S.DISMISSED)),
            open=Count("pk", filter=Q(state=S.OPEN)),
        )
        .order_by("court__name")
    )
