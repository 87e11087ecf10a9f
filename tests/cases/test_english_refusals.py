"""Issue 17: a person who chose English gets refusals in English (cases/ and core/ messages).

The language comes from the ``django_language`` cookie, as the language switcher sets it; the
same request without it still gets the Chinese text.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_cases_api_refuses_a_bad_case_number_in_english(client, judge, frozen_now):
    client.force_login(judge)
    payload = {"number": "（2026）赣0102执0号", "claim_fen": 100, "filed_on": "2026-04-01"}
    resp = client.post("/api/cases/", payload, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["message"] == "案件序号应从 1 开始"
    client.cookies["django_language"] = "en"
    resp = client.post("/api/cases/", payload, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "invalid_case_number",
        "message": "Case sequence numbers start at 1",
    }


def test_the_cases_api_puts_values_into_the_english_sentence(client, judge, frozen_now):
    client.force_login(judge)
    client.cookies["django_language"] = "en"
    payload = {"number": "（2026）赣0103执1号", "claim_fen": 100, "filed_on": "2026-04-01"}
    body = client.post("/api/cases/", payload, content_type="application/json").json()
    assert body["code"] == "court_code_mismatch"
    assert "does not match this court's code" in body["message"]
    assert "赣0103" in body["message"] and "不一致" not in body["message"]


def test_the_new_case_page_refuses_a_civil_case_number_in_english(client, judge, frozen_now):
    client.force_login(judge)
    url = reverse("cases:case_new")
    data = {"number": "（2026）赣0102民初5号", "claim": "100", "filed_on": "2026-10-01"}
    assert "“民初”不是执行案件类型代字" in client.post(url, data).content.decode()
    client.cookies["django_language"] = "en"
    resp = client.post(url, data)
    html = resp.content.decode()
    assert resp.status_code == 200 and '<html lang="en">' in html
    assert "“民初” is not an enforcement case type; allowed: 执" in html
    assert "不是执行案件类型代字" not in html
