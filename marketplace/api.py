"""The marketplace API (``/api/marketplace/``): listings, calendar, results, following, account,
practice, viewings; for court staff the workbench and statistics.

Errors are ``{"code", "message"[, "rule", "data"]}``: a bad search value is a 400 with a stable
code (``invalid_kind``, ``invalid_region``, ``invalid_price``, ``invalid_price_range``,
``invalid_round``, ``invalid_state``, ``invalid_flag``, ``invalid_sort``, ``invalid_page``,
``invalid_court``), never a 500. Nothing here links a bidder code to a person before the
close (REC-05).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import django_auth

from core import replica
from core.errors import DomainError, NotFound, PermissionDenied
from core.models import STAFF_ROLES
from core.ratelimit import check_write_rate
from core.types import AuthedRequest
from marketplace import selectors
from marketplace.account import account_overview, win_of
from marketplace.filters import parse_listing_query
from marketplace.listings import (
    calendar_days,
    listing_rows,
    public_auctions,
    row_json,
    search_listings,
)
from marketplace.practice import practice_start
from marketplace.results import result_detail, result_json, results_page
from marketplace.services import (
    saved_search_create,
    saved_search_delete,
    viewing_confirm,
    viewing_decline,
    viewing_request,
    viewing_slot_cancel,
    viewing_slot_create,
    watch_add,
    watch_remove,
)
from marketplace.transparency import case_transparency
from marketplace.workbench import workbench_items

router = Router(tags=["marketplace"])


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _staff(request: AuthedRequest) -> None:
    user = request.user
    if not (user.is_authenticated and user.role in STAFF_ROLES and user.court_id):
        raise PermissionDenied("forbidden", _("仅限法院工作人员"))


# ---- listings ---------------------------------------------------------------------------------


@router.get("/auctions")
def auctions(request: HttpRequest) -> dict[str, Any]:
    """Search listings. Query: q (words, or an exact case number), kind, region, price_min,
    price_max (yuan), round, state, loan, restricted, court, sort (relevance when q is given),
    cursor (keyset: the previous answer's ``next_cursor``) or page, per_page, facets=1 (the
    count per filter option, each bounded at 1,000: 1,001 means more; every group empty when
    the counts ran past ``GAVEL_FACET_BUDGET_MS``).

    ``total`` is bounded at 1,000 (``total_exact`` false past it): no page counts the table; a
    keyword search by relevance pages inside its ranked window, so its total is at most 500."""
    query = parse_listing_query(request.GET)
    with_facets = request.GET.get("facets", "") in ("1", "true")
    with replica.public_reads(request):
        result = search_listings(query, request.user, facets=with_facets)
    out = {
        "total": result["total"],
        "total_exact": result["total_exact"],
        "page": result["page"],
        "pages": result["pages"],
        "next_cursor": result["next_cursor"],
        "query": query.as_params(),
        "description": query.describe(),
        "results": [row_json(r) for r in result["rows"]],
    }
    if with_facets:
        out["facets"] = result["facets"]
    return out


@router.get("/auctions/{auction_id}")
def auction(request: HttpRequest, auction_id: int) -> dict[str, Any]:
    a = public_auctions().select_related("court", "lot", "case").filter(pk=auction_id).first()
    if a is None:
        raise NotFound("auction_not_found", _("拍卖不存在"))
    (row,) = listing_rows([a], request.user)
    out = row_json(row)
    slots = selectors.viewing_slots_for_lot(a.lot_id, request.user) if a.lot_id is not None else []
    out["viewing_slots"] = [
        {
            "slot_id": s["slot"].pk,
            "starts_at": _iso(s["slot"].starts_at),
            "ends_at": _iso(s["slot"].ends_at),
            "place": s["slot"].place,
            "places_left": s["left"],
            "my_request": s["mine"].status if s["mine"] else None,
        }
        for s in slots
    ]
    return out


@router.get("/calendar")
def calendar(request: HttpRequest, days: int = 30) -> list[dict[str, Any]]:
    if not 1 <= days <= 90:
        raise DomainError("invalid_days", _("天数须在 1 至 90 之间"), field="days")
    return [
        {"day": d["day"].isoformat(), "auctions": [row_json(r) for r in d["rows"]]}
        for d in calendar_days(days=days)
    ]


# ---- results ----------------------------------------------------------------------------------


@router.get("/results")
def results(request: HttpRequest, page: int = 1, cursor: str = "") -> dict[str, Any]:
    """Ended auctions, latest close first; ``cursor`` (the previous ``next_cursor``) pages
    through an index range, ``total`` is bounded at 1,000."""
    if page < 1:
        raise DomainError("invalid_page", _("页码必须是正整数"), field="page")
    if cursor and not (cursor.isdigit() and len(cursor) <= 19 and int(cursor) < 2**63):
        raise DomainError(
            "invalid_cursor",
            _("翻页游标“%(cursor)s”无效") % {"cursor": cursor[:30]},
            field="cursor",
        )
    with replica.public_reads(request):
        data = results_page(page=page, cursor=int(cursor) if cursor else None)
    return {
        "page": data["page"],
        "pages": data["pages"],
        "total": data["total"],
        "next_cursor": data["next_cursor"],
        "results": [result_json(s) for s in data["items"]],
    }


@router.get("/results/{auction_id}")
def result(request: HttpRequest, auction_id: int) -> dict[str, Any]:
    return result_json(result_detail(auction_id))


@router.get("/cases/{case_id}/transparency")
def transparency(request: HttpRequest, case_id: int) -> dict[str, Any]:
    data = case_transparency(case_id)
    data["case"]["filed_on"] = data["case"]["filed_on"].isoformat()
    data["steps"] = [{**s, "at": _iso(s["at"])} for s in data["steps"]]
    return data


# ---- following ----------------------------------------------------------------------------------


@router.get("/watchlist", auth=django_auth)
def watchlist(request: AuthedRequest) -> list[dict[str, Any]]:
    auctions = [w.auction for w in selectors.watches_of(request.user)]
    return [row_json(r) for r in listing_rows(auctions, request.user)]


@router.put("/watchlist/{auction_id}", auth=django_auth)
def watch(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    check_write_rate(request, "marketplace.watch")
    w = watch_add(user=request.user, auction_id=auction_id)
    return {"auction_id": w.auction_id, "watched": True, "since": _iso(w.created_at)}


@router.delete("/watchlist/{auction_id}", auth=django_auth)
def unwatch(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    check_write_rate(request, "marketplace.watch")
    return {
        "auction_id": auction_id,
        "watched": False,
        "removed": watch_remove(user=request.user, auction_id=auction_id),
    }


class SavedSearchIn(Schema):
    name: str = ""
    params: dict[str, Any] = {}
    notify: bool = True


@router.get("/saved-searches", auth=django_auth)
def saved_searches(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pk,
            "name": s.name,
            "params": s.params,
            "notify": s.notify,
            "created_at": _iso(s.created_at),
        }
        for s in selectors.saved_searches_of(request.user)
    ]


@router.post("/saved-searches", auth=django_auth)
def saved_search_add(request: AuthedRequest, payload: SavedSearchIn) -> dict[str, Any]:
    check_write_rate(request, "marketplace.search")
    s = saved_search_create(
        user=request.user, params=payload.params, name=payload.name, notify=payload.notify
    )
    return {"id": s.pk, "name": s.name, "params": s.params, "notify": s.notify}


@router.delete("/saved-searches/{search_id}", auth=django_auth)
def saved_search_remove(request: AuthedRequest, search_id: int) -> dict[str, Any]:
    saved_search_delete(search_id=search_id, user=request.user)
    return {"deleted": True}


# ---- viewings, account, practice ----------------------------------------------------------------


class ViewingIn(Schema):
    contact_phone: str = ""
    note: str = ""


@router.post("/viewing-slots/{slot_id}/requests", auth=django_auth)
def viewing(request: AuthedRequest, slot_id: int, payload: ViewingIn) -> dict[str, Any]:
    check_write_rate(request, "marketplace.viewing")
    appt = viewing_request(
        slot_id=slot_id, user=request.user, contact_phone=payload.contact_phone, note=payload.note
    )
    return {"id": appt.pk, "status": appt.status}


# ---- court: the viewings page (issue 13: every court page's work has an API call) -----------


class ViewingSlotIn(Schema):
    lot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity: int = 5
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


def _court_staff(request: AuthedRequest) -> None:
    """Court staff of a court only, as the court's viewings page (``marketplace:court_viewings``)."""
    if request.user.role not in STAFF_ROLES or request.user.court_id is None:
        raise PermissionDenied("forbidden", _("仅限法院工作人员"))
    check_write_rate(request, "marketplace.viewing")


