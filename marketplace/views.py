"""Marketplace pages: thin views that parse, check permission, call a selector or service, render."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.models import STAFF_ROLES
from marketplace.workbench import workbench_counts, workbench_items


def staff_required(view):
    """Court staff of a court only (judges, officers, bureau heads, finance)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.role not in STAFF_ROLES or request.user.court_id is None:
            raise DjangoPermissionDenied("仅限法院工作人员")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def workbench(request: HttpRequest) -> HttpResponse:
    items = workbench_items(request.user)
    return render(
        request,
        "marketplace/court/workbench.html",
        {"items": items, "counts": workbench_counts(items)},
    )
