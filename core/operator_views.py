"""The platform operator's onboarding pages (``core.onboard``: the operator role, never a
superuser bypass): courts with their master account and phone, their staff with roles, and
people's enrolment links. Appraisal firms and their users: ``appraisers/views/roster.py``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import onboarding
from core.court_actions import CourtAction, CourtActions, Submitted
from core.errors import NotFound, PermissionDenied
from core.forms import FlagField, Form, TextField
from core.models import STAFF_ROLES, Court, EnrolmentLink, Role, User
from core.permissions import can
from core.ratelimit import write_rate_limited

ISSUED_KEY = "gavel_issued_link"


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "core/forbidden.html",
        {"message": message or _("仅平台运营人员可以使用此页面。")},
        status=403,
    )


def operator(request: HttpRequest) -> None:
    """Refuse anyone but the operator (``core.onboard``): the API's check of these pages."""
    if not can(request.user, "core.onboard"):
        raise PermissionDenied("forbidden", _("仅平台运营人员可以使用此页面。"))


def operator_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in and ``core.onboard`` (the operator role), else a 403 page in the site's layout."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can(request.user, "core.onboard"):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper


def remember_issued(request: HttpRequest, issued: onboarding.Issued) -> None:
    """Keep the new link for the next page only: the operator sees it once, to hand over."""
    request.session[ISSUED_KEY] = {"user": issued.user.pk, "url": issued.url}


def pop_issued(request: HttpRequest) -> dict[str, Any] | None:
    value = request.session.pop(ISSUED_KEY, None)
    if not isinstance(value, dict):
        return None
    user = User.objects.filter(pk=int(value.get("user") or 0)).first()
    url = str(value.get("url", ""))
    if url.startswith("/"):  # no GAVEL_SITE_URL: this site's own address, to hand over
        url = request.build_absolute_uri(url)
    return {"user": user, "url": url} if user else None


class CourtForm(Form):
    name = TextField(label=gettext_lazy("法院名称"))
    code = TextField(label=gettext_lazy("法院代字"))
    division_code = TextField(label=gettext_lazy("行政区划代码"))
    master_account_no = TextField(label=gettext_lazy("执行款专户账号"))
    master_account_bank = TextField(label=gettext_lazy("开户行"))
    master_account_name = TextField(label=gettext_lazy("户名"))
    contact_phone = TextField(label=gettext_lazy("联系电话"))


class CourtChangeForm(CourtForm):
    reason = TextField(label=gettext_lazy("修改原因"))


STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r.value in STAFF_ROLES]


class PersonForm(Form):
    username = TextField(label=gettext_lazy("用户名"))
    display_name = TextField(label=gettext_lazy("姓名"))
    phone = TextField(label=gettext_lazy("手机号"))
    email = TextField(label=gettext_lazy("电子邮箱"))


class StaffForm(PersonForm):
    role = forms.ChoiceField(label=gettext_lazy("角色"), choices=STAFF_ROLE_CHOICES)


class PersonEditForm(Form):
    display_name = TextField(label=gettext_lazy("姓名"))
    phone = TextField(label=gettext_lazy("手机号"))
    email = TextField(label=gettext_lazy("电子邮箱"))
    role = forms.ChoiceField(
        label=gettext_lazy("角色"),
        choices=[(r.value, r.label) for r in Role if r.value in onboarding.ONBOARD_ROLES],
    )
    reason = TextField(label=gettext_lazy("修改原因"))


class ReasonForm(Form):
    reason = TextField(label=gettext_lazy("原因"))


class ActiveForm(Form):
    active = FlagField(yes="1")
    reason = TextField(label=gettext_lazy("原因"))


def _staff_create(s: Submitted[Court | None]) -> onboarding.Issued:
    return onboarding.person_create(court=s.target, actor=s.actor, **s.data)


def _court_update(s: Submitted[Court | None]) -> Court:
    if s.target is None:
        raise NotFound("court_not_found", _("法院不存在"))
    return onboarding.court_update(court=s.target, actor=s.actor, **s.data)


#: The courts pages' actions (the operator: ``core.onboard``, checked by the pages and the
#: API's lookup); a new staff member's page shows the enrolment link (the view keeps it).
COURT_ACTIONS: CourtActions[Court | None] = CourtActions(
    {
        "create": CourtAction[Court | None](
            form=CourtForm,
            call=lambda s: onboarding.court_create(actor=s.actor, **s.data),
            done=lambda s, court: _("已创建法院：%(n)s") % {"n": court.name},
            then=lambda _t, court: reverse("core:operator_court", args=[court.pk]),
        ),
        "update": CourtAction[Court | None](
            form=CourtChangeForm,
            call=_court_update,
            done=lambda s, court: _("已保存法院信息：%(n)s") % {"n": court.name},
        ),
        "staff": CourtAction[Court | None](
            form=StaffForm,
            call=_staff_create,
            done=lambda s, issued: (
                _("已添加%(role)s %(name)s，启用链接已发送。")
                % {"role": issued.user.get_role_display(), "name": issued.user.display_name}
            ),
            then=lambda _t, issued: reverse("core:operator_person", args=[issued.user.pk]),
        ),
    },
    page=lambda court: (
        reverse("core:operator_court", args=[court.pk])
        if court
        else reverse("core:operator_courts")
    ),
    errors="form",
)


