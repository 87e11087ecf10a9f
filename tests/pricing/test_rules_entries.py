"""Pricing rules through each entry that reaches them (issue 14): the JSON API and the judge's
procedure page. The services are proven in test_procedure.py and test_rules_boundaries.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from core import clock
from pricing.models import PricingProcedure

pytestmark = pytest.mark.django_db

CHECKS = {
    "title": "登记在被执行人名下",
    "encumbrances": "设有抵押",
    "possession": "被执行人自住",
    "arrears": "无欠缴",
    "defects": "无已知瑕疵",
}


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _recorded(procedure: PricingProcedure) -> bool:
    procedure.refresh_from_db()
    return procedure.checks_recorded_at is not None


@pytest.mark.rule("PRC-02", entry="api")
def test_prc02_every_check_is_recorded_before_a_method_through_the_api(procedure, judge):
    """One check left blank (权利负担) is refused with the rule; all five are recorded."""
    c = login(judge)
    url = f"/api/pricing/procedures/{procedure.pk}/checks"
    r = c.post(url, {**CHECKS, "encumbrances": " "}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("checks_incomplete", "PRC-02")
    assert r.json()["message"] == "定价前须核查并记录：权利负担"
    assert not _recorded(procedure)
    r = c.post(url, CHECKS, content_type="application/json")
    assert r.status_code == 200, r.content
    assert _recorded(procedure)


@pytest.mark.rule("PRC-02", entry="page")
def test_prc02_every_check_is_recorded_before_a_method_on_the_procedure_page(procedure, judge):
    c = login(judge)
    url = f"/pricing/procedures/{procedure.pk}/"
    r = c.post(url, {"action": "checks", **CHECKS, "defects": ""}, follow=True)
    assert "定价前须核查并记录：瑕疵" in r.content.decode()
    assert not _recorded(procedure)
    r = c.post(url, {"action": "checks", **CHECKS}, follow=True)
    assert "核查已记录（PRC-02）" in r.content.decode()
    assert _recorded(procedure)


# --- PRC-03 (the cascade: online inquiry only on the parties' joint request) and PRC-09 (the
# reference price is the mean of the on-time results) -------------------------------------------


@pytest.fixture
def checked_flat(active_models, flat, judge, now):
    from pricing.services import procedure_open
    from tests.pricing.conftest import admit_builtin_platforms, check

    admit_builtin_platforms()
    return check(procedure_open(asset=flat, actor=judge), judge)


def _inquiries(procedure: PricingProcedure) -> int:
    from pricing.models import Inquiry

    return Inquiry.objects.filter(procedure=procedure).count()


def _platforms_asked(procedure: PricingProcedure) -> set[int]:
    from pricing.models import InquiryRequest

    return set(
        InquiryRequest.objects.filter(inquiry__procedure=procedure).values_list(
            "platform_id", flat=True
        )
    )


def _roster() -> set[int]:
    from pricing.services.inquiry import active_platforms

    return {p.pk for p in active_platforms()}


@pytest.mark.rule("PRC-03", entry="api")
@pytest.mark.rule("PRC-06", entry="api")
def test_prc03_online_inquiry_needs_the_joint_request_through_the_api(
    checked_flat, judge, django_capture_on_commit_callbacks
):
    c = login(judge)
    url = f"/api/pricing/procedures/{checked_flat.pk}/online-inquiry"
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("joint_request_required", "PRC-03")
    assert "须经当事人双方一致申请" in r.json()["message"]
    assert _inquiries(checked_flat) == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(url, {"joint_request": True}, content_type="application/json")
    assert r.status_code == 201 and _inquiries(checked_flat) == 1
    assert _platforms_asked(checked_flat) == _roster() and len(_roster()) >= 2  # PRC-06: all


@pytest.mark.rule("PRC-03", entry="page")
@pytest.mark.rule("PRC-06", entry="page")
def test_prc03_online_inquiry_needs_the_joint_request_on_the_procedure_page(
    checked_flat, judge, django_capture_on_commit_callbacks
):
    c = login(judge)
    url = f"/pricing/procedures/{checked_flat.pk}/"
    r = c.post(url, {"action": "online"}, follow=True)
    assert "须经当事人双方一致申请" in r.content.decode() and _inquiries(checked_flat) == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(url, {"action": "online", "joint_request": "on"}, follow=True)
    assert "已向名单库全部平台发出询价（PRC-06）" in r.content.decode()
    assert _inquiries(checked_flat) == 1
    assert _platforms_asked(checked_flat) == _roster() and len(_roster()) >= 2


@pytest.fixture
def priced(checked_flat, judge, django_capture_on_commit_callbacks):
    """Every roster platform reported; the reports were served on the parties today."""
    from pricing.services import inquiry_deliver_electronic, inquiry_send

    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=checked_flat, joint_request=True, actor=judge)
    inquiry_deliver_electronic(inquiry=inquiry)
    return checked_flat, inquiry


def _mean_of_results(inquiry) -> int:
    from pricing.services.contract import mean_half_up
    from pricing.services.inquiry import final_results

    results = final_results(inquiry)
    assert len(results) >= 2
    return mean_half_up([r.amount_fen for r in results])


@pytest.mark.rule("PRC-09", entry="api")
def test_prc09_the_reference_price_is_the_mean_through_the_api(priced, judge):
    """Inside the parties' objection window the price is not fixed yet (PRC-09 names what is
    due); after it, the reference price is the mean of the on-time results."""
    _proc, inquiry = priced
    c = login(judge)
    url = f"/api/pricing/inquiries/{inquiry.pk}/fix"
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("not_ready", "PRC-09")
    assert "尚不能确定参考价" in r.json()["message"] and "异议期" in r.json()["message"]
    clock.advance(dt.timedelta(days=8))
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["amount_fen"] == _mean_of_results(inquiry)


@pytest.mark.rule("PRC-09", entry="page")
def test_prc09_the_reference_price_is_the_mean_on_the_procedure_page(priced, judge):
    from core.money import yuan
    from pricing.models import ReferencePrice

    proc, inquiry = priced
    c = login(judge)
    url = f"/pricing/procedures/{proc.pk}/"
    r = c.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    assert "尚不能确定参考价" in r.content.decode()
    assert not ReferencePrice.objects.filter(procedure=proc).exists()
    clock.advance(dt.timedelta(days=8))
    r = c.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    page = r.content.decode()
    assert "参考价已确定（PRC-09）" in page
    price = ReferencePrice.objects.get(procedure=proc)
    assert price.amount_fen == _mean_of_results(inquiry)
    assert yuan(price.amount_fen) in page
