"""Court staff (and operators, admin users) complete TOTP two-factor sign-in (REC-14).

Pages redirect to the code entry page; the API answers 403 ``otp_required`` (an API call
must never get around the second factor). Sign-in, sign-out, the code pages, static files
and the language switch stay reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import requires_two_factor

_EXEMPT_PREFIXES = ("/static/", "/i18n/", "/accounts/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            settings.GAVEL_STAFF_2FA_REQUIRED
            and user is not None
            and requires_two_factor(user)
            and not user.is_verified()
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "otp_required", "message": _("请先完成双因素认证"), "rule": "REC-14"},
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('core:otp')}?{query}")
        return self.get_response(request)


class ChosenLanguageMiddleware:
    """zh-hans unless the person chose English with the language switch (REC: Chinese first).

    Unlike Django's ``LocaleMiddleware`` this ignores the browser's Accept-Language: a court
    platform answers in Chinese until someone asks otherwise (the choice is kept in Django's
    language cookie, set by ``/i18n/setlang/``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class DomainErrorPageMiddleware:
    """A refusal (``DomainError``) that escapes a page view is a page in the site's layout
    with its message and rule and its own status (400, 403, 404, 409), never a 500. The API
    has its own handler (``core.api_errors``: ``{"code","message","rule"}``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        from django.shortcuts import render

        from core.errors import DomainError

        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        status = exception.status
        template = {403: "403.html", 404: "404.html"}.get(status, "400.html")
        context = {
            "message": exception.message,
            "exception": exception.message,
            "rule": exception.rule,
        }
        return render(request, template, context, status=status)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    """Bad input never reaches a view as a 500 (issue 15, ``core.validation``).

    - A body larger than the site takes is 413 before anything reads it: forms and JSON up
      to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, file uploads (multipart) up to
      ``GAVEL_MAX_UPLOAD_BYTES``; Django's ``RequestDataTooBig`` raised later is 413 too;
    - a query string or form field with a NUL byte is 400 (PostgreSQL cannot hold one).

    The API answers ``{"code","message","rule"}``; a page is ``400.html`` with the status.
    A ``DomainError`` escaping a page is ``DomainErrorPageMiddleware``'s.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        from core.validation import check_querydict, request_too_large_error

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.content_type == "multipart/form-data"
        limit = (
            settings.GAVEL_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and length > limit:
            return refusal(request, request_too_large_error())
        try:
            check_querydict(request.GET.lists())
            if request.method == "POST" and request.content_type in _FORM_TYPES:
                check_querydict(request.POST.lists())
        except DomainError as exc:
            return refusal(request, exc)
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        from django.core.exceptions import RequestDataTooBig

        from core.validation import request_too_large_error

        if isinstance(exception, RequestDataTooBig):
            return refusal(request, request_too_large_error())
        return None


def refusal(request: HttpRequest, exc: DomainError) -> HttpResponseBase:
    """A ``DomainError`` as the API's JSON or as the site's 400 page, with the error's status."""
    if request.path.startswith("/api/"):
        return JsonResponse(exc.as_dict(), status=exc.status)
    from django.shortcuts import render

    context = {"message": exc.message, "exception": exc.message, "rule": exc.rule, "code": exc.code}
    return render(request, "400.html", context, status=exc.status)
