"""Public listings (拍卖大厅): search, filter, sort and page bidding's published auctions.

Only published, real auctions appear (never drafts, never practice auctions). A listing row
carries what a buyer compares (photo, round, prices, deposit, increment, times, state) and
nothing about who registered or bid (REC-05): the only bidder fact shown is the count of
bidders holding a code, as the live page shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from bidding.models import ENDED_STATES, OPEN_STATES, Auction, AuctionState, Registration
from cases.models import Asset, AssetFile
from core import clock
from marketplace.filters import KINDS, ListingQuery
from marketplace.models import ListingInfo, Watch

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import WithAnnotations

    from core.models import User

S = AuctionState
STATE_GROUP_STATES: dict[str, list[str]] = {
    "upcoming": [S.SCHEDULED],
    "live": list(OPEN_STATES),
    "ended": list(ENDED_STATES),
    "suspended": [S.SUSPENDED, S.HALTED],
    "withdrawn": [S.WITHDRAWN, S.CASE_WITHDRAWN],
}
GROUP_OF_STATE = {state: group for group, states in STATE_GROUP_STATES.items() for state in states}
LIVE, UPCOMING, OTHER = 0, 1, 2


def auction_url(auction_id: int) -> str:
    """Bidding's auction page (disclosure pack, registration, live bidding, result)."""
    try:
        return reverse("bidding:auction", args=[auction_id])
    except NoReverseMatch:
        return f"/bidding/auctions/{auction_id}/"


def public_auctions() -> QuerySet[Auction]:
    """Every published real auction: the base of listings, calendar and results."""
    return Auction.objects.filter(is_practice=False, lot__isnull=False).exclude(state=S.DRAFT)


class _ListingAnnotations(TypedDict):
    """What :func:`_annotated` adds: the price shown and the sort bucket (live, upcoming, other)."""

    price_fen: int
    bucket: int


def _annotated(
    qs: QuerySet[Auction],
) -> QuerySet[WithAnnotations[Auction, _ListingAnnotations]]:
    return qs.annotate(
        price_fen=Coalesce("current_price_fen", "starting_price_fen"),
        bucket=Case(
            When(state__in=list(OPEN_STATES), then=Value(LIVE)),
            When(state=S.SCHEDULED, then=Value(UPCOMING)),
            default=Value(OTHER),
            output_field=IntegerField(),
        ),
    )


def listing_queryset(query: ListingQuery) -> QuerySet[Auction]:
    """The auctions matching a checked query, in the query's order."""
    qs = _annotated(public_auctions())
    if query.q:
        qs = qs.filter(
            Q(title__icontains=query.q)
            | Q(lot__title__icontains=query.q)
            | Q(case__number__icontains=query.q)
        )
    lot_assets = Asset.objects.filter(lots=OuterRef("lot_id"))
    if query.kinds:
        qs = qs.filter(Exists(lot_assets.filter(kind__in=query.kinds)))
    if query.region:
        qs = qs.filter(Exists(lot_assets.filter(division_code__startswith=query.region)))
    if query.price_min_fen is not None:
        qs = qs.filter(price_fen__gte=query.price_min_fen)
    if query.price_max_fen is not None:
        qs = qs.filter(price_fen__lte=query.price_max_fen)
    if query.rounds:
        qs = qs.filter(round__in=query.rounds)
    if query.states:
        wanted = [s for group in query.states for s in STATE_GROUP_STATES[group]]
        qs = qs.filter(state__in=wanted)
    if query.loan is not None:
        loan = Exists(ListingInfo.objects.filter(auction_id=OuterRef("pk"), loan_supported=True))
        qs = qs.filter(loan) if query.loan else qs.exclude(loan)
    if query.restricted is not None:
        restricted = Exists(lot_assets.filter(purchase_restricted=True))
        qs = qs.filter(restricted) if query.restricted else qs.exclude(restricted)
    if query.court is not None:
        qs = qs.filter(court_id=query.court)
    return qs.order_by(*_ordering(query.sort))


