"""Issue 17: a person who chose English gets the appraisal refusals in English.

The language comes from the ``django_language`` cookie, as the language switcher sets it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.appraisers.conftest import (
    current_commission,
    firm_user_for,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


def test_the_fee_api_refuses_a_non_firm_user_in_english(client, bidder):
    client.force_login(bidder)
    resp = client.get("/api/appraisers/fees")
    assert resp.status_code == 403 and resp.json()["message"] == "您不是评估机构用户"
    client.cookies["django_language"] = "en"
    resp = client.get("/api/appraisers/fees")
    assert resp.status_code == 403
    assert resp.json() == {
        "code": "not_firm_user",
        "message": "You are not an appraiser's user",
    }


def test_another_firm_accepting_a_commission_is_refused_in_english(client, setup):
    req = start_request(setup)
    run_public_draw(setup, req)
    c = current_commission(req)
    other = next(f for f in setup["firms"] if f.pk != c.firm_id)
    client.force_login(firm_user_for(other))
    url = f"/api/appraisers/commissions/{c.pk}/accept"
    assert client.post(url).json()["message"] == "无权执行此操作"
    client.cookies["django_language"] = "en"
    resp = client.post(url)
    assert resp.status_code == 403
    assert resp.json()["message"] == "You may not do this"
    page = client.get(reverse("appraisers:firm_commission", args=[c.pk]))
    html = page.content.decode()
    assert page.status_code == 403 and "You may not do this" in html
    assert "无权执行此操作" not in html
