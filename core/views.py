"""Core pages: home, sign-in/out with two-factor for staff, the site inbox, my deadlines."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock
from core import home as home_sections
from core.deadlines import deadlines_open_for_user
from core.models import InboxMessage


def home(request: HttpRequest) -> HttpResponse:
    """The welcome, then what later apps show there (``core.home``: the auctions under way)."""
    return render(request, "core/home.html", {"sections": home_sections.rendered(request)})


class GavelLoginView(LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        """Signed in on a device that has no language chosen yet: the site speaks the language
        the person chose before (``User.language``, set by the language switch; issue 17). A
        device where a language was already picked keeps it."""
        from django.conf import settings

        response = super().form_valid(form)
        chosen = getattr(form.get_user(), "language", "")
        if chosen and settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("core:home")


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return default
    return nxt


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second factor for court staff (REC-14): a TOTP code from the authenticator app."""
    if not TOTPDevice.objects.filter(user_id=request.user.pk, confirmed=True).exists():
        # REC-14: a second factor is bound only through a one-time enrolment link issued by
        # the platform operator (core.onboarding), never by whoever knows the password.
        return render(request, "registration/otp_unbound.html", status=403)
    error = ""
    if request.method == "POST":
        token = (request.POST.get("token") or "").strip()
        # match_token tries each confirmed device; TOTP devices throttle repeated failures.
        device = match_token(request.user, token) if token.isdigit() else None
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        error = _("动态验证码错误或已过期，请重新输入。")
    return render(request, "registration/otp.html", {"error": error, "next": _safe_next(request)})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = InboxMessage.objects.filter(recipient_id=request.user.pk)[:200]
    return render(request, "core/inbox.html", {"items": items})


@login_required
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(InboxMessage, pk=pk, recipient_id=request.user.pk)
    if item.read_at is None:
        item.read_at = clock.now()
        item.save(update_fields=["read_at"])
    if item.link and url_has_allowed_host_and_scheme(item.link, allowed_hosts={request.get_host()}):
        return redirect(item.link)
    return redirect("core:inbox")


@login_required
def my_deadlines(request: HttpRequest) -> HttpResponse:
    deadlines = deadlines_open_for_user(request.user)[:500]
    return render(request, "core/deadlines.html", {"deadlines": deadlines})


def published_notices(request: HttpRequest) -> HttpResponse:
    """REC-09: the public list of notices served by publication and why (no sign-in)."""
    from django.core.paginator import Paginator

    from core.service import published_notices as notices

    page = Paginator(notices(), 50).get_page(request.GET.get("page"))
    return render(request, "core/notices.html", {"page": page})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: under ``/api/`` the API's error body (a path no route matches, such as
    ``/api/cases/abc``), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": _("未找到")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (``/i18n/setlang/``), which also remembers the choice on the
    signed-in person's account: their messages (inbox, SMS, e-mail) are written in it
    (issue 17, ``core.notifications``)."""
    from django.db import transaction
    from django.views.i18n import set_language as django_set_language

    from core.audit import audit_record
    from core.models import User
    from core.notifications.text import supported_language

    response = django_set_language(request)
    chosen = supported_language(request.POST.get("language")) if request.method == "POST" else None
    user = getattr(request, "user", None)
    if chosen and user is not None and user.is_authenticated and user.language != chosen:
        before = user.language
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(language=chosen)
            user.language = chosen
            audit_record(
                stream="system:accounts",
                action="account.language_changed",
                actor=user,
                subject=f"user:{user.pk}",
                before={"language": before},
                after={"language": chosen},
            )
    return response
