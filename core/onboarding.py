"""Onboarding without the admin (docs/core.md "Onboarding"): the platform operator creates
courts and their people; each new person gets a one-time, expiring enrolment link that sets
the password and binds the second factor (REC-14: never bound by the password alone).

Every write is audited in ``system:courts`` (courts) or ``system:accounts`` (people, links).
A link's token is never stored, only its SHA-256; the operator sees the link once, when it
is issued, to hand it over, and the person receives it by SMS / e-mail (and the inbox).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock
from core.audit import audit_record
from core.errors import DomainError
from core.models import STAFF_ROLES, Court, EnrolmentLink, Role, User
from core.notifications import notify, text
from core.types import Actor

COURTS_STREAM = "system:courts"
ACCOUNTS_STREAM = "system:accounts"
DIVISION_RE = re.compile(r"^\d{6}$")
USERNAME_RE = re.compile(r"^[\w.@+-]{3,150}$")
#: Roles the operator gives people on the onboarding pages (bidders and parties sign up).
ONBOARD_ROLES = (*sorted(STAFF_ROLES), Role.APPRAISER, Role.OPERATOR)
COURT_FIELDS = (
    "name",
    "code",
    "division_code",
    "master_account_no",
    "master_account_bank",
    "master_account_name",
    "contact_phone",
)


# ------------------------------------------------------------------ courts


def _clean_court(data: dict[str, Any], *, court: Court | None) -> dict[str, str]:
    out = {f: str(data.get(f) or "").strip() for f in COURT_FIELDS}
    missing = [f for f in COURT_FIELDS if f != "contact_phone" and not out[f]]
    if missing:
        names = {fld.name: str(fld.verbose_name) for fld in Court._meta.concrete_fields}
        labels = [names[f] for f in missing]
        raise DomainError("court_fields_required", _("请填写：%(f)s") % {"f": "、".join(labels)})
    if not DIVISION_RE.match(out["division_code"]):
        raise DomainError("invalid_division_code", _("行政区划代码应为6位数字。"))
    account = out["master_account_no"].replace(" ", "").replace("-", "")
    if not (account.isascii() and account.isalnum()) or not 6 <= len(account) <= 26:
        raise DomainError(
            "invalid_account_no",
            _("执行款专户账号应为6至26位数字或字母（可含空格、短横线）。"),
            rule="FND-02",
        )
    out["master_account_no"] = account
    others = Court.objects.exclude(pk=court.pk) if court else Court.objects.all()
    if others.filter(name=out["name"]).exists():
        raise DomainError("court_exists", _("已有同名法院：%(n)s") % {"n": out["name"]})
    if others.filter(code=out["code"]).exists():
        raise DomainError("court_exists", _("法院代字已被使用：%(c)s") % {"c": out["code"]})
    if others.filter(master_account_no=account).exists():
        raise DomainError("account_in_use", _("该执行款专户账号已属于另一法院。"), rule="FND-02")
    return out


@transaction.atomic
def court_create(*, actor: Actor, **data: Any) -> Court:
    """A court with its enforcement-funds master account (FND-02: every case and auction
    account is a virtual number under it) and contact phone."""
    clean = _clean_court(data, court=None)
    court = Court.objects.create(**clean)
    audit_record(
        stream=COURTS_STREAM,
        action="court.created",
        actor=actor,
        subject=f"court:{court.pk}",
        after=clean,
        rules=["FND-02", "REC-08"],
    )
    return court


@transaction.atomic
def court_update(*, court: Court, actor: Actor, reason: str = "", **data: Any) -> Court:
    court = Court.objects.select_for_update().get(pk=court.pk)
    clean = _clean_court(data, court=court)
    before = {f: getattr(court, f) for f in COURT_FIELDS if getattr(court, f) != clean[f]}
    if not before:
        return court
    for f, value in clean.items():
        setattr(court, f, value)
    court.save()
    audit_record(
        stream=COURTS_STREAM,
        action="court.changed",
        actor=actor,
        subject=f"court:{court.pk}",
        before=before,
        after={f: clean[f] for f in before},
        reason=reason,
        rules=["FND-02", "REC-08"],
    )
    return court


# ------------------------------------------------------------------ people


@dataclass(frozen=True)
class Issued:
    """A person with a fresh enrolment link: ``url`` is shown to the operator once."""

    user: User
    link: EnrolmentLink
    url: str


@transaction.atomic
def person_create(
    *,
    role: str,
    username: str,
    display_name: str,
    actor: Actor,
    court: Court | None = None,
    phone: str = "",
    email: str = "",
) -> Issued:
    """A court's staff member (judge, officer, bureau head, finance: ``court`` required), a
    firm user (``appraiser``) or another operator, without a password: the enrolment link
    issued here sets it and binds the second factor."""
    username, display_name = (username or "").strip(), (display_name or "").strip()
    phone, email = (phone or "").strip(), (email or "").strip().lower()
    if role not in ONBOARD_ROLES:
        raise DomainError("invalid_role", _("角色无效。"))
    if role in STAFF_ROLES and court is None:
        raise DomainError("court_required", _("法院工作人员须指定所属法院。"))
    if role not in STAFF_ROLES:
        court = None
    if not USERNAME_RE.match(username):
        raise DomainError("invalid_username", _("用户名为3至150个字母、数字或 . @ + - _ 字符。"))
    if not display_name:
        raise DomainError("name_required", _("请填写姓名。"))
    if not phone and not email:
        raise DomainError("contact_required", _("请填写手机号或电子邮箱，用于发送启用链接。"))
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError("username_taken", _("用户名已被使用：%(u)s") % {"u": username})
    user = User(
        username=username,
        display_name=display_name[:100],
        role=role,
        court=court,
        phone=phone[:20],
        email=email,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():  # a savepoint: the same username taken concurrently
            user.save()
    except IntegrityError as exc:
        raise DomainError("username_taken", _("用户名已被使用：%(u)s") % {"u": username}) from exc
    audit_record(
        stream=ACCOUNTS_STREAM,
        action="account.created",
        actor=actor,
        subject=f"user:{user.pk}",
        after={
            "username": username,
            "display_name": display_name,
            "role": role,
            "court": court.pk if court else None,
        },
        rules=["REC-14"],
    )
    return enrolment_issue(user=user, actor=actor)


@transaction.atomic
def person_update(
    *,
    user: User,
    actor: Actor,
    display_name: str,
    phone: str = "",
    email: str = "",
    role: str = "",
    reason: str = "",
) -> User:
    """Correct a person's name and contacts; a court's staff member may change staff role
    (judge, officer, bureau head, finance) within the same court. Audited with before/after."""
    role = role or user.role
    if role != user.role and not (role in STAFF_ROLES and user.role in STAFF_ROLES):
        raise DomainError("role_change_refused", _("只能在法院工作人员的角色之间变更。"))
    after = {
        "display_name": (display_name or "").strip()[:100],
        "phone": (phone or "").strip()[:20],
        "email": (email or "").strip().lower(),
        "role": role,
    }
    if not after["display_name"]:
        raise DomainError("name_required", _("请填写姓名。"))
    before = {f: getattr(user, f) for f in after if getattr(user, f) != after[f]}
    if not before:
        return user
    for f in before:
        setattr(user, f, after[f])
    user.save(update_fields=list(before))
    audit_record(
        stream=ACCOUNTS_STREAM,
        action="account.changed",
        actor=actor,
        subject=f"user:{user.pk}",
        before=before,
        after={f: after[f] for f in before},
        reason=reason,
        rules=["REC-14"],
    )
    return user


@transaction.atomic
def person_set_active(*, user: User, active: bool, actor: Actor, reason: str = "") -> User:
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        EnrolmentLink.objects.filter(user=user, used_at=None, revoked_at=None).update(
            revoked_at=clock.now()
        )
    audit_record(
        stream=ACCOUNTS_STREAM,
        action="account.activated" if active else "account.deactivated",
        actor=actor,
        subject=f"user:{user.pk}",
        before={"is_active": not active},
        after={"is_active": active},
        reason=reason,
        rules=["REC-14"],
    )
    return user


# ------------------------------------------------------------------ enrolment links


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_url(token: str) -> str:
    return f"{settings.GAVEL_SITE_URL}{reverse('core:enrol', args=[token])}"


@transaction.atomic
def enrolment_issue(
    *, user: User, actor: Actor, sets_password: bool = True, reason: str = ""
) -> Issued:
    """A new one-time link for ``user`` (earlier open links are revoked), sent to the person
    by SMS / e-mail and returned so the operator can hand it over. Audited (not the token)."""
    if not user.is_active:
        raise DomainError("account_inactive", _("该账户已停用，不能发放启用链接。"))
    now = clock.now()
    revoked = EnrolmentLink.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    link = EnrolmentLink.objects.create(
        user=user,
        token_hash=_token_hash(token),
        sets_password=sets_password,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.GAVEL_ENROLMENT_LINK_HOURS),
        issued_by=actor,
    )
    url = enrolment_url(token)
    notify(
        user=user,
        topic="account.enrolment",
        subject=gettext_lazy("启用您的 Gavel 账户"),
        body=text(
            gettext_lazy(
                "请在 %(h)s 小时内打开链接设置密码并绑定身份验证器（仅可使用一次）：%(url)s"
            ),
            h=settings.GAVEL_ENROLMENT_LINK_HOURS,
            url=url,
        ),
        key=f"account.enrolment:{link.pk}",
        channels=["sms", "email"],
        legal=True,
    )
    audit_record(
        stream=ACCOUNTS_STREAM,
        action="account.enrolment_reissued"
        if revoked or user.has_usable_password()
        else "account.enrolment_issued",
        actor=actor,
        subject=f"user:{user.pk}",
        after={"link": link.pk, "expires_at": link.expires_at.isoformat(), "revoked": revoked},
        reason=reason,
        rules=["REC-14"],
    )
    return Issued(user=user, link=link, url=url)


def enrolment_open(token: str) -> EnrolmentLink:
    """The link of ``token`` if it may still be used; otherwise a refusal saying why."""
    link = (
        EnrolmentLink.objects.select_related("user")
        .filter(token_hash=_token_hash(token or ""))
        .first()
    )
    if link is None:
        raise DomainError("enrolment_link_unknown", _("启用链接无效，请向平台运营人员索取新链接。"))
    if link.used_at is not None:
        raise DomainError(
            "enrolment_link_used",
            _("该启用链接已使用过。请直接登录；如需重新绑定，请联系平台运营人员。"),
        )
    if link.revoked_at is not None:
        raise DomainError(
            "enrolment_link_revoked", _("该启用链接已作废，请使用最新的链接或联系平台运营人员。")
        )
    if clock.now() >= link.expires_at:
        raise DomainError(
            "enrolment_link_expired", _("启用链接已过期，请联系平台运营人员重新发放。")
        )
    if not link.user.is_active:
        raise DomainError("account_inactive", _("该账户已停用。"))
    return link


def enrolment_device(link: EnrolmentLink) -> TOTPDevice:
    """The authenticator this link binds (unconfirmed until the person types a right code)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=link.user, name=f"enrol-{link.pk}", defaults={"confirmed": False}
    )
    return device


