"""Sign-up for bidders and parties (issue 13): address → one-time code through the outbox →
password and the platform terms → signed in → real-name verification → back to ``next``.
Refusals: no account enumeration, limits per address and per IP, expired/used/wrong codes."""

import datetime as dt
import re

import pytest

from core import clock
from core.models import AuditEntry, OutboxMessage, Role, SignupCode, User
from core.notifications import deliver_pending
from core.notifications.channels import ConsoleSMS
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
GOOD_PASSWORD = "Qiao-Mu-2026!"


def _start(client, address=PHONE, next_url="", ip="10.0.0.1"):
    data = {"address": address}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/signup/", data, REMOTE_ADDR=ip)


def _code_sent_to(address):
    msg = OutboxMessage.objects.filter(address=address).order_by("-pk").first()
    assert msg is not None
    found = re.search(r"\b(\d{6})\b", msg.body)
    return found.group(1) if found else None


def _account(client, **over):
    data = {
        "display_name": "钱竞买",
        "role": "bidder",
        "password": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "accept_terms": "on",
        **over,
    }
    return client.post("/accounts/signup/account/", data)


def test_a_visitor_signs_up_with_a_mobile_number_and_goes_on_to_verification(client):
    resp = _start(client, "+86 139-1234-5678", next_url="/bidding/auctions/7/")
    assert resp.status_code == 302 and resp.url == "/accounts/signup/code/"
    msg = OutboxMessage.objects.get(address=PHONE)
    assert msg.channel == "sms" and msg.recipient is None and msg.topic == "account.signup"
    # The worker delivers it through the SMS channel (the console one in tests).
    ConsoleSMS.sent.clear()
    deliver_pending()
    assert ConsoleSMS.sent and ConsoleSMS.sent[0][0] == PHONE
    code = _code_sent_to(PHONE)
    assert code and code not in SignupCode.objects.get().code_hash  # stored hashed
    resp = client.post("/accounts/signup/code/", {"code": code})
    assert resp.status_code == 302 and resp.url == "/accounts/signup/account/"
    resp = _account(client)
    assert resp.status_code == 302
    assert resp.url == "/cases/identity/?next=%2Fbidding%2Fauctions%2F7%2F"
    user = User.objects.get(username=PHONE)
    assert user.role == Role.BIDDER and user.phone == PHONE and user.check_password(GOOD_PASSWORD)
    assert client.get("/").context["user"] == user
    entry = AuditEntry.objects.get(action="account.signed_up")
    assert (
        entry.after is not None
        and entry.after["terms_version"]
        and entry.subject == f"user:{user.pk}"
    )


def test_after_verification_the_identity_page_goes_back_to_next(client):
    _start(client, next_url="/bidding/auctions/7/")
    client.post("/accounts/signup/code/", {"code": _code_sent_to(PHONE)})
    _account(client)
    resp = client.post(
        "/cases/identity/",
        {
            "kind": "resident_id",
            "number": "11010519491231002X",
            "name": "钱竞买",
            "next": "/bidding/auctions/7/",
        },
    )
    assert resp.status_code == 302 and resp.url == "/bidding/auctions/7/"


def test_a_next_to_another_site_is_dropped(client):
    _start(client, next_url="https://evil.example/steal")
    client.post("/accounts/signup/code/", {"code": _code_sent_to(PHONE)})
    resp = _account(client)
    assert resp.url == "/cases/identity/"


def test_sign_up_by_email(client):
    _start(client, "Ming.Li@Example.com")
    msg = OutboxMessage.objects.get(address="ming.li@example.com")
    assert msg.channel == "email"
    client.post("/accounts/signup/code/", {"code": _code_sent_to("ming.li@example.com")})
    _account(client, role="party")
    user = User.objects.get(username="ming.li@example.com")
    assert user.email == "ming.li@example.com" and user.role == Role.PARTY


def test_a_registered_number_gets_a_notice_and_the_same_answer(client):
    """No account enumeration: same redirect, same page; the holder gets a notice, no code,
    and no code typed for it is ever right."""
    make_user("bidder", username="someone", phone=PHONE)
    fresh = "13700000001"
    answer_new = _start(client, fresh, ip="10.0.0.2")
    page_new = client.get("/accounts/signup/code/").content.decode().replace(fresh, "X")
    other = client.__class__()
    answer_old = _start(other, PHONE, ip="10.0.0.3")
    page_old = other.get("/accounts/signup/code/").content.decode().replace(PHONE, "X")
    assert (answer_new.status_code, answer_new.url) == (answer_old.status_code, answer_old.url)
    strip = re.compile(
        r'name="csrfmiddlewaretoken" value="[^"]+"|<p class="card muted small" id="demo-message">.*?</p>',
        re.S,
    )
    assert strip.sub("", page_new) == strip.sub("", page_old)
    notice = OutboxMessage.objects.get(address=PHONE)
    assert "已注册" in notice.body and _code_sent_to(PHONE) is None
    row = SignupCode.objects.get(identifier=PHONE)
    assert row.notice_only and row.code_hash == ""
    resp = other.post("/accounts/signup/code/", {"code": "000000"})
    assert "验证码不正确" in resp.content.decode()
    assert other.get("/accounts/signup/account/").status_code == 302  # not verified


