"""The cases API: session auth, court scoping, parties see only their own case, stable errors."""

import datetime as dt

import pytest

from core.models import AccessLog, Deadline
from tests.cases.conftest import id_number
from tests.conftest import make_user

API = "/api/cases/"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def judge_client(client, judge):
    client.force_login(judge)
    return client


def case_payload(**kw):
    return {
        "number": "(2026)赣0102执321号",
        "claim_fen": 8_000_000,
        "filed_on": "2026-04-01",
        "title": "买卖合同纠纷",
        **kw,
    }


def test_a_judge_creates_a_case_and_is_its_judge_by_default(judge_client, judge, frozen_now):
    resp = post(judge_client, API, case_payload())
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["number"] == "（2026）赣0102执321号"
    assert body["case_type_label"] == "首次执行案件"
    assert body["judge"] == {"id": judge.pk, "name": str(judge)}
    assert [c["id"] for c in judge_client.get(API + "?mine=true").json()] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"claim_fen": -5}, 400, "invalid_claim_amount"),
        ({"claim_fen": "lots"}, 422, "invalid_input"),
        ({"claim_fen": 12.5}, 422, "invalid_input"),
        ({"claim_fen": "100"}, 422, "invalid_input"),
        ({"filed_on": "yesterday"}, 422, "invalid_input"),
        ({"number": "（2026）赣0102民初1号"}, 400, "invalid_case_number"),
        ({"number": "gibberish"}, 400, "invalid_case_number"),
        ({"number": "（2026）赣0103执1号"}, 400, "court_code_mismatch"),
        ({"judge_id": "abc"}, 422, "invalid_input"),
    ],
)
def test_bad_case_input_gets_a_4xx_with_a_stable_code(
    judge_client, frozen_now, payload, status, code
):
    resp = post(judge_client, API, case_payload(**payload))
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code
    assert resp.json()["message"]


def test_missing_fields_are_named(judge_client, frozen_now):
    resp = post(judge_client, API, {"number": "（2026）赣0102执1号"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "invalid_input"
    assert {f["field"] for f in body["data"]["fields"]} == {"claim_fen", "filed_on"}


def test_a_repeated_number_is_409(judge_client, case):
    resp = post(judge_client, API, case_payload(number=case.number, filed_on="2026-03-02"))
    assert (resp.status_code, resp.json()["code"]) == (409, "case_number_taken")


def test_signed_out_callers_get_401(client, case):
    resp = client.get(API)
    assert (resp.status_code, resp.json()["code"]) == (401, "not_authenticated")
    assert client.get(f"{API}{case.pk}").status_code == 401


def test_staff_of_another_court_cannot_see_or_touch_the_case(client, case, flat, other_judge):
    client.force_login(other_judge)
    assert client.get(API).json() == []
    for url in (
        f"{API}{case.pk}",
        f"{API}{case.pk}/parties",
        f"{API}{case.pk}/assets",
        f"{API}{case.pk}/assets/{flat.pk}",
        f"{API}{case.pk}/deadlines",
        f"{API}{case.pk}/history",
    ):
        resp = client.get(url)
        assert (resp.status_code, resp.json()["code"]) == (404, "case_not_found"), url
    resp = post(
        client, f"{API}{case.pk}/assets/{flat.pk}/disclosures", {"topic": "title", "text": "x"}
    )
    assert resp.status_code == 404
    assert not flat.disclosures.exists()


def test_a_party_sees_only_their_own_case_and_cannot_change_it(
    client, case, flat, debtor_party, court, judge
):
    from cases.services import case_create

    other = case_create(
        court=court,
        number="（2026）赣0102执999号",
        claim_fen=1,
        filed_on=dt.date(2026, 3, 2),
        actor=judge,
    )
    client.force_login(debtor_party.user)
    assert [c["id"] for c in client.get(API).json()] == [case.pk]
    assert client.get(f"{API}{case.pk}").status_code == 200
    assert client.get(f"{API}{other.pk}").status_code == 404
    resp = post(
        client, f"{API}{case.pk}/assets/{flat.pk}/disclosures", {"topic": "title", "text": "x"}
    )
    assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    assert client.get(f"{API}{case.pk}/history").status_code == 403
    parties = client.get(f"{API}{case.pk}/parties").json()
    assert parties[0]["identity_number_masked"] == debtor_party.identity.masked_number
    assert debtor_party.identity.number not in str(parties)


def test_finance_reads_but_does_not_change(client, case, flat, finance):
    client.force_login(finance)
    assert client.get(f"{API}{case.pk}/assets").status_code == 200
    resp = post(
        client,
        f"{API}{case.pk}/assets/{flat.pk}/seizures",
        {"kind": "seal", "seized_on": "2026-10-20", "document": "裁定"},
    )
    assert resp.status_code == 403


@pytest.mark.rule("PRC-01", entry="api")
def test_judge_records_a_disclosure_and_a_seizure_and_sees_the_deadline(
    judge_client, case, flat, frozen_now
):
    url = f"{API}{case.pk}/assets/{flat.pk}"
    resp = post(
        judge_client,
        url + "/disclosures",
        {"topic": "encumbrances", "text": "设有抵押权，抵押权人示例银行"},
    )
    assert resp.status_code == 201 and resp.json()["current"] is True
    resp = post(
        judge_client,
        url + "/seizures",
        {"kind": "seal", "seized_on": "2026-10-20", "document": "（2026）赣0102执100号之一"},
    )
    assert resp.status_code == 201, resp.content
    deadline = resp.json()["pricing_deadline"]
    assert deadline["rule_id"] == "PRC-01" and deadline["due_at"].startswith("2026-11-19T15:59:59")
    asset = judge_client.get(url).json()
    assert asset["disclosures"]["encumbrances"]["text"].startswith("设有抵押权")
    assert "encumbrances" not in asset["missing_disclosures"]
    assert asset["seizures"][0]["pricing_deadline"]["id"] == deadline["id"]
    deadlines = judge_client.get(f"{API}{case.pk}/deadlines").json()
    assert [d["rule_id"] for d in deadlines] == ["PRC-01"]
    history = judge_client.get(f"{API}{case.pk}/history").json()
    assert {"disclosure.recorded", "seizure.recorded", "deadline.opened"} <= {
        h["action"] for h in history
    }


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"kind": "seal", "seized_on": "2026-10-20"}, 422, "invalid_input"),
        ({"kind": "seal", "seized_on": "not a date", "document": "x"}, 422, "invalid_input"),
        (
            {"kind": "freeze", "seized_on": "2026-10-20", "document": "x"},
            400,
            "seizure_kind_mismatch",
        ),
        ({"kind": "seal", "seized_on": "2027-01-01", "document": "x"}, 400, "seized_in_future"),
    ],
)
def test_bad_seizures_are_refused(judge_client, case, flat, frozen_now, payload, status, code):
    resp = post(judge_client, f"{API}{case.pk}/assets/{flat.pk}/seizures", payload)
    assert (resp.status_code, resp.json()["code"]) == (status, code)
    assert not Deadline.objects.exists()


