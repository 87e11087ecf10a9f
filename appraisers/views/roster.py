"""The roster pages: public list and firm pages; CSV import/export and status for its keepers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from appraisers import services
from appraisers.models import Firm, RosterEntry
from appraisers.views._util import forbidden, guarded, run
from cases.models import Asset
from core import clock
from core.errors import DomainError
from core.ratelimit import write_rate_limited


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
            "can_manage": request.user.has_perm("appraisers.manage_roster"),
        },
    )


@guarded
@write_rate_limited("appraisers")
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_object_or_404(Firm, pk=pk)
    can_manage = request.user.has_perm("appraisers.manage_roster")
    if request.method == "POST":
        if not can_manage:
            return forbidden(request, "仅名单库管理人员可以修改")
        P = request.POST
        if P.get("action") == "status":
            run(
                request,
                lambda: services.firm_set_status(
                    firm=firm,
                    status=P.get("status", ""),
                    reason=P.get("reason", ""),
                    actor=request.user,
                ),
                "已变更机构状态",
            )
        elif P.get("action") == "entry":
            run(
                request,
                lambda: services.roster_entry_add(
                    firm=firm,
                    specialty=P.get("specialty", ""),
                    level=P.get("level", ""),
                    division_code=P.get("division_code", "").strip(),
                    actor=request.user,
                ),
                "已加入名单分库",
            )
        return redirect("appraisers:firm_detail", pk=firm.pk)
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
def roster_export(request: HttpRequest, kind: str) -> HttpResponse:
    if not request.user.has_perm("appraisers.manage_roster"):
        return forbidden(request, "仅名单库管理人员可以导出")
    text = services.roster_export_csv() if kind == "firms" else services.appraisers_export_csv()
    resp = HttpResponse(text, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="appraisal-roster-{kind}.csv"'
    return resp


@login_required
@guarded
@write_rate_limited("appraisers")
def roster_import(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("appraisers.manage_roster"):
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