def device_secret(device: TOTPDevice) -> str:
    """The base32 secret (what an authenticator app takes when typed in by hand)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def enrolment_complete(*, token: str, password: str, password2: str, otp: str) -> User:
    """Set the password (if the link sets one) and bind the authenticator whose current code
    is ``otp``; the link is spent. A wrong code counts against the link (revoked after
    ``GAVEL_ENROLMENT_ATTEMPTS``), recorded even though this raises."""
    link = enrolment_open(token)
    user = link.user
    if link.sets_password:
        if password != password2:
            raise DomainError("password_mismatch", _("两次输入的密码不一致。"))
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise DomainError("weak_password", " ".join(str(m) for m in exc.messages)) from exc
    device = enrolment_device(link)
    allowed, _why = device.verify_is_allowed()
    if not allowed:  # django-otp's throttle after a wrong code (seconds, doubling)
        raise DomainError(
            "otp_throttled", _("动态验证码尝试过于频繁，请稍候几秒再试。"), rule="REC-14"
        )
    typed = (otp or "").strip()
    if not (typed.isdigit() and device.verify_token(typed)):
        with transaction.atomic():
            locked = EnrolmentLink.objects.select_for_update().get(pk=link.pk)
            locked.failed_attempts += 1
            if locked.failed_attempts >= settings.GAVEL_ENROLMENT_ATTEMPTS:
                locked.revoked_at = clock.now()
            locked.save(update_fields=["failed_attempts", "revoked_at"])
            left = settings.GAVEL_ENROLMENT_ATTEMPTS - locked.failed_attempts
        if left <= 0:
            raise DomainError(
                "enrolment_link_revoked",
                _("动态验证码错误次数过多，启用链接已作废，请联系平台运营人员重新发放。"),
                rule="REC-14",
            )
        raise DomainError(
            "wrong_otp",
            _("动态验证码不正确，请确认手机时间准确后重试（还可再试 %(n)s 次）。") % {"n": left},
            rule="REC-14",
        )
    with transaction.atomic():
        locked = EnrolmentLink.objects.select_for_update().get(pk=link.pk)
        if locked.used_at is not None or locked.revoked_at is not None:
            raise DomainError("enrolment_link_used", _("该启用链接已使用过。"))
        if link.sets_password:
            user.set_password(password)
            user.save(update_fields=["password"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = "default"
        device.save(update_fields=["confirmed", "name"])
        locked.used_at = clock.now()
        locked.save(update_fields=["used_at"])
        audit_record(
            stream=ACCOUNTS_STREAM,
            action="account.enrolled",
            actor=user,
            subject=f"user:{user.pk}",
            after={"link": link.pk, "password_set": link.sets_password, "second_factor": "totp"},
            rules=["REC-14"],
        )
    return user


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
