"""Small helpers for the pages: parsing form input into service arguments, running an action."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import calendar
from core.errors import DomainError
from core.errors import PermissionDenied as DomainPermissionDenied
from core.money import parse_yuan
from core.ratelimit import RateLimited


def parse_dt(value: str | None, label: str) -> dt.datetime:
    """``2026-11-05T10:00`` (a datetime-local input) read as Beijing time."""
    try:
        naive = dt.datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise DomainError("invalid_datetime", f"{label}格式不正确") from exc
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=calendar.CST)
    return naive.astimezone(dt.UTC)


def parse_date(value: str | None, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise DomainError("invalid_date", f"{label}格式不正确（应为 年-月-日）") from exc


def parse_int(value: str | None, label: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError as exc:
        raise DomainError("invalid_number", f"{label}应为整数") from exc


def parse_fen(value: str | None, label: str) -> int:
    if not (value or "").strip():
        raise DomainError("amount_required", f"请填写{label}")
    return parse_yuan(value or "")


def posted_pk(post: Any, name: str) -> int:
    """The id a form posts in ``name``; anything else is a 404, never a server error."""
    from django.http import Http404

    value = (post.get(name) or "").strip()
    if not value.isdigit():
        raise Http404(name)
    return int(value)


def split_list(value: str | None) -> list[str]:
    return [x for x in re.split(r"[\s,，、;；]+", value or "") if x]


def report_form_data(post: Any) -> dict[str, Any]:
    """The report fields of a form (APR-04)."""
    return {
        "amount_fen": parse_fen(post.get("amount_yuan"), "评估结果（元）"),
        "value_date": parse_date(post.get("value_date"), "评估基准日"),
        "valid_until": parse_date(post.get("valid_until"), "有效期至"),
        "facts": post.get("facts", ""),
        "method": post.get("method", ""),
        "standards": post.get("standards", ""),
        "signing_firm_name": post.get("signing_firm_name", ""),
        "signing_firm_licence": post.get("signing_firm_licence", ""),
        "signer_licences": split_list(post.get("signer_licences")),
    }


def run(request: HttpRequest, fn: Callable[[], Any], success: str) -> bool:
    """Run one service call; a refusal becomes a clear Chinese message on the page."""
    try:
        fn()
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return False
    messages.success(request, success)
    return True


def forbidden(request: HttpRequest, message: str = "无权访问该页面") -> HttpResponse:
    return render(request, "appraisers/forbidden.html", {"message": message}, status=403)


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a permission refusal raised anywhere in the view into a 403 page."""
    from functools import wraps

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied as exc:
            return forbidden(request, str(exc.message))
        except RateLimited as exc:
            return render(
                request, "appraisers/forbidden.html", {"message": str(exc.message)}, status=429
            )

    return wrapper