def _ordering(sort: str) -> list[str | Combinable]:
    if sort == "ending":
        # Live first by the nearest end, then upcoming by start, then the rest, latest end first.
        return [
            "bucket",
            Case(
                When(bucket=LIVE, then=F("end_at")), When(bucket=UPCOMING, then=F("start_at"))
            ).asc(nulls_last=True),
            F("end_at").desc(nulls_last=True),
            "-pk",
        ]
    if sort == "starting":
        return [
            Case(
                When(state=S.SCHEDULED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            F("start_at").asc(nulls_last=True),
            "-pk",
        ]
    if sort == "newest":
        return [F("published_at").desc(nulls_last=True), "-pk"]
    if sort == "price_asc":
        return ["price_fen", "-pk"]
    if sort == "price_desc":
        return ["-price_fen", "-pk"]
    raise ValueError(sort)


@dataclass
class ListingRow:
    auction: Auction
    url: str
    photo_url: str | None
    kind_labels: list[str]
    division_codes: list[str]
    restricted: bool
    loan_supported: bool
    loan_note: str
    reference_price_fen: int | None
    price_fen: int
    registrants: int
    state_group: str
    watched: bool

    @property
    def round_label(self) -> str:
        return str(self.auction.get_round_display())

    @property
    def state_label(self) -> str:
        return str(self.auction.get_state_display())


def reference_price_of(auction: Auction) -> int | None:
    """The reference price shown to buyers: the sum of the lot's price bases fixed at publication."""
    bases = auction.price_basis or {}
    if not bases:
        return None
    try:
        return sum(int(v.get("amount_fen") or 0) for v in bases.values()) or None
    except (AttributeError, TypeError, ValueError):
        return None


def listing_rows(
    auctions: list[Auction], user: User | AnonymousUser | None = None
) -> list[ListingRow]:
    """Decorate a page of auctions with photos, asset facts, loans, counts and the user's watch."""
    ids = [a.pk for a in auctions]
    lot_ids = {a.lot_id for a in auctions if a.lot_id}
    assets: dict[int, list[Asset]] = {}
    for asset in Asset.objects.filter(lots__in=lot_ids).annotate(lot_id=F("lots")).order_by("pk"):
        assets.setdefault(asset.lot_id, []).append(asset)
    photos: dict[int, str] = {}
    for f in (
        AssetFile.objects.filter(asset__lots__in=lot_ids, kind=AssetFile.Kind.PHOTO)
        .annotate(lot_id=F("asset__lots"))
        .order_by("pk")
    ):
        if f.lot_id not in photos and f.file:
            try:
                photos[f.lot_id] = f.file.url
            except ValueError:
                continue
    infos = {i.auction_id: i for i in ListingInfo.objects.filter(auction_id__in=ids)}
    counts = dict(
        Registration.objects.filter(auction_id__in=ids, bidder_code__isnull=False)
        .values("auction_id")
        .annotate(n=Count("pk"))
        .values_list("auction_id", "n")
    )
    watched: set[int] = set()
    if user is not None and user.is_authenticated:
        watched = set(
            Watch.objects.filter(user=user, auction_id__in=ids).values_list("auction_id", flat=True)
        )
    rows = []
    for a in auctions:
        lot_assets = assets.get(a.lot_id, []) if a.lot_id is not None else []
        info = infos.get(a.pk)
        rows.append(
            ListingRow(
                auction=a,
                url=auction_url(a.pk),
                photo_url=photos.get(a.lot_id) if a.lot_id is not None else None,
                kind_labels=list(dict.fromkeys(KINDS.get(x.kind, x.kind) for x in lot_assets)),
                division_codes=list(dict.fromkeys(x.division_code for x in lot_assets)),
                restricted=any(x.purchase_restricted for x in lot_assets),
                loan_supported=bool(info and info.loan_supported),
                loan_note=info.loan_note if info else "",
                reference_price_fen=reference_price_of(a),
                price_fen=a.current_price_fen
                if a.current_price_fen is not None
                else a.starting_price_fen,
                registrants=counts.get(a.pk, 0),
                state_group=GROUP_OF_STATE.get(a.state, "ended"),
                watched=a.pk in watched,
            )
        )
    return rows


def search_listings(
    query: ListingQuery, user: User | AnonymousUser | None = None
) -> dict[str, Any]:
    """One page of listings: rows, total and paging facts."""
    qs = listing_queryset(query).select_related("court", "lot", "case")
    paginator = Paginator(qs, query.per_page)
    total = paginator.count
    pages = max(1, paginator.num_pages)
    page_no = query.page
    items: list[Auction] = []
    if page_no <= pages:
        items = list(paginator.page(page_no).object_list)
    return {
        "rows": listing_rows(items, user),
        "total": total,
        "page": page_no,
        "pages": pages,
        "has_prev": page_no > 1,
        "has_next": page_no < pages,
    }


def row_json(row: ListingRow) -> dict[str, Any]:
    """One listing in the API: public facts only (REC-05)."""
    a = row.auction

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "auction_id": a.pk,
        "title": a.title,
        "url": row.url,
        "photo_url": row.photo_url,
        "court": a.court.name if a.court is not None else None,
        "case_number": a.case.number if a.case is not None else None,
        "round": a.round,
        "round_label": row.round_label,
        "state": a.state,
        "state_label": row.state_label,
        "state_group": row.state_group,
        "asset_kinds": row.kind_labels,
        "division_codes": row.division_codes,
        "purchase_restricted": row.restricted,
        "loan_supported": row.loan_supported,
        "starting_price_fen": a.starting_price_fen,
        "current_price_fen": a.current_price_fen,
        "reference_price_fen": row.reference_price_fen,
        "deposit_fen": a.deposit_fen,
        "increment_fen": a.increment_fen,
        "start_at": iso(a.start_at),
        "end_at": iso(a.end_at),
        "published_at": iso(a.published_at),
        "registrant_count": row.registrants,
        "watched": row.watched,
    }


def calendar_days(*, days: int = 30, court_id: int | None = None) -> list[dict[str, Any]]:
    """Upcoming auctions (预告) grouped by the local day bidding starts, for the next ``days``."""
    from django.utils import timezone

    now = clock.now()
    qs = (
        public_auctions()
        .filter(state=S.SCHEDULED, start_at__gte=now, start_at__lt=now + dt.timedelta(days=days))
        .select_related("court", "lot", "case")
        .order_by("start_at", "pk")
    )
    if court_id:
        qs = qs.filter(court_id=court_id)
    auctions = list(qs[:500])
    rows = listing_rows(auctions)
    out: list[dict[str, Any]] = []
    for row in rows:
        day = timezone.localtime(row.auction.start_at).date()
        if not out or out[-1]["day"] != day:
            out.append({"day": day, "rows": []})
        out[-1]["rows"].append(row)
    return out
