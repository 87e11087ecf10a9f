"""Listing search parameters: parsed and checked in one place for the pages, the API and saved searches.

A bad value never reaches the database: it becomes a ``DomainError`` with a stable code and a
Chinese message (the pages show it with status 400, the API returns ``{"code", "message"}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Asset
from core.errors import DomainError
from core.money import parse_yuan, yuan

ROUNDS = {"1": gettext_lazy("一拍"), "2": gettext_lazy("二拍"), "sale": gettext_lazy("变卖")}
# Public state groups; drafts and practice auctions are never listed.
STATE_GROUPS = {
    "upcoming": gettext_lazy("即将开始"),
    "live": gettext_lazy("正在进行"),
    "ended": gettext_lazy("已结束"),
    "suspended": gettext_lazy("暂缓/中止"),
    "withdrawn": gettext_lazy("已撤回"),
}
SORTS = {
    "relevance": gettext_lazy("相关度"),
    "ending": gettext_lazy("即将结束"),
    "starting": gettext_lazy("即将开始"),
    "newest": gettext_lazy("最新发布"),
    "price_asc": gettext_lazy("价格从低到高"),
    "price_desc": gettext_lazy("价格从高到低"),
}
KINDS = dict(Asset.Kind.choices)  # lazy labels: shown in the reader's language
PAGE_SIZES = (10, 20, 50)
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_PRICE_FEN = 10**15  # a hundred trillion yuan: anything larger is a typo, not a filter
_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}


def _bad(code: str, message: str, field_name: str) -> DomainError:
    return DomainError(code, message, field=field_name)


@dataclass(frozen=True)
class ListingQuery:
    """A checked search: every field is either empty (no filter) or a valid value."""

    q: str = ""
    kinds: tuple[str, ...] = ()
    region: str = ""  # division-code prefix: 2 (province), 4 (city) or 6 (district) digits
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    rounds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    loan: bool | None = None
    restricted: bool | None = None
    court: int | None = None
    sort: str = "ending"
    page: int = 1
    cursor: int | None = None  # keyset paging: the sort key of the last row already shown
    per_page: int = DEFAULT_PAGE_SIZE
    extra: dict = field(default_factory=dict)

    def as_params(self) -> dict[str, Any]:
        """The canonical, JSON-ready form (what a saved search stores), without paging."""
        out: dict[str, Any] = {}
        if self.q:
            out["q"] = self.q
        if self.kinds:
            out["kind"] = list(self.kinds)
        if self.region:
            out["region"] = self.region
        if self.price_min_fen is not None:
            out["price_min"] = yuan(self.price_min_fen).replace(",", "")
        if self.price_max_fen is not None:
            out["price_max"] = yuan(self.price_max_fen).replace(",", "")
        if self.rounds:
            out["round"] = list(self.rounds)
        if self.states:
            out["state"] = list(self.states)
        if self.loan is not None:
            out["loan"] = "1" if self.loan else "0"
        if self.restricted is not None:
            out["restricted"] = "1" if self.restricted else "0"
        if self.court is not None:
            out["court"] = str(self.court)
        if self.sort != self.default_sort:
            out["sort"] = self.sort
        return out

    @property
    def default_sort(self) -> str:
        """Relevance for a keyword search, else the nearest end first."""
        return "relevance" if self.q else "ending"

    def describe(self) -> str:
        """A short Chinese summary ("住宅 · 3601 · 一拍"), for saved searches and alerts."""
        parts = [str(KINDS[k]) for k in self.kinds]
        if self.q:
            parts.insert(0, f"“{self.q}”")
        if self.region:
            from core.regions import full_name

            parts.append(
                full_name(self.region.ljust(6, "0"))
                or _("地区 %(region)s") % {"region": self.region}
            )
        if self.price_min_fen is not None or self.price_max_fen is not None:
            lo = yuan(self.price_min_fen) if self.price_min_fen is not None else _("不限")
            hi = yuan(self.price_max_fen) if self.price_max_fen is not None else _("不限")
            parts.append(_("%(low)s–%(high)s 元") % {"low": lo, "high": hi})
        parts += [str(ROUNDS[r]) for r in self.rounds]
        parts += [str(STATE_GROUPS[s]) for s in self.states]
        if self.loan is not None:
            parts.append(_("可贷款") if self.loan else _("不可贷款"))
        if self.restricted is not None:
            parts.append(_("限购") if self.restricted else _("不限购"))
        return " · ".join(parts) or _("全部拍品")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _getlist(params: Mapping[str, Any], key: str, *, split: bool = False) -> list[str]:
    """Values of ``key`` from a QueryDict or a plain dict (value or list); ``split`` on commas."""
    raw: Any
    if hasattr(params, "getlist"):
        raw = params.getlist(key)
    else:
        raw = params.get(key)
        if raw is None:
            raw = []
        elif not isinstance(raw, list | tuple):
            raw = [raw]
    out: list[str] = []
    for item in raw:
        if item is None:
            continue
        for piece in str(item).split(",") if split else [str(item)]:
            piece = piece.strip()
            if piece:
                out.append(piece)
    return out


def _one(params: Mapping[str, Any], key: str) -> str:
    values = _getlist(params, key)
    return values[-1] if values else ""


def _choices(
    params: Mapping[str, Any], key: str, allowed: Mapping[str, Any], code: str, label: str
) -> tuple[str, ...]:
    values = _getlist(params, key, split=True)
    for v in values:
        if v not in allowed:
            options = _("、").join(f"{k}（{name}）" for k, name in allowed.items())
            raise _bad(
                code,
                _("%(label)s“%(value)s”不存在，可选：%(options)s")
                % {"label": label, "value": v, "options": options},
                key,
            )
    return tuple(dict.fromkeys(values))


def _price(params: Mapping[str, Any], key: str, label: str) -> int | None:
    text = _one(params, key)
    if not text:
        return None
    try:
        fen = parse_yuan(text)
    except DomainError:
        raise _bad(
            "invalid_price",
            _("%(label)s“%(text)s”不是有效金额（单位：元，最多两位小数）")
            % {"label": label, "text": text},
            key,
        ) from None
    if fen < 0:
        raise _bad("invalid_price", _("%(label)s不能为负数") % {"label": label}, key)
    if fen > MAX_PRICE_FEN:
        raise _bad("invalid_price", _("%(label)s过大") % {"label": label}, key)
    return fen


def _flag(params: Mapping[str, Any], key: str, label: str) -> bool | None:
    text = _one(params, key).lower()
    if not text or text in {"any", "all", "不限"}:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(
        "invalid_flag",
        _("%(label)s只能为 1（是）或 0（否），收到“%(text)s”") % {"label": label, "text": text},
        key,
    )


_REGION = re.compile(r"^\d{2}(\d{2}){0,2}$")


def normalise_region(text: str) -> str:
    """``360000`` → ``36`` (province), ``360100`` → ``3601`` (city), ``360102`` stays (district)."""
    if not _REGION.match(text):
        raise _bad(
            "invalid_region",
            _("地区“%(text)s”无效：请填写 2 位（省）、4 位（市）或 6 位（区县）行政区划代码")
            % {"text": text},
            "region",
        )
    while len(text) > 2 and text.endswith("00"):
        text = text[:-2]
    if text == "00":
        raise _bad("invalid_region", _("地区代码不能为 00"), "region")
    return text


def _positive_int(
    params: Mapping[str, Any], key: str, label: str, *, default: int, maximum: int
) -> int:
    text = _one(params, key)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise _bad(
            "invalid_page",
            _("%(label)s必须是正整数，收到“%(text)s”") % {"label": label, "text": text},
            key,
        )
    value = int(text)
    if value > maximum:
        raise _bad(
            "invalid_page",
            _("%(label)s不能超过 %(maximum)s") % {"label": label, "maximum": maximum},
            key,
        )
    return value


def parse_listing_query(params: Mapping[str, Any]) -> ListingQuery:
    """Check every search parameter; raise ``DomainError`` (status 400) on the first bad one."""
    q = _one(params, "q")[:100]
    kinds = _choices(params, "kind", KINDS, "invalid_kind", _("标的物类型"))
    region_text = _one(params, "region")
    region = normalise_region(region_text) if region_text else ""
    price_min = _price(params, "price_min", _("最低价"))
    price_max = _price(params, "price_max", _("最高价"))
    if price_min is not None and price_max is not None and price_min > price_max:
        raise _bad("invalid_price_range", _("最低价不能高于最高价"), "price_min")
    rounds = _choices(params, "round", ROUNDS, "invalid_round", _("拍卖轮次"))
    states = _choices(params, "state", STATE_GROUPS, "invalid_state", _("拍卖状态"))
    loan = _flag(params, "loan", _("可贷款"))
    restricted = _flag(params, "restricted", _("限购"))
    court_text = _one(params, "court")
    court = None
    if court_text:
        if not court_text.isdigit():
            raise _bad(
                "invalid_court",
                _("法院编号“%(court_text)s”无效") % {"court_text": court_text},
                "court",
            )
        court = int(court_text)
    sort = _one(params, "sort") or ("relevance" if q else "ending")
    if sort not in SORTS:
        options = "、".join(f"{k}（{v}）" for k, v in SORTS.items())
        raise _bad(
            "invalid_sort",
            _("排序方式“%(sort)s”不存在，可选：%(options)s") % {"sort": sort, "options": options},
            "sort",
        )
    page = _positive_int(params, "page", _("页码"), default=1, maximum=MAX_PAGE)
    per_page = _positive_int(
        params, "per_page", _("每页条数"), default=DEFAULT_PAGE_SIZE, maximum=max(PAGE_SIZES)
    )
    if per_page not in PAGE_SIZES:
        raise _bad(
            "invalid_page",
            _("每页条数只能为 %(sizes)s") % {"sizes": ", ".join(map(str, PAGE_SIZES))},
            "per_page",
        )
    cursor_text = _one(params, "cursor")
    cursor = None
    if cursor_text:
        if not (cursor_text.isdigit() and len(cursor_text) <= 19) or int(cursor_text) >= 2**63:
            raise _bad(
                "invalid_cursor",
                _("翻页游标“%(cursor_text)s”无效") % {"cursor_text": cursor_text[:30]},
                "cursor",
            )
        cursor = int(cursor_text)
    return ListingQuery(
        cursor=cursor,
        q=q,
        kinds=kinds,
        region=region,
        price_min_fen=price_min,
        price_max_fen=price_max,
        rounds=rounds,
        states=states,
        loan=loan,
        restricted=restricted,
        court=court,
        sort=sort,
        page=page,
        per_page=per_page,
    )
