"""The roster pages: public list and firm pages; CSV import/export and status for its keepers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisers import services
from appraisers.models import Firm, RosterEntry
from appraisers.services.roster import FIRM_EDITABLE
from appraisers.views._util import forbidden, guarded
from cases.models import Asset
from core import clock
from core.court_actions import CourtAction, CourtActions, Submitted
from core.errors import DomainError, NotFound, PermissionDenied
from core.forms import Form, TextField
from core.onboarding import Issued
from core.operator_views import remember_issued
from core.permissions import can
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest


def roster_list(request: HttpRequest) -> HttpResponse:
    """Public (REC-09): who is on the roster, in which sub-rosters, and the status of each firm."""
    firms = Firm.objects.prefetch_related("roster_entries").order_by("name")
    specialty = request.GET.get("specialty", "")
    division = request.GET.get("division", "").strip()
    status = request.GET.get("status", "")
    if specialty:
        firms = firms.filter(roster_entries__specialty=specialty)
    if division:
        firms = firms.filter(roster_entries__division_code=division)
    if status:
        firms = firms.filter(status=status)
    return render(
        request,
        "appraisers/roster_list.html",
        {
            "firms": firms.distinct(),
            "specialties": Asset.Kind.choices,
            "statuses": Firm.Status.choices,
            "specialty": specialty,
            "division": division,
            "status": status,
            "now": clock.now(),
            "can_manage": can(request.user, "appraisers.manage_roster"),
            "can_onboard": can(request.user, "appraisers.onboard_firms"),
        },
    )


class FirmNewForm(Form):
    name = TextField(label=_("机构名称"))
    licence_no = TextField(label=_("资质证书编号"))
    uscc = TextField(label=_("统一社会信用代码"))
    qualification = forms.ChoiceField(label=_("资质类别"), choices=Firm.Qualification.choices)
    recommended_by = TextField(label=_("推荐协会（APR-01，必填）"))
    division_code = TextField(label=_("注册地行政区划代码"))
    address = TextField(label=_("地址"))
    contact_name = TextField(label=_("联系人"))
    contact_phone = TextField(label=_("联系电话"))


class FirmUserForm(Form):
    username = TextField(label=_("用户名"))
    display_name = TextField(label=_("姓名"))
    phone = TextField(label=_("手机号"))
    email = TextField(label=_("电子邮箱"))


class FirmEditForm(FirmNewForm):
    licence_no = None  # type: ignore[assignment]  # the firm's key: never changed here
    reason = TextField(label=_("修改原因"))


def _firm_update(s: Submitted[Firm | None]) -> Firm:
    if s.target is None:
        raise NotFound("firm_not_found", gettext("评估机构不存在"))
    return services.firm_update(firm=s.target, actor=s.actor, **s.data)


def _firm_user_create(s: Submitted[Firm | None]) -> Issued:
    if s.target is None:
        raise NotFound("firm_not_found", gettext("评估机构不存在"))
    return services.firm_user_create(firm=s.target, actor=s.actor, **s.data)


#: The operator's onboarding of firms and their users (``appraisers.onboard_firms``).
ONBOARD_ACTIONS: CourtActions[Firm | None] = CourtActions(
    {
        "create": CourtAction[Firm | None](
            form=FirmNewForm,
            call=lambda s: services.firm_create(actor=s.actor, **s.data),
            done=lambda s, firm: gettext("已将「%(n)s」加入名单库") % {"n": firm.name},
            then=lambda _t, firm: reverse("appraisers:firm_detail", args=[firm.pk]),
            perm="appraisers.onboard_firms",
        ),
        "edit": CourtAction[Firm | None](
            form=FirmEditForm,
            call=_firm_update,
            done=lambda s, firm: gettext("已保存机构信息：%(n)s") % {"n": firm.name},
            perm="appraisers.onboard_firms",
        ),
        "user": CourtAction[Firm | None](
            form=FirmUserForm,
            call=_firm_user_create,
            done=lambda s, issued: (
                gettext("已添加机构用户 %(n)s，启用链接已发送。") % {"n": issued.user.display_name}
            ),
            perm="appraisers.onboard_firms",
        ),
    },
    page=lambda firm: (
        reverse("appraisers:firm_detail", args=[firm.pk])
        if firm
        else reverse("appraisers:firm_new")
    ),
    errors="form",
)


@login_required
@guarded
@write_rate_limited("appraisers")
def firm_new(request: AuthedRequest) -> HttpResponse:
    """A new firm on the roster, with its recommending association (APR-01): operator only."""
    if not can(request.user, "appraisers.onboard_firms"):
        return forbidden(request, gettext("仅平台运营人员可以新增评估机构"))
    outcome = None
    if request.method == "POST":
        outcome = ONBOARD_ACTIONS.run(request, "create", None)
        if outcome.ok:
            return redirect(outcome.next_url)
    form = ONBOARD_ACTIONS.forms(None, bound=outcome)["create"]
    return render(request, "appraisers/firm_new.html", {"form": form})


class StatusForm(Form):
    status = TextField()
    reason = TextField()


class EntryForm(Form):
    specialty = TextField()
    level = TextField()
    division_code = TextField()

    def clean(self) -> dict[str, Any]:
        d = dict(super().clean() or {})
        return {**d, "division_code": d.get("division_code", "").strip()}


#: The roster keeper's actions on a firm (``appraisers.manage_roster``, checked by the page).
FIRM_ACTIONS: CourtActions[Firm] = CourtActions(
    {
        "status": CourtAction[Firm](
            form=StatusForm,
            call=lambda s: services.firm_set_status(firm=s.target, actor=s.actor, **s.data),
            done=_("已变更机构状态"),
        ),
        "entry": CourtAction[Firm](
            form=EntryForm,
            call=lambda s: services.roster_entry_add(firm=s.target, actor=s.actor, **s.data),
            done=_("已加入名单分库"),
        ),
    },
    page=lambda firm: reverse("appraisers:firm_detail", args=[firm.pk]),
    subject=lambda firm: firm.name,
)


def _roster_firm(request: HttpRequest, pk: int) -> Firm:
    """A firm, for the roster keeper (``appraisers.manage_roster``): the roster actions' target."""
    firm = get_object_or_404(Firm, pk=pk)
    if not can(request.user, "appraisers.manage_roster"):
        raise PermissionDenied("forbidden", gettext("仅名单库管理人员可以修改"))
    return firm


