"""Appraisal rules through each entry that reaches them (issue 14): objections (APR-12) and
their admissibility (APR-14) through the JSON API and the party's page. The services are
proven in test_review_objections.py and test_rules_boundaries.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from appraisers import services
from appraisers.models import Objection
from core import calendar, clock
from core.models import ServiceRecord
from tests.appraisers.conftest import (
    current_commission,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def served(setup):
    """A report the court reviewed and served on the parties."""
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=120_000_000)
    )
    c.refresh_from_db()
    services.report_review(commission=c, actor=s["judge"])
    c.refresh_from_db()
    return {**s, "req": req, "c": c}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api_object(s, party, **body):
    return login(party.user).post(
        f"/api/appraisers/commissions/{s['c'].pk}/objections",
        {"party_id": party.pk, "grounds": ["result"], "text": "评估结果偏低", **body},
        content_type="application/json",
    )


def _window_closes(s) -> dt.datetime:
    record = ServiceRecord.objects.filter(subject=s["c"].subject).first()
    assert record is not None and record.received_at is not None
    return calendar.within_days(record.received_at, 5, court=s["court"].pk)


@pytest.mark.rule("APR-12", entry="api")
def test_apr12_objection_within_five_days_of_service_through_the_api(served):
    """A minute before the 5-day window closes the objection is taken; a minute after, the
    party's late objection is refused with the reason."""
    s = served
    closes = _window_closes(s)
    clock.set_time(closes - dt.timedelta(minutes=1))
    r = _api_object(s, s["creditor"])
    assert r.status_code == 200, r.content
    assert r.json()["status"] == Objection.Status.TO_FORWARD
    clock.set_time(closes + dt.timedelta(minutes=1))
    r = _api_object(s, s["debtor"], text="评估结果偏高")
    assert r.status_code == 200
    assert r.json()["status"] == Objection.Status.REFUSED
    assert "超过异议期" in r.json()["refusal_reason"]


@pytest.mark.rule("APR-14", entry="api")
def test_apr14_objection_to_an_explanation_is_refused_through_the_api(served):
    s = served
    r = _api_object(s, s["creditor"], target="explanation")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["outcome"]) == (
        Objection.Status.REFUSED,
        Objection.Outcome.REFUSED,
    )
    assert "APR-14" in body["refusal_reason"]
    r = _api_object(s, s["debtor"], target="report")  # the report itself: taken
    assert r.json()["status"] == Objection.Status.TO_FORWARD


@pytest.mark.rule("APR-14", entry="page")
def test_apr14_objection_to_an_explanation_is_refused_on_the_party_page(served):
    s = served
    url = reverse("appraisers:party_request", args=[s["req"].pk])
    form = {"action": "object", "commission": s["c"].pk, "grounds": "result", "text": "偏低"}
    r = login(s["creditor"].user).post(url, {**form, "target": "explanation"}, follow=True)
    page = r.content.decode()
    assert "该异议不予受理" in page and "APR-14" in page
    assert s["c"].objections.get().status == Objection.Status.REFUSED
    r = login(s["debtor"].user).post(url, {**form, "target": "report"}, follow=True)
    assert "异议已提交" in r.content.decode()
    assert s["c"].objections.filter(status=Objection.Status.TO_FORWARD).count() == 1


@pytest.fixture
def working(setup):
    """A commission the firm accepted and inspected: its 30-day report deadline runs."""
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    c.refresh_from_db()
    return {**s, "req": req, "c": c, "user": user}


@pytest.mark.rule("APR-08", entry="api")
def test_apr08_an_extension_is_at_most_fifteen_days_through_the_api(working):
    w = working
    url = f"/api/appraisers/commissions/{w['c'].pk}/extensions"
    c = login(w["user"])
    r = c.post(url, {"days": 16, "reason": "需调取档案"}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("extension_too_long", "APR-08")
    assert r.json()["message"] == "每次延期不得超过 15 日"
    assert not w["c"].extensions.exists()
    r = c.post(url, {"days": 15, "reason": "需调取档案"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "pending"


@pytest.mark.rule("APR-08", entry="page")
def test_apr08_an_extension_is_at_most_fifteen_days_on_the_firm_page(working):
    w = working
    url = reverse("appraisers:firm_commission", args=[w["c"].pk])
    c = login(w["user"])
    r = c.post(url, {"action": "extension", "days": 16, "reason": "需调取档案"}, follow=True)
    assert "每次延期不得超过 15 日" in r.content.decode()
    assert not w["c"].extensions.exists()
    r = c.post(url, {"action": "extension", "days": 15, "reason": "需调取档案"}, follow=True)
    assert "延期申请已提交，待法官决定" in r.content.decode()
    assert w["c"].extensions.get().days == 15


# --- APR-06: the site inspection: the parties told in advance, recorded before the report -----


@pytest.fixture
def accepted(setup):
    from tests.appraisers.conftest import firm_user_for

    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=user)
    c.refresh_from_db()
    return {**s, "req": req, "c": c, "user": user}


@pytest.mark.rule("APR-06", entry="page")
def test_apr06_the_inspection_is_noticed_ahead_on_the_firm_page(accepted):
    """Now is too late to tell the parties; the next minute is taken and served."""
    a = accepted
    now = clock.now().astimezone(calendar.CST).replace(second=0, microsecond=0)
    later = now + dt.timedelta(minutes=1)
    url = reverse("appraisers:firm_commission", args=[a["c"].pk])
    c = login(a["user"])
    form = {"action": "inspection_notice", "place": "标的物所在地"}
    r = c.post(url, {**form, "at": f"{now:%Y-%m-%dT%H:%M}"}, follow=True)
    assert "勘验时间须晚于当前时间，以便通知当事人" in r.content.decode()
    a["c"].refresh_from_db()
    assert a["c"].inspection_at is None
    r = c.post(url, {**form, "at": f"{later:%Y-%m-%dT%H:%M}"}, follow=True)
    assert "已通知当事人现场勘验时间和地点" in r.content.decode()
    a["c"].refresh_from_db()
    assert a["c"].inspection_at == later
    assert ServiceRecord.objects.filter(subject=a["c"].subject).exists()


@pytest.mark.rule("APR-06", entry="api")
def test_apr06_no_report_before_the_inspection_through_the_api(accepted):
    a = accepted
    c = login(a["user"])
    url = f"/api/appraisers/commissions/{a['c'].pk}/report"
    data = report_data(a["c"].firm)
    data["signer_licences"] = ",".join(data["signer_licences"])
    r = c.post(url, {**data, "file": pdf_upload()})
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("inspection_required", "APR-06")
    assert r.json()["message"] == "须先记录现场勘验"
    services.inspection_notice(
        commission=a["c"], at=clock.now() + dt.timedelta(hours=1), place="现场", actor=a["user"]
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=a["c"], witness="见证人", actor=a["user"])
    r = c.post(url, {**data, "file": pdf_upload()})
    assert r.status_code == 200, r.content
    assert a["c"].reports.count() == 1
