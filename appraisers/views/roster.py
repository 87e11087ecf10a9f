"""The roster pages: public list and firm pages; CSV import/export and status for its keepers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisers import services
from appraisers.models import Firm, RosterEntry
from appraisers.views._util import forbidden, guarded
from cases.models import Asset
from core import clock
from core.court_actions import CourtAction, CourtActions
from core.errors import DomainError
from core.forms import Form, TextField
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
        },
    )


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
)


@guarded
@write_rate_limited("appraisers")
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(Firm, pk=pk)
    can_manage = can(request.user, "appraisers.manage_roster")
    if request.method == "POST":
        if not can_manage:
            return forbidden(request, gettext("仅名单库管理人员可以修改"))
        return FIRM_ACTIONS.post(request, request.POST.get("action", ""), firm)
    return render(
        request,
        "appraisers/firm_detail.html",
        {
            "firm": firm,
            "entries": firm.roster_entries.all(),
            "appraisers": firm.appraisers.filter(is_active=True),
            "can_manage": can_manage,
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
                raise DomainError("file_required", "请选择 CSV 文件")
            text = upload.read().decode("utf-8-sig")
            fn = services.roster_import_csv if kind == "firms" else services.appraisers_import_csv
            counts = fn(text=text, actor=request.user)
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
