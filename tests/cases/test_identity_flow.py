"""Real-name verification, masking and the access log (REC-05, REC-08)."""

import pytest

from cases.models import Identity
from cases.selectors import verified_identity_for
from cases.services import identity_reveal, identity_submit, party_add
from cases.verifier import simulator_reject
from core.access import mask
from core.errors import DomainError
from core.models import AccessLog, AuditEntry
from tests.cases.conftest import id_number
from tests.conftest import make_user

GOOD = id_number("36010219900307251")


def test_a_valid_number_is_verified_by_the_simulator(bidder, frozen_now):
    assert verified_identity_for(bidder) is None
    ident = identity_submit(user=bidder, kind="resident_id", number=GOOD.lower(), name="赵六")
    assert ident.status == Identity.Status.VERIFIED
    assert (ident.verifier, ident.number) == ("simulator", GOOD.upper())
    assert verified_identity_for(bidder) == ident
    entry = AuditEntry.objects.get(stream="system:identity")
    assert entry.after is not None
    assert entry.after["status"] == "verified" and GOOD not in str(entry.after)


def test_a_number_on_the_rejection_registry_is_refused_with_the_reason(bidder, frozen_now):
    simulator_reject(kind="resident_id", number=GOOD, reason="姓名与身份证号码不一致")
    ident = identity_submit(user=bidder, kind="resident_id", number=GOOD, name="赵六")
    assert ident.status == Identity.Status.REJECTED
    assert ident.failure_reason == "姓名与身份证号码不一致"
    assert verified_identity_for(bidder) is None


def test_a_rejected_number_can_be_resubmitted_once_fixed(bidder, frozen_now):
    from cases.models import SimulatedRejection

    simulator_reject(kind="resident_id", number=GOOD)
    identity_submit(user=bidder, kind="resident_id", number=GOOD, name="赵六")
    SimulatedRejection.objects.all().delete()
    ident = identity_submit(user=bidder, kind="resident_id", number=GOOD, name="赵六")
    assert ident.status == Identity.Status.VERIFIED
    assert Identity.objects.count() == 1


def test_a_bad_checksum_never_reaches_the_verifier(bidder):
    with pytest.raises(DomainError) as info:
        identity_submit(
            user=bidder,
            kind="resident_id",
            number=GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"),
            name="赵六",
        )
    assert info.value.code == "invalid_identity_number"
    assert not Identity.objects.exists()


def test_someone_elses_verified_number_cannot_be_claimed(bidder, frozen_now):
    identity_submit(user=bidder, kind="resident_id", number=GOOD, name="赵六")
    stranger = make_user("bidder")
    with pytest.raises(DomainError) as info:
        identity_submit(user=stranger, kind="resident_id", number=GOOD, name="赵六")
    assert info.value.code == "identity_taken"


def test_a_party_who_verifies_their_number_is_linked_to_their_case(case, judge, frozen_now):
    from cases.selectors import cases_for_party

    party_add(
        case=case,
        role="debtor",
        kind="person",
        name="孙七",
        identity_kind="resident_id",
        identity_number=GOOD,
        actor=judge,
    )
    person = make_user("party")
    assert list(cases_for_party(person)) == []
    with pytest.raises(DomainError) as info:  # the name the court recorded must match
        identity_submit(user=person, kind="resident_id", number=GOOD, name="孙八")
    assert info.value.code == "identity_name_mismatch"
    identity_submit(user=person, kind="resident_id", number=GOOD, name="孙七")
    assert list(cases_for_party(person)) == [case]


def test_numbers_are_masked(debtor_party):
    number = debtor_party.identity.number
    assert debtor_party.identity.masked_number == mask(number)
    assert (
        debtor_party.identity.masked_number.startswith(number[:3])
        and "*" * 11 in debtor_party.identity.masked_number
    )


@pytest.mark.parametrize("role", ["judge", "officer", "finance"])
def test_named_roles_of_the_court_see_the_full_number_and_each_read_is_logged(
    debtor_party, court, role, frozen_now
):
    """REC-05 / REC-08: only named roles, with a purpose, each read in the access log."""
    reader = make_user(role, court)
    full = identity_reveal(user=reader, identity=debtor_party.identity, purpose="核对送达信息")
    assert full == debtor_party.identity.number
    log = AccessLog.objects.get()
    assert (log.user, log.role, log.purpose) == (reader, role, "核对送达信息")
    assert log.subject == f"identity:{debtor_party.identity.pk}"


def test_others_cannot_see_the_full_number_and_nothing_is_logged(
    debtor_party, court, other_court, bidder
):
    for user in (
        make_user("bureau_head", court),
        make_user("judge", other_court),
        bidder,
        debtor_party.user,
    ):
        with pytest.raises(DomainError) as info:
            identity_reveal(user=user, identity=debtor_party.identity, purpose="查看")
        assert info.value.status == 403
    assert not AccessLog.objects.exists()


def test_a_purpose_is_required(debtor_party, judge):
    with pytest.raises(DomainError) as info:
        identity_reveal(user=judge, identity=debtor_party.identity, purpose="  ")
    assert info.value.code == "purpose_required"
    assert not AccessLog.objects.exists()


def test_staff_do_not_submit_identities(judge):
    with pytest.raises(DomainError) as info:
        identity_submit(user=judge, kind="resident_id", number=GOOD, name="赵六")
    assert info.value.code == "staff_identity"


class PendingVerifier:
    """An adapter that answers later, like a channel that calls back (a real port implementation)."""

    name = "async-test"

    def verify(self, *, kind, number, name):
        from cases.verifier import VerificationResult

        return VerificationResult(ok=None)


def test_the_verifier_is_chosen_by_setting_and_may_answer_later(bidder, settings, frozen_now):
    from cases.services import identity_verification_result
    from cases.verifier import VerificationResult

    settings.GAVEL_IDENTITY_VERIFIER = "tests.cases.test_identity_flow.PendingVerifier"
    ident = identity_submit(user=bidder, kind="resident_id", number=GOOD, name="赵六")
    assert (ident.status, ident.verifier) == (Identity.Status.PENDING, "async-test")
    assert verified_identity_for(bidder) is None
    ident = identity_verification_result(
        identity=ident, result=VerificationResult(ok=False, reason="照片比对不一致")
    )
    assert (ident.status, ident.failure_reason) == (Identity.Status.REJECTED, "照片比对不一致")
    with pytest.raises(DomainError) as info:
        identity_verification_result(identity=ident, result=VerificationResult(ok=True))
    assert info.value.code == "identity_not_pending"
