"""以物抵债 among several creditors (AUC-36): applications after 流拍, the earlier statutory
priority takes the lot, equals are decided by a verifiable lot draw logged as APR-03."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from appraisers import draw_algorithm as algo
from bidding import in_lieu, services
from bidding.models import AuctionState, InLieuApplication, InLieuDraw, InLieuTaking
from core import clock
from core.errors import DomainError
from core.models import AuditEntry, OutboxMessage
from tests.conftest import make_user

from .engine_factories import YUAN, make_case, make_live_auction

pytestmark = pytest.mark.django_db


def _messages(user):
    return OutboxMessage.objects.filter(recipient=user)


def creditor(case, name, priority, *, user=None, claim_fen=50_000 * YUAN):
    from cases.models import Party

    return Party.objects.create(
        case=case,
        role="creditor",
        kind="organisation",
        name=name,
        priority=priority,
        claim_fen=claim_fen,
        user=user,
    )


@pytest.fixture
def unsold(court, judge, frozen_now):
    _case, lot, _first, _debtor = make_case(court, judge=judge, claim_fen=60_000 * YUAN)
    auction = make_live_auction(court, lot, start=100_000 * YUAN)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD
    return auction


def secret_for(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:40]


def freeze(auction, judge, *, commit_in=dt.timedelta(hours=1), run_in=dt.timedelta(hours=2)):
    now = clock.now()
    return in_lieu.in_lieu_draw_freeze(
        auction_id=auction.pk,
        actor=judge,
        commit_deadline=now + commit_in,
        scheduled_at=now + run_in,
    )


def test_auc36_a_sole_applicant_with_the_earliest_priority_takes_the_lot(unsold, judge):
    case = unsold.case
    bank = creditor(case, "甲银行", 1, claim_fen=200_000 * YUAN)
    later = creditor(case, "乙公司", 2)
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=later.pk, actor=judge, note="书面申请")
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=bank.pk, actor=judge, note="当庭申请")
    # The court cannot hand the lot to the later-ranked applicant directly either.
    with pytest.raises(DomainError) as exc:
        services.auction_take_in_lieu(
            auction_id=unsold.pk, actor=judge, party_id=later.pk, reason="x", excess_days=10
        )
    assert (exc.value.code, exc.value.rule) == ("not_chosen", "AUC-36")
    taking = in_lieu.in_lieu_decide(auction_id=unsold.pk, actor=judge, reason="顺位在先者抵债")
    unsold.refresh_from_db()
    assert unsold.state == AuctionState.IN_LIEU
    assert taking.party_id == bank.pk and taking.excess_fen == 0  # claim covers the price
    statuses = dict(InLieuApplication.objects.values_list("party_id", "status"))
    assert statuses == {bank.pk: "granted", later.pk: "not_chosen"}
    decided = AuditEntry.objects.get(stream=f"case:{case.pk}", action="in_lieu.decided")
    assert decided.after is not None
    assert decided.after["basis"] == "priority" and decided.rule_ids == "AUC-36"


def test_auc36_an_earlier_creditor_who_did_not_apply_does_not_block_an_applicant(unsold, judge):
    case = unsold.case
    creditor(case, "甲银行", 1)  # does not want the lot
    later = creditor(case, "乙公司", 2, claim_fen=100_000 * YUAN)
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=later.pk, actor=judge)
    taking = in_lieu.in_lieu_decide(auction_id=unsold.pk, actor=judge, reason="唯一申请人")
    assert taking.party_id == later.pk


def test_auc36_an_unranked_claim_comes_after_every_ranked_one(unsold, judge):
    case = unsold.case
    ordinary = creditor(case, "普通债权人", None)
    ranked = creditor(case, "抵押权人", 3, claim_fen=100_000 * YUAN)
    for p in (ordinary, ranked):
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=p.pk, actor=judge)
    assert in_lieu.in_lieu_chosen(unsold) == (ranked.pk, "priority")


def test_auc36_equal_priority_needs_a_lot_draw_apr03(unsold, judge):
    case = unsold.case
    a, b = creditor(case, "甲公司", 2), creditor(case, "乙公司", 2)
    for p in (a, b):
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=p.pk, actor=judge)
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_decide(auction_id=unsold.pk, actor=judge, reason="x", excess_days=10)
    assert (exc.value.code, exc.value.rule) == ("lot_draw_required", "AUC-36")
    with pytest.raises(DomainError) as exc:  # nor may the court simply pick one (AUC-36)
        services.auction_take_in_lieu(
            auction_id=unsold.pk, actor=judge, party_id=a.pk, reason="x", excess_days=10
        )
    assert exc.value.code == "lot_draw_required"
    assert not InLieuTaking.objects.exists()


def test_apr03_the_draw_is_committed_revealed_run_and_verifiable_from_its_record(unsold, judge):
    """AUC-36 / APR-03: the frozen list, commitments, reveals, seed and order are recorded;
    anyone can recompute the order from the record; the winner then takes the lot."""
    case = unsold.case
    a_user, b_user = make_user("party"), make_user("party")
    a = creditor(case, "甲公司", 2, user=a_user)
    b = creditor(case, "乙公司", 2, user=b_user)
    c = creditor(case, "丙公司", 3)  # later rank: not in the draw
    for p in (a, b, c):
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=p.pk, actor=judge)
    draw = freeze(unsold, judge)
    assert [e["id"] for e in draw.frozen_list] == sorted([a.pk, b.pk])
    assert _messages(a_user).filter(topic="bidding.in_lieu_draw").exists()  # APR-03 notice
    with pytest.raises(DomainError) as exc:  # the list is frozen
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=case.parties.first().pk, actor=judge)
    assert exc.value.rule in ("APR-03", "AUC-36")

    court_secret, a_secret = secret_for("court"), secret_for("a")
    in_lieu.in_lieu_draw_commit(
        draw_id=draw.pk,
        participant_ref="court",
        commitment=algo.commitment_of(court_secret),
        actor=judge,
    )
    in_lieu.in_lieu_draw_commit(
        draw_id=draw.pk,
        participant_ref=f"party:{a.pk}",
        commitment=algo.commitment_of(a_secret),
        actor=a_user,
    )
    with pytest.raises(DomainError) as exc:  # a party commits only for itself
        in_lieu.in_lieu_draw_commit(
            draw_id=draw.pk,
            participant_ref=f"party:{a.pk}",
            commitment=algo.commitment_of("x" * 20),
            actor=b_user,
        )
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_draw_reveal(
            draw_id=draw.pk, participant_ref="court", secret=court_secret, actor=judge
        )
    assert exc.value.code == "reveal_too_early"

    clock.advance(dt.timedelta(hours=1))
    with pytest.raises(DomainError) as exc:  # too late to commit
        in_lieu.in_lieu_draw_commit(
            draw_id=draw.pk,
            participant_ref=f"party:{b.pk}",
            commitment=algo.commitment_of(secret_for("b")),
            actor=b_user,
        )
    assert exc.value.code == "commit_deadline_passed"
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_draw_reveal(
            draw_id=draw.pk, participant_ref="court", secret="wrong-secret-0123456", actor=judge
        )
    assert exc.value.code == "reveal_mismatch"
    in_lieu.in_lieu_draw_reveal(
        draw_id=draw.pk, participant_ref="court", secret=court_secret, actor=judge
    )
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_draw_run(draw_id=draw.pk, actor=judge)
    assert exc.value.code == "draw_too_early"
    clock.advance(dt.timedelta(hours=1))
    draw = in_lieu.in_lieu_draw_run(draw_id=draw.pk, actor=judge)  # party a never revealed

    # Anyone re-runs it from the record with the published algorithm.
    record = in_lieu.in_lieu_draw_record(draw)
    expected_seed = algo.seed_of(
        draw_id=draw.pk,
        list_hash_hex=in_lieu.list_hash(record["frozen_list"]),
        reveals=[["court", court_secret]],
        public_value=f"bidding.in_lieu/auction:{unsold.pk}",
    )
    assert draw.seed == expected_seed
    assert draw.result == algo.ordering(expected_seed, sorted([a.pk, b.pk]))
    assert draw.winner_id == draw.result[0]
    assert in_lieu.in_lieu_draw_recompute(record)["ok"]
    assert in_lieu.in_lieu_draw_verify(draw)["ok"]
    done = AuditEntry.objects.get(stream=f"case:{case.pk}", action="in_lieu.draw_done")
    assert done.after is not None
    assert done.after["seed"] == draw.seed and done.after["result"] == draw.result
    assert {"AUC-36", "APR-03"} <= set(done.rule_ids.split(","))
    assert done.after["unrevealed"] == [f"party:{a.pk}"]

    # The winner, and only the winner, takes the lot.
    loser = b.pk if draw.winner_id == a.pk else a.pk
    with pytest.raises(DomainError):
        services.auction_take_in_lieu(
            auction_id=unsold.pk, actor=judge, party_id=loser, reason="x", excess_days=10
        )
    taking = in_lieu.in_lieu_decide(
        auction_id=unsold.pk, actor=judge, reason="摇号决定", excess_days=15
    )
    assert taking.party_id == draw.winner_id
    assert taking.excess_fen == 50_000 * YUAN  # price 100,000 less the 50,000 claim
    decided = AuditEntry.objects.get(stream=f"case:{case.pk}", action="in_lieu.decided")
    assert decided.after is not None
    assert decided.after["basis"] == "lot_draw" and decided.rule_ids == "AUC-36,APR-03"
    assert InLieuApplication.objects.get(party=c).status == "not_chosen"


def test_apr03_a_tampered_record_or_result_fails_verification(unsold, judge):
    case = unsold.case
    a, b = creditor(case, "甲公司", 1), creditor(case, "乙公司", 1)
    for p in (a, b):
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=p.pk, actor=judge)
    draw = freeze(unsold, judge)
    secret = secret_for("court")
    in_lieu.in_lieu_draw_commit(
        draw_id=draw.pk, participant_ref="court", commitment=algo.commitment_of(secret), actor=judge
    )
    clock.advance(dt.timedelta(hours=2))
    in_lieu.in_lieu_draw_reveal(
        draw_id=draw.pk, participant_ref="court", secret=secret, actor=judge
    )
    draw = in_lieu.in_lieu_draw_run(draw_id=draw.pk, actor=judge)
    record = in_lieu.in_lieu_draw_record(draw)
    forged = {**record, "result": list(reversed(record["result"]))}
    assert not in_lieu.in_lieu_draw_recompute(forged)["ok"]
    # The stored result swapped behind the audit trail's back is caught too.
    assert draw.result is not None
    InLieuDraw.objects.filter(pk=draw.pk).update(
        result=list(reversed(draw.result)), winner_id=draw.result[1]
    )
    draw.refresh_from_db()
    out = in_lieu.in_lieu_draw_verify(draw)
    assert not out["ok"] and out["problems"]


def test_apr03_the_draw_needs_the_courts_reveal_and_equal_ranks(unsold, judge):
    case = unsold.case
    a = creditor(case, "甲公司", 1)
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=a.pk, actor=judge)
    with pytest.raises(DomainError) as exc:  # one first-rank applicant: no draw
        freeze(unsold, judge)
    assert exc.value.code == "draw_not_needed"
    b = creditor(case, "乙公司", 1)
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=b.pk, actor=judge)
    with pytest.raises(DomainError) as exc:
        freeze(unsold, judge, commit_in=dt.timedelta(hours=3), run_in=dt.timedelta(hours=2))
    assert exc.value.code == "invalid_draw_times"
    draw = freeze(unsold, judge)
    clock.advance(dt.timedelta(hours=3))
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_draw_run(draw_id=draw.pk, actor=judge)
    assert exc.value.code == "court_reveal_required"


def test_auc36_applications_only_after_unsold_from_creditors_by_court_staff(
    court, judge, other_court, frozen_now, unsold
):
    from cases.models import Party

    debtor = Party.objects.get(case=unsold.case, role="debtor")
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=debtor.pk, actor=judge)
    assert exc.value.code == "not_a_creditor"
    first = Party.objects.get(case=unsold.case, role="creditor")
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_apply(
            auction_id=unsold.pk, party_id=first.pk, actor=make_user("judge", other_court)
        )
    assert exc.value.status == 403
    in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=first.pk, actor=judge)
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_apply(auction_id=unsold.pk, party_id=first.pk, actor=judge)
    assert exc.value.code == "already_applied"
    _c, lot, cred, _d = make_case(court, judge=judge)
    live = make_live_auction(court, lot)
    with pytest.raises(DomainError) as exc:
        in_lieu.in_lieu_apply(auction_id=live.pk, party_id=cred.pk, actor=judge)
    assert (exc.value.code, exc.value.rule) == ("not_unsold", "AUC-36")
    entry = AuditEntry.objects.get(stream=f"case:{unsold.case_id}", action="in_lieu.applied")
    assert entry.after is not None
    assert entry.after["party"] == f"party:{first.pk}"
