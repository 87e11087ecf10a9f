"""Marketplace pages: thin views that parse, check permission, call a selector or service, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Lot
from core import clock, regions, replica
from core.errors import DomainError
from core.models import STAFF_ROLES, User
from core.ratelimit import check_write_rate
from core.types import AuthedRequest
from marketplace.account import account_overview, win_of
from marketplace.filters import (
    KINDS,
    PAGE_SIZES,
    ROUNDS,
    SORTS,
    STATE_GROUPS,
    ListingQuery,
    parse_listing_query,
)
from marketplace.forms import ViewingSlotForm
from marketplace.listings import (
    FACET_LIMIT,
    auction_url,
    calendar_days,
    listing_rows,
    public_auctions,
    search_listings,
)
from marketplace.notices import TOPICS, read_unsubscribe_token, unsubscribe_all_channels
from marketplace.practice import PRACTICE_SCENARIOS, practice_auctions_of, practice_start
from marketplace.results import result_detail, results_page
from marketplace.search_index import looks_like_case_number
from marketplace.selectors import (
    court_viewing_slots,
    my_viewings,
    saved_searches_of,
    viewing_slots_for_lot,
    watches_of,
)
from marketplace.services import (
    saved_search_create,
    saved_search_delete,
    viewing_cancel,
    viewing_confirm,
    viewing_decline,
    viewing_request,
    viewing_slot_cancel,
    viewing_slot_create,
    watch_add,
    watch_remove,
)
from marketplace.transparency import case_transparency
from marketplace.workbench import duty_rows, workbench_counts, workbench_items

P = ParamSpec("P")


def staff_required(
    view: Callable[Concatenate[AuthedRequest, P], HttpResponse],
) -> Callable[Concatenate[AuthedRequest, P], HttpResponse]:
    """Court staff of a court only (judges, officers, bureau heads, finance)."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if request.user.role not in STAFF_ROLES or request.user.court_id is None:
            raise DjangoPermissionDenied("仅限法院工作人员")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def workbench(request: AuthedRequest) -> HttpResponse:
    """Everything that waits for this person (issue 13): court staff's deadlines, and for every
    role the duties the apps register in core.duties — signatures (FND-06/FND-12), the
    engine's drafts to publish (AUC-33/AUC-35), commissions, reports, objections, balances,
    training runs. The pills count every row the page lists, each once."""
    from core.duties import APPROVAL, DRAFT, TODO, duties_for

    user = request.user
    staff = user.role in STAFF_ROLES and user.court_id is not None
    items = workbench_items(user) if staff else []
    duties = duties_for(user)
    return render(
        request,
        "marketplace/court/workbench.html",
        {
            "staff": staff,
            "items": items,
            "counts": workbench_counts(items, duties),
            "approvals": [d for d in duties if d.section == APPROVAL],
            "drafts": [d for d in duties if d.section == DRAFT],
            "todos": duty_rows([d for d in duties if d.section == TODO]),
        },
    )


# ---- viewing appointments (看样) --------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def _viewing_said(done: str, slot: Any) -> str:
    """A viewing action's message naming the lot and the slot's time (issue 13: every court
    action ends with a message naming what happened to which thing)."""
    when = timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M")
    return _("%(subject)s：%(done)s") % {"subject": f"{slot.lot.title} {when}", "done": done}