@pytest.mark.parametrize(
    ("features", "code"),
    [
        ({"area_m2": -3, "rooms": 2, "floor": 1, "year_built": 2000}, "invalid_feature"),
        ({"rooms": 2, "floor": 1, "year_built": 2000}, "feature_required"),
        ({"area_m2": 60, "rooms": "two", "floor": 1, "year_built": 2000}, "invalid_feature"),
    ],
)
def test_assets_with_bad_features_are_refused(judge_client, case, features, code):
    resp = post(
        judge_client,
        f"{API}{case.pk}/assets",
        {
            "kind": "residential",
            "name": "住宅",
            "division_code": "360102",
            "address": "示例路",
            "features": features,
        },
    )
    assert (resp.status_code, resp.json()["code"]) == (400, code)


def test_assets_parties_and_lots_through_the_api(judge_client, case):
    resp = post(
        judge_client,
        f"{API}{case.pk}/assets",
        {
            "kind": "vehicle",
            "name": "轿车",
            "division_code": "360102",
            "features": {"make": "示例", "model": "A1", "year": 2019, "mileage_km": 32000},
        },
    )
    assert resp.status_code == 201, resp.content
    car = resp.json()
    assert car["features"]["mileage_km"] == 32000 and car["is_immovable"] is False
    resp = post(
        judge_client,
        f"{API}{case.pk}/parties",
        {
            "role": "creditor",
            "kind": "organisation",
            "name": "示例银行",
            "identity_kind": "uscc",
            "identity_number": "91350100M000100Y43",
            "claim_fen": 100,
            "priority": 1,
        },
    )
    assert resp.status_code == 201 and resp.json()["identity_number_masked"] == "913***********0Y43"
    resp = post(
        judge_client,
        f"{API}{case.pk}/parties",
        {"role": "creditor", "kind": "person", "name": "某", "claim_fen": -1},
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_claim_amount")
    resp = post(
        judge_client, f"{API}{case.pk}/lots", {"title": "轿车一辆", "asset_ids": [car["id"]]}
    )
    assert resp.status_code == 201 and resp.json()["asset_ids"] == [car["id"]]
    assert len(judge_client.get(f"{API}{case.pk}/lots").json()) == 1


def test_reveal_through_the_api_is_logged(client, case, debtor_party, officer):
    client.force_login(officer)
    url = f"{API}{case.pk}/parties/{debtor_party.pk}/identity/reveal"
    resp = post(client, url, {"purpose": "办理不动产登记协助"})
    assert resp.status_code == 200 and resp.json()["number"] == debtor_party.identity.number
    assert AccessLog.objects.get().purpose == "办理不动产登记协助"
    client.force_login(debtor_party.user)
    assert post(client, url, {"purpose": "看看"}).status_code == 403
    assert AccessLog.objects.count() == 1


def test_identity_submit_and_status(client, bidder, frozen_now):
    client.force_login(bidder)
    assert client.get(API + "identity").json() == {"verified": None, "identities": []}
    number = id_number("36010219900307251")
    resp = post(client, API + "identity", {"kind": "resident_id", "number": number, "name": "赵六"})
    assert resp.status_code == 200 and resp.json()["status"] == "verified"
    status = client.get(API + "identity").json()
    assert status["verified"]["number_masked"] == number[:3] + "*" * 11 + number[-4:]
    assert number not in str(status)
    resp = post(
        client,
        API + "identity",
        {"kind": "resident_id", "number": number[:-1] + "Y", "name": "赵六"},
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_identity_number")


def test_number_parse_endpoint(client, bidder):
    client.force_login(bidder)
    resp = client.get(API + "numbers/parse", {"number": "(2026)赣01执保8号"})
    assert (
        resp.json()["number"] == "（2026）赣01执保8号"
        and resp.json()["case_type_label"] == "财产保全执行案件"
    )
    resp = client.get(API + "numbers/parse", {"number": "（2026）赣01刑初8号"})
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_case_number")


def test_the_openapi_schema_documents_the_cases_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert "/api/cases/" in paths
    assert "/api/cases/{case_id}/assets/{asset_id}/seizures" in paths
    assert "/api/cases/identity" in paths


def test_a_bidder_with_no_case_sees_an_empty_list(client, case):
    client.force_login(make_user("bidder"))
    assert client.get(API).json() == []
