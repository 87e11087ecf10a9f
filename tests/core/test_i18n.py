"""zh-hans first, English on request: real .po/.mo files under locale/."""

import pytest
from django.utils import translation

from core.errors import DomainError
from core.rulesettings import setting_set

pytestmark = pytest.mark.django_db


def test_site_speaks_chinese_by_default_even_to_an_english_browser(client):
    resp = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = resp.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "Gavel 司法处置平台" in body and "登录" in body


def test_switching_to_english_shows_english_on_the_home_page(client, bidder):
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert "Gavel judicial property disposal" in body
    assert "Sign in" in body and "All times are Beijing time." in body
    assert "登录" not in body
    client.force_login(bidder)
    body = client.get("/").content.decode()
    assert f"Hello, {bidder.display_name} (Bidder)." in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "您好" in client.get("/").content.decode()


def test_refusals_are_translated_with_their_rule_id(court):
    with translation.override("en"), pytest.raises(DomainError) as exc:
        setting_set(key="bidding_min_hours", value=12, court=court, reason="x")
    assert str(exc.value.message) == "Setting bidding_min_hours may not be below 24 (AUC-22)"
    with pytest.raises(DomainError) as exc:
        setting_set(key="bidding_min_hours", value=12, court=court, reason="x")
    assert str(exc.value.message) == "参数 bidding_min_hours 不得低于 24（AUC-22）"