def test_wrong_codes_are_counted_and_lock_the_code(client, settings):
    settings.GAVEL_SIGNUP_CODE_ATTEMPTS = 3
    _start(client)
    right = _code_sent_to(PHONE)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    resp = client.post("/accounts/signup/code/", {"code": wrong})
    assert "验证码不正确，还可再试 2 次" in resp.content.decode()
    client.post("/accounts/signup/code/", {"code": wrong})
    resp = client.post("/accounts/signup/code/", {"code": wrong})
    assert "输错次数过多" in resp.content.decode()
    resp = client.post("/accounts/signup/code/", {"code": right})
    assert "输错次数过多" in resp.content.decode()
    assert SignupCode.objects.get().attempts == 3


def test_an_expired_code_is_refused(client, settings):
    settings.GAVEL_SIGNUP_CODE_MINUTES = 10
    _start(client)
    code = _code_sent_to(PHONE)
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    resp = client.post("/accounts/signup/code/", {"code": code})
    assert "验证码已过期" in resp.content.decode()


def test_a_used_code_cannot_be_used_again(client):
    _start(client)
    code = _code_sent_to(PHONE)
    client.post("/accounts/signup/code/", {"code": code})
    resp = client.post("/accounts/signup/code/", {"code": code})
    assert "验证码已使用" in resp.content.decode()


def test_codes_per_number_are_limited_with_a_wait_between_requests(client, settings):
    settings.GAVEL_SIGNUP_RESEND_SECONDS = 60
    settings.GAVEL_SIGNUP_CODES_PER_ADDRESS_HOUR = 3
    assert _start(client).status_code == 302
    resp = _start(client)
    assert resp.status_code == 429 and "秒后再重新获取" in resp.content.decode()
    for _ in range(2):
        clock.advance(dt.timedelta(seconds=61))
        assert _start(client).status_code == 302
    clock.advance(dt.timedelta(seconds=61))
    resp = _start(client)
    assert resp.status_code == 429 and "请一小时后再试" in resp.content.decode()
    clock.advance(dt.timedelta(hours=1))
    assert _start(client).status_code == 302


def test_codes_per_ip_are_limited(client, settings):
    settings.GAVEL_SIGNUP_CODES_PER_IP_HOUR = 2
    assert _start(client, "13700000001").status_code == 302
    assert _start(client, "13700000002").status_code == 302
    resp = _start(client, "13700000003")
    assert resp.status_code == 429 and "获取验证码过于频繁" in resp.content.decode()
    assert _start(client, "13700000003", ip="10.9.9.9").status_code == 302


def test_an_invalid_address_is_refused_in_chinese_and_english(client):
    resp = _start(client, "12345")
    assert "请输入有效的手机号" in resp.content.decode()
    client.cookies["django_language"] = "en"
    resp = _start(client, "12345")
    assert "Enter a valid mobile number" in resp.content.decode()


def test_the_password_step_needs_a_verified_code(client):
    resp = client.get("/accounts/signup/account/")
    assert resp.status_code == 302 and resp.url == "/accounts/signup/"
    _start(client)
    resp = _account(client)
    assert resp.status_code == 302 and resp.url == "/accounts/signup/"
    assert not User.objects.filter(username=PHONE).exists()


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"accept_terms": ""}, "请阅读并同意《平台服务协议》"),
        ({"password": "12345678", "password2": "12345678"}, "密码"),
        ({"password2": "something-else-2026"}, "两次输入的密码不一致"),
    ],
)
def test_terms_and_password_rules_are_enforced(client, over, says):
    _start(client)
    client.post("/accounts/signup/code/", {"code": _code_sent_to(PHONE)})
    resp = _account(client, **over)
    assert resp.status_code == 200 and says in resp.content.decode()
    assert not User.objects.filter(username=PHONE).exists()


def test_a_refused_password_keeps_the_name_role_and_ticked_terms(client):
    """Found in the demo: after "两次输入的密码不一致" the terms box came back unticked."""
    _start(client)
    client.post("/accounts/signup/code/", {"code": _code_sent_to(PHONE)})
    page = _account(client, password2="something-else-2026", role="party").content.decode()
    assert 'value="钱竞买"' in page
    assert re.search(r'<option value="party" selected>', page)
    assert re.search(r'name="accept_terms"[^>]*checked', page)
    unticked = _account(client, password2="something-else-2026", accept_terms="").content.decode()
    assert not re.search(r'name="accept_terms"[^>]*checked', unticked)


def test_sign_up_is_reachable_from_home_login_and_an_auction_page(client):
    assert 'href="/accounts/signup/"' in client.get("/").content.decode()
    assert "/accounts/signup/" in client.get("/accounts/login/").content.decode()
    terms = client.get("/terms/")
    assert terms.status_code == 200 and "平台服务协议" in terms.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_of_one_number_make_one_account_and_a_clear_refusal():
    """The other sign-up commits between our check and our insert: a refusal, not a 500."""
    from core import signup
    from core.errors import DomainError
    from tests.race import in_thread, run_after

    def sign_up():
        return signup.signup_create_account(
            address=signup.Address("sms", PHONE),
            password=GOOD_PASSWORD,
            password2=GOOD_PASSWORD,
            accept_terms=True,
        )

    fired: list[int] = []

    def competitor(*_args, **_kwargs):
        if not fired:
            fired.append(1)
            in_thread(sign_up)

    with (
        run_after("core.signup.account_exists", competitor),
        pytest.raises(DomainError) as refused,
    ):
        sign_up()
    assert fired and refused.value.code == "account_exists"
    assert User.objects.filter(username=PHONE).count() == 1
