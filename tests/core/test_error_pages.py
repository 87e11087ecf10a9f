"""Refusals and missing pages are pages of the site, in the person's language, saying why."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import override_settings
from django.urls import path

from core.errors import Conflict, DomainError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def _refuse(exc: Exception):
    def view(request: HttpRequest):
        raise exc

    return view


urlpatterns = [
    path(
        "t/domain/",
        _refuse(DomainError("bad_input", "保证金须为起拍价的 5% 至 20%", rule="AUC-16")),
    ),
    path("t/forbidden/", _refuse(PermissionDenied("forbidden", "只有本院财务人员可以收款"))),
    path("t/missing/", _refuse(NotFound("unknown_case", "案件不存在"))),
    path("t/conflict/", _refuse(Conflict("state", "该拍卖已结束"))),
    path("api/t/", _refuse(DomainError("bad_input", "x"))),
]
urlpatterns += __import__("config.urls", fromlist=["urlpatterns"]).urlpatterns


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/t/domain/", 400, ["请求有误", "保证金须为起拍价的 5% 至 20%", "AUC-16"]),
        ("/t/forbidden/", 403, ["无权访问", "只有本院财务人员可以收款"]),
        ("/t/missing/", 404, ["页面不存在", "案件不存在"]),
        ("/t/conflict/", 409, ["请求有误", "该拍卖已结束"]),
    ],
)
def test_a_refusal_escaping_a_page_is_a_page_with_its_message_not_a_500(
    client, judge, url, status, words
):
    client.force_login(judge)
    resp = client.get(url)
    text = resp.content.decode()
    assert resp.status_code == status
    assert all(w in text for w in words) and "Gavel" in text  # the site's layout


def test_an_unknown_page_is_the_sites_404_in_chinese_and_in_english(client):
    resp = client.get("/no/such/page/")
    assert resp.status_code == 404 and "页面不存在" in resp.content.decode()
    client.cookies["django_language"] = "en"
    resp = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 404 and "Page not found" in resp.content.decode()


def test_a_django_permission_denied_is_the_sites_403_with_the_reason(client, finance):
    client.force_login(finance)  # finance does not file cases
    resp = client.get("/cases/new/")
    assert resp.status_code == 403
    text = resp.content.decode()
    assert "无权访问" in text and "无权立案登记" in text and "<header" in text
