"""The listing index (``ListingIndex``): stored sort keys, filter columns and the search text.

Issue 18: the public list, its filters, the keyword search, the case-number lookup and the
results are read from this one table through B-tree indexes (and a GIN index on the search
vector on PostgreSQL) instead of sorting computed ``CASE`` expressions over every auction.

* **Sort keys.** Each order has one unique ``BIGINT``: ``(bucket · 10¹⁰ + seconds) · 10⁸ +
  tie``, where the tie part (``10⁸ − 1 − id``) puts the later auction first among equals. A
  page is ``key > cursor ORDER BY key LIMIT n``: an index range, stable when rows are added.
* **Kept current.** Bidding's saves of an auction (publication, state, schedule: ``post_save``)
  and its after-commit ``AuctionStateChanged`` / ``AuctionClosed`` events, the lot's assets and
  the listing's loan flag refresh the row; bids write the auction row without ``save()`` (the
  hot path never waits for the storefront), so the worker task ``marketplace.listing_sweep``
  refreshes live rows whose price or bid sequence moved.
* **Words.** jieba (``cut_for_search``) segments the title, the lot, the assets' names and
  addresses, the region names, the court and the case number into words joined by spaces;
  PostgreSQL builds a weighted ``tsvector`` from them (migration 0005).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import uuid
from collections.abc import Iterable
from typing import Any

import jieba
from django.db import transaction
from django.db.models import F
from django.utils import translation

from bidding.models import ENDED_STATES, OPEN_STATES, Auction, AuctionState
from cases.models import Asset
from core import regions
from marketplace.models import ListingIndex, ListingInfo

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger("gavel.marketplace")

S = AuctionState
BUCKET = 10**10
ID_SPACE = 10**8
TMAX = 10**10 - 1
PRICE_YUAN_MAX = 92 * 10**9 - 1  # a sort key only: dearer lots share the top of the range

LIVE_STATES = frozenset(OPEN_STATES)
ENDED = frozenset(ENDED_STATES)


def state_group(state: str) -> str:
    if state in LIVE_STATES:
        return "live"
    if state == S.SCHEDULED:
        return "upcoming"
    if state in ENDED:
        return "ended"
    if state in (S.SUSPENDED, S.HALTED):
        return "suspended"
    return "withdrawn"


def _epoch(value: dt.datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def _tie(pk: int) -> int:
    if not 0 < pk < ID_SPACE:
        raise ValueError(f"auction id {pk} outside the sort key's range")
    return ID_SPACE - 1 - pk


def key_ending(
    group: str, start_at: dt.datetime | None, end_at: dt.datetime | None, pk: int
) -> int:
    """Live first by the nearest end, then upcoming by start, then the rest, latest end first."""
    start, end = _epoch(start_at), _epoch(end_at)
    if group == "live":
        bucket, t = 0, end if end is not None else TMAX
    elif group == "upcoming":
        bucket, t = 1, start if start is not None else TMAX
    else:
        bucket, t = 2, TMAX - (end or 0)
    return (bucket * BUCKET + t) * ID_SPACE + _tie(pk)


def key_starting(state: str, start_at: dt.datetime | None, pk: int) -> int:
    """Scheduled auctions first by start, then the others by start."""
    start = _epoch(start_at)
    bucket = 0 if state == S.SCHEDULED else 1
    return (bucket * BUCKET + (start if start is not None else TMAX)) * ID_SPACE + _tie(pk)


def key_newest(published_at: dt.datetime | None, pk: int) -> int:
    return (TMAX - (_epoch(published_at) or 0)) * ID_SPACE + _tie(pk)


def key_price(price_fen: int, pk: int) -> int:
    return min(max(price_fen // 100, 0), PRICE_YUAN_MAX) * ID_SPACE + _tie(pk)


def key_closed(closed_at: dt.datetime | None, pk: int) -> int | None:
    if closed_at is None:
        return None
    return (TMAX - (_epoch(closed_at) or 0)) * ID_SPACE + _tie(pk)


_WORD = re.compile(r"\w", re.UNICODE)
_SUFFIXES = (
    "特别行政区",
    "自治州",
    "自治县",
    "自治旗",
    "新区",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)
_dictionary_ready = False


def _ensure_dictionary() -> None:
    """Teach jieba the GB/T 2260 division names (``红谷滩区`` and ``红谷滩``) once per process,
    so a place is one word: without them jieba cuts 南昌市红谷滩区 into 红谷 / 滩区."""
    global _dictionary_ready
    if _dictionary_ready:
        return
    stack, names = [""], []
    while stack:
        for child in regions.children(stack.pop()):
            names.append(child)
            stack.append(child.code)
    for r in names:
        jieba.add_word(r.name, freq=20_000)
        for suffix in _SUFFIXES:
            if r.name.endswith(suffix) and len(r.name) - len(suffix) >= 2:
                jieba.add_word(r.name[: -len(suffix)], freq=20_000)
                break
    _dictionary_ready = True


def words(text: str) -> list[str]:
    """The document's words: jieba's search mode (whole words and their dictionary parts)."""
    _ensure_dictionary()
    out: list[str] = []
    for w in jieba.cut_for_search(text or ""):
        w = w.strip().lower()
        if w and _WORD.search(w):
            out.append(w)
    return out


def query_words(text: str) -> list[str]:
    """The words of a keyword query (jieba's precise mode; every word must match)."""
    _ensure_dictionary()
    out: list[str] = []
    for w in jieba.cut(text or ""):
        w = w.strip().lower()
        if w and _WORD.search(w) and w not in out:
            out.append(w)
    return out


_CASE_NUMBER = re.compile(r"^[（(]\d{4}[）)].+号$")


def normalise_case_number(text: str) -> str:
    """``(2024)赣0102执123号`` → ``（2024）赣0102执123号`` (the full-width form courts write)."""
    return text.strip().replace("(", "（").replace(")", "）").replace(" ", "")


def looks_like_case_number(text: str) -> bool:
    return bool(_CASE_NUMBER.match(text.strip()))


def region_parts(code: str) -> tuple[str, str, str]:
    code = (code or "")[:6]
    if len(code) != 6 or not code.isdigit():
        return "", "", ""
    return code[:2], code[:4], code


@functools.cache
def kind_names(kind: str) -> tuple[str, ...]:
    """An asset kind's names in both languages (住宅, Residential): a bidder who searches for
    the kind finds its lots, whether or not their titles say it."""
    label = dict(Asset.Kind.choices).get(kind)
    if label is None:
        return ()
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return tuple(dict.fromkeys((zh, en)))


def build_row(
    a: Auction,
    assets: list[Asset],
    *,
    loan: bool,
    closed_at: dt.datetime | None,
) -> ListingIndex:
    """The index row of one public auction (pure: the bench builds rows with it too)."""
    group = state_group(a.state)
    price = a.current_price_fen if a.current_price_fen is not None else a.starting_price_fen
    first = assets[0] if assets else None
    province, city, district = region_parts(first.division_code if first else "")
    body: list[str] = []
    if a.lot is not None and a.lot.title != a.title:
        body.append(a.lot.title)
    for x in assets:
        body += [x.name, x.address, regions.full_name(x.division_code), *kind_names(x.kind)]
    if a.court is not None:
        body.append(a.court.name)
    case_number = a.case.number if a.case is not None else ""
    return ListingIndex(
        auction_id=a.pk,
        court_id=a.court_id,
        case_number=normalise_case_number(case_number),
        kind=first.kind if first else "",
        province=province,
        city=city,
        district=district,
        round=a.round,
        state=a.state,
        state_group=group,
        loan=loan,
        restricted=any(x.purchase_restricted for x in assets),
        price_fen=price,
        seq=a.last_seq or 0,
        key_ending=key_ending(group, a.start_at, a.end_at, a.pk),
        key_starting=key_starting(a.state, a.start_at, a.pk),
        key_newest=key_newest(a.published_at, a.pk),
        key_price=key_price(price, a.pk),
        key_closed=key_closed(closed_at, a.pk) if group == "ended" else None,
        search_title=" ".join(words(a.title)),
        search_body=" ".join(words(" ".join(body)) + ([case_number] if case_number else [])),
    )


UPDATE_FIELDS = [
    f.name for f in ListingIndex._meta.concrete_fields if not f.primary_key and f.name != "auction"
]


def _is_public(a: Auction) -> bool:
    return not a.is_practice and a.lot_id is not None and a.state != S.DRAFT


def refresh(auction_ids: Iterable[int]) -> int:
    """Rebuild the index rows of these auctions (delete those no longer public); the count kept."""
    ids = sorted(set(auction_ids))
    if not ids:
        return 0
    auctions = list(
        Auction.objects.filter(pk__in=ids).select_related("court", "case", "lot", "result")
    )
    public = [a for a in auctions if _is_public(a)]
    gone = set(ids) - {a.pk for a in public}
    # Now (this transaction's own reads) and again once committed (counts others computed in
    # between from the old rows must not outlive the commit).
    bump_generation()
    transaction.on_commit(bump_generation)
    if gone:
        ListingIndex.objects.filter(auction_id__in=gone).delete()
    if not public:
        return 0
    lot_ids = {a.lot_id for a in public}
    assets: dict[int, list[Asset]] = {}
    for asset in Asset.objects.filter(lots__in=lot_ids).annotate(lot_ref=F("lots")).order_by("pk"):
        assets.setdefault(asset.lot_ref, []).append(asset)
    loans = set(
        ListingInfo.objects.filter(
            auction_id__in=[a.pk for a in public], loan_supported=True
        ).values_list("auction_id", flat=True)
    )
    rows = []
    for a in public:
        result = getattr(a, "result", None) if _has_result(a) else None
        rows.append(
            build_row(
                a,
                assets.get(a.lot_id or 0, []),
                loan=a.pk in loans,
                closed_at=result.closed_at if result is not None else None,
            )
        )
    ListingIndex.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["auction"], update_fields=UPDATE_FIELDS
    )
    return len(rows)


