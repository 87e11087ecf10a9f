"""Public listings (拍卖大厅): search, filter, sort and page bidding's published auctions.

Only published, real auctions appear (never drafts, never practice auctions). A listing row
carries what a buyer compares (photo, round, prices, deposit, increment, times, state) and
nothing about who registered or bid (REC-05): the only bidder fact shown is the count of
bidders holding a code, as the live page shows it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL, Subquery
from django.db.models.functions import Concat
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from bidding.models import ENDED_STATES, OPEN_STATES, Auction, AuctionState, Registration
from cases.models import Asset, AssetFile
from core import clock, replica
from marketplace.filters import KINDS, ROUNDS, STATE_GROUPS, ListingQuery
from marketplace.models import ListingIndex, ListingInfo, Watch
from marketplace.search_index import looks_like_case_number, normalise_case_number, query_words

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from core.models import User

log = logging.getLogger(__name__)
S = AuctionState
STATE_GROUP_STATES: dict[str, list[str]] = {
    "upcoming": [S.SCHEDULED],
    "live": list(OPEN_STATES),
    "ended": list(ENDED_STATES),
    "suspended": [S.SUSPENDED, S.HALTED],
    "withdrawn": [S.WITHDRAWN, S.CASE_WITHDRAWN],
}
GROUP_OF_STATE = {state: group for group, states in STATE_GROUP_STATES.items() for state in states}


def auction_url(auction_id: int) -> str:
    """Bidding's auction page (disclosure pack, registration, live bidding, result)."""
    try:
        return reverse("bidding:auction", args=[auction_id])
    except NoReverseMatch:
        return f"/bidding/auctions/{auction_id}/"


def public_auctions() -> QuerySet[Auction]:
    """Every published real auction: the base of listings, calendar and results."""
    return Auction.objects.filter(is_practice=False, lot__isnull=False).exclude(state=S.DRAFT)


SORT_KEYS = {
    "ending": "key_ending",
    "starting": "key_starting",
    "newest": "key_newest",
    "price_asc": "key_price",
    "price_desc": "-key_price",
}
#: A page counts at most this many matches (then shows "1,000+"): never a full COUNT(*).
TOTAL_LIMIT = 1_000
#: A keyword search ranks the first this-many matches by the nearest end (all of them when
#: fewer): a common word ("住宅") matches half the table, and ranking every match would read it.
RANK_WINDOW = 500
#: Each filter option's count stops here ("1,000+").
FACET_LIMIT = 1_000
FACET_CACHE_SECONDS = 30


def _filtered(query: ListingQuery, *, skip: str | frozenset[str] = "") -> QuerySet[ListingIndex]:
    """The index rows matching every filter of ``query`` except the group(s) ``skip``
    (facets)."""
    skip = frozenset([skip]) if isinstance(skip, str) else skip
    qs = ListingIndex.objects.all()
    if query.kinds and "kind" not in skip:
        qs = qs.filter(kind__in=query.kinds)
    if query.region:
        column = {2: "province", 4: "city", 6: "district"}[len(query.region)]
        qs = qs.filter(**{column: query.region})
    if query.price_min_fen is not None:
        qs = qs.filter(price_fen__gte=query.price_min_fen)
    if query.price_max_fen is not None:
        qs = qs.filter(price_fen__lte=query.price_max_fen)
    if query.rounds and "round" not in skip:
        qs = qs.filter(round__in=query.rounds)
    if query.states and "state" not in skip:
        qs = qs.filter(state_group__in=query.states)
    if query.loan is not None and "loan" not in skip:
        qs = qs.filter(loan=query.loan)
    if query.restricted is not None and "restricted" not in skip:
        qs = qs.filter(restricted=query.restricted)
    if query.court is not None:
        qs = qs.filter(court_id=query.court)
    return _keyword(qs, query.q)