def _onboard_forms(firm: Firm, outcome: Any) -> dict[str, Any]:
    forms_ = ONBOARD_ACTIONS.forms(firm, bound=outcome)
    if outcome is None or outcome.name != "edit":
        forms_["edit"] = FirmEditForm(initial={f: getattr(firm, f) for f in FIRM_EDITABLE})
    return forms_


@guarded
@write_rate_limited("appraisers")
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(Firm, pk=pk)
    can_manage = can(request.user, "appraisers.manage_roster")
    can_onboard = can(request.user, "appraisers.onboard_firms")
    user_outcome = None
    if request.method == "POST" and request.POST.get("action") in ("user", "edit"):
        if not can_onboard:
            return forbidden(request, gettext("仅平台运营人员可以添加机构用户"))
        user_outcome = ONBOARD_ACTIONS.run(request, request.POST["action"], firm)
        if user_outcome.ok and user_outcome.name == "edit":
            return redirect(user_outcome.next_url)
        if user_outcome.ok:
            issued = user_outcome.result
            remember_issued(request, issued)
            return redirect("core:operator_person", issued.user.pk)
    elif request.method == "POST":
        return FIRM_ACTIONS.post(request, request.POST.get("action", ""), _roster_firm(request, pk))
    return render(
        request,
        "appraisers/firm_detail.html",
        {
            "firm": firm,
            "entries": firm.roster_entries.all(),
            "appraisers": firm.appraisers.filter(is_active=True),
            "can_manage": can_manage,
            "can_onboard": can_onboard,
            "firm_users": firm.users.select_related("user").order_by("created_at")
            if can_onboard
            else [],
            "onboard_forms": _onboard_forms(firm, user_outcome) if can_onboard else {},
            "statuses": Firm.Status.choices,
            "specialties": Asset.Kind.choices,
            "levels": RosterEntry.Level.choices,
            "now": clock.now(),
        },
    )


@login_required
def roster_export(request: AuthedRequest, kind: str) -> HttpResponse:
    if not can(request.user, "appraisers.manage_roster"):
        return forbidden(request, "仅名单库管理人员可以导出")
    text = services.roster_export_csv() if kind == "firms" else services.appraisers_export_csv()
    resp = HttpResponse(text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="appraisal-roster-{kind}.csv"'
    return resp


def roster_import_run(kind: str, raw: bytes, actor: Any) -> dict[str, int]:
    """Import the roster's firms (``kind`` "firms") or appraisers from a UTF-8 CSV, all or
    nothing (a refusal lists each bad line). ``UnicodeDecodeError``: not UTF-8."""
    text = raw.decode("utf-8-sig")
    fn = services.roster_import_csv if kind == "firms" else services.appraisers_import_csv
    counts: dict[str, int] = fn(text=text, actor=actor)
    return counts


@login_required
@guarded
@write_rate_limited("appraisers")
def roster_import(request: AuthedRequest) -> HttpResponse:
    if not can(request.user, "appraisers.manage_roster"):
        return forbidden(request, "仅名单库管理人员可以导入")
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "firms")
        try:
            if upload is None:
                raise DomainError("file_required", _("请选择 CSV 文件"))
            counts = roster_import_run(kind, upload.read(), request.user)
        except UnicodeDecodeError:
            messages.error(request, "CSV 文件须为 UTF-8 编码")
        except DomainError as exc:
            messages.error(request, "导入失败，未做任何修改")
            errors = exc.data.get("errors") or [str(exc.message)]
        else:
            messages.success(
                request, f"导入完成：新增 {counts['created']} 条，更新 {counts['updated']} 条"
            )
            return redirect("appraisers:roster_list")
    return render(request, "appraisers/roster_import.html", {"errors": errors})
