"""Listings at scale (issue 18): generate N public listings on PostgreSQL, then time each kind
of listing request through Django's full request stack (URL routing, view, template/JSON).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gavel_bench_1m REDIS_URL= \\
        nice -n 10 .venv/bin/python bench/scale/listings.py generate 1000000
    DATABASE_URL=... nice -n 10 .venv/bin/python bench/scale/listings.py measure --runs 40

``generate`` migrates the database, makes one template of each row through the real models
(courts, a case, an asset, a lot, an auction, a result), then bulk-copies N lots with one
asset and one auction each (``COPY … FROM STDIN`` in one pass per table), every tenth case
shared by ten lots, a realistic mix of states, kinds, regions (real GB/T 2260 districts),
prices and times, results for the ended ones, loans for some, and the listing index rows
built with the same key and word functions as ``marketplace.search_index``. It runs once
per database (it refuses a database that already has listings).

``measure`` times each request type ``--runs`` times with varying values (different kinds,
regions, words, prices, cursors), the facet cache cleared before every request (cold
counts), and prints p50/p95/max in ms per type with the load average before and after, then
every request over 100 ms with the time its SQL and Python's garbage collector took in it.
Speed is reported (docs/performance.md), never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import json
import os
import random
import statistics
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production-like settings (DEBUG off: no query log); a throwaway key for the bench only.
os.environ.setdefault("SECRET_KEY", "bench-scale-listings-" + os.urandom(16).hex())

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

YUAN = 100
NOW = dt.datetime(2026, 12, 7, 4, 0, tzinfo=dt.UTC)
COMMUNITIES = [
    "红谷滩世纪中央城",
    "万达广场",
    "绿地新都会",
    "保利香槟国际",
    "中海国际社区",
    "恒大名都",
    "碧桂园天玺",
    "金域蓝湾",
    "华润橡树湾",
    "融创玖樾府",
    "阳光城檀悦",
    "青山湖花园",
    "滨江壹号",
    "翠苑小区",
    "朝阳新村",
    "幸福家园",
    "锦绣江南",
    "东方明珠苑",
]
VEHICLES = [
    "奥迪A6L轿车",
    "丰田凯美瑞轿车",
    "大众帕萨特",
    "比亚迪汉电动车",
    "宝马X5越野车",
    "本田雅阁",
    "别克GL8商务车",
    "解放牌重型货车",
]
MOVABLES = ["数控机床一批", "办公家具一批", "库存钢材", "名贵字画两幅", "黄金首饰一批", "红木家具"]
KIND_MIX = [
    ("residential", 55),
    ("commercial", 15),
    ("land", 8),
    ("vehicle", 12),
    ("equity", 4),
    ("movable", 6),
]
STATE_MIX = [
    ("bidding", 4),
    ("extended", 1),
    ("scheduled", 25),
    ("sold", 35),
    ("unsold", 25),
    ("suspended", 3),
    ("withdrawn", 7),
]


def weighted(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def _template(table: str, pk: int) -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        cols = [c.name for c in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))


def _copy(table: str, template: dict[str, Any], rows: Any) -> int:
    """COPY rows (dicts of overrides) into ``table``, other columns from ``template``."""
    from psycopg.types.json import Jsonb

    cols = list(template)
    base = [Jsonb(v) if isinstance(v, dict | list) else v for v in template.values()]
    index = {c: i for i, c in enumerate(cols)}
    n = 0
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        for over in rows:
            row = list(base)
            for k, v in over.items():
                row[index[k]] = Jsonb(v) if isinstance(v, dict | list) else v
            cp.write_row(row)
            n += 1
    return n


BULK_TABLES = (
    "cases_case",
    "cases_asset",
    "cases_lot",
    "cases_lot_assets",
    "bidding_auction",
    "bidding_auctionresult",
    "marketplace_listingindex",
    "marketplace_listinginfo",
)


def _drop_plain_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of ``tables`` that back no constraint (a bulk load then writes only the
    heap, the primary keys and the unique keys); returns their definitions to rebuild after."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
              )
            """,
            [list(tables)],
        )
        rows = cur.fetchall()
        for name, _ in rows:
            cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _rebuild_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cur.execute(definition)


def _next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return int(cur.fetchone()[0])


def _reset_sequence(table: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )


