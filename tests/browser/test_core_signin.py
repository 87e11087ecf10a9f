"""A person signs in through the login page of the real server and sees the Chinese site."""

import re

from playwright.sync_api import expect

from tests.conftest import make_user


def test_user_signs_in_and_sees_their_name_in_chinese(page, sign_in, screenshot, page_errors):
    user = make_user("bidder", display_name="张三丰")
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Gavel 司法处置平台")
    sign_in(page, user)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".who")).to_have_text("张三丰（竞买人）")
    expect(page.locator("main")).to_contain_text("您好，张三丰（竞买人）。")
    path = screenshot(page, "signed-in")
    assert path.stat().st_size > 0
    assert page_errors == []


def test_wrong_password_is_refused_in_chinese(page, sign_in):
    user = make_user("bidder", display_name="李四")
    sign_in(page, user, password="wrong-password")
    expect(page.locator(".errorlist")).to_contain_text("请输入一个正确的")
    expect(page.locator(".who")).to_have_count(0)


def test_websocket_ping_answers_the_server_clock(page, channels_live_server):
    """The page's origin passes the websocket Origin check; the answer is the server's clock,
    which the test controls."""
    import datetime as dt

    channels_live_server.set_time(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    page.goto("/")
    hello = page.evaluate(
        """(url) => new Promise((resolve, reject) => {
             const ws = new WebSocket(url);
             ws.onmessage = (e) => { resolve(JSON.parse(e.data)); ws.close(); };
             ws.onerror = () => reject(new Error("websocket refused"));
           })""",
        channels_live_server.ws_url + "/ws/ping/",
    )
    assert hello["type"] == "hello"
    assert hello["server_time"] == "2026-11-02T01:00:00+00:00"
