"""Reads for the pages, the API and higher apps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from core import clock
from core.models import Deadline, ServiceRecord
from pricing.models import (
    Inquiry,
    InquiryReport,
    InquiryRequest,
    Objection,
    PricingProcedure,
    ReferencePrice,
    ReportDelivery,
)
from pricing.services.inquiry import fix_blockers, objection_window_end
from pricing.services.procedure import NextStep, lawful_next_steps
from pricing.services.roster import late_count


def procedures_for_court(court_id: int) -> QuerySet[PricingProcedure]:
    return (
        PricingProcedure.objects.filter(court_id=court_id)
        .select_related("asset", "case")
        .order_by("-opened_at")
    )


def procedure_deadlines(proc: PricingProcedure) -> list[Deadline]:
    """Every deadline about this asset (PRC-01, PRC-10, PRC-13, …), open first."""
    return list(
        Deadline.objects.filter(subject__startswith=proc.subject).order_by("status", "due_at")
    )


def active_price(proc: PricingProcedure) -> ReferencePrice | None:
    return proc.prices.filter(status=ReferencePrice.Status.ACTIVE).first()


def chart_data(report: InquiryReport) -> dict[str, Any]:
    """What the browser draws: comparable sales (area vs price) and the subject's interval."""
    area_col = (report.model_info or {}).get("area_col") or "area_m2"
    features = (report.facts or {}).get("features") or {}
    points = []
    for s in report.samples or []:
        area = s.get("area") or s.get(area_col)
        price = s.get("price")
        if area and price:
            points.append(
                {"area": float(area), "price": float(price), "date": s.get("sale_date", "")}
            )
    subject_area = features.get(area_col)
    return {
        "comparables": points,
        "subject": {
            "area": (
                float(subject_area) if subject_area is not None and subject_area != "" else None
            ),
            "price": report.amount_fen / 100,
            "low": (report.interval_low_fen or report.amount_fen) / 100,
            "high": (report.interval_high_fen or report.amount_fen) / 100,
            "level": float(report.interval_level) if report.interval_level is not None else None,
        },
        "currency": report.currency,
        "title": report.platform.name,
    }


def inquiry_view(inquiry: Inquiry, *, at: dt.datetime | None = None) -> dict[str, Any]:
    at = at or clock.now()
    rows = []
    for req in (
        InquiryRequest.objects.filter(inquiry=inquiry)
        .select_related("platform")
        .order_by("platform__sort_order", "platform_id")
    ):
        reports = list(req.reports.order_by("received_at", "pk"))
        rows.append(
            {
                "req": req,
                "reports": [
                    {
                        "r": r,
                        "objections": list(
                            r.objections.select_related("party").order_by("filed_at")
                        ),
                        "deliveries": list(
                            ReportDelivery.objects.filter(report=r).select_related(
                                "party", "service"
                            )
                        ),
                        "chart": chart_data(r) if r.samples else None,
                        "chart_id": f"chart-{r.pk}",
                    }
                    for r in reports
                ],
                "late": getattr(req, "lateness", None) if hasattr(req, "lateness") else None,
            }
        )
    return {
        "inquiry": inquiry,
        "rows": rows,
        "blockers": fix_blockers(inquiry, at=at) if inquiry.status in ("reported",) else [],
    }


def party_view(proc: PricingProcedure, party: Any) -> dict[str, Any]:
    """What one party sees: their deliveries, the reports, their objection windows and objections."""
    reports = []
    for rep in (
        InquiryReport.objects.filter(request__inquiry__procedure=proc, on_time=True)
        .select_related("request__platform")
        .order_by("pk")
    ):
        delivery = (
            ReportDelivery.objects.filter(report=rep, party=party).select_related("service").first()
        )
        end = objection_window_end(report=rep, party=party)
        reports.append(
            {
                "r": rep,
                "delivery": delivery,
                "window_end": end,
                "can_object": rep.kind in ("original", "reissue")
                and (end is None or clock.now() <= end),
                "objections": list(Objection.objects.filter(report=rep, party=party)),
            }
        )
    services = ServiceRecord.objects.filter(
        subject__startswith=proc.subject, recipient_ref=f"party:{party.pk}"
    )
    return {"reports": reports, "services": list(services.order_by("-sent_at"))}


def roster_rows() -> list[dict[str, Any]]:
    """Each platform with its late count; a built-in one with the active models it answers
    with (none: it cannot answer yet, and the page says where to train one)."""
    from cases.models import Asset
    from pricing.models import InquiryPlatform, ValuationModel

    kinds = dict(Asset.Kind.choices)
    active = [
        (kinds.get(m.asset_class, m.asset_class), m)
        for m in ValuationModel.objects.filter(is_active=True).order_by("asset_class")
    ]
    return [
        {
            "p": p,
            "late": late_count(p),
            "models": [(k, m) for k, m in active if m.method == p.config.get("method")]
            if p.adapter == InquiryPlatform.Adapter.BUILTIN
            else None,
        }
        for p in InquiryPlatform.objects.order_by("sort_order", "pk")
    ]


def next_steps(proc: PricingProcedure) -> list[NextStep]:
    return lawful_next_steps(proc)
