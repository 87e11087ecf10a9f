"""Who may do what (REC-14): one permission registry, court scoping for staff, and the
access log for every read of restricted data (REC-05, REC-08)."""

import pytest
import rules

from core.access import mask, reveal
from core.errors import PermissionDenied
from core.models import AccessLog, Court, Deadline
from core.permissions import court_scoped, is_same_court, require, requires_two_factor
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


class CaseLike:
    """Any object of a court, for the predicates (which follow ``court_id``)."""

    def __init__(self, court):
        self.court_id = court.pk


def court_object(court: Court) -> Deadline:
    """A model of ``court`` (an unsaved deadline) for ``has_perm``, which takes a model: apps
    pass their own models."""
    return Deadline(court=court)


def test_staff_of_another_court_is_denied(court, other_court, judge):
    """REC-14 (least privilege): staff act on their own court's objects only."""
    stranger = make_user("judge", other_court)
    ours = court_object(court)
    assert judge.has_perm("core.change_court_settings", ours)
    assert not stranger.has_perm("core.change_court_settings", ours)
    with pytest.raises(PermissionDenied) as exc:
        require(stranger, "core.change_court_settings", ours)
    assert exc.value.status == 403 and exc.value.code == "forbidden"


def test_wrong_role_in_the_right_court_is_denied(court, finance, bidder):
    """REC-14: a role without the duty is refused even inside the right court."""
    assert not finance.has_perm("core.change_court_settings", court_object(court))
    assert not bidder.has_perm("core.change_court_settings", court_object(court))
    assert not is_same_court(bidder, CaseLike(court))


def test_court_is_found_through_related_objects(court, judge):
    class Auction:
        def __init__(self, case):
            self.case = case

    assert is_same_court(judge, Auction(CaseLike(court)))
    assert not is_same_court(judge, object())


def test_apps_extend_the_one_registry(court, judge, officer):
    """An app registers its own permission with core's predicates (in its rules.py)."""
    from core.permissions import is_judge

    rules.add_perm("tests.approve_payout", is_same_court & is_judge)
    try:
        assert judge.has_perm("tests.approve_payout", court_object(court))
        assert not officer.has_perm("tests.approve_payout", court_object(court))
    finally:
        rules.remove_perm("tests.approve_payout")


def test_court_scoped_lists_only_own_court_rows(court, other_court, judge, bidder):
    from core.clock import now
    from core.deadlines import deadline_open

    for c in (court, other_court):
        deadline_open(
            rule_id="FND-10",
            title="发放",
            subject=f"court:{c.pk}",
            start_event="x",
            started_at=now(),
            period=30,
            court=c,
        )
    assert {d.court_id for d in court_scoped(Deadline.objects.all(), judge)} == {court.pk}
    assert not court_scoped(Deadline.objects.all(), bidder).exists()


def test_restricted_value_is_masked_and_each_read_logged(court, officer, bidder):
    """REC-05/REC-08: only named roles read the full value, with a purpose, and each read is
    logged with who, role, what and why."""
    number = "360102199001011234"
    assert mask(number) == "360***********1234"
    assert mask("12") == "**"
    value = reveal(
        user=officer,
        value=number,
        subject="case:1/party:2",
        field="id_number",
        purpose="核对优先购买权人身份",
        roles={"officer", "judge"},
    )
    assert value == number
    log = AccessLog.objects.get()
    assert (log.user, log.role, log.subject, log.field) == (
        officer,
        "officer",
        "case:1/party:2",
        "id_number",
    )
    with pytest.raises(PermissionDenied) as exc:
        reveal(user=bidder, value=number, subject="s", field="f", purpose="p", roles={"officer"})
    assert exc.value.rule == "REC-05"
    with pytest.raises(PermissionDenied):
        reveal(user=officer, value=number, subject="s", field="f", purpose=" ", roles={"officer"})
    assert AccessLog.objects.count() == 1


def test_who_needs_two_factor(judge, finance, bidder, party_user, platform_operator):
    assert requires_two_factor(judge) and requires_two_factor(finance)
    assert requires_two_factor(platform_operator)
    assert not requires_two_factor(bidder) and not requires_two_factor(party_user)