@staff_required
def court_viewings(request: AuthedRequest) -> HttpResponse:
    court = request.user.court
    if court is None:  # never: staff_required lets only staff of a court in
        raise DjangoPermissionDenied("仅限法院工作人员")
    form = ViewingSlotForm(court=court)
    status = 200
    if request.method == "POST":
        form = ViewingSlotForm(request.POST, court=court)
        if form.is_valid():
            data = form.cleaned_data
            try:
                check_write_rate(request, "marketplace.viewing")
                slot = viewing_slot_create(
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
                messages.success(request, _viewing_said(_("已发布看样时段。"), slot))
                return redirect("marketplace:court_viewings")
        else:
            status = 400
    slots = court_viewing_slots(court.pk)
    return render(
        request, "marketplace/court/viewings.html", {"form": form, "slots": slots}, status=status
    )


@staff_required
@require_POST
def court_viewing_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action")
    try:
        check_write_rate(request, "marketplace.viewing")
        if action == "confirm":
            appt = viewing_confirm(appointment_id=pk, actor=request.user)
            messages.success(request, _viewing_said(_("已确认看样预约。"), appt.slot))
        elif action == "decline":
            appt = viewing_decline(
                appointment_id=pk, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _viewing_said(_("已婉拒看样预约。"), appt.slot))
        else:
            messages.error(request, _("未知操作"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:court_viewings")


@staff_required
@require_POST
def court_viewing_slot_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.viewing")
        slot = viewing_slot_cancel(
            slot_id=pk, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _viewing_said(_("已取消看样时段，已通知预约人。"), slot))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:court_viewings")


def lot_viewings(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    slots = viewing_slots_for_lot(lot.pk, request.user)
    return render(request, "marketplace/lot_viewings.html", {"lot": lot, "slots": slots})


@login_required
@require_POST
def viewing_request_view(request: AuthedRequest, slot_id: int) -> HttpResponse:
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
def my_viewings_view(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "marketplace/my_viewings.html",
        {"items": my_viewings(request.user), "now": clock.now()},
    )


@login_required
@require_POST
def viewing_cancel_view(request: AuthedRequest, pk: int) -> HttpResponse:
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


# ---- listings, calendar, following ----------------------------------------------------------


def _pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """``{"kind": ["a", "b"], "q": "x"}`` → ``[("kind", "a"), ("kind", "b"), ("q", "x")]``."""
    return [(k, str(v)) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]


def _counts_later(query: ListingQuery) -> bool:
    """Whether the page leaves its counts per option to the browser (a keyword search; a case
    number is an exact lookup and counts at once)."""
    return bool(query.q) and not looks_like_case_number(query.q)


def _facets_params(params: Any) -> str:
    """The page's query for the API's counts: one row, the counts."""
    out = params.copy()
    out["facets"] = "1"
    out["per_page"] = str(min(PAGE_SIZES))
    return str(out.urlencode())


def _count_text(n: int | None, limit: int) -> str:
    if n is None:
        return ""
    return f"{limit:,}+" if n > limit else f"{n:,}"


def listings(request: HttpRequest) -> HttpResponse:
    """拍卖大厅: search and filters with counts; a bad value shows a clear message with status 400."""
    error = None
    status = 200
    try:
        query = parse_listing_query(request.GET)
    except DomainError as exc:
        error = exc
        status = 400
        query = ListingQuery()
        result: dict[str, Any] = {
            "rows": [],
            "total": 0,
            "total_exact": True,
            "page": 1,
            "pages": 1,
            "has_prev": False,
            "has_next": False,
            "next_cursor": None,
            "facets": None,
        }
    else:
        # The index, the page of auctions and the counts may come from a replica (core/replica.py);
        # the template (and its signed-in user's unread count) reads the primary.
        with replica.public_reads(request):
            result = search_listings(query, request.user, facets=not _counts_later(query))
    facets = result["facets"] or {}

    def options(group: str, choices: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        counts = facets.get(group, {})
        return [(k, str(v), _count_text(counts.get(k), FACET_LIMIT)) for k, v in choices.items()]

    params = request.GET.copy()
    params.pop("page", None)
    params.pop("cursor", None)
    sorts = {k: v for k, v in SORTS.items() if k != "relevance" or query.q}
    price_params = params.copy()
    price_params.pop("price_min", None)
    price_params.pop("price_max", None)
    price_qs = price_params.urlencode()
    context = {
        "query": query,
        "error": error,
        "result": result,
        "total_text": f"{result['total']:,}" + ("" if result["total_exact"] else "+"),
        "kinds": options("kind", KINDS),
        "rounds": options("round", ROUNDS),
        "state_groups": options("state", STATE_GROUPS),
        "loans": options("loan", {"1": _("可贷款"), "0": _("不可贷款")}),
        "restricts": options("restricted", {"1": _("限购"), "0": _("不限购")}),
        "sorts": sorts,
        "base_qs": params.urlencode(),
        "price_qs": price_qs + "&" if price_qs else "",
        "saved_pairs": _pairs(query.as_params()),
        # A keyword search's counts per option come after the page (listings.js asks the API):
        # a word ANDed with an option it never meets can take PostgreSQL far longer than the
        # page itself (docs/performance.md), and the results should not wait for the counts.
        "facets_url": (
            reverse("api:auctions") + "?" + _facets_params(params)
            if error is None and _counts_later(query)
            else ""
        ),
        "values": request.GET,
        "server_now": clock.now(),
        "page_sizes": PAGE_SIZES,
        "facet_limit": FACET_LIMIT,
        "region_value": query.region.ljust(6, "0") if query.region else "",
        **regions.picker(query.region.ljust(6, "0") if query.region else None),
    }
    return render(request, "marketplace/listings.html", context, status=status)


def calendar_view(request: HttpRequest) -> HttpResponse:
    days = calendar_days(days=30)
    return render(request, "marketplace/calendar.html", {"days": days})


def auction_overview(request: HttpRequest, auction_id: int) -> HttpResponse:
    """The old overview URL: the lot now has one page (bidding's, with the marketplace's parts
    registered in ``marketplace.auction_parts``), so links and bookmarks move there for good."""
    auction = get_object_or_404(public_auctions(), pk=auction_id)
    target = auction_url(auction.pk)
    if request.GET:
        target += "?" + request.GET.urlencode()
    return redirect(target, permanent=True)


@login_required
@require_POST
def watch_toggle(request: AuthedRequest, auction_id: int) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.watch")
        if request.POST.get("action") == "remove":
            watch_remove(user=request.user, auction_id=auction_id)
            messages.success(request, _("已取消关注。"))
        else:
            watch_add(user=request.user, auction_id=auction_id)
            messages.success(request, _("已关注，开拍和结束前会提醒您。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(_back(request, reverse("marketplace:watchlist")))


@login_required
def watchlist(request: AuthedRequest) -> HttpResponse:
    auctions = [w.auction for w in watches_of(request.user)]
    rows = listing_rows(auctions, request.user)
    searches = [
        {"search": s, "qs": urlencode(s.params or {}, doseq=True)}
        for s in saved_searches_of(request.user)
    ]
    return render(request, "marketplace/watchlist.html", {"rows": rows, "searches": searches})


@login_required
@require_POST
def saved_search_save(request: AuthedRequest) -> HttpResponse:
    params = {
        k: request.POST.getlist(k) for k in request.POST if k not in ("csrfmiddlewaretoken", "name")
    }
    try:
        check_write_rate(request, "marketplace.search")
        saved_search_create(user=request.user, params=params, name=request.POST.get("name", ""))
        messages.success(request, _("已保存搜索，有新拍品时会提醒您。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:watchlist")


@login_required
@require_POST
def saved_search_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        saved_search_delete(search_id=pk, user=request.user)
        messages.success(request, _("已删除保存的搜索。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("marketplace:watchlist")


# ---- results, account, practice --------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        raise DomainError(
            "invalid_page", _("页码必须是正整数，收到“%(text)s”") % {"text": text}, field="page"
        )
    return int(text)


def results_view(request: HttpRequest) -> HttpResponse:
    try:
        page = _page_number(request)
    except DomainError as exc:
        return render(
            request, "marketplace/results.html", {"error": exc, "data": {"items": []}}, status=400
        )
    with replica.public_reads(request):
        data = results_page(page=page)
    return render(request, "marketplace/results.html", {"data": data})


def result_view(request: HttpRequest, auction_id: int) -> HttpResponse:
    try:
        data = result_detail(auction_id)
    except DomainError as exc:
        return render(request, "marketplace/result.html", {"error": exc}, status=exc.status)
    win = win_of(request.user, auction_id) if request.user.is_authenticated else None
    # The page shows bid times in 北京时间 (the API keeps ISO 8601).
    data["bids"] = [
        {**b, "at_dt": dt.datetime.fromisoformat(b["at"]) if isinstance(b["at"], str) else b["at"]}
        for b in data["bids"]
    ]
    return render(request, "marketplace/result.html", {"r": data, "w": win})


@login_required
def account_view(request: AuthedRequest) -> HttpResponse:
    from core.models.people import LANGUAGE_CHOICES

    context = {**account_overview(request.user), "LANGUAGE_CHOICES": LANGUAGE_CHOICES}
    return render(request, "marketplace/account.html", context)


@login_required
@require_POST
def balance_pay(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """「在线支付余款」(AUC-31): the winner pays what is still due through the gateway's
    cashier and comes back here; a double click or a reload reuses the waiting payment."""
    from settlement.services import balance_pay_online

    back = reverse("marketplace:account") + "#wins"
    win = win_of(request.user, auction_id)
    if win is None:
        messages.error(request, _("您没有竞得该拍品"))
        return redirect(back)
    try:
        check_write_rate(request, "marketplace-balance")
        intent = balance_pay_online(
            sale_ref=win["auction"].sale_ref,
            payer_ref=f"user:{request.user.pk}",
            return_url=request.build_absolute_uri(back),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    pay_url = intent.pay_url or ""
    if (pay_url.startswith("/") and not pay_url.startswith("//")) or pay_url.startswith("https://"):
        return redirect(pay_url)
    messages.error(request, _("支付通道暂不可用，请稍后再试或使用银行转账"))
    return redirect(back)


def practice_view(request: HttpRequest) -> HttpResponse:
    mine = practice_auctions_of(request.user) if request.user.is_authenticated else []
    return render(
        request,
        "marketplace/practice.html",
        {
            "mine": mine,
            "scenarios": {
                key: {**spec, "title": _(spec["title"]), "text": _(spec["text"])}
                for key, spec in PRACTICE_SCENARIOS.items()
            },
        },
    )


@login_required
@require_POST
def practice_start_view(request: AuthedRequest) -> HttpResponse:
    try:
        check_write_rate(request, "marketplace.practice")
        auction = practice_start(user=request.user, scenario=request.POST.get("scenario", "basic"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("marketplace:practice")
    messages.success(request, _("模拟拍已开始：先报名、交（模拟）保证金、设置出价密码，再出价。"))
    return redirect(auction_url(auction.pk))


def transparency_view(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        data = case_transparency(case_id)
    except DomainError as exc:
        return render(request, "marketplace/transparency.html", {"error": exc}, status=exc.status)
    return render(request, "marketplace/transparency.html", data)


# ---- statistics (court staff) ----------------------------------------------------------------


@staff_required
def statistics_view(request: AuthedRequest) -> HttpResponse:
    # Imported here: the statistics compute with pandas, which loading the URLconf should not import.
    from marketplace.statistics import court_statistics, parse_statistics_params
    from marketplace.stats import FREQS, all_periods, chart_series, to_csv, to_records

    try:
        params = parse_statistics_params(request.GET, user=request.user)
    except DomainError as exc:
        return render(
            request, "marketplace/court/statistics.html", {"error": exc, "freqs": FREQS}, status=400
        )
    table = court_statistics(**params)
    if request.GET.get("format") == "csv":
        response = HttpResponse(to_csv(table), content_type="text/csv; charset=utf-8")
        name = f"statistics-{params['freq']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    periods = (
        all_periods(params["start"], params["end"] or clock.now(), params["freq"])
        if params["start"]
        else None
    )
    context = {
        "rows": to_records(table),
        "series": chart_series(table, court_id=params["court_id"], periods=periods),
        "freq": params["freq"],
        "freqs": FREQS,
        "start": timezone.localtime(params["start"]).date().isoformat() if params["start"] else "",
        "end": (timezone.localtime(params["end"]).date() - dt.timedelta(days=1)).isoformat()
        if params["end"]
        else "",
        "court": request.user.court,
        "csv_qs": (request.GET.copy().urlencode() + "&" if request.GET else "") + "format=csv",
    }
    return render(request, "marketplace/court/statistics.html", context)


# ---- public statistics (issue 17) --------------------------------------------------------------


def _stats_page(
    request: HttpRequest, *, court_ids: list[int] | None, scope: str, courts: list[Any]
) -> HttpResponse:
    from marketplace import public_stats as ps

    context: dict[str, Any] = {
        "groups": ps.GROUPS,
        "scope": scope,
        "courts": courts,
        "group": request.GET.get("group") or "court",
        "start": request.GET.get("from") or "",
        "end": request.GET.get("to") or "",
    }
    try:
        period, group = ps.parse_params(request.GET)
    except DomainError as exc:
        context["error"] = exc
        return render(request, "marketplace/public_statistics.html", context, status=400)
    data = ps.statistics(period=period, group=group, court_ids=court_ids)
    if request.GET.get("format") == "csv":
        response = HttpResponse(ps.to_csv(data, period), content_type="text/csv; charset=utf-8")
        name = f"gavel-statistics-{group}-{period['start']}-{period['end']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query["format"] = "csv"
    context.update(
        group=group,
        start=period["start"].isoformat(),
        end=period["end"].isoformat(),
        rows=data["rows"],
        total=data["total"],
        csv_qs=query.urlencode(),
        chart={
            "labels": [r["label"] for r in data["rows"]],
            "deal_rate_pct": [r["deal_rate_pct"] for r in data["rows"]],
            "premium_ref_pct": [r["premium_ref_pct"] for r in data["rows"]],
            "bidders_per_lot": [r["bidders_per_lot"] for r in data["rows"]],
            "days_seizure_to_sale": [r["days_seizure_to_sale"] for r in data["rows"]],
            "trend": data["trend"],
            "titles": {
                "deal_rate_pct": _("成交率（%）"),
                "premium_ref_pct": _("较参考价溢价率（%）"),
                "bidders_per_lot": _("每场竞买人数"),
                "days_seizure_to_sale": _("查封至成交（日）"),
                "trend": _("每月结束与成交场次"),
                "ended": _("结束"),
                "sold": _("成交"),
            },
        },
    )
    return render(request, "marketplace/public_statistics.html", context)


def public_statistics_view(request: HttpRequest) -> HttpResponse:
    """司法拍卖统计: every court, for everyone (aggregates only, cached per period)."""
    return _stats_page(request, court_ids=None, scope="public", courts=[])


@staff_required
def court_statistics_courts(request: AuthedRequest) -> HttpResponse:
    """A higher court's staff: the same figures for their court and the courts under it."""
    from marketplace.public_stats import courts_overseen

    courts = courts_overseen(request.user.court)
    return _stats_page(request, court_ids=[c.pk for c in courts], scope="courts", courts=courts)
