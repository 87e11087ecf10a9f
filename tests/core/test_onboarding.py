"""Onboarding without the admin (issue 13) and enrolment links (issue 15 item 5, REC-14):
the operator creates courts and staff on pages; each new person gets a one-time, expiring
link that sets the password and binds the TOTP second factor. Operator-only pages."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock, onboarding
from core.models import AuditEntry, Court, EnrolmentLink, OutboxMessage, Role, User
from tests.conftest import PASSWORD, make_user
from tests.factories import AuctionFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fa-Yuan-2026-Shi!"
COURT = {
    "action": "create",
    "name": "南昌市西湖区人民法院",
    "code": "赣0103",
    "division_code": "360103",
    "master_account_no": "3601030000000001",
    "master_account_bank": "某银行南昌西湖支行",
    "master_account_name": "南昌市西湖区人民法院执行款专户",
    "contact_phone": "0791-86000000",
}


@pytest.fixture
def operator(client):
    user = make_user("operator")  # the operator role, neither staff nor superuser
    client.force_login(user)
    return user


def _match(pattern, text):
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def _token_from(url):
    return _match(r"/accounts/enrol/([^/]+)/", url)


def _now_code(secret_b32, steps=0):
    """The authenticator's code now (``steps`` later: a used code is never taken twice)."""
    import base64
    import time

    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    t = TOTP(key)
    t.time = time.time() + 30 * steps
    return f"{t.token():06d}"


def _add_judge(client, court, **over):
    data = {
        "action": "staff",
        "role": "judge",
        "username": "judge.wang",
        "display_name": "王审判",
        "phone": "13900000011",
        "email": "",
        **over,
    }
    return client.post(f"/operator/courts/{court.pk}/", data)


def test_operator_creates_a_court_with_its_account_and_phone(client, operator):
    resp = client.post("/operator/courts/", COURT)
    court = Court.objects.get(code="赣0103")
    assert resp.status_code == 302 and resp.url == f"/operator/courts/{court.pk}/"
    assert court.master_account_no == "3601030000000001"
    assert court.contact_phone == "0791-86000000"
    entry = AuditEntry.objects.get(action="court.created")
    assert entry.actor_id == operator.pk and entry.subject == f"court:{court.pk}"
    page = client.get("/operator/courts/?q=西湖").content.decode()
    assert "南昌市西湖区人民法院" in page


def test_the_court_form_refuses_bad_input_on_the_form(client, operator):
    resp = client.post("/operator/courts/", {**COURT, "division_code": "36"})
    assert resp.status_code == 200 and "行政区划代码应为6位数字" in resp.content.decode()
    resp = client.post("/operator/courts/", {**COURT, "master_account_no": "账号!"})
    assert "执行款专户账号应为6至26位数字或字母" in resp.content.decode()
    assert not Court.objects.filter(code="赣0103").exists()


def test_operator_edits_a_court_with_a_reason(client, operator, court):
    data = {f: getattr(court, f) for f in onboarding.COURT_FIELDS}
    resp = client.post(
        f"/operator/courts/{court.pk}/",
        {**data, "action": "update", "contact_phone": "0791-1234567", "reason": "换号"},
    )
    assert resp.status_code == 302
    court.refresh_from_db()
    assert court.contact_phone == "0791-1234567"
    entry = AuditEntry.objects.get(action="court.changed")
    assert entry.after == {"contact_phone": "0791-1234567"} and entry.reason == "换号"


def test_operator_adds_a_judge_who_gets_a_link_seen_once(client, operator, court):
    resp = _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    assert resp.status_code == 302 and resp.url == f"/operator/people/{judge.pk}/"
    assert judge.role == Role.JUDGE and judge.court == court
    assert not judge.has_usable_password()
    page = client.get(resp.url).content.decode()
    url = _match(r'id="issued-url"[^>]*>([^<]+)<', page)
    assert "/accounts/enrol/" in url
    assert 'id="issued-url"' not in client.get(resp.url).content.decode()  # once only
    sms = OutboxMessage.objects.get(recipient=judge, channel="sms")
    assert _token_from(url) in sms.body
    link = EnrolmentLink.objects.get(user=judge)
    assert _token_from(url) not in link.token_hash  # only the hash is kept
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"account.created", "account.enrolment_issued"} <= actions
    listing = client.get("/operator/people/?q=王审判").content.decode()
    assert "王审判" in listing and court.name in listing