@operator_only
@write_rate_limited("onboarding")
def courts(request: HttpRequest) -> HttpResponse:
    """Courts: the list (search by name or code) and a new court."""
    actions = COURT_ACTIONS
    outcome = None
    if request.method == "POST":
        outcome = actions.run(request, "create", None)
        if outcome.ok:
            return redirect(outcome.next_url)
    q = request.GET.get("q", "").strip()
    rows = Court.objects.annotate(staff_count=Count("staff")).order_by("code")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return render(
        request,
        "core/operator/courts.html",
        {"courts": rows, "q": q, "form": actions.forms(None, bound=outcome)["create"]},
    )


@operator_only
@write_rate_limited("onboarding")
def court_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One court: its details and master account (editable, with a reason), its staff, a new
    staff member (who gets an enrolment link)."""
    court = get_object_or_404(Court, pk=pk)
    actions = COURT_ACTIONS
    outcome = None
    if request.method == "POST":
        name = request.POST.get("action", "")
        if name not in ("update", "staff"):
            return forbidden(request, _("未知操作"))
        outcome = actions.run(request, name, court)
        if outcome.ok and name == "staff":
            remember_issued(request, outcome.result)  # the person's page shows it once
        if outcome.ok:
            return redirect(outcome.next_url)
    forms_ = actions.forms(court, bound=outcome)
    if outcome is None or outcome.name != "update":
        forms_["update"] = CourtChangeForm(
            initial={f: getattr(court, f) for f in onboarding.COURT_FIELDS}
        )
    return render(
        request,
        "core/operator/court.html",
        {
            "court": court,
            "staff": court.staff.order_by("role", "display_name"),
            "forms": forms_,
        },
    )


#: A person's actions (the operator).
PERSON_ACTIONS: CourtActions[User] = CourtActions(
    {
        "reissue": CourtAction[User](
            form=ReasonForm,
            call=lambda s: onboarding.enrolment_issue(
                user=s.target, actor=s.actor, reason=s.data["reason"]
            ),
            done=lambda s, issued: _("已重新发放启用链接，之前的链接已作废。"),
        ),
        "edit": CourtAction[User](
            form=PersonEditForm,
            call=lambda s: onboarding.person_update(user=s.target, actor=s.actor, **s.data),
            done=lambda s, user: _("已保存：%(n)s") % {"n": user.display_name},
        ),
        "active": CourtAction[User](
            form=ActiveForm,
            call=lambda s: onboarding.person_set_active(user=s.target, actor=s.actor, **s.data),
            done=lambda s, user: _("账户已启用。") if user.is_active else _("账户已停用。"),
        ),
    },
    page=lambda user: reverse("core:operator_person", args=[user.pk]),
)


@operator_only
def people(request: HttpRequest) -> HttpResponse:
    """Everyone the operator onboarded (staff, firm users, operators): find them again."""
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    rows = (
        User.objects.filter(role__in=onboarding.ONBOARD_ROLES)
        .select_related("court")
        .order_by("court__code", "role", "display_name")
    )
    if role in onboarding.ONBOARD_ROLES:
        rows = rows.filter(role=role)
    if q:
        rows = rows.filter(
            Q(username__icontains=q)
            | Q(display_name__icontains=q)
            | Q(phone__icontains=q)
            | Q(court__name__icontains=q)
        )
    roles = [(r.value, r.label) for r in Role if r.value in onboarding.ONBOARD_ROLES]
    return render(
        request,
        "core/operator/people.html",
        {"people": rows[:500], "q": q, "role": role, "roles": roles},
    )


@operator_only
@write_rate_limited("onboarding")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One person: role, court, whether enrolled; re-issue the enrolment link (audited),
    deactivate or reactivate the account."""
    person = get_object_or_404(User, pk=pk, role__in=onboarding.ONBOARD_ROLES)
    actions = PERSON_ACTIONS
    if request.method == "POST":
        name = request.POST.get("action", "")
        if name not in actions:
            return forbidden(request, _("未知操作"))
        outcome = actions.run(request, name, person)
        if outcome.ok and name == "reissue":
            remember_issued(request, outcome.result)
        return redirect(outcome.next_url)
    issued = pop_issued(request)
    if issued is not None and issued["user"].pk != person.pk:
        issued = None
    links = EnrolmentLink.objects.filter(user=person).order_by("-created_at")[:10]
    return render(
        request,
        "core/operator/person.html",
        {
            "person": person,
            "issued": issued,
            "links": links,
            "enrolled": onboarding.has_second_factor(person),
            "edit_form": PersonEditForm(
                initial={
                    "display_name": person.display_name,
                    "phone": person.phone,
                    "email": person.email,
                    "role": person.role,
                }
            ),
        },
    )


@operator_only
def operator_home(request: HttpRequest) -> HttpResponse:
    return redirect("core:operator_courts")
