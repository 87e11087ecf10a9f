"""The judge's pages (my cases, the case page and its forms), the identity page and the
parties' portal. Thin: parse, check permission, call one service, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import forms as f
from cases import selectors, services
from cases.features import FEATURES, feature_rows
from cases.models import Asset, Case, Disclosure, Party
from cases.portal import render_sections
from core import regions
from core.account_views import safe_next
from core.court_actions import CourtAction, CourtActions
from core.errors import DomainError
from core.forms import Form as CoreForm
from core.forms import TextField, YuanField
from core.models import Deadline, Role
from core.money import parse_yuan
from core.permissions import can, is_court_staff
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest

# ---------------------------------------------------------------- helpers


def _case(request: HttpRequest, case_id: int, *, change: bool = False) -> Case:
    """The case if visible (else 404, so other courts' cases stay unseen); 403 to change it."""
    try:
        case = selectors.case_get_visible(request.user, case_id)
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc
    if change and not can(request.user, "cases.change_case", case):
        raise PermissionDenied(_("无权修改该案件"))
    return case


def _asset(case: Case, asset_id: int) -> Asset:
    asset = Asset.objects.filter(case=case, pk=asset_id).first()
    if asset is None:
        raise Http404(_("该案件下没有这个标的物"))
    return asset


def _fen(text: str) -> int | None:
    """An optional amount in yuan, as fen (``None`` when left empty)."""
    text = (text or "").strip()
    return parse_yuan(text) if text else None


def _fen_required(text: str) -> int:
    """A required amount in yuan, as fen."""
    fen = _fen(text)
    if fen is None:
        raise DomainError("invalid_claim_amount", _("请填写金额"))
    return fen


def _asset_view(asset: Asset) -> dict[str, Any]:
    deadlines = {d.start_event: d for d in asset_deadlines(asset)}
    seizures = [
        {"s": s, "deadline": deadlines.get(f"seizure:{s.pk}")}
        for s in selectors.asset_seizures(asset)
    ]
    current = selectors.current_disclosures(asset)
    return {
        "asset": asset,
        "region": regions.full_name(asset.division_code),
        "features": feature_rows(asset.kind, asset.features),
        "disclosures": [
            (topic, label, current.get(topic)) for topic, label in Disclosure.Topic.choices
        ],
        "missing": selectors.missing_disclosure_topics(asset),
        "seizures": seizures,
        "files": list(asset.files.all()),
        "lots": list(asset.lots.all()),
    }


def asset_deadlines(asset: Asset) -> QuerySet[Deadline]:
    return Deadline.objects.filter(subject=asset.ref).select_related("owner").order_by("due_at")


# ---------------------------------------------------------------- staff pages


@login_required
def my_cases(request: AuthedRequest) -> HttpResponse:
    """我的案件: a judge's or officer's own cases; ``?all=1`` for the whole court's."""
    user = request.user
    if not can(user, "core.view_court_staff_pages"):
        if selectors.parties_of_user(user).exists():
            return redirect("cases:portal")
        return redirect("cases:identity")
    show_all = request.GET.get("all") == "1" or user.role not in (Role.JUDGE, Role.OFFICER)
    qs = selectors.cases_for_staff(user, mine=not show_all)
    status = request.GET.get("status") or ""
    if status:
        qs = qs.filter(status=status)
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(number__contains=q) | qs.filter(title__contains=q)
    cases = list(qs[:300])
    open_counts = {}
    for c in cases:
        open_counts[c.pk] = selectors.case_deadlines(c, open_only=True).count()
    return render(
        request,
        "cases/my_cases.html",
        {
            "cases": [(c, open_counts[c.pk]) for c in cases],
            "show_all": show_all,
            "status": status,
            "q": q,
            "statuses": Case.Status.choices,
            "can_add": can(user, "cases.add_case"),
        },
    )


@login_required
@write_rate_limited("cases")
def case_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    court = user.court
    if court is None or not can(user, "cases.add_case"):
        raise PermissionDenied(_("无权立案登记"))
    form = f.CaseForm(
        request.POST or None,
        court=court,
        initial={"judge": user if user.role == Role.JUDGE else None},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_create(
                court=court,
                number=d["number"],
                claim_fen=_fen_required(d["claim"]),
                filed_on=d["filed_on"],
                judge=d["judge"],
                officer=d["officer"],
                title=d["title"],
                title_document=d["title_document"],
                actor=user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已立案登记：%(n)s") % {"n": case.number})
            return redirect("cases:case", case_id=case.pk)
    return render(
        request,
        "cases/form.html",
        {
            "form": form,
            "title": _("立案登记执行案件"),
            "back": reverse("cases:my_cases"),
        },
    )


@login_required
def case_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    if not can(request.user, "cases.view_case_record", case):
        return redirect("cases:portal_case", case_id=case.pk)
    from cases.audit_labels import history_rows

    page = _history_page(request, case)
    ctx = {
        "case": case,
        "case_type_label": _type_label(case.case_type),
        "parties": selectors.case_parties(case),
        "assets": [_asset_view(a) for a in selectors.case_assets(case)],
        "lots": selectors.case_lots(case),
        "deadlines": selectors.case_deadlines(case).select_related("owner"),
        "history_page": page,
        "history": history_rows(
            page.object_list,
            names={p.ref: p.name for p in selectors.case_parties(case)},
        ),
        "can_change": can(request.user, "cases.change_case", case),
        "can_reveal": can(request.user, "cases.reveal_identity", case),
        "statuses": Case.Status.choices,
    }
    ctx["sections"] = render_sections("case", request, case, ctx)
    return render(request, "cases/case_detail.html", ctx)


HISTORY_PAGE_SIZE = 50


def _history_page(request: HttpRequest, case: Any) -> Any:
    """One page of the case's history, newest first (``?history=2`` for older entries)."""
    from django.core.paginator import Paginator

    return Paginator(selectors.case_history(case), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("history")
    )


def _type_label(code: str) -> str:
    from cases.numbers import CASE_TYPES

    return _(CASE_TYPES.get(code, code))  # stored Chinese, shown in the reader's language


@login_required
def asset_detail(request: AuthedRequest, case_id: int, asset_id: int) -> HttpResponse:
    case = _case(request, case_id)
    if not can(request.user, "cases.view_case_record", case):
        return redirect("cases:portal_case", case_id=case.pk)
    asset = _asset(case, asset_id)
    view = _asset_view(asset)
    return render(
        request,
        "cases/asset_detail.html",
        {
            "case": case,
            "asset": asset,
            "asset_view": view,
            "files": view["files"],
            "history": selectors.disclosure_history(asset),
            "deadlines": asset_deadlines(asset),
            "can_change": can(request.user, "cases.change_case", case),
        },
    )


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    title: str,
    case: Case,
    back: str,
    extra: dict[str, Any] | None = None,
    template: str = "cases/form.html",
) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, "title": title, "case": case, "back": back, **(extra or {})},
    )


