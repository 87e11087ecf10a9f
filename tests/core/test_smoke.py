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
