"""Court staff must complete TOTP two-factor sign-in (REC-14) before using the site."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from core.models import STAFF_ROLES

_EXEMPT_PREFIXES = ("/static/", "/i18n/", "/accounts/", "/api/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.GAVEL_STAFF_2FA_REQUIRED
            and user is not None
            and user.is_authenticated
            and user.role in STAFF_ROLES
            and not user.is_verified()
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            return redirect(reverse("core:otp") + f"?next={request.path}")
        return self.get_response(request)
