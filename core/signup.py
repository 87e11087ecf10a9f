"""Sign-up for bidders and parties: a one-time code to a mobile number or e-mail address,
a password, the platform terms (docs/core.md "Sign-up").

No account enumeration: a request for an address that already has an account is answered
exactly as any other (same page, same limits, a row in ``SignupCode``); the address gets a
notice that it is registered instead of a code, and no code typed for it is ever right.
The limits (per address, per IP address, the wait before asking again, the code's lifetime
and wrong attempts) are settings (``GAVEL_SIGNUP_*``) counted on ``SignupCode`` rows with
``core.clock``, so they hold across processes and in tests with a frozen clock.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.models import Role, SignupCode, User
from core.notifications import notify_address
from core.notifications.text import language_of
from core.ratelimit import RateLimited

#: The version of the platform terms a person accepts at sign-up (templates/core/terms.html).
TERMS_VERSION = "2026-12"
#: Roles a person may give themselves at sign-up.
SIGNUP_ROLES = (Role.BIDDER, Role.PARTY)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ACCOUNTS_STREAM = "system:accounts"


@dataclass(frozen=True)
class Address:
    """A normalised sign-up address: ``kind`` is ``sms`` (mobile number) or ``email``."""

    kind: str
    value: str


def normalise_address(text: str) -> Address:
    """A mainland mobile number (spaces, dashes and a +86 prefix dropped) or an e-mail address
    (lower-cased); anything else is refused with ``invalid_address``."""
    raw = (text or "").strip()
    digits = re.sub(r"[\s-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if MOBILE_RE.match(digits):
        return Address("sms", digits)
    if "@" in raw and len(raw) <= 254:
        try:
            validate_email(raw)
        except ValidationError:
            pass
        else:
            return Address("email", raw.lower())
    raise DomainError("invalid_address", _("请输入有效的手机号（11位）或电子邮箱地址。"))


def account_exists(address: Address) -> bool:
    field = "phone" if address.kind == "sms" else "email__iexact"
    return User.objects.filter(
        Q(username__iexact=address.value) | Q(**{field: address.value})
    ).exists()


def _hash(code_id: int, identifier: str, code: str) -> str:
    return salted_hmac("gavel.signup-code", f"{code_id}:{identifier}:{code}").hexdigest()


def _check_limits(address: Address, ip: str, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    mine = SignupCode.objects.filter(identifier=address.value, created_at__gt=hour_ago)
    last = mine.order_by("-created_at").first()
    wait = settings.GAVEL_SIGNUP_RESEND_SECONDS
    if last is not None and (now - last.created_at).total_seconds() < wait:
        left = wait - int((now - last.created_at).total_seconds())
        raise RateLimited(
            "signup_resend_wait",
            _("验证码已发送，请 %(s)s 秒后再重新获取。") % {"s": left},
            seconds=left,
        )
    if mine.count() >= settings.GAVEL_SIGNUP_CODES_PER_ADDRESS_HOUR:
        raise RateLimited(
            "signup_address_limit", _("该号码或邮箱获取验证码过于频繁，请一小时后再试。")
        )
    by_ip = SignupCode.objects.filter(ip=ip, created_at__gt=hour_ago).count()
    if by_ip >= settings.GAVEL_SIGNUP_CODES_PER_IP_HOUR:
        raise RateLimited("signup_ip_limit", _("获取验证码过于频繁，请稍后再试。"))


@transaction.atomic
def signup_code_request(*, address: Address, ip: str) -> SignupCode:
    """Send a sign-up code to ``address`` (or, if it already has an account, a notice that it
    is registered): the caller shows the same answer either way."""
    now = clock.now()
    _check_limits(address, ip, now)
    minutes = settings.GAVEL_SIGNUP_CODE_MINUTES
    exists = account_exists(address)
    row = SignupCode.objects.create(
        identifier=address.value,
        notice_only=exists,
        ip=ip[:45],
        created_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    if exists:
        subject = _("账户提醒")
        body = _(
            "有人正在用本号码注册 Gavel 司法处置平台账户，但本号码已注册。如是您本人，请直接登录；"
            "如非本人操作，请忽略本消息。"
        )
    else:
        code = f"{secrets.randbelow(1_000_000):06d}"
        row.code_hash = _hash(row.pk, address.value, code)
        row.save(update_fields=["code_hash"])
        subject = _("注册验证码")
        body = _("您的注册验证码是 %(code)s，%(m)s 分钟内有效。请勿告诉他人。") % {
            "code": code,
            "m": minutes,
        }
    notify_address(
        channel=address.kind,
        address=address.value,
        topic="account.signup",
        subject=subject,
        body=body,
        key=f"account.signup:{row.pk}",
    )
    return row


def signup_code_check(*, code_id: int, identifier: str, code: str) -> SignupCode:
    """Spend the code if it is right; count a wrong one (the count stays even though this
    raises: it is written in its own transaction before the refusal)."""
    now = clock.now()
    with transaction.atomic():
        row = (
            SignupCode.objects.select_for_update().filter(pk=code_id, identifier=identifier).first()
        )
        if row is None:
            raise DomainError("signup_code_missing", _("请先获取验证码。"))
        if row.used_at is not None:
            raise DomainError("signup_code_used", _("验证码已使用，请重新获取。"))
        if now >= row.expires_at:
            raise DomainError("signup_code_expired", _("验证码已过期，请重新获取。"))
        if row.attempts >= settings.GAVEL_SIGNUP_CODE_ATTEMPTS:
            raise DomainError("signup_code_locked", _("验证码输错次数过多，请重新获取。"))
        typed = (code or "").strip()
        right = (
            not row.notice_only
            and bool(row.code_hash)
            and constant_time_compare(row.code_hash, _hash(row.pk, identifier, typed))
        )
        if right:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return row
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = settings.GAVEL_SIGNUP_CODE_ATTEMPTS - row.attempts
    if left <= 0:
        raise DomainError("signup_code_locked", _("验证码输错次数过多，请重新获取。"))
    raise DomainError("signup_code_wrong", _("验证码不正确，还可再试 %(n)s 次。") % {"n": left})


@transaction.atomic
def signup_create_account(
    *,
    address: Address,
    password: str,
    password2: str,
    accept_terms: bool,
    role: str = Role.BIDDER,
    display_name: str = "",
) -> User:
    """The account of a person who proved they hold ``address`` (the caller checked the code)."""
    if not accept_terms:
        raise DomainError("terms_required", _("请阅读并同意《平台服务协议》。"))
    if role not in SIGNUP_ROLES:
        raise DomainError("invalid_role", _("请选择竞买人或案件当事人。"))
    if password != password2:
        raise DomainError("password_mismatch", _("两次输入的密码不一致。"))
    candidate = User(
        username=address.value,
        phone=address.value if address.kind == "sms" else "",
        email=address.value if address.kind == "email" else "",
        display_name=(display_name or "").strip()[:100],
        role=role,
        # Messages to the new account are written in the language they signed up in.
        language=language_of(None, default=translation.get_language()),
    )
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise DomainError("weak_password", " ".join(str(m) for m in exc.messages)) from exc
    if account_exists(address):
        # The person holds the address (the code was right): they may know it is registered.
        raise DomainError("account_exists", _("该号码或邮箱已注册，请直接登录。"))
    candidate.set_password(password)
    try:
        with transaction.atomic():  # a savepoint: a concurrent sign-up of the same address
            candidate.save()
    except IntegrityError as exc:
        raise DomainError("account_exists", _("该号码或邮箱已注册，请直接登录。")) from exc
    audit_record(
        stream=ACCOUNTS_STREAM,
        action="account.signed_up",
        actor=candidate,
        subject=f"user:{candidate.pk}",
        after={"role": role, "channel": address.kind, "terms_version": TERMS_VERSION},
        rules=["REC-14"],
    )
    return candidate
