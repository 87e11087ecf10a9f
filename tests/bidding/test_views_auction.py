"""The public auction page, the bidder's steps (register → deposit → password → bid), the HTTP
snapshot and the full history, as a visitor and a bidder see them."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from bidding import services
from bidding.models import AuctionState, Registration
from cases.models import Disclosure
from core import clock

from .engine_factories import (
    PASSWORD,
    YUAN,
    bid,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN


@pytest.fixture
def case_lot(court, judge, frozen_now):
    case, lot, _, _ = make_case(court, judge=judge)
    asset = lot.assets.get()
    Disclosure.objects.create(
        asset=asset,
        topic="possession",
        text="现由被执行人自住，无租赁。",
        recorded_by=judge,
        recorded_at=clock.now(),
    )
    return case, lot


@pytest.fixture
def auction(court, case_lot):
    a = make_live_auction(court, case_lot[1], start=START, increment=INC)
    a.announcement = "本院定于竞价期间在本平台公开拍卖下列标的物。"
    a.warnings_text = "竞买成功后悔拍的，交纳的保证金不予退还。"
    a.save(update_fields=["announcement", "warnings_text"])
    return a


def page(client, auction):
    return client.get(reverse("bidding:auction", args=[auction.pk]))


def config_of(response) -> dict:
    m = re.search(
        r'<script id="auction-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert m, "the page passes its data in a JSON element"
    return json.loads(m.group(1))


# --- the public page ---------------------------------------------------------------------------


def test_visitor_sees_the_live_part_announcement_and_disclosures_auc09(client, auction):
    r = page(client, auction)
    assert r.status_code == 200
    html = r.content.decode()
    for text in (
        auction.title,
        "进行中",
        "起拍价",
        "100,000.00",
        "下一口最低出价",
        "延时次数",
        "围观人数",
        "报名人数",
        "价格走势",
        "出价记录",
        "拍卖公告",
        auction.announcement,
        "占有使用及租赁情况",
        "现由被执行人自住，无租赁。",
        "保证金不予退还",
        "登录",
    ):
        assert text in html, text
    cfg = config_of(r)
    assert cfg["ws_path"] == f"/ws/auctions/{auction.pk}/"
    assert cfg["snapshot"]["state"] == "bidding" and cfg["can_bid"] is False
    assert cfg["labels"]["to_end"] == "距结束"


def test_the_script_joins_its_messages_with_the_pages_colon(client, auction):
    """Found in the demo: "Bid not accepted：…" with a Chinese colon on an English page."""
    assert config_of(page(client, auction))["labels"]["colon"] == "："
    client.cookies["django_language"] = "en"
    labels = config_of(page(client, auction))["labels"]
    assert (labels["rejected"], labels["colon"]) == ("Bid not accepted", ": ")


def test_page_runs_no_inline_script_under_the_csp(client, auction):
    r = page(client, auction)
    assert "script-src 'self'" in r["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>", r.content.decode())
    for attrs in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert any("core/vendor/echarts.min.js" in a for a in scripts)
    assert any("bidding/auction.js" in a for a in scripts)


def test_draft_auction_is_not_public(client, court, case_lot):
    draft = make_live_auction(court, case_lot[1], state=AuctionState.DRAFT)
    assert page(client, draft).status_code == 404
    assert client.get(reverse("bidding:auction_snapshot", args=[draft.pk])).status_code == 404


@pytest.mark.rule("AUC-25", entry="page")
@pytest.mark.rule("REC-05", entry="page")
def test_bid_history_shows_codes_amounts_and_beijing_times_not_people_auc25_rec05(client, auction):
    a, b = register_active(auction), register_active(auction)
    bid(auction, a, START)
    bid(auction, b, START + INC)
    html = page(client, auction).content.decode()
    assert a.bidder_code in html and b.bidder_code in html
    assert "101,000.00" in html
    local = dt.datetime.fromisoformat(
        services.Bid.objects.get(auction=auction, seq=2).at.isoformat()
    ).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%H:%M:%S") in html  # 北京时间
    full_html = client.get(reverse("bidding:auction_bids", args=[auction.pk])).content.decode()
    assert local.strftime("%Y-%m-%d %H:%M:%S") in full_html
    for reg in (a, b):
        assert reg.user.username not in html
        assert reg.identity is not None
        assert reg.identity.name not in html and reg.identity.number not in html
    full = client.get(reverse("bidding:auction_bids", args=[auction.pk]))
    assert full.status_code == 200 and "完整出价记录" in full.content.decode()
    data = client.get(reverse("bidding:auction_bids", args=[auction.pk]), {"format": "json"}).json()
    assert [row["seq"] for row in data["bids"]] == [1, 2]


def test_http_snapshot_for_resync(client, auction):
    reg = register_active(auction)
    bid(auction, reg, START)
    r = client.get(reverse("bidding:auction_snapshot", args=[auction.pk]))
    assert r.status_code == 200 and "no-cache" in r["Cache-Control"]
    snap = r.json()
    assert snap["type"] == "snapshot" and snap["seq"] == 1 and snap["price_fen"] == START
    assert snap["leader_code"] == reg.bidder_code and snap["next_min_bid_fen"] == START + INC
    assert snap["watchers"] == 0 and snap["registrant_count"] == 1
    assert isinstance(snap["server_ms"], int)
    assert reg.user.username not in r.content.decode()


def test_result_after_a_sale_names_the_winner_code_and_the_published_buyer_auc29(client, auction):
    winner, loser = register_active(auction), register_active(auction)
    bid(auction, loser, START)
    bid(auction, winner, START + INC)
    assert winner.identity is not None and loser.identity is not None
    before = page(client, auction).content.decode()
    assert winner.identity.name not in before  # REC-05 until the end
    clock.set_time(auction.end_at + dt.timedelta(seconds=1))
    assert services.auction_close_due() == [auction.pk]
    html = page(client, auction).content.decode()
    assert "竞价结果" in html and "成交" in html and winner.bidder_code in html
    assert winner.identity.name in html  # the confirmation names the buyer (AUC-29)
    assert loser.identity.name not in html  # never a loser (REC-05)
    assert "已成交" in html


def test_after_the_close_the_winner_is_sent_to_pay_the_balance_others_to_the_result_auc31(
    client, auction
):
    """Issue 13: the winner on the closed auction's page is told to pay the balance and led
    to it (AUC-31); the loser and visitors get the result page; before the close neither."""
    winner, loser = register_active(auction), register_active(auction)
    bid(auction, loser, START)
    bid(auction, winner, START + INC)
    result_url = reverse("marketplace:result", args=[auction.pk])
    client.force_login(winner.user)
    live = page(client, auction).content.decode()
    assert "支付成交余款" not in live and result_url not in live  # still bidding
    clock.set_time(auction.end_at + dt.timedelta(seconds=1))
    assert services.auction_close_due() == [auction.pk]
    html = page(client, auction).content.decode()
    assert 'id="i-won"' in html and "支付成交余款" in html
    assert f"{result_url}#my-balance" in html
    for viewer in (loser.user, None):
        if viewer is None:
            client.logout()
        else:
            client.force_login(viewer)
        other = page(client, auction).content.decode()
        assert "支付成交余款" not in other and 'id="i-won"' not in other
        assert result_url in other and "成交公示与完整出价记录" in other


# --- the bidder's steps ----------------------------------------------------------------------------


def test_bidder_registers_pays_the_deposit_sets_a_password_and_can_bid(client, auction):
    user = bidder_user()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    r = page(client, auction)
    assert "报名竞买" in r.content.decode() and "我已阅读拍卖公告" in r.content.decode()

    r = client.post(
        reverse("bidding:register", args=[auction.pk]), {"accept_terms": "on"}, follow=True
    )
    html = r.content.decode()
    assert "报名成功" in html and "交纳保证金" in html and "10,000.00" in html
    reg = Registration.objects.get(auction=auction, user=user)

    r = client.post(reverse("bidding:deposit", args=[auction.pk]))
    assert r.status_code == 302 and r["Location"].startswith("/settlement/")  # the payment page

    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    reg.refresh_from_db()
    html = page(client, auction).content.decode()
    assert reg.bidder_code in html and "设置竞价密码" in html

    r = client.post(
        reverse("bidding:password", args=[auction.pk]),
        {"password": PASSWORD, "password2": "other-1"},
        follow=True,
    )
    assert "两次输入的竞价密码不一致" in r.content.decode()
    r = client.post(
        reverse("bidding:password", args=[auction.pk]),
        {"password": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    html = r.content.decode()
    assert "竞价密码已设置" in html and 'id="bid-form"' in html
    cfg = config_of(r)
    assert cfg["can_bid"] is True and cfg["my_code"] == reg.bidder_code


def test_registration_without_accepting_the_terms_is_refused_in_chinese(client, auction):
    client.force_login(bidder_user(), backend="django.contrib.auth.backends.ModelBackend")
    r = client.post(reverse("bidding:register", args=[auction.pk]), {}, follow=True)
    assert "须阅读并接受竞买须知" in r.content.decode()
    assert not Registration.objects.filter(auction=auction).exists()


@pytest.mark.rule("AUC-17", entry="page")
def test_unverified_user_cannot_register_auc17(client, auction):
    from tests.conftest import make_user

    client.force_login(make_user("bidder"), backend="django.contrib.auth.backends.ModelBackend")
    r = client.post(
        reverse("bidding:register", args=[auction.pk]), {"accept_terms": "on"}, follow=True
    )
    assert "实名认证" in r.content.decode()


def test_bidder_steps_need_login(client, auction):
    r = client.post(reverse("bidding:register", args=[auction.pk]), {"accept_terms": "on"})
    assert r.status_code == 302 and "login" in r["Location"]


def test_page_is_readable_on_a_phone(client, auction):
    html = page(client, auction).content.decode()
    assert 'name="viewport"' in html and "width=device-width" in html
    assert "bidding/auction.css" in html


def test_announced_auction_shows_the_disclosure_pack_first_auc09(client, court, case_lot):
    announced = make_live_auction(
        court, case_lot[1], state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=20)
    )
    html = page(client, announced).content.decode()
    assert "预告中" in html
    # Before bidding the announcement tabs come before the bid box; once bidding runs, after it.
    assert html.index('id="lot-info"') < html.index('id="bid"')
    assert config_of(page(client, announced))["snapshot"]["state"] == "scheduled"