def test_the_judge_enrols_through_the_link_and_then_signs_in_with_the_second_factor(
    client, operator, court, settings
):
    _add_judge(client, court)
    settings.GAVEL_STAFF_2FA_REQUIRED = True
    judge = User.objects.get(username="judge.wang")
    token = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    client.logout()
    page = client.get(f"/accounts/enrol/{token}/").content.decode()
    secret = _match(r'id="totp-secret">([A-Z2-7]+)<', page)
    resp = client.post(
        f"/accounts/enrol/{token}/",
        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD, "otp": _now_code(secret)},
    )
    assert resp.status_code == 302 and resp.url == "/"
    judge.refresh_from_db()
    assert judge.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.get(user=judge, confirmed=True).name == "default"
    assert client.get("/inbox/").status_code == 200  # signed in and verified
    assert AuditEntry.objects.filter(action="account.enrolled", actor_id=judge.pk).exists()
    # The link is spent.
    resp = client.get(f"/accounts/enrol/{token}/")
    assert resp.status_code == 410 and "已使用过" in resp.content.decode()
    # A later sign-in asks for the code of the bound authenticator.
    client.logout()
    client.post("/accounts/login/", {"username": "judge.wang", "password": NEW_PASSWORD})
    assert client.get("/inbox/").url.startswith("/accounts/otp/")
    resp = client.post("/accounts/otp/?next=/inbox/", {"token": _now_code(secret, steps=1)})
    assert resp.status_code == 302 and resp.url == "/inbox/"


def test_a_wrong_totp_is_refused_and_too_many_revoke_the_link(client, operator, court, settings):
    settings.GAVEL_ENROLMENT_ATTEMPTS = 2
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    token = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    page = client.get(f"/accounts/enrol/{token}/").content.decode()
    secret = _match(r'id="totp-secret">([A-Z2-7]+)<', page)
    wrong = f"{(int(_now_code(secret)) + 500_000) % 1_000_000:06d}"
    body = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD, "otp": wrong}
    resp = client.post(f"/accounts/enrol/{token}/", body)
    assert resp.status_code == 200 and "动态验证码不正确" in resp.content.decode()
    # django-otp throttles the device right after a wrong code (not counted against the link)
    resp = client.post(f"/accounts/enrol/{token}/", body)
    assert resp.status_code == 200 and "尝试过于频繁" in resp.content.decode()
    # ...for a second of real time, which django-otp measures on the row: let it pass.
    TOTPDevice.objects.filter(user=judge).update(throttling_failure_timestamp=None)
    resp = client.post(f"/accounts/enrol/{token}/", body)
    assert resp.status_code == 410 and "启用链接已作废" in resp.content.decode()
    judge.refresh_from_db()
    assert not judge.has_usable_password()
    assert not TOTPDevice.objects.filter(user=judge, confirmed=True).exists()


def test_a_weak_password_is_refused_on_the_link(client, operator, court):
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    token = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    page = client.get(f"/accounts/enrol/{token}/").content.decode()
    secret = _match(r'id="totp-secret">([A-Z2-7]+)<', page)
    resp = client.post(
        f"/accounts/enrol/{token}/",
        {"password": "12345678", "password2": "12345678", "otp": _now_code(secret)},
    )
    assert resp.status_code == 200 and "密码" in resp.content.decode()
    assert EnrolmentLink.objects.get(user=judge).used_at is None


def test_an_expired_link_is_refused(client, operator, court, settings):
    settings.GAVEL_ENROLMENT_LINK_HOURS = 72
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    token = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    clock.advance(dt.timedelta(hours=72, seconds=1))
    resp = client.get(f"/accounts/enrol/{token}/")
    assert resp.status_code == 410 and "启用链接已过期" in resp.content.decode()
    assert client.get("/accounts/enrol/not-a-token/").status_code == 410


def test_operator_reissues_a_link_and_the_old_one_stops_working(client, operator, court):
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    old = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    resp = client.post(f"/operator/people/{judge.pk}/", {"action": "reissue", "reason": "换手机"})
    assert resp.status_code == 302
    page = client.get(f"/operator/people/{judge.pk}/").content.decode()
    new = _token_from(_match(r'id="issued-url"[^>]*>([^<]+)<', page))
    assert new != old
    assert client.get(f"/accounts/enrol/{old}/").status_code == 410
    assert client.get(f"/accounts/enrol/{new}/").status_code == 200
    entry = AuditEntry.objects.filter(action="account.enrolment_reissued").get()
    assert entry.reason == "换手机" and entry.actor_id == operator.pk


def test_a_deactivated_person_cannot_enrol(client, operator, court):
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    token = _token_from(OutboxMessage.objects.get(recipient=judge, channel="sms").body)
    client.post(f"/operator/people/{judge.pk}/", {"action": "active", "reason": "离职"})
    judge.refresh_from_db()
    assert not judge.is_active
    assert client.get(f"/accounts/enrol/{token}/").status_code == 410
    assert AuditEntry.objects.filter(action="account.deactivated").exists()


def test_operator_changes_a_staff_members_role_and_phone(client, operator, court):
    _add_judge(client, court)
    judge = User.objects.get(username="judge.wang")
    edit = {"action": "edit", "display_name": "王审判", "email": "", "reason": "调岗"}
    resp = client.post(
        f"/operator/people/{judge.pk}/", {**edit, "phone": "13900000012", "role": "officer"}
    )
    assert resp.status_code == 302
    judge.refresh_from_db()
    assert (judge.role, judge.phone, judge.court_id) == ("officer", "13900000012", court.pk)
    entry = AuditEntry.objects.get(action="account.changed")
    assert entry.before == {"phone": "13900000011", "role": "judge"} and entry.reason == "调岗"
    # A staff member never becomes a bidder or an operator this way.
    client.post(f"/operator/people/{judge.pk}/", {**edit, "role": "operator"})
    judge.refresh_from_db()
    assert judge.role == "officer"


