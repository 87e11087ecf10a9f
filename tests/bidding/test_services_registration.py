"""Registration: real name (AUC-17), exclusions (AUC-11), debtor/creditor may bid (AUC-12),
eligibility (AUC-13), agents (AUC-14), creditor deposit (AUC-18), codes and passwords (AUC-17),
priority purchasers (AUC-19), joint bidders; anonymity of the code (REC-05)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from bidding import services
from bidding.models import AuctionState, Registration
from core import clock
from core.errors import DomainError
from core.models import AccessLog
from tests.conftest import make_user

from .engine_factories import (
    PASSWORD,
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_identity,
    make_live_auction,
    pay_deposit,
    register_active,
    register_paid,
)

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN


@pytest.fixture
def world(court, judge, frozen_now):
    creditor_user, debtor_user = make_user("party"), make_user("party")
    make_identity(creditor_user)
    make_identity(debtor_user)
    _case, lot, creditor, debtor = make_case(
        court,
        judge=judge,
        creditor_user=creditor_user,
        debtor_user=debtor_user,
        claim_fen=50_000 * YUAN,
    )
    auction = make_live_auction(
        court,
        lot,
        state=AuctionState.SCHEDULED,
        starts_in=dt.timedelta(days=2),
        start=START,
        deposit=10_000 * YUAN,
    )
    return auction, creditor, debtor


def refused(code, fn, **kw):
    with pytest.raises(DomainError) as exc:
        fn(**kw)
    assert exc.value.code == code, exc.value.as_dict()
    return exc.value


def test_registration_needs_a_verified_real_name_auc17(world):
    auction, *_ = world
    user = make_user("bidder")
    refused(
        "identity_not_verified",
        services.registration_create,
        auction_id=auction.pk,
        user=user,
        accept_terms=True,
    )
    make_identity(user, verified=False)
    refused(
        "identity_not_verified",
        services.registration_create,
        auction_id=auction.pk,
        user=user,
        accept_terms=True,
    )


def test_terms_must_be_accepted(world):
    auction, *_ = world
    refused(
        "terms_not_accepted",
        services.registration_create,
        auction_id=auction.pk,
        user=bidder_user(),
        accept_terms=False,
    )


def test_excluded_identity_is_refused_directly_and_as_agent_auc11(world, judge):
    auction, *_ = world
    staff = bidder_user()
    ident = staff.identities.get()
    services.exclusion_add(
        lot=auction.lot,
        actor=judge,
        category="staff",
        identity_kind=ident.kind,
        identity_number=ident.number,
        name=ident.name,
    )
    err = refused(
        "excluded_bidder",
        services.registration_create,
        auction_id=auction.pk,
        user=staff,
        accept_terms=True,
    )
    assert err.rule == "AUC-11" and "您不得参加" in str(err.message)
    # As the agent or a co-bidder, the refusal names that role, not the registrant.
    err = refused(
        "excluded_bidder",
        services.registration_create,
        auction_id=auction.pk,
        user=bidder_user(),
        accept_terms=True,
        agent=staff,
    )
    assert "代理人不得参加" in str(err.message)
    err = refused(
        "excluded_bidder",
        services.registration_create,
        auction_id=auction.pk,
        user=bidder_user(),
        accept_terms=True,
        joint_bidders=[{"user": staff, "share": "30"}],
    )
    assert "共同竞买人不得参加" in str(err.message) and err.rule == "AUC-11"


def test_debtor_and_creditor_may_bid_by_default_auc12(world):
    auction, creditor, debtor = world
    for party in (creditor, debtor):
        reg = services.registration_create(
            auction_id=auction.pk, user=party.user, accept_terms=True
        )
        assert reg.party_ref == f"party:{party.pk}"


def test_debtor_barred_only_when_the_court_policy_says_so_auc12(world):
    auction, _creditor, debtor = world
    auction.settings_snapshot["bar_debtor_from_bidding"] = True
    auction.save()
    refused(
        "debtor_barred",
        services.registration_create,
        auction_id=auction.pk,
        user=debtor.user,
        accept_terms=True,
    )


def test_creditor_deposit_is_reduced_by_its_outstanding_claim_auc18(world):
    auction, creditor, _debtor = world
    creditor.claim_fen = 4_000 * YUAN
    creditor.save()
    reg = services.registration_create(auction_id=auction.pk, user=creditor.user, accept_terms=True)
    assert reg.deposit_required_fen == 6_000 * YUAN
    creditor.claim_fen = 20_000 * YUAN
    creditor.save()
    other = make_live_auction(
        auction.court,
        auction.lot,
        state=AuctionState.SCHEDULED,
        starts_in=dt.timedelta(days=2),
        start=START,
        deposit=10_000 * YUAN,
    )
    reg2 = services.registration_create(auction_id=other.pk, user=creditor.user, accept_terms=True)
    assert reg2.deposit_required_fen == 0
    reg2 = pay_deposit(reg2)  # a full exemption: DepositHeld(amount 0) at once, code issued
    assert reg2.bidder_code and reg2.status == Registration.Status.ACTIVE


def test_purchase_restricted_house_needs_declared_eligibility_auc13(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge, restricted=True)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=2)
    )
    user = bidder_user()
    refused(
        "eligibility_not_declared",
        services.registration_create,
        auction_id=auction.pk,
        user=user,
        accept_terms=True,
    )
    services.registration_create(
        auction_id=auction.pk, user=user, accept_terms=True, eligibility_declared=True
    )


def test_code_issued_only_when_settlement_confirms_the_deposit_auc17(world):
    auction, *_ = world
    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    assert reg.bidder_code is None and reg.status == Registration.Status.PENDING_DEPOSIT
    refused(
        "deposit_not_confirmed",
        services.registration_set_password,
        registration_id=reg.pk,
        user=user,
        password=PASSWORD,
    )
    reg = pay_deposit(reg)
    assert reg.bidder_code is not None
    assert reg.status == Registration.Status.ACTIVE and len(reg.bidder_code) == 6
    assert reg.deposit_held_fen == 10_000 * YUAN


def test_codes_are_random_unique_and_not_derived_from_identity_rec05(world):
    auction, *_ = world
    regs = [register_active(auction) for _ in range(12)]
    codes = [r.bidder_code for r in regs]
    assert len(set(codes)) == 12
    for r in regs:
        ident = r.identity
        assert ident is not None and r.bidder_code is not None
        assert r.bidder_code not in ident.number and r.bidder_code not in r.user.username
    assert (
        str(regs[0]) == "竞买报名"
    )  # printed anywhere, a registration names neither person nor code
    # The same person gets an unrelated code in another auction.
    other = make_live_auction(
        auction.court, auction.lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=2)
    )
    again = register_active(other, regs[0].user)
    assert again.bidder_code != regs[0].bidder_code


def test_bidding_password_is_stored_hashed_auc17(world):
    auction, *_ = world
    reg = register_active(auction)
    assert PASSWORD not in reg.password_hash and check_password(PASSWORD, reg.password_hash)
    # Hashed as account passwords are (issue 15): the same hasher and work factor.
    hasher = identify_hasher(reg.password_hash)
    assert hasher.algorithm == identify_hasher(make_password("an-account-password")).algorithm
    assert not hasher.must_update(reg.password_hash)  # at the hasher's full work factor


def test_agent_must_be_confirmed_by_the_court_before_bidding_opens_auc14(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )
    principal, agent = bidder_user(), bidder_user()
    reg = services.registration_create(
        auction_id=auction.pk, user=principal, accept_terms=True, agent=agent
    )
    reg = services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=principal, password=PASSWORD)
    clock.advance(dt.timedelta(hours=2))
    err = refused(
        "agent_not_confirmed",
        services.bid_place,
        auction_id=auction.pk,
        user=agent,
        amount_fen=auction.starting_price_fen,
        password=PASSWORD,
    )
    assert err.rule == "AUC-14"
    refused(
        "agent_too_late", services.registration_confirm_agent, registration_id=reg.pk, actor=judge
    )
    # The registrant still bids in person: only the unconfirmed agency is refused.
    placed = services.bid_place(
        auction_id=auction.pk,
        user=principal,
        amount_fen=auction.starting_price_fen,
        password=PASSWORD,
    )
    assert placed.bidder_code == reg.bidder_code


def test_confirmed_agent_bids_for_the_registrant_auc14(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )
    principal, agent = bidder_user(), bidder_user()
    reg = services.registration_create(
        auction_id=auction.pk, user=principal, accept_terms=True, agent=agent
    )
    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=principal, password=PASSWORD)
    services.registration_confirm_agent(registration_id=reg.pk, actor=judge)
    clock.advance(dt.timedelta(hours=2))
    b = services.bid_place(
        auction_id=auction.pk, user=agent, amount_fen=auction.starting_price_fen, password=PASSWORD
    )
    assert b.registration_id == reg.pk
    # The agent was told when named and when confirmed, naming no registrant or code (REC-05).
    from core.models import OutboxMessage

    told = list(OutboxMessage.objects.filter(recipient=agent, topic="bidding.agent").order_by("pk"))
    # (one row per channel: inbox, and SMS/e-mail where the court sends them)
    assert list(dict.fromkeys(m.subject for m in told)) == [
        "您被委托代理竞买",
        "法院已确认您的代理竞买",
    ]
    for m in told:
        assert principal.identities.get().name not in m.body
        assert principal.username not in m.body and b.bidder_code not in m.body
    assert not OutboxMessage.objects.filter(recipient=principal, topic="bidding.agent").exists()


def test_identity_check_for_agents_is_for_named_roles_and_logged_rec05(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )
    principal, agent = bidder_user(), bidder_user()
    reg = services.registration_create(
        auction_id=auction.pk, user=principal, accept_terms=True, agent=agent
    )
    with pytest.raises(DomainError):
        services.registration_identity_reveal(
            registration_id=reg.pk, user=make_user("finance", court), purpose="核对代理"
        )
    shown = services.registration_identity_reveal(
        registration_id=reg.pk, user=judge, purpose="核对委托代理手续"
    )
    assert (
        shown["竞买人姓名"] == principal.identities.get().name
        and shown["代理人姓名"] == agent.identities.get().name
    )
    assert (
        AccessLog.objects.filter(
            user=judge, subject=f"auction:{auction.pk}/registration:{reg.pk}"
        ).count()
        == 4
    )


def test_priority_code_only_after_court_confirmation_with_rank_auc19(world, judge):
    auction, *_ = world
    # Holders are recorded on drafts; this auction is already scheduled, so add it directly.
    from bidding.models import PriorityHolder

    holder = PriorityHolder.objects.create(
        auction=auction,
        name="共有人甲",
        rank=2,
        basis="共有人",
        added_by=judge,
        added_at=clock.now(),
    )
    reg = register_active(auction)
    assert reg.bidder_code is not None
    assert not reg.bidder_code.startswith("P")
    services.registration_confirm_priority(registration_id=reg.pk, actor=judge, holder_id=holder.pk)
    reg.refresh_from_db()
    assert reg.bidder_code is not None
    assert reg.is_priority and reg.priority_rank == 2 and reg.bidder_code.startswith("P2-")


def test_joint_bidders_state_shares_and_each_needs_a_verified_identity(world):
    auction, *_ = world
    a, b = bidder_user(), make_user("bidder")
    refused(
        "identity_not_verified",
        services.registration_create,
        auction_id=auction.pk,
        user=a,
        accept_terms=True,
        joint_bidders=[{"user": b, "share": "40"}],
    )
    make_identity(b)
    refused(
        "invalid_share",
        services.registration_create,
        auction_id=auction.pk,
        user=a,
        accept_terms=True,
        joint_bidders=[{"user": b, "share": "100"}],
    )
    reg = services.registration_create(
        auction_id=auction.pk, user=a, accept_terms=True, joint_bidders=[{"user": b, "share": "40"}]
    )
    assert [str(m.share_percent) for m in reg.members.all()] == ["40.00"]


def test_registration_audit_never_names_the_registrant_rec05(world):
    from core.models import AuditEntry

    auction, *_ = world
    reg = register_paid(auction)
    entries = AuditEntry.objects.filter(stream=f"auction:{auction.pk}")
    text = " ".join(f"{e.actor_id} {e.actor_label} {e.after} {e.subject}" for e in entries)
    assert reg.identity is not None
    assert reg.identity.name not in text and reg.user.username not in text
    assert not entries.filter(actor=reg.user).exists()


def test_duplicate_registration_is_refused(world):
    auction, *_ = world
    user = bidder_user()
    services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    refused(
        "already_registered",
        services.registration_create,
        auction_id=auction.pk,
        user=user,
        accept_terms=True,
    )


def test_registration_closes_when_bidding_ends(court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    refused(
        "registration_closed",
        services.registration_create,
        auction_id=auction.pk,
        user=bidder_user(),
        accept_terms=True,
    )


def test_deposit_may_be_paid_during_bidding_and_the_bidder_then_bids_auc17(
    court, judge, frozen_now
):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    reg = register_paid(auction)
    assert reg.bidder_code  # the deposit held during bidding gave a bidding code (竞买号)
    placed = bid(auction, reg, auction.starting_price_fen)
    assert (placed.registration_id, placed.amount_fen) == (reg.pk, auction.starting_price_fen)
    auction.refresh_from_db()
    assert auction.leader_id == reg.pk


def test_deposit_confirmed_after_bidding_ended_gets_no_code_and_goes_back_auc17(
    court, judge, frozen_now
):
    from settlement.models import DepositHold
    from settlement.services.confirmations import intent_confirm

    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    user = bidder_user()
    reg = services.registration_create(auction_id=auction.pk, user=user, accept_terms=True)
    intent = services.registration_pay_deposit(registration_id=reg.pk, user=user)
    assert intent is not None and auction.end_at is not None
    clock.set_time(auction.end_at + dt.timedelta(minutes=1))  # the payer confirms too late
    intent_confirm(
        intent_id=intent.pk,
        success=True,
        psp_reference="LATE",
        amount_minor=intent.amount_fen,
        currency="CNY",
    )
    reg.refresh_from_db()
    assert reg.bidder_code is None and reg.status == Registration.Status.RELEASED
    assert DepositHold.objects.get(ref=reg.money_ref).status in ("releasing", "released")


def test_an_ordinary_bidder_code_never_looks_like_a_priority_code_auc19():
    """Priority codes read "P<rank>-XXXXX" (AUC-19); an ordinary code never starts with "P"."""
    codes = [services._random_code(None) for _ in range(3000)]
    assert all(len(c) == 6 and not c.startswith("P") for c in codes)
    assert len({c[0] for c in codes}) > 10  # still drawn from the rest of the alphabet
    assert services._random_code(2).startswith("P2-")
