"""Each collusion signal on a small constructed case, both ways (issue 19, AUC-43).

The signals read plain facts (``bidding.collusion.facts``); the loader from the database is
tested in ``test_collusion_flow.py``."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding.collusion import signals as sg
from bidding.collusion.facts import AuctionFacts, BidderFacts, BidFacts
from bidding.collusion.score import assess, score_of
from bidding.collusion.signals import Thresholds

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
END = T0 + dt.timedelta(hours=24)
TH = Thresholds()
START, INC = 100_000_00, 1_000_00


def bidder(code: str, *, minutes_before: int = 3000, **markers: str) -> BidderFacts:
    return bidder_with(code, markers, minutes_before=minutes_before)


def bidder_with(code: str, markers: dict[str, str], *, minutes_before: int = 3000) -> BidderFacts:
    ms = {k: {v} for k, v in markers.items()}
    return BidderFacts(
        code=code,
        registered_at=T0 - dt.timedelta(minutes=minutes_before),
        markers=ms,
        registered_from=markers.get("network", ""),
    )


def facts(bidders, bids=(), winner=None, **kw) -> AuctionFacts:
    rows = [
        BidFacts(i + 1, code, amount, T0 + dt.timedelta(minutes=i + 1))
        for i, (code, amount) in enumerate(bids)
    ]
    return AuctionFacts(
        auction_id=1,
        starting_price_fen=START,
        increment_fen=INC,
        start_at=T0,
        end_at=END,
        ended=True,
        winner_code=winner,
        bidders=list(bidders),
        bids=rows,
        **kw,
    )


def names(evidence) -> set[str]:
    return {e.signal for e in evidence}


@pytest.mark.parametrize("kind", ["identity", "device", "payer", "phone", "address", "network"])
def test_shared_marker_between_bidders_is_flagged_and_distinct_markers_are_not(kind):
    run = {f.__name__: f for f in sg.LIVE_SIGNALS}[f"shared_{kind}"]
    same = facts([bidder_with("A1", {kind: "x"}), bidder_with("B2", {kind: "x"})])
    apart = facts([bidder_with("A1", {kind: "x"}), bidder_with("B2", {kind: "y"})])
    (ev,) = run(same, TH)
    assert ev.codes == ["A1", "B2"] and ev.records == [{"pair": ["A1", "B2"], "marker": kind}]
    assert run(apart, TH) == []


def test_bidder_sharing_a_phone_with_the_debtor_is_a_party_link():
    linked = facts([bidder("A1", phone="p1")], parties={"debtor": {"phone": {"p1"}}})
    clean = facts([bidder("A1", phone="p2")], parties={"debtor": {"phone": {"p1"}}})
    (ev,) = sg.party_link(linked, TH)
    assert ev.codes == ["A1"] and "被执行人" in ev.text
    assert sg.party_link(clean, TH) == []


def test_co_appearance_counts_only_from_the_threshold():
    many = facts([bidder("A1"), bidder("B2")], co_appearances={("A1", "B2"): 3})
    few = facts([bidder("A1"), bidder("B2")], co_appearances={("A1", "B2"): 2})
    assert names(sg.co_appearance(many, TH)) == {"co_appearance"}
    assert sg.co_appearance(few, TH) == []


def test_placeholder_needs_a_silent_registrant_related_to_the_winner():
    ring = [bidder("W1", device="d"), bidder("P2", device="d"), bidder("H3")]
    (ev,) = sg.placeholder(facts(ring, [("W1", START)], winner="W1"), TH)
    assert ev.codes == ["P2", "W1"]
    unrelated = [bidder("W1", device="d"), bidder("P2", device="e"), bidder("H3")]
    assert sg.placeholder(facts(unrelated, [("W1", START)], winner="W1"), TH) == []


def test_shill_raise_bids_only_over_a_related_leader():
    pair = [bidder("A1", payer="x"), bidder("B2", payer="x"), bidder("H3")]
    bids = [("A1", START), ("B2", START + INC), ("A1", START + 2 * INC), ("B2", START + 3 * INC)]
    (ev,) = sg.shill_raise(facts(pair, bids, winner="B2"), TH)
    assert ev.codes == ["B2"]  # A1 opened the bidding: 1 of its 2 bids raised B2
    honest = [bidder("A1", payer="x"), bidder("B2", payer="y"), bidder("H3")]
    assert sg.shill_raise(facts(honest, bids, winner="B2"), TH) == []


def test_party_shill_is_a_party_linked_bidder_who_raises_and_loses():
    people = [bidder("S1", address="home"), bidder("H2")]
    parties = {"creditor": {"address": {"home"}}}
    bids = [("H2", START), ("S1", START + INC), ("H2", START + 2 * INC)]
    (ev,) = sg.party_shill(facts(people, bids, winner="H2", parties=parties), TH)
    assert ev.codes == ["S1"]
    # The same bidder without the link, or winning, is not a shill.
    assert sg.party_shill(facts(people, bids, winner="H2"), TH) == []
    won = [*bids, ("S1", START + 3 * INC)]
    assert sg.party_shill(facts(people, won, winner="S1", parties=parties), TH) == []


def test_stop_after_a_related_bidder_leads():
    ring = [bidder("A1", phone="p"), bidder("W2", phone="p")]
    bids = [("A1", START), ("W2", START + INC)]
    (ev,) = sg.stop_after_related_lead(facts(ring, bids, winner="W2"), TH)
    assert ev.records[0]["code"] == "A1" and ev.records[0]["leader"] == "W2"
    apart = [bidder("A1", phone="p"), bidder("W2", phone="q")]
    assert sg.stop_after_related_lead(facts(apart, bids, winner="W2"), TH) == []


def test_one_bid_sale_at_the_start_price_with_silent_registrants():
    people = [bidder("W1"), bidder("S2"), bidder("S3"), bidder("S4")]
    (ev,) = sg.one_bid_sale(facts(people, [("W1", START)], winner="W1"), TH)
    assert ev.codes == ["W1", "S2", "S3", "S4"]
    assert sg.one_bid_sale(facts(people[:3], [("W1", START)], winner="W1"), TH) == []
    above = facts(people, [("W1", START + INC)], winner="W1")
    assert sg.one_bid_sale(above, TH) == []


def test_registration_burst_from_one_network_before_the_deadline():
    late = [
        bidder(c, minutes_before=m, network="n") for c, m in (("A1", 5), ("B2", 20), ("C3", 50))
    ]
    (ev,) = sg.registration_burst(facts(late), TH)
    assert ev.codes == ["A1", "B2", "C3"]
    spread = [
        bidder(c, minutes_before=m, network="n") for c, m in (("A1", 5), ("B2", 20), ("C3", 500))
    ]
    assert sg.registration_burst(facts(spread), TH) == []
    nets = [bidder(c, minutes_before=5, network=c) for c in ("A1", "B2", "C3")]
    assert sg.registration_burst(facts(nets), TH) == []
    # Registration stays open while bidding runs: a burst before it closes counts too.
    before_end = -24 * 60 + 30  # 30 minutes before the end, in "minutes before the start"
    closing = [bidder(c, minutes_before=before_end, network="n") for c in ("A1", "B2", "C3")]
    assert names(sg.registration_burst(facts(closing), TH)) == {"registration_burst"}


def test_a_link_alone_stays_under_the_threshold_and_link_plus_behaviour_reaches_it():
    link_only = facts([bidder("A1", network="n"), bidder("B2", network="n")])
    score, _ev = assess(link_only, TH)
    assert score < TH.flag_score
    ring = [bidder("W1", device="d"), bidder("P2", device="d"), bidder("P3", device="d")]
    score, ev = assess(facts(ring, [("W1", START)], winner="W1"), TH)
    assert score >= TH.flag_score and {"shared_device", "placeholder"} <= names(ev)
    assert score_of(ev) == score <= 100


def test_live_mode_runs_only_the_cheap_signals():
    ring = [bidder("W1", device="d"), bidder("P2", device="d")]
    _s, ev = assess(facts(ring, [("W1", START)], winner="W1"), TH, live=True)
    assert names(ev) == {"shared_device"}


def test_evidence_rows_carry_codes_never_marker_values_rec05():
    people = [bidder("A1", phone="13812345678"), bidder("B2", phone="13812345678")]
    _s, ev = assess(facts(people, parties={"debtor": {"phone": {"13812345678"}}}), TH)
    assert ev and "13812345678" not in repr([e.as_json() for e in ev])
