"""Collusion detection end to end on the database (issue 19, AUC-43, REC-05): the loader, the
close handler and the worker, the workbench items, the court's decision, the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bidding import services
from bidding.collusion.models import ClientMark, CollusionCheck, CollusionFlag
from bidding.collusion.selectors import auction_facts, collusion_stats
from bidding.collusion.services import collusion_flag_decide, collusion_tick
from core import clock
from core.errors import Conflict, DomainError, PermissionDenied
from core.models import AuditEntry, Deadline
from tests.conftest import make_user

from .engine_factories import (
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN
_phones = iter(range(13_600_000_000, 13_700_000_000))


@pytest.fixture
def setup(court, judge, bureau_head, frozen_now):
    case, lot, _creditor, debtor = make_case(court, judge=judge)
    debtor.phone = "13712345678"
    debtor.save(update_fields=["phone"])
    auction = make_live_auction(court, lot, start=START, increment=INC)
    return auction, case


def reg(auction, phone: str | None = None):
    user = bidder_user()
    user.phone = phone or str(next(_phones))  # the factory gives everyone one number
    user.save(update_fields=["phone"])
    return register_active(auction, user)


def close(auction, django_capture_on_commit_callbacks):
    clock.set_time(auction.end_at)
    with django_capture_on_commit_callbacks(execute=True):
        services.auction_close_due()
    auction.refresh_from_db()


@pytest.mark.rule("AUC-43", entry="worker")
def test_ring_placeholder_is_flagged_after_the_close_by_the_worker_auc43(
    setup, judge, bureau_head, django_capture_on_commit_callbacks
):
    auction, _case = setup
    winner, holder = reg(auction, "13811110000"), reg(auction, "13811110000")
    reg(auction)
    bid(auction, winner, START)
    close(auction, django_capture_on_commit_callbacks)
    # The close only queued the auction; the worker assesses it.
    assert CollusionCheck.objects.get(auction=auction).phase == "pending"
    assert not CollusionFlag.objects.exists()
    assert collusion_tick()["final"] == 1
    flag = CollusionFlag.objects.get(auction=auction)
    signals = {row["signal"]: row for row in flag.signals}
    assert {"shared_phone", "placeholder"} <= set(signals)
    assert signals["placeholder"]["codes"] == [holder.bidder_code, winner.bidder_code]
    assert flag.score >= flag.threshold == 70 and flag.state == "open"
    assert AuditEntry.objects.filter(action="collusion.flag_raised", subject=flag.subject).exists()
    # Workbench: the case judge by name, the bureau head by role (REC-13).
    items = Deadline.objects.filter(subject=flag.subject, status="open")
    assert {(d.owner_id, d.owner_role) for d in items} == {(judge.pk, ""), (None, "bureau_head")}
    from marketplace.workbench import workbench_items

    (item,) = [i for i in workbench_items(bureau_head) if i.deadline.subject == flag.subject]
    assert item.link == reverse("bidding:collusion_flag", args=[flag.pk])


def test_an_honest_auction_is_not_flagged(setup, django_capture_on_commit_callbacks):
    auction, _case = setup
    a, b = reg(auction), reg(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    close(auction, django_capture_on_commit_callbacks)
    collusion_tick()
    assert CollusionCheck.objects.get(auction=auction).phase == "final"
    assert not CollusionFlag.objects.exists()


@pytest.mark.rule("REC-05", entry="worker")
@pytest.mark.rule("REC-05", entry="page")
def test_live_flag_during_bidding_shows_codes_never_identities_rec05(
    setup, client, judge, bureau_head, django_capture_on_commit_callbacks
):
    auction, _case = setup
    shill = reg(auction, "13712345678")  # the debtor's phone
    friend = reg(auction, "13712345678")
    honest = reg(auction)
    bid(auction, honest, START)
    bid(auction, shill, START + INC)
    assert collusion_tick()["live"] == 1
    flag = CollusionFlag.objects.get(auction=auction)
    assert flag.phase == "live" and "party_link" in {r["signal"] for r in flag.signals}
    # Nothing on any alert surface links a code to a person before the close.
    secrets = []
    for r in (shill, friend, honest):
        secrets += [r.user.username, r.user.display_name, r.identity.name, r.identity.number]
    secrets += ["13712345678"]
    d = Deadline.objects.filter(subject=flag.subject).first()
    assert d is not None and not any(s in d.title for s in secrets)
    client.force_login(judge)
    pages = [
        client.get(reverse("bidding:collusion_flag", args=[flag.pk])),
        client.get(reverse("bidding:collusion_flags")),
        client.get(reverse("bidding:collusion_evidence_csv", args=[auction.pk])),
        client.get(reverse("bidding:collusion_evidence_print", args=[auction.pk])),
        client.get(reverse("marketplace:workbench")),
    ]
    for page in pages:
        assert page.status_code == 200
        text = page.content.decode("utf-8")
        assert not [s for s in secrets if s in text]
    detail = pages[0].content.decode()
    assert shill.bidder_code in detail and "/reveal/" not in detail
    assert shill.bidder_code in pages[2].content.decode("utf-8-sig")
    # After the close the court may reveal, through the access-logged page.
    close(auction, django_capture_on_commit_callbacks)
    collusion_tick()
    flag.refresh_from_db()
    assert flag.phase == "final"
    detail = client.get(reverse("bidding:collusion_flag", args=[flag.pk])).content.decode()
    assert reverse("bidding:court_registration_reveal", args=[shill.pk]) in detail


@pytest.fixture
def flag(setup, django_capture_on_commit_callbacks):
    auction, _case = setup
    winner, _holder = reg(auction, "13822220000"), reg(auction, "13822220000")
    bid(auction, winner, START)
    close(auction, django_capture_on_commit_callbacks)
    collusion_tick()
    return CollusionFlag.objects.get(auction=auction)


def test_dismissal_needs_a_reason_is_audited_closes_the_items_and_counts(flag, judge, court):
    with pytest.raises(DomainError) as exc:
        collusion_flag_decide(flag=flag, decision="dismiss", reason=" ", actor=judge)
    assert exc.value.code == "collusion_reason_required"
    collusion_flag_decide(flag=flag, decision="dismiss", reason="同户家属，已核实", actor=judge)
    flag.refresh_from_db()
    assert (flag.state, flag.decided_by, flag.decision_reason) == (
        "dismissed",
        judge,
        "同户家属，已核实",
    )
    entry = AuditEntry.objects.get(action="collusion.flag_dismissed")
    assert entry.reason == "同户家属，已核实" and entry.actor == judge
    assert not Deadline.objects.filter(subject=flag.subject, status="open").exists()
    with pytest.raises(Conflict):
        collusion_flag_decide(flag=flag, decision="refer", reason="再议", actor=judge)
    (row,) = collusion_stats(court.pk)
    assert (row["raised"], row["dismissed"], row["referred"], row["open"]) == (1, 1, 0, 0)


def test_referral_through_the_page_and_other_courts_cannot_decide(flag, client, judge, other_court):
    stranger = make_user("judge", other_court)
    with pytest.raises(PermissionDenied):
        collusion_flag_decide(flag=flag, decision="refer", reason="x", actor=stranger)
    client.force_login(judge)
    url = reverse("bidding:collusion_flag", args=[flag.pk])
    resp = client.post(url, {"action": "refer", "reason": "疑似串通，启动撤销审查"})
    assert resp.status_code == 302
    flag.refresh_from_db()
    assert flag.state == "referred"
    assert AuditEntry.objects.filter(action="collusion.flag_referred").exists()


def test_pages_are_for_the_courts_own_judges_officers_and_bureau_head(
    flag, client, other_court, court
):
    urls = [
        reverse("bidding:collusion_flags"),
        reverse("bidding:collusion_flag", args=[flag.pk]),
        reverse("bidding:collusion_evidence_csv", args=[flag.auction_id]),
        reverse("bidding:collusion_evidence_print", args=[flag.auction_id]),
    ]
    for user, code in (
        (make_user("officer", court), 200),
        (make_user("bureau_head", court), 200),
        (make_user("judge", other_court), 403),
        (make_user("finance", court), 403),
        (make_user("bidder"), 403),
    ):
        client.force_login(user)
        assert [client.get(u).status_code for u in urls[1:]] == [code] * 3, user.role
    # The list is each court's own: another court's judge sees an empty one.
    client.force_login(make_user("judge", other_court))
    assert flag.auction.title not in client.get(urls[0]).content.decode()
    client.force_login(make_user("bidder"))
    assert client.get(urls[0]).status_code == 403
    client.force_login(make_user("judge", court))
    assert flag.auction.title in client.get(urls[0]).content.decode()


def test_registration_records_a_hashed_client_once(setup, client):
    auction, _case = setup
    user = bidder_user()
    client.force_login(user)
    resp = client.post(
        reverse("bidding:register", args=[auction.pk]),
        {"accept_terms": "on", "eligibility_declared": "on"},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 test",
    )
    assert resp.status_code == 302
    mark = ClientMark.objects.get(registration__user=user)
    assert mark.network_hash and "203.0.113.7" not in mark.network_hash
    assert mark.device_hash != mark.network_hash


def test_loader_reads_shared_sign_in_networks_and_co_appearances(setup, court):
    from axes.models import AccessLog

    auction, _case = setup
    a, b = reg(auction), reg(auction)
    for r in (a, b):
        AccessLog.objects.create(
            username=r.user.username, ip_address="198.51.100.9", user_agent="UA"
        )
    AccessLog.objects.update(attempt_time=clock.now())
    for _ in range(3):
        other = make_live_auction(court, auction.lot, start=START, increment=INC)
        register_active(other, a.user)
        register_active(other, b.user)
    facts = auction_facts(auction)
    codes = sorted([a.bidder_code, b.bidder_code])
    assert facts.co_appearances == {(codes[0], codes[1]): 3}
    marks = {x.code: x.markers for x in facts.bidders}
    assert marks[a.bidder_code]["network"] & marks[b.bidder_code]["network"]
    assert marks[a.bidder_code]["device"] & marks[b.bidder_code]["device"]


def test_the_loader_reads_in_a_fixed_number_of_queries(setup, django_assert_max_num_queries):
    """The worker's cost per auction does not grow with its registrants (no per-bidder query)."""
    from bidding.models import Auction

    auction, _case = setup
    regs = [reg(auction) for _ in range(2)]
    for r in regs:
        bid(auction, r, START + INC * regs.index(r))
    a = Auction.objects.select_related("case", "court").get(pk=auction.pk)
    with django_assert_max_num_queries(14) as small:
        auction_facts(a)
    regs += [reg(auction) for _ in range(4)]
    with django_assert_max_num_queries(len(small.captured_queries)):
        auction_facts(a)


