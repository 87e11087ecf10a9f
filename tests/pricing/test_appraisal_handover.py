"""The hand-over with appraisers: commission_request, AppraisalResultFixed in the same
transaction (both commit or roll back together), PRC-14 pause, PRC-16 fee at the sale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from appraisers import services as apr
from appraisers.models import AppraisalFee, AppraisalRequest, Commission
from core import calendar, clock
from core.errors import DomainError
from pricing.models import ReferencePrice
from pricing.services import (
    appraisal_start,
    procedure_resume,
    procedure_suspend,
    reference_price_record_sale,
    reference_price_valid_for,
)
from tests.appraisers.conftest import (
    current_commission,
    firm_user_for,
    make_firm,
    pdf_upload,
    report_data,
    run_public_draw,
)
from tests.pricing.conftest import check

AMOUNT = 123_456_700


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")


@pytest.fixture
def appraising(procedure, judge, court, now):
    """Appraisal required by law → pricing asks appraisers, who draw, commission and get a report served."""
    for _ in range(4):
        make_firm(None)
    proc = check(procedure, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    s = {"judge": judge, "court": court}
    run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    apr.commission_accept(commission=c, actor=user)
    apr.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(days=1), place="现场", actor=user
    )
    clock.advance(dt.timedelta(days=1))
    apr.inspection_record(commission=c, witness="社区工作人员", attendees="申请执行人", actor=user)
    apr.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=AMOUNT)
    )
    apr.report_review(commission=c, actor=judge)
    clock.advance(dt.timedelta(days=8))  # past every party's 5-day objection window
    c.refresh_from_db()
    return proc, req, c


def test_request_goes_to_appraisers_with_the_procedure_reference(procedure, judge, now):
    proc = check(procedure, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    assert (req.case_id, req.asset_id) == (proc.case_id, proc.asset_id)
    proc.refresh_from_db()
    assert proc.state == "appraisal"


def test_fixed_appraisal_result_becomes_the_reference_price(appraising, judge):
    """APR-15 → PRC-11: the event fixes the price in appraisers' transaction, with the report's validity."""
    proc, _req, c = appraising
    report = apr.result_fix(commission=c, actor=judge)
    price = ReferencePrice.objects.get(procedure=proc)
    assert (price.method, price.amount_fen, price.status) == ("appraisal", AMOUNT, "active")
    assert price.valid_until == calendar.end_of_day(report.valid_until)
    basis = reference_price_valid_for(asset_id=proc.asset_id, at=clock.now())
    assert basis is not None
    assert basis.amount_fen == AMOUNT


def test_rolled_back_fix_leaves_no_price(appraising, judge):
    """Both sides commit or roll back together: a failure after the event undoes our price too."""
    proc, req, c = appraising

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        apr.result_fix(commission=c, actor=judge)
        assert ReferencePrice.objects.filter(procedure=proc).exists()
        raise Boom
    assert not ReferencePrice.objects.filter(procedure=proc).exists()
    req.refresh_from_db()
    assert req.status != AppraisalRequest.Status.FIXED


def test_pricing_refusal_rolls_back_the_appraisers_fix(appraising, judge):
    """Our handler refuses a result for a procedure no longer appraising; appraisers' fix rolls back."""
    proc, req, c = appraising
    from pricing.models import PricingProcedure

    # the procedure left the appraisal state behind appraisers' back (e.g. data repaired by hand)
    PricingProcedure.objects.filter(pk=proc.pk).update(state="checked")
    with pytest.raises(DomainError) as err:
        apr.result_fix(commission=c, actor=judge)
    assert err.value.code == "not_appraising"
    c.refresh_from_db()
    req.refresh_from_db()
    assert c.state != Commission.State.FINAL and req.status != AppraisalRequest.Status.FIXED
    assert not ReferencePrice.objects.filter(procedure=proc).exists()


