"""No 500 on bad input (issue 15 item 7): every input is checked before the database
(``core.validation``, ``core.middleware.InputGuardMiddleware``, ``core.api_errors.GuardedParser``,
``core.forms``). Each case below answered 500 on PostgreSQL before the fix; the API answers
``{"code","message"[,"rule"]}`` and a page shows ``core/refused.html``."""

import json

import pytest
from django import forms as django_forms
from django.test import Client

from bidding.models import Auction
from core.errors import DomainError
from core.forms import Form, TextField, YuanField
from core.validation import BIGINT_MAX, check_instance
from tests.factories import AuctionFactory, CaseFactory

pytestmark = pytest.mark.django_db

CASE = {"number": "（2026）赣0102执1234号", "claim_fen": 100, "filed_on": "2026-10-01"}


def _client(user=None):
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user)
    return c


def _post(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


def _code(resp, status):
    assert resp.status_code == status, resp.content[:300]
    body = resp.json()
    assert set(body) <= {"code", "message", "rule", "data"} and body["message"]
    return body["code"]


@pytest.mark.parametrize("url", ["/marketplace/?q=%00", "/marketplace/?q=a%00b&kind=x", "/"])
def test_nul_in_an_anonymous_search_is_400_not_500(url):
    resp = _client().get(url)
    if url == "/":
        assert resp.status_code == 200
    else:
        assert resp.status_code == 400
        assert "含有不能保存的字符" in resp.content.decode()


def test_nul_in_an_api_query_is_400_with_the_api_shape():
    assert _code(_client().get("/api/marketplace/auctions?q=%00"), 400) == "invalid_text"


def test_nul_in_a_staff_search_page_is_400(judge):
    assert _client(judge).get("/cases/?q=%00").status_code == 400


def test_nul_in_a_posted_form_field_is_400(bidder):
    resp = _client(bidder).post("/marketplace/practice/start/", {"scenario": "basic\x00"})
    assert resp.status_code == 400
    assert not Auction.objects.filter(practice_owner=bidder).exists()


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"title": "a\x00b"}, "invalid_text"),
        ({"title_document": "\ud800"}, "invalid_text"),  # a lone surrogate
        ({"claim_fen": 10**20}, "number_out_of_range"),  # past bigint
        ({"claim_fen": -(10**20)}, "number_out_of_range"),
    ],
)
def test_case_api_refuses_unstorable_input(judge, extra, code):
    body = json.dumps({**CASE, **extra})  # json.dumps escapes the surrogate as \\ud800
    resp = _client(judge).post("/api/cases/", data=body, content_type="application/json")
    assert _code(resp, 400) == code


def test_a_lone_surrogate_in_a_party_name_is_400(judge, court):
    case = CaseFactory.create(court=court, judge=judge)
    body = {"role": "creditor", "kind": "person", "name": "张\ud800三"}
    resp = _post(_client(judge), f"/api/cases/{case.pk}/parties", body)
    assert _code(resp, 400) == "invalid_text"


def test_nested_payload_strings_are_checked_too(bidder):
    resp = _post(_client(bidder), "/api/bidding/practice", {"title": ["ok", {"x": "\x00"}]})
    assert resp.status_code in (400, 422) and resp.status_code != 500


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"starting_price_fen": 10**20}, "number_out_of_range"),
        ({"starting_price_fen": 2**62}, "invalid_amount"),
        ({"increment_fen": 0}, "invalid_amount"),  # an increment > 0
        ({"starting_price_fen": 0}, "invalid_amount"),
        ({"increment_fen": -5}, "invalid_amount"),
        ({"title": "长" * 201}, "text_too_long"),  # Auction.title is varchar(200)
    ],
)
def test_practice_start_refuses_bad_numbers_and_text(bidder, body, code):
    assert _code(_post(_client(bidder), "/api/bidding/practice", body), 400) == code
    assert not Auction.objects.filter(practice_owner=bidder).exists()


def test_practice_auctions_are_limited_per_person(bidder, settings):
    settings.GAVEL_PRACTICE_MAX_ACTIVE = 2
    c = _client(bidder)
    assert _post(c, "/api/bidding/practice", {}).status_code == 200
    assert _post(c, "/api/bidding/practice", {}).status_code == 200
    assert _code(_post(c, "/api/bidding/practice", {}), 400) == "practice_limit"
    assert Auction.objects.filter(practice_owner=bidder).count() == 2


def test_publishing_a_practice_auction_is_409(bidder):
    c = _client(bidder)
    pid = _post(c, "/api/bidding/practice", {}).json()["id"]
    resp = _post(c, f"/api/bidding/court/auctions/{pid}/publish", {})
    assert _code(resp, 409) == "not_a_draft"