GENERATION_KEY = "mk:listing:generation"


def bump_generation() -> None:
    """The index changed: cached counts per filter (``listings.facet_counts``) are keyed by
    this generation, so none outlives a change (a fresh value, never reused: a shared cache
    may hold keys of another database's index)."""
    from django.core.cache import cache

    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def generation() -> str:
    from django.core.cache import cache

    value = cache.get(GENERATION_KEY)
    if value is None:
        bump_generation()
        value = cache.get(GENERATION_KEY) or ""
    return str(value)


def _has_result(a: Auction) -> bool:
    try:
        a.result  # noqa: B018 — a reverse one-to-one raises when there is none
    except Auction.result.RelatedObjectDoesNotExist:
        return False
    return True


def reindex_all(*, batch: int = 2000) -> int:
    """Rebuild every row (``manage.py listings_reindex``): after a migration or a bulk import."""
    done = 0
    last = 0
    while True:
        ids = list(
            Auction.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        with transaction.atomic():
            done += refresh(ids)
        last = ids[-1]
    stale = ListingIndex.objects.exclude(auction_id__in=Auction.objects.values("pk"))
    stale.delete()
    transaction.on_commit(bump_generation)
    return done


def sweep(*, limit: int = 500) -> int:
    """Worker task: live rows whose auction moved on (bids: price, sequence, end; or a state
    written without ``save()``) are rebuilt."""
    moved = list(
        ListingIndex.objects.filter(state_group="live")
        .exclude(seq=F("auction__last_seq"), state=F("auction__state"))
        .values_list("auction_id", flat=True)[:limit]
    )
    if moved:
        with transaction.atomic():
            refresh(moved)
    return len(moved)


# ---- handlers ---------------------------------------------------------------------------------

#: Fields of an auction the index reads; a save touching none of them needs no refresh.
WATCHED_FIELDS = frozenset(
    {
        "state",
        "title",
        "round",
        "start_at",
        "end_at",
        "current_price_fen",
        "starting_price_fen",
        "published_at",
        "closed_at",
        "lot",
        "case",
        "court",
        "is_practice",
        "last_seq",
    }
)


def on_auction_saved(sender: Any, instance: Auction, update_fields: Any = None, **kw: Any) -> None:
    if kw.get("raw"):
        return
    if update_fields is not None and not (set(update_fields) & WATCHED_FIELDS):
        return
    _refresh_soon(instance.pk)


def _refresh_soon(auction_id: int) -> None:
    """Refresh now, or once for the whole batch when the writer opened ``core.deferred``
    (issue 18: the clock's batch of closes saves each auction and its result; the index rows
    are rebuilt once per batch, in the same transaction, instead of twice per close)."""
    from core.deferred import collect

    collect("marketplace.listing_index", auction_id, refresh)


def on_asset_saved(sender: Any, instance: Asset, **kw: Any) -> None:
    if kw.get("raw"):
        return
    ids = list(
        Auction.objects.filter(lot__assets=instance, is_practice=False).values_list("pk", flat=True)
    )
    refresh(ids)


def on_listing_info_saved(sender: Any, instance: ListingInfo, **kw: Any) -> None:
    if not kw.get("raw"):
        refresh([instance.auction_id])


def on_result_saved(sender: Any, instance: Any, created: bool = False, **kw: Any) -> None:
    if created and not kw.get("raw"):
        _refresh_soon(instance.auction_id)


def on_state_event(event: Any) -> None:
    """After commit: a state written by a bulk update (no ``save()``) still reaches the index.
    Checked once for all the closes of a clock's batch when its ``core.deferred`` block is
    open (issue 18), at once otherwise."""
    from core.deferred import collect

    collect("marketplace.state_check", int(event.auction_id), _check_states)


def _check_states(auction_ids: list[int]) -> None:
    """Rebuild the rows of these auctions whose index state differs from the auction's (two
    reads for any number). After commit: an error is logged, never raised to the publisher."""
    try:
        states = dict(Auction.objects.filter(pk__in=auction_ids).values_list("pk", "state"))
        stored = dict(
            ListingIndex.objects.filter(auction_id__in=auction_ids).values_list(
                "auction_id", "state"
            )
        )
        moved = [pk for pk in auction_ids if pk in states and states[pk] != stored.get(pk)]
        if moved:
            refresh(moved)
    except Exception:
        log.exception("listing index state check of %s auctions failed", len(auction_ids))


def connect() -> None:
    from django.db.models.signals import post_save

    from bidding import events
    from bidding.models import AuctionResult
    from core.events import subscribe
    from core.worker import register_task

    post_save.connect(on_auction_saved, sender=Auction, dispatch_uid="mk_index_auction")
    post_save.connect(on_asset_saved, sender=Asset, dispatch_uid="mk_index_asset")
    post_save.connect(on_listing_info_saved, sender=ListingInfo, dispatch_uid="mk_index_info")
    post_save.connect(on_result_saved, sender=AuctionResult, dispatch_uid="mk_index_result")
    subscribe(events.AuctionStateChanged, on_state_event)
    subscribe(events.AuctionClosed, on_state_event)
    register_task("marketplace.listing_sweep", sweep, every=5)
    from core.warmup import register as warm_up_with

    # The word dictionary (jieba and the division names) loads in seconds: a clock loads it
    # when it starts, not inside its first batch of closes (issue 18).
    warm_up_with(_ensure_dictionary)
