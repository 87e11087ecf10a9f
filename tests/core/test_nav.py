"""The top bar shows each person the entries of their role, registered by the apps."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _nav_labels(client: Client) -> list[str]:
    html = client.get("/").content.decode()
    nav = re.search(r"<nav id=\"site-nav\"[^>]*>(.*?)</nav>", html, re.S)
    assert nav is not None, "the page has a <nav>"
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', nav.group(1))


def test_the_public_sees_the_auction_hall_and_sign_in_but_no_court_pages(client):
    labels = _nav_labels(client)
    assert "拍卖大厅" in labels and "登录" in labels
    assert "我的案件" not in labels and "执行款" not in labels


def test_a_judge_sees_cases_pricing_auctions_and_funds(client, judge):
    client.force_login(judge)
    labels = _nav_labels(client)
    for label in ("我的案件", "参考价", "网络拍卖", "执行款", "工作台"):
        assert label in labels


def test_a_bidder_sees_the_account_and_identity_but_not_the_court_side(client, bidder):
    client.force_login(bidder)
    labels = _nav_labels(client)
    # Issue 13: everyone has a workbench (their own duties: a balance to pay …).
    assert "我的账户" in labels and "实名认证" in labels and "工作台" in labels
    for label in ("我的案件", "执行款", "统计"):
        assert label not in labels
