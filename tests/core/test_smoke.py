"""The site answers in Chinese and a person can sign in."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_speaks_chinese(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "司法处置平台" in resp.content.decode()


def test_bidder_signs_in_with_password(client, bidder):
    resp = client.post(
        reverse("core:login"), {"username": bidder.username, "password": "pw-for-tests-2026"}
    )
    assert resp.status_code == 302
    assert client.get("/").context["user"] == bidder


def test_domain_error_carries_code_message_and_rule_for_the_api():
    from core.errors import Conflict, DomainError

    err = DomainError("deposit_out_of_range", "保证金应为起拍价的5%至20%", rule="AUC-16")
    assert err.as_dict() == {
        "code": "deposit_out_of_range",
        "message": "保证金应为起拍价的5%至20%",
        "rule": "AUC-16",
    }
    assert err.status == 400
    positional = Conflict("not_suspended", "拍卖未处于暂缓或中止状态", "AUC-40")
    assert positional.rule == "AUC-40" and positional.status == 409