def test_a_live_check_never_replaces_the_pending_full_assessment(setup):
    """The close queued the auction; a late live check must not take its place."""
    from bidding.collusion.services import collusion_assess

    auction, _case = setup
    a = reg(auction)
    bid(auction, a, START)
    CollusionCheck.objects.create(auction=auction, phase="pending")
    collusion_assess(auction_id=auction.pk, live=True)
    assert CollusionCheck.objects.get(auction=auction).phase == "pending"


def test_the_court_auction_page_points_to_its_flag(flag, client, judge):
    client.force_login(judge)
    page = client.get(reverse("bidding:court_auction", args=[flag.auction_id])).content.decode()
    assert reverse("bidding:collusion_flag", args=[flag.pk]) in page


def test_court_statistics_count_the_flag_and_the_decision(flag, judge, court):
    from marketplace.stats import compute_statistics, to_records
    from marketplace.stats_source import statistics_rows

    collusion_flag_decide(flag=flag, decision="refer", reason="移送审查", actor=judge)
    (line,) = to_records(compute_statistics(statistics_rows(court_id=court.pk), freq="all"))
    assert (line["collusion_flagged"], line["collusion_referred"]) == (1, 1)


def test_one_identity_on_two_registrations_links_them(setup):
    """A joint bidder (or agent) named on two registrations is a shared identity."""
    from bidding.models import RegistrationMember
    from tests.bidding.engine_factories import make_identity

    auction, _case = setup
    a, b, c = reg(auction), reg(auction), reg(auction)
    helper = make_identity(None)
    for r in (a, b):
        RegistrationMember.objects.create(registration=r, identity=helper, share_percent=10)
    marks = {x.code: x.markers.get("identity", set()) for x in auction_facts(auction).bidders}
    assert marks[a.bidder_code] & marks[b.bidder_code]
    assert not marks[a.bidder_code] & marks[c.bidder_code]
