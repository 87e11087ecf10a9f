"""Listing search parameters: every bad value is a clear Chinese error with a stable code (issue 8)."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from core.errors import DomainError
from marketplace.filters import ListingQuery, normalise_region, parse_listing_query


def parse(qs: str) -> ListingQuery:
    return parse_listing_query(QueryDict(qs))


def test_an_empty_search_lists_everything_ending_soonest_first():
    q = parse("")
    assert q == ListingQuery()
    assert q.describe() == "全部拍品"


def test_a_full_search_is_parsed_into_checked_values():
    q = parse(
        "q=红谷滩&kind=residential&kind=vehicle&region=360102&price_min=100000&price_max=2,000,000.5"
        "&round=1&round=sale&state=live,upcoming&loan=1&restricted=0&sort=price_desc&page=3&per_page=50"
    )
    assert q.kinds == ("residential", "vehicle")
    assert q.region == "360102"
    assert (q.price_min_fen, q.price_max_fen) == (10_000_000, 200_000_050)
    assert q.rounds == ("1", "sale")
    assert q.states == ("live", "upcoming")
    assert (q.loan, q.restricted) == (True, False)
    assert (q.sort, q.page, q.per_page) == ("price_desc", 3, 50)
    assert parse_listing_query(q.as_params()) == ListingQuery(
        **{**q.to_dict(), "page": 1, "per_page": 20}
    )


@pytest.mark.parametrize(
    ("text", "prefix"),
    [("36", "36"), ("360000", "36"), ("3601", "3601"), ("360100", "3601"), ("360102", "360102")],
)
def test_a_region_is_a_division_code_prefix_down_to_the_district(text, prefix):
    assert normalise_region(text) == prefix


@pytest.mark.parametrize(
    ("qs", "code", "words"),
    [
        ("kind=castle", "invalid_kind", "标的物类型“castle”不存在"),
        ("region=36010", "invalid_region", "行政区划代码"),
        ("region=abc", "invalid_region", "行政区划代码"),
        ("region=000000", "invalid_region", "不能为 00"),
        ("price_min=abc", "invalid_price", "不是有效金额"),
        ("price_min=1.234", "invalid_price", "不是有效金额"),
        ("price_max=-5", "invalid_price", "不能为负数"),
        ("price_max=1e30", "invalid_price", "过大"),
        ("price_min=500&price_max=100", "invalid_price_range", "最低价不能高于最高价"),
        ("round=3", "invalid_round", "拍卖轮次“3”不存在"),
        ("state=sold-out", "invalid_state", "拍卖状态"),
        ("loan=maybe", "invalid_flag", "可贷款只能为 1"),
        ("restricted=2", "invalid_flag", "限购只能为 1"),
        ("sort=random", "invalid_sort", "排序方式“random”不存在"),
        ("page=0", "invalid_page", "页码必须是正整数"),
        ("page=-1", "invalid_page", "页码必须是正整数"),
        ("page=abc", "invalid_page", "页码必须是正整数"),
        ("page=99999999", "invalid_page", "页码不能超过"),
        ("per_page=7", "invalid_page", "每页条数只能为"),
        ("court=x", "invalid_court", "法院编号"),
    ],
)
def test_a_bad_value_is_refused_with_a_stable_code_and_a_chinese_message(qs, code, words):
    with pytest.raises(DomainError) as err:
        parse(qs)
    assert err.value.code == code
    assert err.value.status == 400
    assert words in str(err.value.message)


def test_a_description_reads_as_chinese():
    q = parse("kind=residential&region=3601&round=2&restricted=1&price_max=500000")
    assert q.describe() == "住宅 · 江西省南昌市 · 不限–500,000.00 元 · 二拍 · 限购"
