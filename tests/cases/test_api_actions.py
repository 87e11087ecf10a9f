"""The case page's work through the API (issue 13): its action table (status, claim) at
``/api/cases/{id}/actions/{name}``, an asset's correction and its files. REC-08 (every change
audited with old and new values and the reason) proven through this entry."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.models import AssetFile
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def act(user, case, action: str, **fields) -> tuple[int, dict]:
    r = client_of(user).post(
        f"/api/cases/{case.pk}/actions/{action}",
        json.dumps({"fields": fields}),
        content_type="application/json",
    )
    return r.status_code, r.json()


@pytest.mark.rule("REC-08", entry="api")
def test_rec08_a_claim_change_through_the_api_is_audited_a_negative_one_refused(case, judge):
    status, body = act(judge, case, "claim", claim_fen="-0.01", reason="x")
    assert status == 400 and body["code"] == "invalid_claim_amount"
    case.refresh_from_db()
    assert case.claim_fen == 123_456_78
    assert not AuditEntry.objects.filter(action="case.claim_changed").exists()
    status, body = act(judge, case, "claim", claim_fen="100.00", reason="更正申请执行标的")
    assert status == 200, body
    assert body["message"] == f"{case.number}：已更正申请执行标的"  # named (issue 13)
    case.refresh_from_db()
    assert case.claim_fen == 100_00
    entry = AuditEntry.objects.get(action="case.claim_changed")
    assert entry.actor == judge and entry.after == {"claim_fen": 100_00}
    assert entry.before == {"claim_fen": 123_456_78} and entry.reason == "更正申请执行标的"


def test_the_case_actions_are_listed_and_refused_to_others(case, judge, other_judge):
    r = client_of(judge).get(f"/api/cases/{case.pk}/actions")
    assert r.status_code == 200
    assert [a["name"] for a in r.json()] == ["status", "claim"]
    status, _body = act(other_judge, case, "claim", claim_fen="1.00", reason="x")
    assert status == 404  # another court's case stays unseen
    status, body = act(judge, case, "explode")
    assert (status, body["code"]) == (404, "unknown_action")


def test_an_asset_is_corrected_with_a_reason_and_gets_a_photo_through_the_api(flat, judge):
    c = client_of(judge)
    url = f"/api/cases/{flat.case_id}/assets/{flat.pk}"
    body = {
        "name": flat.name,
        "division_code": "360102",
        "address": flat.address,
        "features": {**flat.features, "area_m2": "90.10"},
        "reason": "",
    }
    r = c.put(url, json.dumps(body), content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = c.put(
        url,
        json.dumps({**body, "reason": "按不动产登记簿更正面积"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    flat.refresh_from_db()
    assert float(flat.features["area_m2"]) == 90.1
    photo = SimpleUploadedFile("front.png", PNG, content_type="image/png")
    r = c.post(f"{url}/files", {"kind": "photo", "title": "外观", "file": photo})
    assert r.status_code == 201, r.content
    assert AssetFile.objects.get(asset=flat).title == "外观"
