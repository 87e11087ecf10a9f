"""Marketplace pages: thin views that parse, check permission, call a selector or service, render."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Lot
from core import clock
from core.errors import DomainError
from core.models import STAFF_ROLES, User
from core.ratelimit import check_write_rate
from marketplace.forms import ViewingSlotForm
from marketplace.notices import TOPICS, read_unsubscribe_token, unsubscribe_all_channels
from marketplace.selectors import court_viewing_slots, my_viewings, viewing_slots_for_lot
from marketplace.services import (
    viewing_cancel,
    viewing_confirm,
    viewing_decline,
    viewing_request,
    viewing_slot_cancel,
    viewing_slot_create,
)
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


# ---- viewing appointments (看样) --------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


@staff_required
def court_viewings(request: HttpRequest) -> HttpResponse:
    court = request.user.court
    form = ViewingSlotForm(court=court)
    status = 200
    if request.method == "POST":
        form = ViewingSlotForm(request.POST, court=court)
        if form.is_valid():
            data = form.cleaned_data
            try:
                check_write_rate(request, "marketplace.viewing")
                viewing_slot_create(
                    lot_id=data["lot"].pk,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    place=data["place"],
                    capacity=data["capacity"],
                    note=data["note"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = 400
            else:
                messages.success(request, _("已发布看样时段。"))
                return redirect("marketplace:court_viewings")
        else:
            status = 400
    slots = court_viewing_slots(court.pk)
    return render(
        request, "marketplace/court/viewings.html", {"form": form, "slots": slots}, status=status
    )


@staff_required
@require_POST
def court_viewing_decide(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action")
    try:
        check_write_rate(request, "marketplace.viewing")
        if action == "confirm":
            viewing_confirm(appointment_id=pk, actor=request.user)
            messages.success(request, _("已确认看样预约。"))
        elif action == "decline":
            viewing_decline(
                appointment_id=pk, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已婉拒看样预约。"))
        else:
            messages.error(request, _("未知操作"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:court_viewings")


@staff_required
@require_POST
def court_viewing_slot_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.viewing")
        viewing_slot_cancel(slot_id=pk, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("已取消看样时段，已通知预约人。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:court_viewings")


def lot_viewings(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    slots = viewing_slots_for_lot(lot.pk, request.user)
    return render(request, "marketplace/lot_viewings.html", {"lot": lot, "slots": slots})


@login_required
@require_POST
def viewing_request_view(request: HttpRequest, slot_id: int) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.viewing")
        viewing_request(
            slot_id=slot_id,
            user=request.user,
            contact_phone=request.POST.get("contact_phone", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("已提交看样预约，法院确认后将通知您。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(_back(request, reverse("marketplace:my_viewings")))


@login_required
def my_viewings_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "marketplace/my_viewings.html",
        {"items": my_viewings(request.user), "now": clock.now()},
    )


@login_required
@require_POST
def viewing_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.viewing")
        viewing_cancel(appointment_id=pk, user=request.user)
        messages.success(request, _("已取消看样预约。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:my_viewings")


# ---- unsubscribe -----------------------------------------------------------------------------


def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """One link per message: confirm, then stop that kind of message on every channel."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "marketplace/unsubscribe.html", {"invalid": True}, status=400)
    user_id, topic = found
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return render(request, "marketplace/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        unsubscribe_all_channels(user=user, topic=topic)
        done = True
    return render(
        request,
        "marketplace/unsubscribe.html",
        {"topic_label": TOPICS[topic], "done": done, "token": token},
    )
