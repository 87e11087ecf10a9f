"""The pages render in Chinese for each kind of person and show what that person needs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from appraisers import services
from core import clock
from tests.appraisers.conftest import (
    current_commission,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    report = services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm)
    )
    services.report_review(commission=c, actor=s["judge"])
    return {**s, "req": req, "draw": draw, "c": c, "firm_user": user, "report": report}


def test_roster_is_public_and_lists_firms(client, setup):
    resp = client.get(reverse("appraisers:roster_list"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "评估机构名单库" in body and setup["firms"][0].name in body
    assert (
        client.get(reverse("appraisers:firm_detail", args=[setup["firms"][0].pk])).status_code
        == 200
    )


def test_firm_portal_lists_own_commission_with_countdown(client, served):
    client.force_login(served["firm_user"])
    body = client.get(reverse("appraisers:firm_portal")).content.decode()
    assert served["req"].asset.name in body
    resp = client.get(reverse("appraisers:firm_commission", args=[served["c"].pk]))
    assert resp.status_code == 200
    assert "评估报告" in resp.content.decode()
    assert client.get(reverse("appraisers:firm_fees")).status_code == 200


def test_judge_sees_timeline_draw_and_report(client, served):
    client.force_login(served["judge"])
    body = client.get(reverse("appraisers:court_request", args=[served["req"].pk])).content.decode()
    assert "摇号完成" in body and "审查通过并送达当事人" in body
    assert served["c"].firm.name in body
    assert client.get(reverse("appraisers:court_requests")).status_code == 200


def test_party_sees_report_and_objection_form(client, served):
    client.force_login(served["creditor"].user)
    body = client.get(reverse("appraisers:party_request", args=[served["req"].pk])).content.decode()
    assert "对评估报告提出异议" in body and "异议期至" in body
    resp = client.get(reverse("appraisers:report_download", args=[served["report"].pk]))
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    assert client.get(reverse("appraisers:party_requests")).status_code == 200


def test_draw_pages_are_public_and_verify(client, served):
    d = served["draw"]
    assert client.get(reverse("appraisers:draw_live", args=[d.pk])).status_code == 200
    body = client.get(reverse("appraisers:draw_verify", args=[d.pk])).content.decode()
    assert "核验一致" in body
    data = client.get(reverse("appraisers:draw_record_json", args=[d.pk])).json()
    assert data["result"] == d.result


@pytest.mark.parametrize(
    "model",
    [
        "firm",
        "firmuser",
        "appraisalrequest",
        "lotdraw",
        "drawexclusion",
        "drawcommitment",
        "commission",
        "report",
        "objection",
        "appraisalfee",
    ],
)
def test_every_appraisers_admin_page_opens(client, platform_operator, served, model):
    client.force_login(platform_operator)
    assert client.get(reverse(f"admin:appraisers_{model}_changelist")).status_code == 200
    if model == "firm":
        firm = served["c"].firm
        assert (
            client.get(reverse("admin:appraisers_firm_change", args=[firm.pk])).status_code == 200
        )


def test_the_case_pages_lead_to_the_appraisal_and_its_draw(client, served):
    """From the judge's case page and from a party's view of the case, one click reaches the
    appraisal request and its lot draw (APR-03: parties watch the draw)."""
    req, d = served["req"], served["draw"]
    client.force_login(served["judge"])
    body = client.get(reverse("cases:case", args=[req.case_id])).content.decode()
    assert reverse("appraisers:court_request", args=[req.pk]) in body
    assert reverse("appraisers:draw_live", args=[d.pk]) in body
    client.force_login(served["creditor"].user)
    body = client.get(reverse("cases:portal_case", args=[req.case_id])).content.decode()
    assert reverse("appraisers:party_request", args=[req.pk]) in body
    assert reverse("appraisers:draw_live", args=[d.pk]) in body
    assert reverse("appraisers:court_request", args=[req.pk]) not in body


@pytest.mark.rule("APR-04", entry="page")
def test_a_refused_report_upload_keeps_what_the_firm_typed(client, setup):
    """APR-04: a file that is not a PDF is refused in Chinese, and the amount, dates, method,
    facts and signers typed into the form are still there to correct and send again."""
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    client.force_login(user)
    url = reverse("appraisers:firm_commission", args=[c.pk])
    typed = {
        "action": "report",
        "amount_yuan": "1,380,000.00",
        "value_date": f"{clock.today():%Y-%m-%d}",
        "valid_until": f"{clock.today() + dt.timedelta(days=300):%Y-%m-%d}",
        "method": "收益法",
        "standards": "房地产估价规范",
        "facts": "三室两厅，顶棚渗水",
        "signing_firm_name": c.firm.name,
        "signing_firm_licence": c.firm.licence_no,
        "signer_licences": "执业-001，执业-002",
    }
    fake = pdf_upload(b"this is not a pdf", name="report.pdf")
    resp = client.post(url, {**typed, "file": fake})
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "报告文件须为 PDF 格式" in body
    for key in ("amount_yuan", "value_date", "valid_until", "method", "standards"):
        assert f'name="{key}" value="{typed[key]}"' in body
    assert ">三室两厅，顶棚渗水</textarea>" in body
    assert 'value="执业-001，执业-002"' in body
    assert not c.reports.exists()


@pytest.mark.rule("APR-12", entry="page")
def test_a_refused_objection_keeps_the_partys_text(client, served):
    """APR-12: an objection without a ground is refused in Chinese; the reasons the party
    wrote are still in the form."""
    client.force_login(served["creditor"].user)
    url = reverse("appraisers:party_request", args=[served["req"].pk])
    resp = client.post(
        url,
        {
            "action": "object",
            "commission": served["c"].pk,
            "party": served["creditor"].pk,
            "target": "report",
            "text": "评估结果明显低于同小区近期成交价",
        },
    )
    body = resp.content.decode()
    assert resp.status_code == 200 and "请选择异议事由" in body
    assert ">评估结果明显低于同小区近期成交价</textarea>" in body
    assert not served["c"].objections.exists()


def test_a_tampered_form_id_is_not_found_never_a_server_error(client, served):
    """A form whose hidden id was altered answers 404 (the appraisal pages never fail with 500)."""
    client.force_login(served["firm_user"])
    url = reverse("appraisers:firm_commission", args=[served["c"].pk])
    for action, field in (("review_answer", "review"), ("objection_answer", "objection")):
        assert client.post(url, {"action": action, field: "x"}).status_code == 404
    client.force_login(served["judge"])
    url = reverse("appraisers:court_request", args=[served["req"].pk])
    assert client.post(url, {"action": "review", "commission": "x"}).status_code == 404
    client.force_login(served["creditor"].user)
    url = reverse("appraisers:party_request", args=[served["req"].pk])
    assert client.post(url, {"action": "object", "commission": "1;"}).status_code == 404
