"""The signals: each a function over an auction's recorded facts returning evidence rows.

Every row says in words what was seen, with the bidder CODES and the supporting records (bid
sequence numbers and times, registration times, which kind of marker was shared), never a name,
an identity number or a marker's value (REC-05). Thresholds come from rule settings
(``Thresholds``, read by ``score.thresholds_for``); weights are the method's constants,
documented in docs/collusion.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import Any

from django.utils.translation import gettext_lazy as _

from bidding.collusion.facts import STRONG_KINDS, AuctionFacts, BidderFacts


@dataclass(frozen=True)
class Thresholds:
    flag_score: int = 70
    silent_registrants_min: int = 3
    co_appearance_min: int = 3
    burst_count_min: int = 3
    burst_window_minutes: int = 60
    shill_share_min: Decimal = Decimal("0.8")


@dataclass
class Evidence:
    signal: str
    weight: int
    codes: list[str]
    text: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "weight": self.weight,
            "codes": self.codes,
            "text": self.text,
            "records": self.records,
        }


KIND_WORDS = {
    "identity": "同一实名身份（本人、共同竞买人或代理人）",
    "device": "同一终端设备",
    "network": "同一网络地址",
    "payer": "同一付款账户",
    "phone": "同一手机号",
    "address": "同一地址",
}
PARTY_WORDS = {"debtor": "被执行人", "creditor": "申请执行人"}

#: Weights (points of the 0–100 score) of each signal; see docs/collusion.md.
WEIGHTS = {
    "shared_identity": 45,
    "shared_device": 45,
    "shared_payer": 45,
    "shared_phone": 45,
    "shared_address": 30,
    "shared_network": 20,
    "party_link": 50,
    "co_appearance": 25,
    "placeholder": 30,
    "shill_raise": 30,
    "party_shill": 30,
    "stop_after_related_lead": 20,
    "one_bid_sale": 30,
    "registration_burst": 20,
}
SIGNAL_TITLES: dict[str, Any] = {
    "shared_identity": _("竞买人之间存在同一实名身份（共同竞买人或代理人）"),
    "shared_device": _("竞买人共用终端设备"),
    "shared_payer": _("保证金来自同一付款账户"),
    "shared_phone": _("竞买人共用手机号"),
    "shared_address": _("竞买人地址相同"),
    "shared_network": _("竞买人共用网络地址"),
    "party_link": _("竞买人与当事人存在关联"),
    "co_appearance": _("竞买人在同一法院/被执行人的多场拍卖中同时出现"),
    "placeholder": _("关联竞买人报名交保证金但从未出价（占位）"),
    "shill_raise": _("出价只用于抬高关联竞买人的价格（围标抬价）"),
    "party_shill": _("与当事人关联的竞买人出价抬价但未买受"),
    "stop_after_related_lead": _("关联竞买人领先后另一方立即停止出价"),
    "one_bid_sale": _("起拍价一次出价成交且多名报名人未出价"),
    "registration_burst": _("报名截止前同一网络集中报名"),
}


def _pairs_sharing(bidders: list[BidderFacts], kind: str) -> dict[tuple[str, str], int]:
    by_value: dict[str, list[str]] = defaultdict(list)
    for b in bidders:
        for value in b.markers.get(kind, ()):
            by_value[value].append(b.code)
    out: dict[tuple[str, str], int] = {}
    for codes in by_value.values():
        for a, c in combinations(sorted(set(codes)), 2):
            out[(a, c)] = out.get((a, c), 0) + 1
    return out


def related_pairs(facts: AuctionFacts, th: Thresholds) -> set[tuple[str, str]]:
    """Pairs linked by a strong marker (device, payer, phone, address).

    A shared network (carrier NAT, public Wi-Fi) and co-appearance (professional bidders meet
    often) are signals of their own but do not make two bidders "related" for the behaviour
    signals: on the bench that doubled the honest auctions flagged."""
    pairs: set[tuple[str, str]] = set()
    for kind in STRONG_KINDS:
        pairs |= set(_pairs_sharing(facts.bidders, kind))
    return pairs


def _is_related(pairs: set[tuple[str, str]], a: str, b: str) -> bool:
    return (min(a, b), max(a, b)) in pairs


def _shared(kind: str) -> Callable[[AuctionFacts, Thresholds], list[Evidence]]:
    signal = f"shared_{kind}"

    def run(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
        pairs = _pairs_sharing(facts.bidders, kind)
        if not pairs:
            return []
        codes = sorted({c for p in pairs for c in p})
        groups = "；".join(f"{a} 与 {b}" for a, b in sorted(pairs))
        return [
            Evidence(
                signal,
                WEIGHTS[signal],
                codes,
                f"竞买号 {groups} 使用{KIND_WORDS[kind]}。",
                [{"pair": list(p), "marker": kind} for p in sorted(pairs)],
            )
        ]

    run.__name__ = signal
    return run


def party_link(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """A bidder shares a device, network, payer, phone or address with the debtor or creditor."""
    records = []
    for role, markers in sorted(facts.parties.items()):
        for b in facts.bidders:
            for kind, values in markers.items():
                if values & b.markers.get(kind, set()):
                    records.append({"code": b.code, "party": role, "marker": kind})
    if not records:
        return []
    words = "；".join(
        f"竞买号 {r['code']} 与{PARTY_WORDS.get(r['party'], r['party'])}使用{KIND_WORDS[r['marker']]}"
        for r in records
    )
    return [
        Evidence(
            "party_link",
            WEIGHTS["party_link"],
            sorted({r["code"] for r in records}),
            words + "。",
            records,
        )
    ]


def co_appearance(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    pairs = {p: n for p, n in facts.co_appearances.items() if n >= th.co_appearance_min}
    if not pairs:
        return []
    words = "；".join(
        f"竞买号 {a} 与 {b} 另有 {n} 场同时报名" for (a, b), n in sorted(pairs.items())
    )
    return [
        Evidence(
            "co_appearance",
            WEIGHTS["co_appearance"],
            sorted({c for p in pairs for c in p}),
            f"在同一法院或同一被执行人的其他拍卖中，{words}（阈值 {th.co_appearance_min} 场）。",
            [{"pair": list(p), "auctions": n} for p, n in sorted(pairs.items())],
        )
    ]


def _bid_codes(facts: AuctionFacts) -> set[str]:
    return {b.code for b in facts.bids}


def placeholder(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """Paid the deposit, never bid, and a related bidder won (a ring's placeholder)."""
    if not facts.sold or facts.winner_code is None:
        return []
    pairs = related_pairs(facts, th)
    bidders = _bid_codes(facts)
    silent = [
        b
        for b in facts.bidders
        if b.deposit_paid
        and b.code not in bidders
        and _is_related(pairs, b.code, facts.winner_code)
    ]
    if not silent:
        return []
    codes = [b.code for b in silent]
    return [
        Evidence(
            "placeholder",
            WEIGHTS["placeholder"],
            [*codes, facts.winner_code],
            f"竞买号 {'、'.join(codes)} 交纳保证金后从未出价，与其关联的竞买号 "
            f"{facts.winner_code} 成交。",
            [
                {"code": b.code, "registered_at": b.registered_at.isoformat(), "bids": 0}
                for b in silent
            ],
        )
    ]


def shill_raise(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """A bidder whose bids (at least the share in the settings) only outbid a related bidder."""
    pairs = related_pairs(facts, th)
    raised: dict[str, list[int]] = defaultdict(list)
    total: dict[str, int] = defaultdict(int)
    leader: str | None = None
    for bid in facts.bids:
        total[bid.code] += 1
        if leader is not None and leader != bid.code and _is_related(pairs, bid.code, leader):
            raised[bid.code].append(bid.seq)
        leader = bid.code
    hits = [
        (code, seqs)
        for code, seqs in sorted(raised.items())
        if len(seqs) >= 2 and Decimal(len(seqs)) / total[code] >= th.shill_share_min
    ]
    if not hits:
        return []
    out: list[dict[str, Any]] = [
        {"code": code, "seqs": seqs, "bids": total[code]} for code, seqs in hits
    ]
    words = "；".join(
        f"竞买号 {code} 的 {total[code]} 次出价中有 {len(seqs)} 次是在关联竞买人领先时加价"
        for code, seqs in hits
    )
    return [
        Evidence(
            "shill_raise",
            WEIGHTS["shill_raise"],
            [code for code, _seqs in hits],
            words + "。",
            out,
        )
    ]


def _party_linked_codes(facts: AuctionFacts) -> set[str]:
    codes = set()
    for markers in facts.parties.values():
        for b in facts.bidders:
            if any(values & b.markers.get(kind, set()) for kind, values in markers.items()):
                codes.add(b.code)
    return codes


def party_shill(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """A bidder linked to a party bids against others and does not win (raising the price)."""
    linked = _party_linked_codes(facts)
    hits: list[tuple[str, list[int]]] = []
    for code in sorted(linked):
        seqs = [b.seq for b in facts.bids if b.code == code]
        if seqs and code != facts.winner_code:
            hits.append((code, seqs))
    if not hits:
        return []
    rows: list[dict[str, Any]] = [{"code": code, "seqs": seqs} for code, seqs in hits]
    return [
        Evidence(
            "party_shill",
            WEIGHTS["party_shill"],
            [code for code, _seqs in hits],
            "；".join(
                f"与当事人关联的竞买号 {code} 出价 {len(seqs)} 次（序号 "
                f"{'、'.join(map(str, seqs))}）后未成为买受人"
                for code, seqs in hits
            )
            + "。",
            rows,
        )
    ]


def stop_after_related_lead(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """A bidder's last bid is followed at once by a related bidder who then keeps the lead."""
    if not facts.bids or facts.winner_code is None:
        return []
    pairs = related_pairs(facts, th)
    last_of: dict[str, int] = {}
    for i, bid in enumerate(facts.bids):
        last_of[bid.code] = i
    rows: list[dict[str, Any]] = []
    for code, i in sorted(last_of.items()):
        if code == facts.winner_code or i + 1 >= len(facts.bids):
            continue
        nxt = facts.bids[i + 1]
        if nxt.code == facts.winner_code and _is_related(pairs, code, nxt.code):
            left = (facts.end_at - facts.bids[i].at).total_seconds()
            rows.append(
                {
                    "code": code,
                    "last_seq": facts.bids[i].seq,
                    "leader": nxt.code,
                    "leader_seq": nxt.seq,
                    "seconds_left": int(left),
                }
            )
    if not rows:
        return []
    return [
        Evidence(
            "stop_after_related_lead",
            WEIGHTS["stop_after_related_lead"],
            sorted({str(r["code"]) for r in rows} | {facts.winner_code}),
            "；".join(
                f"竞买号 {r['code']} 在关联竞买号 {r['leader']} 领先（序号 {r['leader_seq']}）后"
                f"不再出价"
                for r in rows
            )
            + "。",
            rows,
        )
    ]


def one_bid_sale(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    if not facts.sold or len(facts.bids) != 1:
        return []
    bid = facts.bids[0]
    if bid.amount_fen != facts.starting_price_fen:
        return []
    silent = [b.code for b in facts.bidders if b.deposit_paid and b.code != bid.code]
    if len(silent) < th.silent_registrants_min:
        return []
    return [
        Evidence(
            "one_bid_sale",
            WEIGHTS["one_bid_sale"],
            [bid.code, *silent],
            f"仅竞买号 {bid.code} 以起拍价出价一次成交，另有 {len(silent)} 名交纳保证金的报名人"
            f"（{'、'.join(silent)}）从未出价（阈值 {th.silent_registrants_min} 名）。",
            [{"code": bid.code, "seq": bid.seq, "at": bid.at.isoformat()}]
            + [{"code": c, "bids": 0} for c in silent],
        )
    ]


def registration_burst(facts: AuctionFacts, th: Thresholds) -> list[Evidence]:
    """At least N registrations from one network within the window before bidding starts or
    before registration closes (registration stays open until bidding ends, AUC-17)."""
    window = dt.timedelta(minutes=th.burst_window_minutes)
    rows: list[list[BidderFacts]] = []
    seen: set[frozenset[str]] = set()
    for deadline in (facts.start_at, facts.end_at):
        by_net: dict[str, list[BidderFacts]] = defaultdict(list)
        for b in facts.bidders:
            if b.registered_from and deadline - window <= b.registered_at <= deadline:
                by_net[b.registered_from].append(b)
        for group in by_net.values():
            key = frozenset(b.code for b in group)
            if len(group) >= th.burst_count_min and key not in seen:
                seen.add(key)
                rows.append(sorted(group, key=lambda b: b.registered_at))
    if not rows:
        return []
    return [
        Evidence(
            "registration_burst",
            WEIGHTS["registration_burst"],
            sorted({b.code for g in rows for b in g}),
            "；".join(
                f"竞买号 {'、'.join(b.code for b in g)} 在竞价开始或报名截止前 "
                f"{th.burst_window_minutes} 分钟内从同一网络报名"
                for g in rows
            )
            + "。",
            [
                {"code": b.code, "registered_at": b.registered_at.isoformat()}
                for g in rows
                for b in g
            ],
        )
    ]


Signal = Callable[[AuctionFacts, Thresholds], list[Evidence]]

#: Cheap signals: registrations, deposits and markers only (run during bidding too).
LIVE_SIGNALS: list[Signal] = [
    _shared("identity"),
    _shared("device"),
    _shared("payer"),
    _shared("phone"),
    _shared("address"),
    _shared("network"),
    party_link,
    co_appearance,
    registration_burst,
]
#: Signals that need the whole bid history and the result (after the close).
CLOSE_SIGNALS: list[Signal] = [
    placeholder,
    shill_raise,
    party_shill,
    stop_after_related_lead,
    one_bid_sale,
]
ALL_SIGNALS: list[Signal] = LIVE_SIGNALS + CLOSE_SIGNALS


def run_signals(facts: AuctionFacts, th: Thresholds, *, live: bool = False) -> list[Evidence]:
    out: list[Evidence] = []
    for signal in LIVE_SIGNALS if live else ALL_SIGNALS:
        out.extend(signal(facts, th))
    return out