def _keyword(qs: QuerySet[ListingIndex], q: str) -> QuerySet[ListingIndex]:
    """A case number is an exact, indexed lookup; other text matches every jieba word."""
    if not q:
        return qs
    if looks_like_case_number(q):
        return qs.filter(case_number=normalise_case_number(q))
    terms = query_words(q)
    if not terms:
        return qs
    if connection.vendor == "postgresql":
        return qs.filter(
            RawSQL(
                "search_vector @@ plainto_tsquery('simple', %s)",
                [" ".join(terms)],
                output_field=BooleanField(),
            )
        )
    qs = qs.annotate(
        _doc=Concat(
            Value(" "),
            "search_title",
            Value(" "),
            "search_body",
            Value(" "),
            output_field=TextField(),
        )
    )
    for t in terms:
        qs = qs.filter(_doc__contains=f" {t} ")
    return qs


def _rank(qs: QuerySet[ListingIndex], q: str) -> QuerySet[ListingIndex]:
    """Order a keyword search by relevance (title words weigh more), then by the nearest end."""
    terms = query_words(q)
    if not terms or looks_like_case_number(q):
        return qs.order_by("key_ending")
    if connection.vendor == "postgresql":
        rank = RawSQL(
            "ts_rank(search_vector, plainto_tsquery('simple', %s))",
            [" ".join(terms)],
            output_field=FloatField(),
        )
        window = qs.order_by("key_ending").values("auction_id")[:RANK_WINDOW]
        return (
            ListingIndex.objects.filter(auction_id__in=Subquery(window))
            .annotate(rank=rank)
            .order_by("-rank", "key_ending")
        )
    score: Any = Value(0)
    for t in terms:
        score = score + Case(When(search_title__contains=t, then=Value(2)), default=Value(1))
    return qs.annotate(rank=score).order_by("-rank", "key_ending")


#: Where the keyword window's search starts: the first 1 % of the index by ``key_ending``
#: (walked in key order), then the first 4, 16 and 64 % and all of it (bitmaps of the word's
#: matches in that range), until ``RANK_WINDOW`` matches are found.
WINDOW_STEPS = (1, 4, 16, 64)
_QUANTILE_SECONDS = 600
_quantiles: dict[str, tuple[float, list[int]]] = {}


def key_ending_quantiles(db: str) -> list[int]:
    """The percentiles of ``key_ending`` from PostgreSQL's statistics (``pg_stats``
    ``histogram_bounds``, 101 values after ANALYZE), cached per process for ten minutes;
    empty without statistics (a new or small table: one query then)."""
    import time

    now = time.monotonic()
    hit = _quantiles.get(db)
    if hit is not None and now - hit[0] < _QUANTILE_SECONDS:
        return hit[1]
    with connections[db].cursor() as cur:
        cur.execute(
            "SELECT histogram_bounds::text FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'marketplace_listingindex' AND attname = 'key_ending'"
        )
        row = cur.fetchone()
    bounds: list[int] = []
    if row and row[0]:
        bounds = [int(v) for v in str(row[0]).strip("{}").split(",") if v]
    _quantiles[db] = (now, bounds)
    return bounds


def _has_filters(query: ListingQuery) -> bool:
    """Whether ``query`` narrows the listings by more than its words."""
    return bool(
        query.kinds
        or query.region
        or query.price_min_fen is not None
        or query.price_max_fen is not None
        or query.rounds
        or query.states
        or query.loan is not None
        or query.restricted is not None
        or query.court is not None
    )