@router.post("/court/viewing-slots", auth=django_auth, summary="发布看样时段（法院）")
def court_viewing_slot(request: AuthedRequest, payload: ViewingSlotIn) -> dict[str, Any]:
    """The court's viewings page: offer a time to view a lot of the court (看样)."""
    _court_staff(request)
    data = payload.model_dump()
    for key in ("starts_at", "ends_at"):  # a time without its zone is Beijing time
        if timezone.is_naive(data[key]):
            data[key] = timezone.make_aware(data[key])
    slot = viewing_slot_create(actor=request.user, **data)
    return {"id": slot.pk, "lot_id": slot.lot_id, "capacity": slot.capacity}


@router.post(
    "/court/viewing-slots/{slot_id}/cancel", auth=django_auth, summary="取消看样时段（法院）"
)
def court_viewing_slot_cancel(
    request: AuthedRequest, slot_id: int, payload: ReasonIn
) -> dict[str, Any]:
    """Cancel a viewing time with a reason; everyone booked on it is told."""
    _court_staff(request)
    slot = viewing_slot_cancel(slot_id=slot_id, actor=request.user, reason=payload.reason)
    return {"id": slot.pk, "cancelled": True}


@router.post(
    "/court/viewings/{appointment_id}/confirm", auth=django_auth, summary="确认看样预约（法院）"
)
def court_viewing_confirm(request: AuthedRequest, appointment_id: int) -> dict[str, Any]:
    _court_staff(request)
    appt = viewing_confirm(appointment_id=appointment_id, actor=request.user)
    return {"id": appt.pk, "status": appt.status}