def test_suspension_holds_the_result_until_pricing_resumes(appraising, judge):
    """PRC-14: suspending pricing pauses the commission, so no result is fixed until it resumes."""
    proc, _req, c = appraising
    procedure_suspend(procedure=proc, ground="enforcement_suspended", actor=judge)
    with pytest.raises(DomainError):
        apr.result_fix(commission=c, actor=judge)
    assert not ReferencePrice.objects.filter(procedure=proc).exists()
    procedure_resume(procedure=proc, actor=judge)
    apr.result_fix(commission=c, actor=judge)
    assert ReferencePrice.objects.filter(procedure=proc, status="active").exists()


def test_suspending_pricing_pauses_the_appraisal_clock(procedure, judge, court, now):
    """PRC-14 / APR-07: while pricing is suspended the commission's report clock stops."""
    for _ in range(4):
        make_firm(None)
    proc = check(procedure, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    run_public_draw({"judge": judge, "court": court}, req)
    c = current_commission(req)
    apr.commission_accept(commission=c, actor=firm_user_for(c.firm))
    procedure_suspend(procedure=proc, ground="enforcement_halted", actor=judge)
    c.refresh_from_db()
    assert c.paused_at is not None
    procedure_resume(procedure=proc, actor=judge)
    c.refresh_from_db()
    assert c.paused_at is None


def test_sale_settles_the_appraisal_fee_through_appraisers(appraising, judge):
    """PRC-16: after the sale, appraisers compute the fee on the sale price."""
    proc, req, c = appraising
    apr.result_fix(commission=c, actor=judge)
    out = reference_price_record_sale(
        asset_id=proc.asset_id,
        auction_ref="auction:1",
        outcome="sold",
        sale_price_fen=AMOUNT - 1_000_000,
    )
    assert out["appraisal_fee_settled"] is True
    assert AppraisalFee.objects.filter(request=req).exists()
    again = reference_price_record_sale(
        asset_id=proc.asset_id,
        auction_ref="auction:1",
        outcome="sold",
        sale_price_fen=AMOUNT - 1_000_000,
    )
    assert again == out  # idempotent


def test_lapsed_appraisal_result_is_reissued_by_the_original_firm(appraising, judge):
    """PRC-12: an appraisal result lapsed before the announcement → the original firm reissues
    (appraisers' ``appraisal_reissue_request``); the procedure waits in ``reissuing``."""
    from pricing.services import reference_price_reissue

    proc, req, c = appraising
    apr.result_fix(commission=c, actor=judge)
    price = ReferencePrice.objects.get(procedure=proc)
    clock.set_time(price.valid_until + dt.timedelta(days=1))
    reference_price_reissue(procedure=proc, actor=judge)
    proc.refresh_from_db()
    assert proc.state == "reissuing"
    assert req.commissions.count() >= 2  # the reissue commission to the same firm
    assert reference_price_valid_for(asset_id=proc.asset_id, at=clock.now()) is None


def test_apr14_first_announcement_in_pricing_closes_the_appraisal_fraud_exception(
    appraising, judge
):
    """APR-14: after pricing records the first announcement, a late fraud objection to the
    appraisal report is refused, not sent to supervision (same timing as the inquiry path)."""
    from appraisers.models import Objection
    from cases.models import Party
    from pricing.services import reference_price_record_announcement

    proc, req, c = appraising
    apr.result_fix(commission=c, actor=judge)
    reference_price_record_announcement(
        asset_id=proc.asset_id, auction_ref="auction:1", published_at=clock.now()
    )
    req.refresh_from_db()
    assert req.first_announced_at == clock.now()
    debtor = Party.objects.get(case_id=proc.case_id, role="debtor")
    o = apr.objection_file(
        commission=c,
        party=debtor,
        grounds=["result"],
        text="评估机构与申请人串通",
        fraud_alleged=True,
        actor=debtor.user,
    )
    assert o.outcome == Objection.Outcome.REFUSED