def _ranked_window(query: ListingQuery) -> list[tuple[int, int, float]]:
    """PostgreSQL: the first ``RANK_WINDOW`` matches of a keyword search by the nearest end
    (auction, key, ``ts_rank``).

    One walk of ``key_ending`` filtering by the word reads ``RANK_WINDOW / share`` rows: fine
    for a common word (住宅: 900 rows), tens of thousands of rows for a word in 1–5 % of the
    listings. So the walk is bounded to the first 1 % of the keys; when that holds fewer than
    ``RANK_WINDOW`` matches the word is rare, and the window is read from bitmaps (the GIN
    index's matches and the key range, ANDed) over the first 4, 16, 64 and 100 % of the keys,
    each a prefix of the order, stopping at the first that holds ``RANK_WINDOW`` matches. The
    answer is exactly the one query's ``ORDER BY key_ending LIMIT RANK_WINDOW``. With a filter
    the steps count from the filter's first key."""
    terms = " ".join(query_words(query.q))
    base = _filtered(query)
    db = base.db
    steps: list[int | None] = []
    bounds = key_ending_quantiles(db)
    if len(bounds) > max(WINDOW_STEPS):
        start = 0
        if _has_filters(query):
            # A filter's rows may start far down the key order (the upcoming ones after every
            # live one): the steps count from the filter's first key (one read of its
            # ``(filter, key_ending)`` index). Each step is still a prefix of the whole order,
            # so the window is exactly the one query's.
            first = (
                _filtered(replace(query, q=""))
                .order_by("key_ending")
                .values_list("key_ending", flat=True)
                .first()
            )
            if first is None:
                return []
            start = bisect.bisect_left(bounds, first)
        steps = [bounds[start + p] for p in WINDOW_STEPS if start + p < len(bounds)]
    steps.append(None)
    rows: list[tuple[int, int, float]] = []
    for i, key_max in enumerate(steps):
        qs = base if key_max is None else base.filter(key_ending__lte=key_max)
        # ts_rank after the LIMIT: a bitmap step may match thousands of rows before the top
        # 500 by key are kept, and ranking each of them cost more than finding them.
        inner = (
            qs.order_by("key_ending")
            .annotate(vector=RawSQL("search_vector", [], output_field=TextField()))
            .values_list("auction_id", "key_ending", "vector")[:RANK_WINDOW]
        )
        inner_sql, inner_params = inner.query.sql_with_params()
        sql = (
            "SELECT w.auction_id, w.key_ending, "
            "ts_rank(w.vector, plainto_tsquery('simple', %s)) "
            f"FROM ({inner_sql}) w"
        )
        params = (terms, *inner_params)
        with transaction.atomic(using=db), connections[db].cursor() as cur:
            bitmap = i > 0 and len(steps) > 1
            if bitmap:  # the key walk is the 1 % step's; a rare word's matches by bitmap
                cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute(sql, params)
            rows = [(int(a), int(k), float(r)) for a, k, r in cur.fetchall()]
            if bitmap:
                cur.execute("SET LOCAL enable_indexscan = on")
        if len(rows) >= RANK_WINDOW:
            break
    return rows


def _ranked_page_ids(query: ListingQuery, offset: int, limit: int) -> list[int]:
    """PostgreSQL: one page of a keyword search by relevance (title words weigh more), ranked
    inside the window of the first ``RANK_WINDOW`` matches by the nearest end."""
    window = sorted(_ranked_window(query), key=lambda r: (-r[2], r[1]))
    return [pk for pk, _, _ in window[offset : offset + limit]]


def listing_queryset(query: ListingQuery) -> QuerySet[ListingIndex]:
    """The index rows matching a checked query, in the query's order (pk = the auction's id)."""
    qs = _filtered(query)
    if query.sort == "relevance":
        return _rank(qs, query.q) if query.q else qs.order_by("key_ending")
    return qs.order_by(SORT_KEYS[query.sort])


def bounded_count(qs: QuerySet[Any], limit: int) -> int:
    """``min(count, limit + 1)`` reading at most ``limit + 1`` rows (``limit + 1`` means more)."""
    return qs.order_by()[: limit + 1].count()


FACET_GROUPS: dict[str, list[tuple[str, Any]]] = {
    "kind": [(k, k) for k in KINDS],
    "round": [(k, k) for k in ROUNDS],
    "state": [(k, k) for k in STATE_GROUPS],
    "loan": [("1", True), ("0", False)],
    "restricted": [("1", True), ("0", False)],
}
_FACET_FIELD = {
    "kind": "kind",
    "round": "round",
    "state": "state_group",
    "loan": "loan",
    "restricted": "restricted",
}