def test_staff_refusals_name_the_problem(client, operator, court):
    resp = _add_judge(client, court, phone="", email="")
    assert "请填写手机号或电子邮箱" in resp.content.decode()
    make_user("judge", court, username="taken")
    resp = _add_judge(client, court, username="taken")
    assert "用户名已被使用" in resp.content.decode()


@pytest.mark.parametrize("role", ["judge", "finance", "bidder", "appraiser"])
def test_onboarding_pages_are_the_operators_only(client, court, role):
    """Operator role, not a superuser bypass: a superuser of another role gets 403 too."""
    other = make_user(role, court if role in ("judge", "finance") else None, is_superuser=True)
    client.force_login(other)
    for url in ("/operator/courts/", f"/operator/courts/{court.pk}/", "/operator/people/"):
        resp = client.get(url)
        assert resp.status_code == 403 and "仅平台运营人员" in resp.content.decode()
    assert client.post("/operator/courts/", COURT).status_code == 403
    assert not Court.objects.filter(code="赣0103").exists()
    person = make_user("officer", court)
    resp = client.post(f"/operator/people/{person.pk}/", {"action": "reissue", "reason": ""})
    assert resp.status_code == 403
    assert not EnrolmentLink.objects.exists()


def test_a_visitor_is_sent_to_sign_in(client):
    resp = client.get("/operator/courts/")
    assert resp.status_code == 302 and resp.url.startswith("/accounts/login/")


def test_an_auction_page_offers_sign_up_to_a_visitor(client):
    auction = AuctionFactory.create()
    page = client.get(f"/bidding/auctions/{auction.pk}/").content.decode()
    assert "报名参拍" in page
    assert f"/accounts/signup/?next=/bidding/auctions/{auction.pk}/" in page.replace("%2F", "/")


# ---------------------------------------------------------------- createoperator


def test_createoperator_with_flags_creates_the_operator_and_prints_a_link(monkeypatch):
    monkeypatch.setenv("OP_PASSWORD", NEW_PASSWORD)
    out = StringIO()
    call_command(
        "createoperator",
        "--username=ops",
        "--name=平台运营",
        "--phone=13900000099",
        "--password-from-env=OP_PASSWORD",
        "--noinput",
        stdout=out,
    )
    ops = User.objects.get(username="ops")
    assert ops.role == Role.OPERATOR and ops.check_password(NEW_PASSWORD)
    link = EnrolmentLink.objects.get(user=ops)
    assert not link.sets_password
    assert "/accounts/enrol/" in out.getvalue()
    assert AuditEntry.objects.filter(action="account.created", subject=f"user:{ops.pk}").exists()


def test_createoperator_link_binds_only_the_second_factor(client, monkeypatch):
    monkeypatch.setenv("OP_PASSWORD", NEW_PASSWORD)
    out = StringIO()
    call_command(
        "createoperator",
        "--username=ops",
        "--name=运营",
        "--password-from-env=OP_PASSWORD",
        "--noinput",
        stdout=out,
    )
    token = _token_from(out.getvalue())
    page = client.get(f"/accounts/enrol/{token}/").content.decode()
    assert 'name="password"' not in page
    secret = _match(r'id="totp-secret">([A-Z2-7]+)<', page)
    resp = client.post(f"/accounts/enrol/{token}/", {"otp": _now_code(secret)})
    assert resp.status_code == 302
    assert User.objects.get(username="ops").check_password(NEW_PASSWORD)
    assert client.get("/operator/courts/").status_code == 200


def test_createoperator_refuses_a_weak_password_and_a_taken_name(monkeypatch):
    monkeypatch.setenv("OP_PASSWORD", "123")
    with pytest.raises(CommandError, match="password refused"):
        call_command(
            "createoperator",
            "--username=ops",
            "--name=运营",
            "--password-from-env=OP_PASSWORD",
            "--noinput",
            stdout=StringIO(),
        )
    make_user("bidder", username="ops")
    with pytest.raises(CommandError, match="taken"):
        call_command(
            "createoperator",
            "--username=ops",
            "--name=运营",
            "--password-from-env=OP_PASSWORD",
            "--noinput",
            stdout=StringIO(),
        )


def test_createoperator_new_link_for_a_lost_phone(monkeypatch):
    make_user("operator", username="ops")
    out = StringIO()
    call_command("createoperator", "--username=ops", "--new-link", "--noinput", stdout=out)
    assert "/accounts/enrol/" in out.getvalue()
    assert EnrolmentLink.objects.get(user__username="ops").revoked_at is None
    assert PASSWORD  # the operator's password is unchanged by a new link