@login_required
@write_rate_limited("cases")
def party_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    form = f.PartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.party_add(
                case=case,
                role=d["role"],
                kind=d["kind"],
                name=d["name"],
                identity_kind=d["identity_kind"],
                identity_number=d["identity_number"],
                user=d["username"],
                phone=d["phone"],
                address=d["address"],
                email=d["email"],
                priority=d["priority"],
                claim_fen=_fen(d["claim"]),
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(
                form, exc, field_map={"invalid_claim_amount": "claim", "invalid_amount": "claim"}
            )
        else:
            messages.success(request, _("已添加当事人：%(n)s") % {"n": d["name"]})
            return redirect(reverse("cases:case", args=[case.pk]) + "#parties")
    return _form_page(
        request,
        form=form,
        title=_("添加当事人"),
        case=case,
        back=reverse("cases:case", args=[case.pk]),
    )


@login_required
@write_rate_limited("cases")
def party_reveal(request: AuthedRequest, case_id: int, party_id: int) -> HttpResponse:
    """Show a party's full identity number once, to a named role, with a purpose (logged)."""
    case = _case(request, case_id)
    party = Party.objects.filter(case=case, pk=party_id).select_related("identity").first()
    if party is None or party.identity is None:
        raise Http404(_("未找到该当事人或其未登记证件"))
    form = f.RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.identity_reveal(
                user=request.user,
                identity=party.identity,
                purpose=form.cleaned_data["purpose"],
                case=case,
            )
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from exc
            f.add_domain_error(form, exc)
    elif not can(request.user, "cases.reveal_identity", case):
        raise PermissionDenied(_("无权查看完整证件号码"))
    response = render(
        request,
        "cases/reveal.html",
        {
            "case": case,
            "party": party,
            "form": form,
            "revealed": revealed,
            "back": reverse("cases:case", args=[case.pk]) + "#parties",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@write_rate_limited("cases")
def asset_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    back = reverse("cases:case", args=[case.pk])
    if kind not in FEATURES:
        return render(
            request,
            "cases/asset_kind.html",
            {"case": case, "kinds": Asset.Kind.choices, "back": back},
        )
    form = f.AssetForm(
        request.POST or None, kind=kind, initial={"division_code": case.court.division_code}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            asset = services.asset_register(
                case=case,
                kind=kind,
                name=d["name"],
                division_code=d["division_code"],
                address=d["address"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                features=form.features(),
                description=d["description"],
                purchase_restricted=d.get("purchase_restricted", False),
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记标的物：%(n)s") % {"n": asset.name})
            return redirect("cases:asset", case_id=case.pk, asset_id=asset.pk)
    return _form_page(
        request,
        form=form,
        case=case,
        back=back,
        template="cases/asset_form.html",
        title=_("登记标的物：%(k)s") % {"k": Asset.Kind(kind).label},
        extra={"kind": kind, **regions.picker(form["division_code"].value())},
    )


@login_required
@write_rate_limited("cases")
def asset_edit(request: AuthedRequest, case_id: int, asset_id: int) -> HttpResponse:
    """Correct an asset's location, features and description (audited, with a reason)."""
    case = _case(request, case_id, change=True)
    asset = _asset(case, asset_id)
    precise = asset.location_precision == Asset.Precision.EXACT
    initial = {
        "name": asset.name,
        "division_code": asset.division_code,
        "address": asset.address,
        "latitude": asset.latitude if precise else "",
        "longitude": asset.longitude if precise else "",
        "description": asset.description,
        "purchase_restricted": asset.purchase_restricted,
        **{f.feature_field_name(k): v for k, v in (asset.features or {}).items()},
    }
    form = f.AssetForm(request.POST or None, kind=asset.kind, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.asset_update(
                asset=asset,
                name=d["name"],
                division_code=d["division_code"],
                address=d["address"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                features=form.features(),
                description=d["description"],
                purchase_restricted=d.get("purchase_restricted", False),
                reason=d["reason"],
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已更正标的物信息：%(n)s") % {"n": asset.name})
            return redirect("cases:asset", case_id=case.pk, asset_id=asset.pk)
    return _form_page(
        request,
        form=form,
        case=case,
        back=reverse("cases:asset", args=[case.pk, asset.pk]),
        template="cases/asset_form.html",
        title=_("更正标的物信息：%(n)s") % {"n": asset.name},
        extra={
            "kind": asset.kind,
            "editing": True,
            **regions.picker(form["division_code"].value()),
        },
    )


@login_required
@write_rate_limited("cases")
def disclosure_new(request: AuthedRequest, case_id: int, asset_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    asset = _asset(case, asset_id)
    topic = request.GET.get("topic", "")
    current = selectors.current_disclosures(asset)
    initial = {"topic": topic} if topic in Disclosure.Topic.values else {}
    form = f.DisclosureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.disclosure_record(
                asset=asset,
                topic=form.cleaned_data["topic"],
                text=form.cleaned_data["text"],
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记披露事项：%(t)s") % {"t": d.get_topic_display()})
            return redirect("cases:asset", case_id=case.pk, asset_id=asset.pk)
    return _form_page(
        request,
        form=form,
        case=case,
        title=_("登记披露事项：%(a)s") % {"a": asset.name},
        back=reverse("cases:asset", args=[case.pk, asset.pk]),
        extra={
            "current": current.get(topic),
            "asset": asset,
            "note": _("披露事项只增不改：新登记的内容将取代同一事项的原记录，原记录保留可查。"),
        },
    )


@login_required
@write_rate_limited("cases")
def seizure_new(request: AuthedRequest, case_id: int, asset_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    asset = _asset(case, asset_id)
    allowed = {str(k) for k in services.SEIZURE_KINDS_BY_ASSET[asset.kind]}
    form = f.SeizureForm(request.POST or None, allowed=allowed)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            seizure = services.seizure_record(
                asset=asset,
                kind=d["kind"],
                seized_on=d["seized_on"],
                document=d["document"],
                expires_on=d["expires_on"],
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            deadline = asset_deadlines(asset).filter(start_event=f"seizure:{seizure.pk}").first()
            if deadline is not None:
                from core.deadlines import calendar_display

                messages.success(
                    request,
                    _("已登记%(k)s措施，并开启启动定价期限（PRC-01），届满时间：%(d)s")
                    % {"k": seizure.get_kind_display(), "d": calendar_display(deadline.due_at)},
                )
            else:
                messages.success(
                    request,
                    _("已登记%(k)s措施（该标的物的启动定价期限此前已开启）")
                    % {"k": seizure.get_kind_display()},
                )
            return redirect("cases:asset", case_id=case.pk, asset_id=asset.pk)
    return _form_page(
        request,
        form=form,
        case=case,
        title=_("登记查封措施：%(a)s") % {"a": asset.name},
        back=reverse("cases:asset", args=[case.pk, asset.pk]),
        extra={
            "asset": asset,
            "note": _(
                "登记后将自动开启“查封后30日内启动财产处置参考价确定程序”期限（PRC-01），遇法定休假日顺延。"
            ),
        },
    )


@login_required
@write_rate_limited("cases")
def file_new(request: AuthedRequest, case_id: int, asset_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    asset = _asset(case, asset_id)
    form = f.AssetFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.asset_file_add(
                asset=asset, kind=d["kind"], title=d["title"], file=d["file"], actor=request.user
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已上传：%(t)s") % {"t": d["title"]})
            return redirect("cases:asset", case_id=case.pk, asset_id=asset.pk)
    return _form_page(
        request,
        form=form,
        case=case,
        title=_("上传照片、视频或文件：%(a)s") % {"a": asset.name},
        back=reverse("cases:asset", args=[case.pk, asset.pk]),
        extra={"multipart": True},
    )


@login_required
@write_rate_limited("cases")
def lot_new(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id, change=True)
    form = f.LotForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            lot = services.lot_create(
                case=case,
                assets=list(d["assets"]),
                title=d["title"],
                bundle_reason=d["bundle_reason"],
                actor=request.user,
            )
        except DomainError as exc:
            f.add_domain_error(form, exc)
        else:
            messages.success(request, _("已组成拍品：%(t)s") % {"t": lot.title})
            return redirect(reverse("cases:case", args=[case.pk]) + "#lots")
    return _form_page(
        request,
        form=form,
        case=case,
        title=_("组成拍品"),
        back=reverse("cases:case", args=[case.pk]),
    )


# ---------------------------------------------------------------- identity


@login_required
@write_rate_limited("identity")
def identity(request: AuthedRequest) -> HttpResponse:
    """实名认证: submit identity data and see the verification status."""
    user = request.user
    if is_court_staff(user):
        messages.info(request, _("法院工作人员账户无需实名核验。"))
        return redirect("cases:my_cases")
    nxt = safe_next(request)
    form = f.IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ident = services.identity_submit(
                user=user, kind=d["kind"], number=d["number"], name=d["name"]
            )
        except DomainError as exc:
            f.add_domain_error(
                form,
                exc,
                field_map={
                    "invalid_identity_number": "number",
                    "identity_taken": "number",
                    "invalid_identity_kind": "kind",
                    "identity_name_mismatch": "name",
                },
            )
        else:
            if ident.is_verified:
                messages.success(request, _("实名核验已通过。"))
                if nxt:  # back to where sign-up began (an auction's 报名参拍)
                    return redirect(nxt)
            elif ident.status == ident.Status.REJECTED:
                messages.error(request, _("实名核验未通过：%(r)s") % {"r": ident.failure_reason})
            else:
                messages.info(request, _("已提交，正在核验。"))
            return redirect(_with_next(reverse("cases:identity"), nxt))
    return render(
        request,
        "cases/identity.html",
        {
            "next": nxt,
            "form": form,
            "verified": selectors.verified_identity_for(user),
            "identities": selectors.identities_of(user),
        },
    )


def _with_next(url: str, nxt: str) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': nxt})}" if nxt else url


# ---------------------------------------------------------------- parties' portal


@login_required
def portal(request: AuthedRequest) -> HttpResponse:
    """当事人服务: my cases, the documents served on me, the deadlines that run against me."""
    user = request.user
    if is_court_staff(user):
        return redirect("cases:my_cases")
    parties = list(selectors.parties_of_user(user).select_related("case", "case__court"))
    cases = sorted({p.case for p in parties}, key=lambda c: (-c.filed_on.toordinal(), -c.pk))
    ctx = {
        "parties": parties,
        "cases": cases,
        "case_rows": [
            (c, [p.get_role_display() for p in parties if p.case_id == c.pk]) for c in cases
        ],
        "services": list(selectors.documents_served_on(user)[:200]),
        "deadlines": list(selectors.deadlines_against(user)[:200]),
        "verified": selectors.verified_identity_for(user),
    }
    ctx["sections"] = render_sections("portal", request, cases, ctx)
    return render(request, "cases/portal.html", ctx)


@login_required
def portal_case(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    user = request.user
    if is_court_staff(user):
        return redirect("cases:case", case_id=case.pk)
    mine = [p for p in selectors.parties_of_user(user) if p.case_id == case.pk]
    refs = [p.ref for p in mine]
    from django.db.models import Q

    ctx = {
        "case": case,
        "case_type_label": _type_label(case.case_type),
        "mine": mine,
        "parties": selectors.case_parties(case),
        "assets": [_asset_view(a) for a in selectors.case_assets(case)],
        "services": selectors.documents_served_on(user)
        .filter(subject__startswith=case.ref)
        .filter(Q(subject=case.ref) | Q(subject__startswith=case.ref + "/")),
        "deadlines": selectors.deadlines_against(user).filter(
            Q(subject=case.ref) | Q(subject__startswith=case.ref + "/")
        )
        if refs
        else [],
    }
    ctx["sections"] = render_sections("portal_case", request, case, ctx)
    return render(request, "cases/portal_case.html", ctx)


class CaseStatusForm(CoreForm):
    status = forms.ChoiceField(label=gettext_lazy("案件状态"), choices=Case.Status.choices)
    reason = TextField(label=gettext_lazy("变更理由"))


class CaseClaimForm(CoreForm):
    claim_fen = YuanField(label=gettext_lazy("申请执行标的（元）"))
    reason = TextField(label=gettext_lazy("变更理由"))


#: The court's changes to the case itself, each through its audited service (REC-08); a
#: suspension or termination stops pricing and the appraisal clocks (PRC-14).
CASE_ACTIONS: CourtActions[Case] = CourtActions(
    {
        "status": CourtAction[Case](
            form=CaseStatusForm,
            call=lambda s: services.case_status_set(case=s.target, actor=s.actor, **s.data),
            done=gettext_lazy("已变更案件状态"),
            prefixed=True,
        ),
        "claim": CourtAction[Case](
            form=CaseClaimForm,
            call=lambda s: services.case_claim_set(case=s.target, actor=s.actor, **s.data),
            done=gettext_lazy("已更正申请执行标的"),
            prefixed=True,
        ),
    },
    page=lambda case: reverse("cases:case", args=[case.pk]),
    subject=lambda case: case.number,
)


@login_required
@require_POST
@write_rate_limited("cases")
def case_action(request: AuthedRequest, case_id: int, name: str) -> HttpResponse:
    case = _case(request, case_id, change=True)
    return CASE_ACTIONS.post(request, name, case)