def facet_counts(query: ListingQuery) -> dict[str, dict[str, int]]:
    """For each filter group and option: how many listings match the other filters plus that
    option (what choosing it would show), each count bounded at ``FACET_LIMIT + 1``. Cached
    for ``FACET_CACHE_SECONDS`` per query and index generation (a change of the index starts
    a new generation), shared through Redis when configured."""
    from django.core.cache import cache

    from marketplace.search_index import generation

    key = (
        f"mk:facets:{generation()}:"
        + hashlib.sha256(
            json.dumps(query.as_params(), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
    )
    cached = cache.get(key)
    if cached is not None:
        return cast(dict[str, dict[str, int]], cached)
    wanted: list[tuple[str, str, Any, QuerySet[ListingIndex]]] = []
    for group, options in FACET_GROUPS.items():
        base = _filtered(query, skip=group)
        wanted.extend(
            (group, name, value, base.filter(**{_FACET_FIELD[group]: value}))
            for name, value in options
        )
    budget = settings.GAVEL_FACET_BUDGET_MS
    if query.q and not looks_like_case_number(query.q):
        counts = _keyword_facet_counts(query, wanted, budget)
    else:
        counts = bounded_counts([w[3] for w in wanted], FACET_LIMIT, budget_ms=budget)
    out: dict[str, dict[str, int]] = {group: {} for group in FACET_GROUPS}
    if counts is not None:
        for (group, name, _value, _qs), n in zip(wanted, counts, strict=True):
            out[group][name] = n
    # Over the budget: no counts (the options still work), cached like counts so a repeated
    # query does not spend the budget again.
    cache.set(key, out, FACET_CACHE_SECONDS)
    return out


def bounded_counts(
    querysets: list[QuerySet[Any]], limit: int, *, budget_ms: int = 0, whole: bool = False
) -> list[int] | None:
    """``bounded_count`` of each queryset in one SQL statement (one round trip for the 18
    counts of a listing page, not 18): ``SELECT (SELECT COUNT(*) FROM (… LIMIT n+1)), …``.

    ``budget_ms`` (PostgreSQL, 0: none): the statement's ``statement_timeout``; ``None`` when
    it ran out. A word ANDed with an option it never meets ("住宅" among the shops) can read
    the whole table for its first match (docs/performance.md), and counts are optional.

    ``whole``: count without the ``LIMIT`` (then bound): for options known to be rare among a
    word's matches, where a ``LIMIT`` leads PostgreSQL to walk the table in order hoping for
    early rows, while the plain count ANDs the word's and the option's index bitmaps."""
    if not querysets:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for qs in querysets:
        rows = qs.order_by().values("pk")
        sql, p = (rows if whole else rows[: limit + 1]).query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{len(parts)})")
        params.extend(p)
    row = _budgeted(
        querysets[0].db, budget_ms, lambda cur: cur.execute("SELECT " + ", ".join(parts), params)
    )
    return None if row is None else [min(int(n), limit + 1) for n in row]


def _budgeted(db: str, budget_ms: int, run: Callable[[Any], object]) -> tuple[Any, ...] | None:
    """``run(cursor)``'s first row, inside ``budget_ms`` (PostgreSQL ``statement_timeout``;
    0: none); ``None`` when PostgreSQL canceled it for the budget."""
    conn = connections[db]
    budget = budget_ms > 0 and conn.vendor == "postgresql"
    try:
        with transaction.atomic(using=db), conn.cursor() as cur:
            if budget:
                cur.execute(f"SET LOCAL statement_timeout = {int(budget_ms)}")
            run(cur)
            row = cur.fetchone()
            if budget:
                cur.execute("SET LOCAL statement_timeout = 0")
    except OperationalError as exc:
        if budget and _canceled(exc):
            log.info("facet counts over the %d ms budget: left out", budget_ms)
            return None
        raise
    return tuple(row)


#: How many of a word's matches the counts per option read in their one pass (below).
KEYWORD_FACET_PASS = 20_000


def _facet_choices(query: ListingQuery) -> dict[str, list[Any]]:
    """The query's own choice in each filter group that has one (the facets' filters)."""
    out: dict[str, list[Any]] = {}
    if query.kinds:
        out["kind"] = list(query.kinds)
    if query.rounds:
        out["round"] = list(query.rounds)
    if query.states:
        out["state"] = list(query.states)
    if query.loan is not None:
        out["loan"] = [query.loan]
    if query.restricted is not None:
        out["restricted"] = [query.restricted]
    return out


def _keyword_facet_counts(
    query: ListingQuery, wanted: list[tuple[str, str, Any, QuerySet[ListingIndex]]], budget_ms: int
) -> list[int] | None:
    """The counts per option of a keyword search in one pass over the word's matches: the
    rows matching the word and the filters outside the groups, each option counted with the
    other groups' choices (``SUM(CASE …)``), instead of 18 separate bounded counts that each
    walk the word's matches again (a rare option among them walks them all).

    The pass reads at most ``KEYWORD_FACET_PASS`` matches. If the word has no more, every
    count is exact; if it has, an option that reached ``FACET_LIMIT + 1`` there is "1,000+"
    all the same, and only the options still under it are counted one by one, in what is
    left of the budget, without a ``LIMIT`` (see ``bounded_counts``). Either way the result
    equals each option's ``bounded_count`` (tested on both databases)."""
    chosen = _facet_choices(query)
    columns = list(_FACET_FIELD.values())
    window = _filtered(query, skip=frozenset(FACET_GROUPS)).order_by()[:KEYWORD_FACET_PASS]
    sql, params = window.values(*columns).query.sql_with_params()
    selects = ["COUNT(*)"]
    args: list[Any] = []
    for group, _name, value, _qs in wanted:
        terms = [f"w.{_FACET_FIELD[group]} = %s"]
        args.append(value)
        for other, values in chosen.items():
            if other != group:
                terms.append(f"w.{_FACET_FIELD[other]} IN ({', '.join(['%s'] * len(values))})")
                args.extend(values)
        selects.append(f"SUM(CASE WHEN {' AND '.join(terms)} THEN 1 ELSE 0 END)")
    started = time.monotonic()
    row = _budgeted(
        window.db,
        budget_ms,
        lambda cur: cur.execute(f"SELECT {', '.join(selects)} FROM ({sql}) w", [*args, *params]),
    )
    if row is None:
        return None
    total = int(row[0] or 0)
    counts = [min(int(n or 0), FACET_LIMIT + 1) for n in row[1:]]
    if total < KEYWORD_FACET_PASS:
        return counts
    rest = [i for i, n in enumerate(counts) if n <= FACET_LIMIT]
    if not rest:
        return counts
    left = budget_ms - int((time.monotonic() - started) * 1000) if budget_ms else 0
    if budget_ms and left <= 0:
        return None
    more = bounded_counts([wanted[i][3] for i in rest], FACET_LIMIT, budget_ms=left, whole=True)
    if more is None:
        return None
    for i, n in zip(rest, more, strict=True):
        counts[i] = n
    return counts


def _canceled(exc: OperationalError) -> bool:
    """Whether PostgreSQL canceled the statement (``statement_timeout``, SQLSTATE 57014)."""
    return getattr(exc.__cause__, "sqlstate", None) == "57014"


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
    watchers: int = 0

    @property
    def countdown(self) -> str:
        """Time left to the end (live) or the start (upcoming) as of ``clock.now()``:
        ``1天 02:03:04`` (the page's script keeps it ticking)."""
        a = self.auction
        target = a.end_at if self.state_group == "live" else a.start_at
        if target is None or self.state_group not in ("live", "upcoming"):
            return ""
        left = max(0, int((target - clock.now()).total_seconds()))
        days, rest = divmod(left, 86400)
        clock_text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
        return (f"{days}{_('天')} " if days else "") + clock_text

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
    watchers = dict(
        Watch.objects.filter(auction_id__in=ids)
        .values("auction_id")
        .annotate(n=Count("pk"))
        .values_list("auction_id", "n")
    )
    watched: set[int] = set()
    if user is not None and user.is_authenticated:
        with replica.primary():  # the bidder's own state: never from a lagging replica
            watched = set(
                Watch.objects.filter(user=user, auction_id__in=ids).values_list(
                    "auction_id", flat=True
                )
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
                kind_labels=list(dict.fromkeys(str(KINDS.get(x.kind, x.kind)) for x in lot_assets)),
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
                watchers=watchers.get(a.pk, 0),
            )
        )
    return rows