def generate(n: int, seed: int = 7) -> None:
    from bidding.models import Auction, AuctionResult
    from core import clock, regions
    from marketplace import search_index as si
    from marketplace.models import ListingIndex

    call_command("migrate", verbosity=0)
    if ListingIndex.objects.exists():
        raise SystemExit("this database has listings already: generate once per database")
    from tests.factories import AssetFactory, AuctionFactory, CaseFactory, CourtFactory, LotFactory

    rng = random.Random(seed)
    t0 = time.monotonic()
    with clock.frozen(NOW) if hasattr(clock, "frozen") else _nullcontext():
        courts = [CourtFactory.create() for _ in range(40)]
        case = CaseFactory.create(court=courts[0])
        asset = AssetFactory.create(case=case, kind="residential", division_code="360102")
        lot = LotFactory.create(case=case, assets=[asset])
        auction = AuctionFactory.create(lot=lot, state="sold")
        AuctionResult.objects.create(auction=auction, outcome="sold", closed_at=NOW, price_fen=1)
    t_case = _template("cases_case", case.pk)
    t_asset = _template("cases_asset", asset.pk)
    t_lot = _template("cases_lot", lot.pk)
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM cases_lot_assets WHERE lot_id = %s", [lot.pk])
        t_m2m = dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))
    t_auction = _template("bidding_auction", auction.pk)
    t_auction["settings_snapshot"] = None  # the storefront never reads it; saves gigabytes
    t_result = _template("bidding_auctionresult", auction.result.pk)
    districts = [
        r
        for p in regions.children("")
        for c in regions.children(p.code)
        for r in ([c] if c.level == "district" else regions.children(c.code))
    ]
    # Busy places sell more: the first districts of each city weigh more.
    weights = [1.0 / (1 + (i % 12)) for i in range(len(districts))]
    cum = list(itertools.accumulate(weights))
    court_names = {c.pk: c.name for c in courts}

    case0, asset0, lot0, m2m0 = (
        _next_id("cases_case"),
        _next_id("cases_asset"),
        _next_id("cases_lot"),
        _next_id("cases_lot_assets"),
    )
    auction0, result0 = _next_id("bidding_auction"), _next_id("bidding_auctionresult")
    n_cases = max(1, n // 10)
    plan: list[dict[str, Any]] = []
    for i in range(n):
        kind = weighted(rng, KIND_MIX)
        d = rng.choices(districts, cum_weights=cum)[0]
        state = weighted(rng, STATE_MIX)
        court = courts[i % len(courts)]
        if kind == "residential":
            parts = [
                d.name,
                rng.choice(COMMUNITIES),
                f"{rng.randint(1, 30)}栋",
                f"{rng.randint(1, 4)}单元",
                f"{rng.randint(1, 33)}0{rng.randint(1, 4)}室",
                "住宅",
            ]
        elif kind == "commercial":
            parts = [d.name, rng.choice(COMMUNITIES), f"{rng.randint(1, 3)}层", "商铺"]
        elif kind == "land":
            parts = [d.name, "国有建设用地使用权", f"（{rng.randint(2, 90)}亩）"]
        elif kind == "vehicle":
            parts = [rng.choice(VEHICLES), f"（{d.name}）"]
        elif kind == "equity":
            parts = [d.name, "某科技有限公司", f"{rng.randint(5, 100)}%股权"]
        else:
            parts = [rng.choice(MOVABLES), f"（{d.name}）"]
        name = "".join(parts)
        address = [d.name, rng.choice(COMMUNITIES), f"路{rng.randint(1, 999)}号"]
        start_fen = rng.choice([3, 5, 8, 12, 20, 35, 50, 80, 120, 200, 350, 600]) * 10_000 * YUAN
        start_fen += rng.randint(0, 9999) * YUAN
        if state in ("bidding", "extended"):
            start_at = NOW - dt.timedelta(hours=rng.randint(1, 23))
            end_at = NOW + dt.timedelta(minutes=rng.randint(1, 24 * 60))
        elif state == "scheduled":
            start_at = NOW + dt.timedelta(hours=rng.randint(1, 24 * 40))
            end_at = start_at + dt.timedelta(hours=24)
        else:
            start_at = NOW - dt.timedelta(hours=rng.randint(25, 24 * 700))
            end_at = start_at + dt.timedelta(hours=24)
        bids = rng.randint(1, 40) if state in ("bidding", "extended", "sold") else 0
        price = start_fen + bids * 1000 * YUAN if bids else None
        plan.append(
            {
                "i": i,
                "kind": kind,
                "district": d.code,
                "name": name,
                "state": state,
                "court": court.pk,
                "case": case0 + i % n_cases,
                "start_fen": start_fen,
                "price": price,
                "bids": bids,
                "start_at": start_at,
                "end_at": end_at,
                "published_at": start_at - dt.timedelta(days=rng.randint(7, 40)),
                "round": rng.choices(["1", "2", "sale"], weights=[70, 22, 8])[0],
                "restricted": kind == "residential" and rng.random() < 0.3,
                "loan": kind in ("residential", "commercial") and rng.random() < 0.25,
                "address": "".join(address),
                "address_parts": address,
            }
        )
    print(f"planned {n} listings in {time.monotonic() - t0:.0f} s", flush=True)

    def case_rows() -> Any:
        for j in range(n_cases):
            court = courts[j % len(courts)]
            yield {
                "id": case0 + j,
                "court_id": court.pk,
                "number": f"（2025）测{court.pk:03d}执{j + 1}号",
            }

    t = time.monotonic()
    # Bulk load: the foreign-key triggers off for this session (every referenced row is
    # written by this script in the same run) and the plain indexes built once after the COPY.
    dropped = _drop_plain_indexes(BULK_TABLES)
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
    _copy("cases_case", t_case, case_rows())
    _copy(
        "cases_asset",
        t_asset,
        (
            {
                "id": asset0 + p["i"],
                "case_id": p["case"],
                "kind": p["kind"],
                "name": p["name"],
                "division_code": p["district"],
                "address": p["address"],
                "purchase_restricted": p["restricted"],
            }
            for p in plan
        ),
    )
    _copy(
        "cases_lot",
        t_lot,
        ({"id": lot0 + p["i"], "case_id": p["case"], "title": p["name"]} for p in plan),
    )
    _copy(
        "cases_lot_assets",
        t_m2m,
        ({"id": m2m0 + p["i"], "lot_id": lot0 + p["i"], "asset_id": asset0 + p["i"]} for p in plan),
    )
    _copy(
        "bidding_auction",
        t_auction,
        (
            {
                "id": auction0 + p["i"],
                "court_id": p["court"],
                "case_id": p["case"],
                "lot_id": lot0 + p["i"],
                "title": p["name"],
                "round": p["round"],
                "state": p["state"],
                "starting_price_fen": p["start_fen"],
                "current_price_fen": p["price"],
                "start_at": p["start_at"],
                "end_at": p["end_at"],
                "scheduled_end_at": p["end_at"],
                "published_at": p["published_at"],
                "last_seq": p["bids"],
                "closed_at": p["end_at"] if p["state"] in ("sold", "unsold") else None,
            }
            for p in plan
        ),
    )
    ended = [p for p in plan if p["state"] in ("sold", "unsold")]
    _copy(
        "bidding_auctionresult",
        t_result,
        (
            {
                "id": result0 + k,
                "auction_id": auction0 + p["i"],
                "outcome": p["state"],
                "closed_at": p["end_at"],
                "price_fen": p["price"] if p["state"] == "sold" else None,
                "bid_count": p["bids"],
            }
            for k, p in enumerate(ended)
        ),
    )
    print(f"copied the bidding/cases rows in {time.monotonic() - t:.0f} s", flush=True)
    for table in (
        "cases_case",
        "cases_asset",
        "cases_lot",
        "cases_lot_assets",
        "bidding_auction",
        "bidding_auctionresult",
    ):
        _reset_sequence(table)

    # jieba per piece of a title or address (district, community, "3栋", …), cached: the same
    # word function as the live index, without segmenting a million similar strings whole.
    @lru_cache(maxsize=200_000)
    def words(text: str) -> str:
        return " ".join(si.words(text))

    @lru_cache(maxsize=10_000)
    def place(code: str) -> str:
        return regions.full_name(code)

    def case_number(p: dict[str, Any]) -> str:
        j = p["case"] - case0
        return f"（2025）测{courts[j % len(courts)].pk:03d}执{j + 1}号"

    def index_rows() -> Any:
        for p in plan:
            pk = auction0 + p["i"]
            group = si.state_group(p["state"])
            price = p["price"] if p["price"] is not None else p["start_fen"]
            number = case_number(p)
            body = " ".join(
                filter(
                    None,
                    [
                        words(p["address"]),
                        words(place(p["district"])),
                        words(court_names[p["court"]]),
                        number,
                    ],
                )
            )
            yield {
                "auction_id": pk,
                "court_id": p["court"],
                "case_number": number,
                "kind": p["kind"],
                "province": p["district"][:2],
                "city": p["district"][:4],
                "district": p["district"],
                "round": p["round"],
                "state": p["state"],
                "state_group": group,
                "loan": p["loan"],
                "restricted": p["restricted"],
                "price_fen": price,
                "seq": p["bids"],
                "key_ending": si.key_ending(group, p["start_at"], p["end_at"], pk),
                "key_starting": si.key_starting(p["state"], p["start_at"], pk),
                "key_newest": si.key_newest(p["published_at"], pk),
                "key_price": si.key_price(price, pk),
                "key_closed": si.key_closed(p["end_at"], pk) if group == "ended" else None,
                "search_title": words(p["name"]),
                "search_body": body,
            }

    t = time.monotonic()
    cols = [f.column for f in ListingIndex._meta.concrete_fields]
    _copy("marketplace_listingindex", dict.fromkeys(cols), index_rows())
    _copy(
        "marketplace_listinginfo",
        {
            "id": None,
            "auction_id": None,
            "loan_supported": True,
            "loan_note": "可办理按揭贷款",
            "updated_by_id": None,
            "updated_at": NOW,
        },
        (
            {"id": k + 1, "auction_id": auction0 + p["i"]}
            for k, p in enumerate(q for q in plan if q["loan"])
        ),
    )
    _reset_sequence("marketplace_listinginfo")
    print(f"indexed in {time.monotonic() - t:.0f} s (jieba words cached per piece)", flush=True)
    t = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = DEFAULT")
    _rebuild_indexes(dropped)
    print(f"built {len(dropped)} indexes in {time.monotonic() - t:.0f} s", flush=True)
    with connection.cursor() as cur:  # what autovacuum would do after a bulk load
        cur.execute("VACUUM ANALYZE")
    si.refresh([auction.pk])
    print(
        f"generated {n} listings in {time.monotonic() - t0:.0f} s; "
        f"{Auction.objects.count()} auctions",
        flush=True,
    )


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def measure(runs: int, seed: int = 11) -> dict[str, Any]:
    from django.core.cache import cache
    from django.test import Client

    from core import clock
    from marketplace.models import ListingIndex

    rng = random.Random(seed)
    client = Client()
    n = ListingIndex.objects.count()
    some = list(
        ListingIndex.objects.order_by("?").values(
            "case_number", "district", "city", "province", "court_id"
        )[:runs]
    )
    words = [
        "住宅",
        "商铺",
        "红谷滩",
        "万达广场",
        "轿车",
        "股权",
        "土地",
        "南昌",
        "朝阳",
        "碧桂园 住宅",
        "数控机床",
        "黄金首饰",
        "滨江壹号",
        "科技有限公司",
    ]
    kinds = ["residential", "commercial", "land", "vehicle", "equity", "movable"]
    states = ["live", "upcoming", "ended", "suspended", "withdrawn"]

    def cursor_of(qs: str) -> str:
        data = client.get("/api/marketplace/auctions?" + qs, secure=True).json()
        return data.get("next_cursor") or ""

    types: dict[str, Any] = {
        "list (page)": lambda k: "/marketplace/",
        "list (API)": lambda k: "/api/marketplace/auctions",
        "list, next page (cursor, API)": lambda k: (
            "/api/marketplace/auctions?cursor="
            + cursor_of(f"per_page=50&sort={rng.choice(['ending', 'newest', 'price_asc'])}")
        ),
        "filter kind": lambda k: f"/api/marketplace/auctions?kind={rng.choice(kinds)}",
        "filter province": lambda k: f"/api/marketplace/auctions?region={some[k]['province']}",
        "filter city": lambda k: f"/api/marketplace/auctions?region={some[k]['city']}",
        "filter district": lambda k: f"/api/marketplace/auctions?region={some[k]['district']}",
        "filter price range": lambda k: (
            "/api/marketplace/auctions?price_min="
            f"{rng.choice([50, 100, 300])}0000&price_max={rng.choice([400, 800, 1500])}0000"
        ),
        "filter round": lambda k: f"/api/marketplace/auctions?round={rng.choice(['2', 'sale'])}",
        "filter state": lambda k: f"/api/marketplace/auctions?state={rng.choice(states)}",
        "filter loan": lambda k: "/api/marketplace/auctions?loan=1",
        "filter restricted": lambda k: "/api/marketplace/auctions?restricted=1&kind=residential",
        "filter court": lambda k: f"/api/marketplace/auctions?court={some[k]['court_id']}",
        "filter combined": lambda k: (
            f"/api/marketplace/auctions?region={some[k]['city']}"
            f"&kind=residential&state=upcoming&price_max=3000000"
        ),
        "sort price_desc": lambda k: "/api/marketplace/auctions?sort=price_desc",
        "keyword (API)": lambda k: "/api/marketplace/auctions?q=" + rng.choice(words),
        "keyword + filter (API)": lambda k: (
            "/api/marketplace/auctions?state=upcoming&q=" + rng.choice(words)
        ),
        # The keyword page leaves its counts to the browser (listings.js asks the API after
        # the page): the page, then that call, as a person's browser makes them.
        "keyword (page; counts after it)": lambda k: "/marketplace/?q=" + rng.choice(words),
        "keyword counts (API facets=1, after the page)": lambda k: (
            "/api/marketplace/auctions?facets=1&per_page=10&q=" + rng.choice(words)
        ),
        "counts per filter (API facets=1)": lambda k: (
            f"/api/marketplace/auctions?facets=1&kind={rng.choice(kinds)}"
        ),
        "case-number lookup": lambda k: "/api/marketplace/auctions?q=" + some[k]["case_number"],
        "results (page)": lambda k: "/marketplace/results/",
        "results (API, cursor)": lambda k: (
            "/api/marketplace/results?page=1"
            if k % 2 == 0
            else "/api/marketplace/results?cursor="
            + (client.get("/api/marketplace/results", secure=True).json().get("next_cursor") or "")
        ),
    }
    # Where a slow request's time went: SQL (every statement, timed around the driver call)
    # and Python's garbage collector (gc.callbacks), so that an outlier is attributed.
    spent = {"sql": 0.0, "gc": 0.0}
    gc_started: list[float] = []

    def timed_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.perf_counter() - t0

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[:] = [time.perf_counter()]
        elif gc_started:
            spent["gc"] += time.perf_counter() - gc_started[0]

    gc.callbacks.append(gc_timer)
    slow: list[str] = []
    load_before = os.getloadavg()
    out: dict[str, Any] = {"listings": n, "runs": runs, "load_before": load_before, "types": {}}
    with (
        clock.frozen(NOW) if hasattr(clock, "frozen") else _nullcontext(),
        connection.execute_wrapper(timed_sql),
    ):
        # What a web process does at start (config/asgi.py): the warm-up steps, then the
        # garbage collector's freeze (core.warmup); then one request for the templates.
        from core.warmup import warm_up

        warm_up()
        client.get("/marketplace/?q=住宅", secure=True)
        for name, make in types.items():
            times = []
            for k in range(runs):
                url = make(k)
                cache.clear()
                spent["sql"] = spent["gc"] = 0.0
                t = time.perf_counter()
                resp = client.get(url, secure=True)
                times.append((time.perf_counter() - t) * 1000)
                if times[-1] > 100:
                    slow.append(
                        f"{name}: {times[-1]:.0f} ms (SQL {spent['sql'] * 1000:.0f} ms, "
                        f"garbage collector {spent['gc'] * 1000:.0f} ms) {url}"
                    )
                if resp.status_code != 200:
                    raise SystemExit(f"{url}: {resp.status_code} {resp.content[:300]!r}")
            times.sort()
            out["types"][name] = {
                "p50": round(statistics.median(times), 1),
                "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
                "max": round(times[-1], 1),
            }
            print(
                f"{name:36s} p50 {out['types'][name]['p50']:7.1f}  "
                f"p95 {out['types'][name]['p95']:7.1f}  max {out['types'][name]['max']:7.1f}",
                flush=True,
            )
    gc.callbacks.remove(gc_timer)
    if slow:
        print(f"requests over 100 ms ({len(slow)}):", *slow, sep="\n  ", flush=True)
    out["slow"] = slow
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("n", type=int)
    m = sub.add_parser("measure")
    m.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("the listing bench runs on PostgreSQL (DATABASE_URL=postgres://…)")
    if args.cmd == "generate":
        generate(args.n)
    else:
        measure(args.runs)


if __name__ == "__main__":
    main()