@router.post(
    "/court/viewings/{appointment_id}/decline", auth=django_auth, summary="婉拒看样预约（法院）"
)
def court_viewing_decline(
    request: AuthedRequest, appointment_id: int, payload: ReasonIn
) -> dict[str, Any]:
    """Decline a booking with a reason (the bidder is told)."""
    _court_staff(request)
    appt = viewing_decline(appointment_id=appointment_id, actor=request.user, reason=payload.reason)
    return {"id": appt.pk, "status": appt.status}


@router.get("/account", auth=django_auth)
def account(request: AuthedRequest) -> dict[str, Any]:
    data = account_overview(request.user)
    ident = data["identity"]
    return {
        "identity": {
            "verified": ident["verified"],
            "status": ident["status_label"],
            "kind": ident["kind_label"],
            "number": ident["masked_number"],
        },
        "registrations": [
            {
                "auction_id": r["auction"].pk,
                "title": r["auction"].title,
                "bidder_code": r["code"] or None,
                "status": r["registration"].status,
                "deposit_fen": r["deposit_required_fen"],
                "deposit_state": (r["settlement"] or {}).get("status") or r["deposit_state"],
                "deposit_held_at": _iso(r["deposit_held_at"]),
            }
            for r in data["registrations"]
        ],
        "bids": [
            {"auction_id": b.auction_id, "seq": b.seq, "amount_fen": b.amount_fen, "at": _iso(b.at)}
            for b in data["bids"]
        ],
        "wins": [
            {
                "auction_id": w["auction"].pk,
                "title": w["auction"].title,
                "price_fen": w["price_fen"],
                "deposit_applied_fen": w["deposit_applied_fen"],
                "balance_fen": w["balance_fen"],
                "balance_due_at": _iso(w["balance_due_at"]),
                "balance_paid_fen": w["paid_fen"],
                "balance_refunded_fen": w["refunded_fen"],
                "payment_reference": w["payment_reference"] or None,
                "payable": w["payable"],
                "pay_to": w["pay_to"],
                "ruling_document": w["ruling_document"] or None,
            }
            for w in data["wins"]
        ],
    }


@router.post("/account/wins/{auction_id}/pay", auth=django_auth, summary="在线支付成交余款")
def balance_pay(request: AuthedRequest, auction_id: int) -> dict[str, Any]:
    """The winner pays what is still due online (AUC-31): the cashier's ``pay_url``; the same
    payment while it waits there (idempotent)."""
    from settlement.services import balance_pay_online

    check_write_rate(request, "marketplace-balance")
    win = win_of(request.user, auction_id)
    if win is None:
        raise NotFound("win_not_found", _("您没有竞得该拍品"))
    intent = balance_pay_online(
        sale_ref=win["auction"].sale_ref, payer_ref=f"user:{request.user.pk}"
    )
    return {
        "reference": intent.reference,
        "amount_fen": intent.amount_fen,
        "status": intent.status,
        "pay_url": intent.pay_url,
    }


class MarketplacePracticeIn(Schema):
    scenario: str = "basic"


@router.post("/practice", auth=django_auth)
def practice(request: AuthedRequest, payload: MarketplacePracticeIn) -> dict[str, Any]:
    check_write_rate(request, "marketplace.practice")
    a = practice_start(user=request.user, scenario=payload.scenario)
    return {"auction_id": a.pk, "url": f"/bidding/auctions/{a.pk}/", "end_at": _iso(a.end_at)}


# ---- court staff -------------------------------------------------------------------------------


@router.get("/workbench", auth=django_auth)
def workbench(request: AuthedRequest) -> list[dict[str, Any]]:
    _staff(request)
    return [
        {
            "deadline_id": it.deadline.pk,
            "title": it.deadline.title,
            "title_label": it.deadline.display_title,
            "rule_id": it.deadline.rule_id,
            "subject": it.deadline.subject,
            "subject_label": it.subject_label,
            "link": it.link,
            "due_at": _iso(it.deadline.due_at),
            "flag": it.deadline.flag,
            "urgency": it.css,
            "urgency_label": it.urgency_label,
        }
        for it in workbench_items(request.user)
    ]


@router.get("/statistics", auth=django_auth)
def statistics(request: AuthedRequest) -> HttpResponse | dict[str, Any]:
    """Query: freq (month/quarter/year/all), from, to (YYYY-MM-DD), format=csv for a file."""
    # Imported here: the statistics compute with pandas, which loading the URLconf should not import.
    from marketplace.statistics import court_statistics, parse_statistics_params
    from marketplace.stats import to_csv, to_records

    _staff(request)
    params = parse_statistics_params(request.GET, user=request.user)
    table = court_statistics(**params)
    if request.GET.get("format") == "csv":
        response = HttpResponse(to_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="statistics-{params["freq"]}.csv"'
        return response
    return {
        "freq": params["freq"],
        "from": _iso(params["start"]),
        "to": _iso(params["end"]),
        "rows": to_records(table),
    }
