"""Appraisal fees by sale outcome (PRC-16), charged to the case through settlement (PRC-17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from appraisers import services
from appraisers.models import AppraisalFee, Commission
from appraisers.services.fees import fee_on_value
from core import clock
from core.errors import DomainError
from settlement.models import Charge
from tests.appraisers.conftest import (
    current_commission,
    drawn_firm_ids,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db
VALUE = 200_000_000  # 2,000,000.00 yuan


def test_fee_on_value_is_cumulative_over_the_bands():
    schedule: list[list[Any]] = [[100, "0.1"], [1000, "0.05"], [None, "0.01"]]
    assert fee_on_value(5_000, schedule=schedule) == 500  # 50 yuan at 10%
    # 100 yuan at 10% + 900 at 5% + 500 at 1% = 10 + 45 + 5 = 60 yuan
    assert fee_on_value(150_000, schedule=schedule) == 6_000


def _work(s, c, amount=VALUE):
    user = inspected(c)
    return user


def _fixed(s, amount=VALUE):
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = _work(s, c)
    services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=amount)
    )
    services.report_review(commission=c, actor=s["judge"])
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    c.refresh_from_db()
    assert c.state == Commission.State.FINAL
    return req, c, user


def test_sold_above_the_appraisal_value_pays_on_the_appraisal_value(setup):
    s = setup
    req, c, _ = _fixed(s)
    [fee] = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE + 5_000_000
    )
    assert fee.basis == AppraisalFee.Basis.APPRAISAL_VALUE and fee.basis_fen == VALUE
    assert fee.amount_fen == fee_on_value(VALUE, court=s["court"].pk) > 0
    charge = Charge.objects.get(ref=fee.charge_ref)
    assert charge.kind == "appraisal_fee" and charge.amount_fen == fee.amount_fen
    assert charge.payee_ref == f"appraisal_firm:{c.firm_id}" and charge.case_id == s["case"].pk


def test_sold_below_the_appraisal_value_pays_on_the_sale_price(setup):
    s = setup
    req, _, _ = _fixed(s)
    price = VALUE - 30_000_000
    [fee] = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=price
    )
    assert fee.basis == AppraisalFee.Basis.SALE_PRICE and fee.amount_fen == fee_on_value(
        price, court=s["court"].pk
    )
    assert fee.amount_fen < fee_on_value(VALUE, court=s["court"].pk)


def test_unsold_pays_the_declared_actual_costs(setup):
    s = setup
    req, c, user = _fixed(s)
    services.costs_declare(commission=c, amount_fen=350_000, note="勘验差旅、资料费", actor=user)
    [fee] = services.appraisal_fee_settle(procedure_ref=req.procedure_ref, outcome="unsold")
    assert fee.basis == AppraisalFee.Basis.ACTUAL_COSTS and fee.amount_fen == 350_000
    with pytest.raises(DomainError):
        services.costs_declare(commission=c, amount_fen=1, note="再报", actor=user)


def test_withdrawn_while_working_pays_actual_costs_and_late_firm_nothing(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    late = current_commission(req)
    _work(s, late)
    assert late.report_due_at is not None
    clock.set_time(late.report_due_at + dt.timedelta(minutes=1))
    services.appraisers_sweep()
    second = current_commission(req)
    assert second.firm_id == drawn_firm_ids(draw)[1]
    user2 = _work(s, second)
    services.costs_declare(commission=second, amount_fen=120_000, note="已发生费用", actor=user2)
    services.appraisal_withdraw(procedure_ref=req.procedure_ref, reason="申请执行人撤回执行申请")
    fees = {
        f.commission_id: f
        for f in services.appraisal_fee_settle(procedure_ref=req.procedure_ref, outcome="withdrawn")
    }
    assert fees[late.pk].basis == AppraisalFee.Basis.NONE and fees[late.pk].amount_fen == 0
    assert "APR-09" in fees[late.pk].explanation
    assert (
        fees[second.pk].basis == AppraisalFee.Basis.ACTUAL_COSTS
        and fees[second.pk].amount_fen == 120_000
    )
    assert not Charge.objects.filter(ref__endswith=f"appraisal_fee:{late.pk}").exists()


def test_a_reissue_is_paid_thirty_percent_of_the_original_fee(setup):
    """PRC-12/PRC-16."""
    s = setup
    req, first, user = _fixed(s)
    r = services.appraisal_reissue_request(procedure_ref=req.procedure_ref, reason="有效期届满")
    services.report_submit(
        commission=r, upload=pdf_upload(), actor=user, **report_data(r.firm, amount_fen=VALUE)
    )
    services.report_review(commission=r, actor=s["judge"])
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    fees = {
        f.commission_id: f
        for f in services.appraisal_fee_settle(
            procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE
        )
    }
    original = fees[first.pk].amount_fen
    assert fees[r.pk].basis == AppraisalFee.Basis.REISSUE
    assert fees[r.pk].amount_fen == round(original * 0.3)


def test_settling_twice_is_idempotent_and_a_different_outcome_is_refused(setup):
    s = setup
    req, _, _ = _fixed(s)
    a = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE
    )
    b = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE
    )
    assert [f.pk for f in a] == [f.pk for f in b]
    assert Charge.objects.filter(kind="appraisal_fee").count() == 1
    with pytest.raises(DomainError) as exc:
        services.appraisal_fee_settle(procedure_ref=req.procedure_ref, outcome="unsold")
    assert exc.value.status == 409


def test_firm_statement_shows_payment_status(client, setup, finance):
    s = setup
    req, _, user = _fixed(s)
    [fee] = services.appraisal_fee_settle(
        procedure_ref=req.procedure_ref, outcome="sold", sale_price_fen=VALUE
    )
    client.force_login(user)
    assert "已计入案件费用，待支付" in client.get("/appraisers/firm/fees/").content.decode()
    services.appraisal_fee_mark_paid(fee=fee, payment_reference="转账-0001", actor=finance)
    body = client.get("/appraisers/firm/fees/").content.decode()
    assert "已支付" in body
