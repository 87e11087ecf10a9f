"""Security basics for a level-3 protected system (REC-14): lockout after repeated failed
sign-ins (django-axes), TOTP for court staff (django-otp), CSRF, a content security policy,
session expiry, an Origin check on websockets, per-user rate limits on writes."""

import datetime as dt

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock
from core.ratelimit import RateLimited, check_write_rate
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, user, password=PASSWORD):
    return client.post(LOGIN, {"username": user.username, "password": password})


def test_repeated_failed_sign_ins_lock_the_account(client, bidder, settings):
    """After AXES_FAILURE_LIMIT (5) wrong passwords even the right one is refused."""
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        resp = sign_in(client, bidder, "wrong-password")
        assert resp.status_code == 200 and "_auth_user_id" not in client.session
    resp = sign_in(client, bidder, "wrong-password")
    assert "账户已临时锁定" in resp.content.decode()
    resp = sign_in(client, bidder)
    assert resp.status_code == 429
    assert "账户已临时锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_chinese_error_and_right_one_signs_in(client, bidder):
    resp = sign_in(client, bidder, "nope")
    assert "请输入一个正确的" in resp.content.decode()  # Django's own zh-hans message
    resp = sign_in(client, bidder)
    assert resp.status_code == 302
    assert client.get("/").context["user"] == bidder


def _device(user, confirmed=True):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


def _token(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_staff_must_pass_totp_before_using_the_site(client, judge, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = True
    device = _device(judge)
    assert sign_in(client, judge).status_code == 302
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and resp.url == "/accounts/otp/?next=%2Finbox%2F"
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 403 and resp.json()["code"] == "otp_required"

    resp = client.post("/accounts/otp/?next=/inbox/", {"token": _token(device)})
    assert resp.status_code == 302 and resp.url == "/inbox/"
    assert client.get("/inbox/").status_code == 200


def test_wrong_totp_code_is_refused(client, judge, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = True
    device = _device(judge)
    sign_in(client, judge)
    wrong = f"{(int(_token(device)) + 1) % 1_000_000:06d}"
    resp = client.post("/accounts/otp/", {"token": wrong})
    assert resp.status_code == 200 and "动态验证码错误" in resp.content.decode()
    assert client.get("/inbox/").status_code == 302


@pytest.mark.rule("REC-14", entry="page")
def test_staff_without_device_cannot_bind_one_with_the_password_alone(client, officer, settings):
    """REC-14 (issue 15 item 5): signing in with the password never binds a second factor;
    only the operator's one-time enrolment link does (tests/core/test_onboarding.py)."""
    settings.GAVEL_STAFF_2FA_REQUIRED = True
    sign_in(client, officer)
    resp = client.get("/accounts/otp/")
    assert resp.status_code == 403
    assert "只能通过平台运营人员发给您的一次性启用链接绑定" in resp.content.decode()
    assert client.post("/accounts/otp/setup/", {"token": "123456"}).status_code == 404
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert client.get("/inbox/").status_code == 302


def test_bidders_are_not_asked_for_a_second_factor(client, bidder, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = True
    sign_in(client, bidder)
    assert client.get("/inbox/").status_code == 200


def test_csrf_is_enforced_on_sign_in(bidder):
    strict = Client(enforce_csrf_checks=True)
    resp = strict.post(LOGIN, {"username": bidder.username, "password": PASSWORD})
    assert resp.status_code == 403


def test_pages_carry_a_content_security_policy(client):
    resp = client.get("/")
    policy = resp["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_session_expires_after_thirty_idle_minutes(client, bidder, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    sign_in(client, bidder)
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)
    assert client.get("/inbox/").status_code == 200
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and resp.url.startswith("/accounts/login/")


def test_writes_are_rate_limited_per_user(bidder, settings):
    import uuid

    settings.RATELIMIT_ENABLE = True
    group = f"test-{uuid.uuid4()}"
    request = RequestFactory().post("/x")
    request.user = bidder
    check_write_rate(request, group, "2/m")
    check_write_rate(request, group, "2/m")
    with pytest.raises(RateLimited) as exc:
        check_write_rate(request, group, "2/m")
    assert exc.value.status == 429 and exc.value.code == "rate_limited"


async def test_websocket_from_a_foreign_origin_is_refused():
    from config.asgi import application

    comm = WebsocketCommunicator(
        application, "/ws/ping/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await comm.connect()
    assert not connected
    comm = WebsocketCommunicator(application, "/ws/ping/")  # no Origin at all
    connected, _ = await comm.connect()
    assert not connected


async def test_websocket_from_the_site_answers_the_server_time():
    from config.asgi import application

    clock.set_time(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))
    comm = WebsocketCommunicator(
        application, "/ws/ping/", headers=[(b"origin", b"http://127.0.0.1:8000")]
    )
    connected, _ = await comm.connect()
    assert connected
    hello = await comm.receive_json_from()
    assert hello == {
        "type": "hello",
        "server_time": "2026-11-02T01:00:00+00:00",
        "server_ms": 1_793_581_200_000,
    }
    await comm.send_json_to({"client_ms": 123})
    pong = await comm.receive_json_from()
    assert pong["type"] == "pong" and pong["client_ms"] == 123
    await comm.disconnect()


def test_lockout_is_per_username_and_ip_together(client, bidder, settings):
    """Five bad passwords on one account lock that account from that IP, not every account
    behind the IP (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]])."""
    other = make_user("bidder")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, bidder, "wrong-password")
    assert sign_in(client, bidder).status_code == 429
    resp = sign_in(Client(), other)  # same IP (127.0.0.1), another account
    assert resp.status_code == 302


def test_production_https_settings_reach_the_response(client, bidder, settings):
    """With the DEBUG-off defaults (tests/core/test_settings.py): plain HTTP is redirected,
    HTTPS answers with HSTS for a year and subdomains, and both cookies are Secure."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"] is True
    signed_in = client.post(
        "/accounts/login/", {"username": bidder.username, "password": PASSWORD}, secure=True
    )
    assert signed_in.status_code == 302
    assert signed_in.cookies["sessionid"]["secure"] is True
