"""Sign-up (mobile number or e-mail, one-time code, password, the platform terms) and the
enrolment link (password and second factor). Services: ``core.signup``, ``core.onboarding``."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock, onboarding, signup
from core.court_actions import form_errors_text, refusal_text
from core.errors import DomainError
from core.forms import FlagField, Form, TextField
from core.models import OutboxMessage, Role, SignupCode
from core.punctuation import labelled
from core.ratelimit import RateLimited

SESSION_KEY = "gavel_signup"
#: Minutes between a right code and the password step before the person starts again.
VERIFIED_MINUTES = 30


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` of the request if it is a page of this site (else ``default``)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


def _with_next(url: str, nxt: str) -> str:
    return f"{url}?{urlencode({'next': nxt})}" if nxt else url


class AddressForm(Form):
    address = forms.CharField(label=gettext_lazy("手机号或电子邮箱"), max_length=254)


class CodeForm(Form):
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=12)


class AccountForm(Form):
    display_name = TextField(label=gettext_lazy("姓名或称呼"))
    role = forms.ChoiceField(
        label=gettext_lazy("我是"),
        choices=[(Role.BIDDER, gettext_lazy("竞买人")), (Role.PARTY, gettext_lazy("案件当事人"))],
        initial=Role.BIDDER,
    )
    password = forms.CharField(label=gettext_lazy("密码"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=gettext_lazy("再次输入密码"), strip=False, widget=forms.PasswordInput
    )
    accept_terms = FlagField(label=gettext_lazy("同意平台服务协议"))


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def _state(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(SESSION_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _demo_message(code_id: int) -> str:
    """The demo's SMS/e-mail for this request, shown on the page (the demo sends nothing)."""
    if not settings.GAVEL_SIGNUP_SHOW_DEMO_MESSAGES:
        return ""
    msg = OutboxMessage.objects.filter(key__startswith=f"account.signup:{code_id}:").first()
    return labelled(msg.subject, msg.body) if msg else ""


def signup_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile number or e-mail address; a code (or, for a registered address, a
    notice) goes there, and the answer is the same either way (no enumeration)."""
    nxt = safe_next(request)
    if request.user.is_authenticated:
        return redirect(nxt or reverse("core:home"))
    form = AddressForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if not form.is_valid():
            error = form_errors_text(form)
        else:
            try:
                address = signup.normalise_address(form.cleaned_data["address"])
                row = signup.signup_code_request(address=address, ip=_client_ip(request))
            except RateLimited as exc:
                error, status = refusal_text(exc), 429
            except DomainError as exc:
                error = refusal_text(exc)
            else:
                request.session[SESSION_KEY] = {
                    "address": address.value,
                    "kind": address.kind,
                    "code_id": row.pk,
                    "next": nxt,
                }
                return redirect("core:signup_code")
    return render(
        request,
        "registration/signup_start.html",
        {"form": form, "error": error, "next": nxt},
        status=status,
    )


def signup_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code that was sent."""
    state = _state(request)
    if not state.get("code_id"):
        return redirect("core:signup")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = form_errors_text(form)
        else:
            try:
                signup.signup_code_check(
                    code_id=int(state["code_id"]),
                    identifier=str(state["address"]),
                    code=form.cleaned_data["code"],
                )
            except DomainError as exc:
                error = refusal_text(exc)
            else:
                state["verified_code_id"] = state["code_id"]
                request.session[SESSION_KEY] = state
                return redirect("core:signup_account")
    return render(
        request,
        "registration/signup_code.html",
        {
            "form": form,
            "error": error,
            "address": state["address"],
            "kind": state.get("kind"),
            "next": state.get("next", ""),
            "demo_message": _demo_message(int(state["code_id"])),
            "minutes": settings.GAVEL_SIGNUP_CODE_MINUTES,
        },
    )


def _verified(state: dict[str, Any]) -> bool:
    code_id = state.get("verified_code_id")
    if not code_id:
        return False
    row = SignupCode.objects.filter(pk=code_id, identifier=state.get("address")).first()
    return (
        row is not None
        and row.used_at is not None
        and clock.now() - row.used_at < dt.timedelta(minutes=VERIFIED_MINUTES)
    )


def signup_account(request: HttpRequest) -> HttpResponse:
    """Step 3: name, role, password (Django's validators) and the platform terms; then the
    person is signed in and goes on to the real-name verification (then to ``next``)."""
    state = _state(request)
    if not _verified(state):
        messages.error(request, _("请先验证手机号或邮箱。"))
        return redirect("core:signup")
    form = AccountForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = form_errors_text(form)
        else:
            d = form.cleaned_data
            try:
                user = signup.signup_create_account(
                    address=signup.Address(str(state["kind"]), str(state["address"])),
                    password=d["password"],
                    password2=d["password2"],
                    accept_terms=d["accept_terms"],
                    role=d["role"],
                    display_name=d["display_name"],
                )
            except DomainError as exc:
                error = refusal_text(exc)
            else:
                nxt = str(state.get("next") or "")
                request.session.pop(SESSION_KEY, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("注册成功，请完成实名认证。"))
                return redirect(_with_next(reverse("cases:identity"), nxt))
    return render(
        request,
        "registration/signup_account.html",
        {"form": form, "error": error, "address": state["address"]},
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "core/terms.html", {"version": signup.TERMS_VERSION})


# ------------------------------------------------------------------ enrolment link


def _qr_svg(data: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    buf = io.BytesIO()
    img.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


def enrol(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time enrolment link: set the password and bind the authenticator (REC-14)."""
    try:
        link = onboarding.enrolment_open(token)
    except DomainError as exc:
        return render(
            request, "registration/enrol.html", {"refused": refusal_text(exc)}, status=410
        )
    error = ""
    if request.method == "POST":
        try:
            user = onboarding.enrolment_complete(
                token=token,
                password=request.POST.get("password", ""),
                password2=request.POST.get("password2", ""),
                otp=request.POST.get("otp", ""),
            )
        except DomainError as exc:
            if exc.code == "enrolment_link_revoked":
                return render(
                    request, "registration/enrol.html", {"refused": refusal_text(exc)}, status=410
                )
            error = refusal_text(exc)
        else:
            logout(request)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            otp_login(request, device)
            messages.success(request, _("账户已启用，身份验证器已绑定。"))
            return redirect("core:home")
    device = onboarding.enrolment_device(link)
    return render(
        request,
        "registration/enrol.html",
        {
            "link": link,
            "person": link.user,
            "qr": _qr_svg(device.config_url),
            "secret": onboarding.device_secret(device),
            "error": error,
        },
    )
