"""Parties agree on three firms in order by a court-set deadline (APR-02); otherwise a draw (APR-03)."""

from __future__ import annotations

import datetime as dt

import pytest

from appraisers import services
from appraisers.models import AppraisalRequest, LotDraw, RankedFirm
from cases.models import Party
from core import calendar, clock
from core.errors import DomainError
from core.models import Deadline
from tests.appraisers.conftest import start_request
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _agree(s, req, ids):
    for party in (s["creditor"], s["debtor"]):
        services.agreement_submit(
            request=req, party=party, choice="firms", firm_ids=ids, actor=party.user
        )


def test_request_opens_agreement_window_with_default_days(setup):
    s = setup
    req = start_request(s)
    assert req.status == AppraisalRequest.Status.AGREEMENT
    assert req.agreement_deadline == calendar.within_days(clock.now(), 5, court=s["court"].pk)
    d = Deadline.objects.get(subject=req.subject, rule_id="APR-02")
    assert d.status == "open" and d.due_at == req.agreement_deadline
    later = req.agreement_deadline + dt.timedelta(days=2)
    services.agreement_deadline_set(request=req, deadline=later, actor=s["judge"])
    d.refresh_from_db()
    assert d.due_at == later
    services.agreement_skip(request=req, reason="被执行人无法联系", actor=s["judge"])
    d.refresh_from_db()
    assert d.status == "met"


def test_request_is_idempotent_on_procedure_ref(setup):
    s = setup
    a = start_request(s, procedure_ref="pricing:42")
    b = start_request(s, procedure_ref="pricing:42")
    assert a.pk == b.pk


def test_identical_ranked_lists_commission_the_first_firm_without_a_draw(setup):
    """APR-02: agreement on three firms in order."""
    s = setup
    req = start_request(s)
    ids = [s["firms"][3].pk, s["firms"][0].pk, s["firms"][2].pk]
    _agree(s, req, ids)
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.COMMISSIONED
    assert list(RankedFirm.objects.filter(request=req).values_list("firm_id", flat=True)) == ids
    assert not LotDraw.objects.filter(request=req).exists()
    assert req.commissions.get().firm_id == ids[0]


@pytest.mark.parametrize("second", ["other_order", "refuse"])
def test_disagreement_or_refusal_goes_to_the_draw(setup, second):
    """APR-03: no agreement → draw."""
    s = setup
    req = start_request(s)
    ids = [f.pk for f in s["firms"][:3]]
    services.agreement_submit(
        request=req, party=s["creditor"], choice="firms", firm_ids=ids, actor=s["creditor"].user
    )
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.AGREEMENT  # waiting for the debtor
    if second == "other_order":
        services.agreement_submit(
            request=req,
            party=s["debtor"],
            choice="firms",
            firm_ids=list(reversed(ids)),
            actor=s["debtor"].user,
        )
    else:
        services.agreement_submit(
            request=req, party=s["debtor"], choice="refuse", actor=s["debtor"].user
        )
    req.refresh_from_db()
    assert req.status == AppraisalRequest.Status.DRAW


@pytest.mark.rule("APR-02", entry="worker")
def test_lapsed_window_moves_to_draw_on_sweep_and_refuses_late_answers(setup):
    s = setup
    req = start_request(s)
    clock.advance(dt.timedelta(days=8))
    with pytest.raises(DomainError) as exc:
        services.agreement_submit(
            request=req, party=s["creditor"], choice="refuse", actor=s["creditor"].user
        )
    assert exc.value.rule == "APR-02"
    other = start_request(s)
    clock.advance(dt.timedelta(days=8))
    assert services.appraisers_sweep()["agreement_lapsed"] == 2
    for r in (req, other):
        r.refresh_from_db()
        assert r.status == AppraisalRequest.Status.DRAW


def test_agreed_firms_must_be_eligible_distinct_and_three(setup):
    s = setup
    req = start_request(s)
    services.firm_set_status(firm=s["firms"][0], status="suspended", reason="整改", actor=None)
    with pytest.raises(DomainError) as exc:
        services.agreement_submit(
            request=req,
            party=s["creditor"],
            choice="firms",
            firm_ids=[f.pk for f in s["firms"][:3]],
            actor=s["creditor"].user,
        )
    assert "暂停" in str(exc.value.message)
    with pytest.raises(DomainError) as exc:
        services.agreement_submit(
            request=req,
            party=s["creditor"],
            choice="firms",
            firm_ids=[s["firms"][1].pk, s["firms"][1].pk, s["firms"][2].pk],
            actor=s["creditor"].user,
        )
    assert exc.value.code == "three_firms_required"


def test_a_party_answers_once_and_third_parties_do_not_take_part(setup):
    s = setup
    req = start_request(s)
    services.agreement_submit(
        request=req,
        party=s["creditor"],
        choice="firms",
        firm_ids=[f.pk for f in s["firms"][:3]],
        actor=s["creditor"].user,
    )
    with pytest.raises(DomainError) as exc:
        services.agreement_submit(
            request=req, party=s["creditor"], choice="refuse", actor=s["creditor"].user
        )
    assert exc.value.code == "already_submitted"
    third = Party.objects.create(
        case=s["case"], role="third_party", kind="person", name="案外人", user=make_user("party")
    )
    with pytest.raises(DomainError) as exc:
        services.agreement_submit(request=req, party=third, choice="refuse", actor=third.user)
    assert exc.value.status == 403


def test_court_may_skip_agreement_only_with_a_reason(setup):
    s = setup
    req = start_request(s)
    with pytest.raises(DomainError):
        services.agreement_skip(request=req, reason=" ", actor=s["judge"])
    services.agreement_skip(request=req, reason="被执行人下落不明", actor=s["judge"])
    req.refresh_from_db()
    assert (
        req.status == AppraisalRequest.Status.DRAW
        and req.agreement_skip_reason == "被执行人下落不明"
    )


def test_notices_are_served_with_a_running_clock(court, judge):
    """Electronic service is received at the instant it is sent, with the real (running) clock."""
    from core.models import ServiceRecord
    from tests.appraisers.conftest import make_case

    case, _, _, asset = make_case(court, judge)
    req = services.commission_request(
        case_id=case.pk,
        asset_id=asset.pk,
        procedure_ref="pricing:live-clock",
        purpose="确定参考价",
        actor=judge,
    )
    recs = ServiceRecord.objects.filter(subject=req.subject)
    assert recs.count() == 2 and all(r.received_at == r.sent_at for r in recs)
