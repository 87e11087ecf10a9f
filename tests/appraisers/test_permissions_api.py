"""Who may see and do what (REC-14), through the pages and the API: a firm user never reads
another firm's commission; a party never alters a report; staff see only their own court."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from appraisers import services
from appraisers.models import Commission
from core import clock
from tests.appraisers.conftest import (
    PDF_BYTES,
    current_commission,
    firm_user_for,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)
from tests.conftest import make_court, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    own = firm_user_for(c.firm)
    other_firm = next(f for f in s["firms"] if f.pk != c.firm_id)
    return {**s, "req": req, "draw": draw, "c": c, "own": own, "other": firm_user_for(other_firm)}


def test_firm_user_cannot_read_another_firms_commission(client, world):
    w = world
    client.force_login(w["other"])
    assert client.get(reverse("appraisers:firm_commission", args=[w["c"].pk])).status_code == 403
    assert client.get(f"/api/appraisers/commissions/{w['c'].pk}").status_code == 403
    listed = client.get("/api/appraisers/commissions").json()
    assert all(row["id"] != w["c"].pk for row in listed)
    assert client.post(f"/api/appraisers/commissions/{w['c'].pk}/accept").status_code == 403
    assert Commission.objects.get(pk=w["c"].pk).state == Commission.State.OFFERED
    client.force_login(w["own"])
    rows = client.get("/api/appraisers/commissions").json()
    assert [r["id"] for r in rows] == [w["c"].pk] and rows[0]["flags"]


def test_firm_user_accepts_and_uploads_through_the_api(client, world):
    w = world
    client.force_login(w["own"])
    resp = client.post(f"/api/appraisers/commissions/{w['c'].pk}/accept")
    assert resp.status_code == 200 and resp.json()["state"] == "accepted"
    c = w["c"]
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=1), place="现场", actor=w["own"]
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=c, witness="见证人", actor=w["own"])
    data = report_data(c.firm)
    form = {
        **data,
        "value_date": data["value_date"].isoformat(),
        "valid_until": data["valid_until"].isoformat(),
        "signer_licences": ",".join(data["signer_licences"]),
    }
    bad = client.post(
        f"/api/appraisers/commissions/{c.pk}/report",
        {**form, "file": pdf_upload(b"GIF89a not a pdf")},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "report_not_pdf"
    ok = client.post(
        f"/api/appraisers/commissions/{c.pk}/report", {**form, "file": pdf_upload(PDF_BYTES)}
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == "report_delivered"


def test_party_cannot_alter_a_report(client, world):
    w = world
    party_user = w["creditor"].user
    client.force_login(party_user)
    resp = client.post(f"/api/appraisers/commissions/{w['c'].pk}/report", {"file": pdf_upload()})
    assert resp.status_code in (403, 422)
    assert not w["c"].reports.exists()
    assert client.get(reverse("appraisers:firm_commission", args=[w["c"].pk])).status_code == 403
    page = client.post(
        reverse("appraisers:firm_commission", args=[w["c"].pk]), {"action": "accept"}
    )
    assert page.status_code == 403
    assert Commission.objects.get(pk=w["c"].pk).state == Commission.State.OFFERED
    assert not party_user.has_perm("appraisers.change_report", w["c"])
    assert party_user.has_perm("appraisers.view_commission", w["c"])


def test_report_pdf_only_after_service_for_parties(client, world):
    w = world
    c, own = w["c"], w["own"]
    services.commission_accept(commission=c, actor=own)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=1), place="现场", actor=own
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=c, witness="见证人", actor=own)
    report = services.report_submit(
        commission=c, upload=pdf_upload(), actor=own, **report_data(c.firm)
    )
    client.force_login(w["debtor"].user)
    assert client.get(reverse("appraisers:report_download", args=[report.pk])).status_code == 403
    services.report_review(commission=c, actor=w["judge"])
    assert client.get(reverse("appraisers:report_download", args=[report.pk])).status_code == 200
    client.force_login(w["other"])
    assert client.get(reverse("appraisers:report_download", args=[report.pk])).status_code == 403
    stranger = make_user("party")
    client.force_login(stranger)
    assert client.get(reverse("appraisers:report_download", args=[report.pk])).status_code == 403


def test_staff_of_another_court_see_nothing(client, world):
    w = world
    outsider = make_user("judge", make_court())
    client.force_login(outsider)
    assert client.get(reverse("appraisers:court_request", args=[w["req"].pk])).status_code == 403
    assert client.get(f"/api/appraisers/requests/{w['req'].pk}").status_code == 403
    assert client.get(f"/api/appraisers/commissions/{w['c'].pk}").status_code == 403


def test_judge_starts_a_request_through_the_api(client, setup):
    s = setup
    client.force_login(s["judge"])
    resp = client.post(
        "/api/appraisers/requests",
        {
            "case_id": s["case"].pk,
            "asset_id": s["asset"].pk,
            "purpose": "确定参考价",
            "procedure_ref": "pricing:api-1",
        },
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["status"] == "agreement"
    outsider = make_user("judge", make_court())
    client.force_login(outsider)
    resp = client.post(
        "/api/appraisers/requests",
        {
            "case_id": s["case"].pk,
            "asset_id": s["asset"].pk,
            "purpose": "x",
            "procedure_ref": "pricing:api-2",
        },
        content_type="application/json",
    )
    assert resp.status_code == 403


def test_public_api_draw_record_and_verification(client, world):
    d = world["draw"]
    rec = client.get(f"/api/appraisers/draws/{d.pk}").json()
    assert rec["result"] == d.result and rec["list_hash"] == d.list_hash
    assert client.get(f"/api/appraisers/draws/{d.pk}/verify").json()["ok"] is True
    assert any(f["id"] == d.result[0] for f in client.get("/api/appraisers/firms").json())


def test_party_objects_through_the_api_only_as_itself(client, world):
    w = world
    c, own = w["c"], w["own"]
    services.commission_accept(commission=c, actor=own)
    services.inspection_notice(
        commission=c, at=clock.now() + dt.timedelta(hours=1), place="现场", actor=own
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=c, witness="见证人", actor=own)
    services.report_submit(commission=c, upload=pdf_upload(), actor=own, **report_data(c.firm))
    services.report_review(commission=c, actor=w["judge"])
    client.force_login(w["creditor"].user)
    body = {"party_id": w["debtor"].pk, "grounds": ["result"], "text": "偏低"}
    assert (
        client.post(
            f"/api/appraisers/commissions/{c.pk}/objections", body, content_type="application/json"
        ).status_code
        == 403
    )
    body["party_id"] = w["creditor"].pk
    resp = client.post(
        f"/api/appraisers/commissions/{c.pk}/objections", body, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "to_forward"


def test_roster_csv_is_for_its_keepers_only(client, setup):
    client.force_login(setup["judge"])
    assert client.get(reverse("appraisers:roster_export", args=["firms"])).status_code == 403
    client.force_login(make_user("operator"))
    resp = client.get(reverse("appraisers:roster_export", args=["firms"]))
    assert resp.status_code == 200 and setup["firms"][0].licence_no in resp.content.decode(
        "utf-8-sig"
    )


def test_a_superuser_operator_is_an_ordinary_role_outside_the_admin(client, world):
    """The platform operator (a superuser) reads no court's commissions and starts no
    appraisal in a court's case, by API or page; the Django admin still opens for them."""
    w = world
    op = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(op)
    c, req = w["c"], w["req"]
    assert client.get(f"/api/appraisers/commissions/{c.pk}").status_code == 403
    assert client.get("/api/appraisers/commissions").status_code == 403
    assert client.get(reverse("appraisers:firm_commission", args=[c.pk])).status_code == 403
    assert client.get(reverse("appraisers:party_request", args=[req.pk])).status_code == 403
    assert client.get(reverse("appraisers:court_request", args=[req.pk])).status_code == 403
    before = req.__class__.objects.count()
    body = {
        "case_id": w["case"].pk,
        "asset_id": w["asset"].pk,
        "purpose": "确定参考价",
        "procedure_ref": "x:1",
    }
    resp = client.post("/api/appraisers/requests", body, content_type="application/json")
    assert resp.status_code == 403
    resp = client.post(
        reverse("appraisers:court_requests"), {"action": "create", "asset": w["asset"].pk}
    )
    assert resp.status_code == 403
    assert req.__class__.objects.count() == before
    assert client.get(reverse("admin:appraisers_commission_changelist")).status_code == 200


def test_the_roster_is_kept_by_role_never_by_superuser(client, db):
    """``appraisers.manage_roster`` goes by role (operator, bureau head): a superuser of
    another role gets nothing from being a superuser."""
    su = make_user("bidder", is_staff=True, is_superuser=True)
    client.force_login(su)
    assert client.get(reverse("appraisers:roster_export", args=["firms"])).status_code == 403
    client.force_login(make_user("operator"))
    assert client.get(reverse("appraisers:roster_export", args=["firms"])).status_code == 200
