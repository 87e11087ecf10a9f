"""The judge's pricing page, the parties' page, the roster and models pages, and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from core import clock
from pricing.models import Objection
from pricing.services import inquiry_deliver_electronic, inquiry_send, procedure_open
from tests.conftest import make_court, make_user
from tests.pricing.conftest import admit_builtin_platforms, check


@pytest.fixture
def priced_inquiry(active_models, flat, judge, now, django_capture_on_commit_callbacks):
    admit_builtin_platforms()
    proc = check(procedure_open(asset=flat, actor=judge), judge)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=proc, joint_request=True, actor=judge)
    inquiry_deliver_electronic(inquiry=inquiry)
    return proc, inquiry


def test_judge_page_shows_reports_intervals_chart_and_what_is_due(client, judge, priced_inquiry):
    proc, _inquiry = priced_inquiry
    client.force_login(judge)
    page = client.get(reverse("pricing:procedure", args=[proc.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "内置模型平台甲（梯度提升）" in text and "内置模型平台乙（市场比较）" in text
    assert "合成演示数据" in text  # the data each model learned from
    assert "异议期至" in text  # PRC-10/APR-12: what is due before fixing
    assert "core/vendor/echarts.min.js" in text and 'data-chart="chart-' in text
    chart = json.loads(text.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert chart["subject"]["low"] < chart["subject"]["price"] < chart["subject"]["high"]
    assert chart["comparables"] and chart["currency"] == "CNY"


def test_judge_fixes_the_price_from_the_page(client, judge, priced_inquiry):
    proc, inquiry = priced_inquiry
    client.force_login(judge)
    url = reverse("pricing:procedure", args=[proc.pk])
    resp = client.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    assert "异议期" in resp.content.decode()  # refused with the reason, in Chinese
    clock.advance(dt.timedelta(days=8))
    resp = client.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    text = resp.content.decode()
    assert "参考价已确定" in text and "有效期至" in text


def test_party_sees_the_delivery_and_files_an_objection(client, priced_inquiry, parties):
    proc, inquiry = priced_inquiry
    creditor, _ = parties
    client.force_login(creditor.user)
    url = reverse("pricing:party", args=[proc.pk])
    text = client.get(url).content.decode()
    assert "电子送达" in text and "异议期至" in text
    report = inquiry.requests.first().reports.first()
    resp = client.post(
        url,
        {
            "action": "object",
            "report": report.pk,
            "grounds": ["facts"],
            "text": "建筑面积应为 118 平方米",
        },
        follow=True,
    )
    assert "异议已提交" in resp.content.decode()
    assert Objection.objects.filter(report=report, party=creditor).exists()


def test_other_people_are_kept_out(client, priced_inquiry):
    proc, _ = priced_inquiry
    stranger_judge = make_user("judge", make_court())
    client.force_login(stranger_judge)
    assert client.get(reverse("pricing:procedure", args=[proc.pk])).status_code == 403
    client.force_login(make_user("party"))
    assert client.get(reverse("pricing:party", args=[proc.pk])).status_code == 403


def test_roster_and_models_pages(client, judge, priced_inquiry):
    client.force_login(judge)
    text = client.get(reverse("pricing:roster")).content.decode()
    assert "内置模型平台甲" in text and "统计期内逾期" in text
    text = client.get(reverse("pricing:models")).content.decode()
    assert "合成演示数据" in text and "CNY" in text and "按时间划分" in text


def test_models_page_shows_the_active_models_price_index(client, judge, active_models, now):
    """Issue 20: the index that brings sales to the valuation date is shown to the judge as
    an ECharts chart, from the active model's own sales (it moves when the model is
    retrained with newer ones)."""
    import json

    from pricing.valuation.service import load_artifact

    client.force_login(judge)
    text = client.get(reverse("pricing:models")).content.decode()
    assert "pricing/index_chart.js" in text and "core/vendor/echarts.min.js" in text
    rec = active_models["gbm"]
    marker = f'<script id="index-{rec.pk}" type="application/json">'
    assert f'data-index-chart="index-{rec.pk}"' in text and marker in text
    data = json.loads(text.split(marker, 1)[1].split("</script>", 1)[0])
    idx = load_artifact(rec)["valuer"].builder_.index_
    assert data["months"] == idx.series()["months"] and len(data["months"]) >= 12
    # what training adopted on the validation period (the lag after the data end)
    from pricing.valuation.service import model_notes

    notes = model_notes(rec.metrics)
    assert notes and all(note in text for note in notes) and "市场滞后调整" in notes[0]
    market = data["series"][0]
    assert market["name"] == "全市场" and market["values"] == idx.series()["values"]
    assert market["values"][-1] == 100.0 and len(set(market["values"])) > 5
    assert data["data_end"] == load_artifact(rec)["data_end"]


def test_roster_keeper_removes_a_platform(client, priced_inquiry):
    from pricing.models import InquiryPlatform

    keeper = make_user("operator")
    client.force_login(keeper)
    p = InquiryPlatform.objects.get(code="gavel-knn")
    client.post(
        reverse("pricing:roster"), {"action": "remove", "platform": p.pk, "reason": "测试除名"}
    )
    p.refresh_from_db()
    assert p.status == "removed"


# ------------------------------------------------------------------ API
def test_api_basis_and_procedure(client, judge, asset, now):
    client.force_login(judge)
    assert client.get(f"/api/pricing/assets/{asset.pk}/basis").json() is None
    resp = client.post(
        "/api/pricing/procedures", {"asset_id": asset.pk}, content_type="application/json"
    )
    assert resp.status_code == 201
    pk = resp.json()["id"]
    again = client.post(
        "/api/pricing/procedures", {"asset_id": asset.pk}, content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "procedure_exists")
    bad = client.post(
        f"/api/pricing/procedures/{pk}/checks",
        {"title": "x", "encumbrances": "", "possession": "x", "arrears": "x", "defects": "x"},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["code"], bad.json()["rule"]) == (
        400,
        "checks_incomplete",
        "PRC-02",
    )


def test_api_online_inquiry_and_party_objection(
    client, judge, active_models, flat, parties, now, django_capture_on_commit_callbacks
):
    admit_builtin_platforms()
    proc = check(procedure_open(asset=flat, actor=judge), judge)
    client.force_login(judge)
    refused = client.post(
        f"/api/pricing/procedures/{proc.pk}/online-inquiry", {}, content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "joint_request_required")
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            f"/api/pricing/procedures/{proc.pk}/online-inquiry",
            {"joint_request": True},
            content_type="application/json",
        )
    assert resp.status_code == 201
    inq = client.get(f"/api/pricing/inquiries/{resp.json()['id']}").json()
    assert {r["status"] for r in inq["requests"]} == {"reported"}
    report = inq["requests"][0]["reports"][0]
    assert report["interval_low_fen"] < report["amount_fen"] < report["interval_high_fen"]
    creditor, _ = parties
    client.force_login(creditor.user)
    ok = client.post(
        f"/api/pricing/reports/{report['id']}/objections",
        {"grounds": ["result"], "text": "偏低"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["status"] == "pending"
    client.force_login(judge)
    fix = client.post(f"/api/pricing/inquiries/{inq['id']}/fix")
    assert (fix.status_code, fix.json()["code"]) == (400, "not_ready")


def test_api_needs_sign_in(client, asset):
    assert client.get(f"/api/pricing/assets/{asset.pk}/basis").status_code == 401