def test_publishing_a_published_auction_is_409(judge, court):
    auction = AuctionFactory.create(lot__case__court=court)
    resp = _post(_client(judge), f"/api/bidding/court/auctions/{auction.pk}/publish", {})
    assert _code(resp, 409) == "not_a_draft"


def test_registering_on_a_missing_auction_is_404(bidder):
    resp = _post(
        _client(bidder), "/api/bidding/auctions/987654/registration", {"accept_terms": True}
    )
    assert _code(resp, 404) == "auction_not_found"


def test_resuming_a_missing_auction_is_404(judge):
    body = {
        "reason": "复查",
        "start_at": "2026-11-05T10:00:00+08:00",
        "end_at": "2026-11-06T10:00:00+08:00",
    }
    resp = _post(_client(judge), "/api/bidding/court/auctions/987654/resume", body)
    assert _code(resp, 404) == "auction_not_found"


@pytest.mark.parametrize(
    "dates", ["from=0001-01-01&to=9999-12-31", "from=0001-01-01", "to=9999-12-31"]
)
def test_statistics_over_the_years_0001_to_9999_is_400(judge, dates):
    c = _client(judge)
    assert _code(c.get(f"/api/marketplace/statistics?{dates}"), 400) == "invalid_date"
    resp = c.get(f"/marketplace/court/statistics/?{dates}")
    assert resp.status_code in (200, 400)  # the page shows the refusal
    assert "1990" in resp.content.decode()


def test_a_50_mb_body_is_413(bidder):
    big = b"x" * (50 * 1024 * 1024)
    c = _client(bidder)
    resp = c.post("/api/bidding/practice", data=big, content_type="application/json")
    assert _code(resp, 413) == "request_too_large"
    resp = c.post(
        "/marketplace/practice/start/", data=big, content_type="application/x-www-form-urlencoded"
    )
    assert resp.status_code == 413 and "提交的内容过大" in resp.content.decode()


def test_an_unreadable_json_body_is_400_with_the_api_shape(bidder):
    resp = _client(bidder).post(
        "/api/bidding/practice", data=b"{nope", content_type="application/json"
    )
    assert _code(resp, 400) == "bad_request"


# ---- the shared layer ---------------------------------------------------------------------------


def test_every_model_save_checks_lengths_and_ranges(bidder):
    """The floor under every entry (admin, websocket, worker): the model's own limits."""
    auction = Auction(title="x" * 201, starting_price_fen=1, increment_fen=1, deposit_fen=0)
    with pytest.raises(DomainError) as exc:
        check_instance(auction)
    assert exc.value.code == "text_too_long" and exc.value.data["max_length"] == 200
    assert exc.value.data["field"] == "标题"  # the field named (looked up only for the error)
    auction.title = "ok"
    auction.starting_price_fen = BIGINT_MAX + 1
    with pytest.raises(DomainError) as exc:
        auction.save()
    assert exc.value.code == "number_out_of_range" and exc.value.data["field"] == "起拍价（分）"
    auction.starting_price_fen = 1
    auction.setting_overrides = {"note": ["ok", "a\ud800"]}
    with pytest.raises(DomainError) as exc:
        check_instance(auction)
    assert exc.value.code == "invalid_text" and exc.value.data["field"] == "本场参数.note[1]"
    auction.setting_overrides = {"note": ["ok"], "n": 10**30}  # a JSON number is not a column
    check_instance(auction)
    bidder.display_name = "a\x00"
    with pytest.raises(DomainError) as exc:
        bidder.save()
    assert exc.value.code == "invalid_text" and exc.value.data["field"] == "姓名"


def test_form_text_fields_refuse_nul_and_lone_surrogates_and_huge_amounts():
    class F(Form):
        note = TextField()
        name = django_forms.CharField(required=False)
        amount = YuanField(required=False)

    for data in ({"note": "a\ud800"}, {"name": "\udfff"}, {"note": "\x00"}, {"amount": "1e30"}):
        form = F(data)
        assert not form.is_valid(), data
    assert F({"note": "正常", "name": "张三", "amount": "1,234.50"}).is_valid()


@pytest.mark.parametrize(
    "url",
    [
        "/bidding/auctions/99999999999999999999/",
        "/marketplace/auctions/99999999999999999999/",
        "/api/bidding/auctions/99999999999999999999",
        "/api/cases/99999999999999999999",
    ],
)
def test_an_id_past_bigint_in_a_path_is_404(judge, url):
    resp = _client(judge).get(url)
    assert resp.status_code == 404, resp.content[:200]