def search_listings(
    query: ListingQuery, user: User | AnonymousUser | None = None, *, facets: bool = False
) -> dict[str, Any]:
    """One page of listings from the index: rows, a bounded total and the next cursor.

    Keyset paging (``cursor``: the sort key of the last row shown; stable when listings are
    added) for every order but relevance; ``page`` (an offset within the bounded total) still
    works for the first ``TOTAL_LIMIT`` matches and is how a relevance order pages.

    A keyword search by relevance on PostgreSQL ranks the window of its first ``RANK_WINDOW``
    matches and pages inside it, so its total is the window's size (``RANK_WINDOW`` means
    more): no separate count of the matches."""
    qs = listing_queryset(query)
    keyset = query.sort != "relevance" or not query.q
    ranked: list[tuple[int, int, float]] | None = None
    if (
        not keyset
        and connection.vendor == "postgresql"
        and not looks_like_case_number(query.q)
        and query_words(query.q)
    ):
        ranked = sorted(_ranked_window(query), key=lambda r: (-r[2], r[1]))
        total, exact = len(ranked), len(ranked) < RANK_WINDOW
    else:
        total = bounded_count(_filtered(query), TOTAL_LIMIT)
        exact = total <= TOTAL_LIMIT
        total = min(total, TOTAL_LIMIT)
    pages = max(1, -(-total // query.per_page))
    key_field = SORT_KEYS.get(query.sort, "")
    if not keyset:
        key_field = ""
    elif not key_field:
        key_field = "key_ending"
    page_no = query.page
    ids_keys: list[tuple[int, int]] = []
    column = key_field.lstrip("-")
    if query.cursor is not None and keyset:
        op = "lt" if key_field.startswith("-") else "gt"
        window = qs.filter(**{f"{column}__{op}": query.cursor})[: query.per_page + 1]
        ids_keys = list(window.values_list("auction_id", column))
    elif page_no <= pages:
        start = (page_no - 1) * query.per_page
        window = qs[start : start + query.per_page + 1]
        if ranked is not None:
            ids_keys = [(pk, 0) for pk, _, _ in ranked[start : start + query.per_page + 1]]
        elif keyset:
            ids_keys = list(window.values_list("auction_id", column))
        else:
            ids_keys = [(pk, 0) for pk in window.values_list("auction_id", flat=True)]
    has_next = len(ids_keys) > query.per_page
    ids_keys = ids_keys[: query.per_page]
    ids = [pk for pk, _ in ids_keys]
    by_id = Auction.objects.select_related("court", "lot", "case").in_bulk(ids)
    items = [by_id[pk] for pk in ids if pk in by_id]
    next_cursor = str(ids_keys[-1][1]) if has_next and keyset and ids_keys else None
    return {
        "rows": listing_rows(items, user),
        "total": total,
        "total_exact": exact,
        "page": page_no,
        "pages": pages,
        "has_prev": page_no > 1 and query.cursor is None,
        "has_next": has_next,
        "next_cursor": next_cursor,
        "facets": facet_counts(query) if facets else None,
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
        "watcher_count": row.watchers,
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
