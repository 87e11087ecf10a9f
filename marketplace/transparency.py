"""Transparency (执行公开): the public steps taken on a case's assets, in time order.

Seized → pricing started → reference price fixed → announced → bidding result → balance
paid → sale ruling served → paid out. Only facts the rules publish anyway (REC-09: the
announcement, prices, results, suspension reasons) appear: no party names, no identity
numbers, no bidder identities, no payee names or accounts. A payout shows its amount and the
kind of payee only. Practice auctions never appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from cases.models import Asset, Case, Seizure
from core.errors import NotFound
from core.money import yuan
from core.punctuation import labelled


def _step(
    at: dt.datetime | dt.date | None,
    title: str,
    detail: str = "",
    *,
    asset: str = "",
    link: str = "",
    kind: str = "",
) -> dict[str, Any]:
    date_only = False
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        from django.utils import timezone

        date_only = True
        at = timezone.make_aware(dt.datetime.combine(at, dt.time()))
    return {
        "at": at,
        "date_only": date_only,
        "title": title,
        "detail": detail,
        "asset": asset,
        "link": link,
        "kind": kind,
    }


def _seizure_steps(case: Case) -> list[dict[str, Any]]:
    out = []
    for s in (
        Seizure.objects.filter(asset__case=case).select_related("asset").order_by("seized_on", "pk")
    ):
        out.append(
            _step(
                s.seized_on,
                f"{s.get_kind_display()}",
                _("文书 %(document)s") % {"document": s.document},
                asset=s.asset.name,
                kind="seizure",
            )
        )
    return out


def _pricing_steps(case: Case) -> list[dict[str, Any]]:
    from pricing.models import PricingProcedure, ReferencePrice

    out = []
    for p in (
        PricingProcedure.objects.filter(case=case)
        .select_related("asset")
        .order_by("opened_at", "pk")
    ):
        out.append(
            _step(
                p.opened_at,
                _("启动定价程序"),
                str(p.get_state_display()),
                asset=p.asset.name,
                kind="pricing",
            )
        )
    prices = ReferencePrice.objects.filter(procedure__case=case).select_related("procedure__asset")
    for price in prices.order_by("fixed_at", "pk"):
        method = (
            _("（%(method)s）") % {"method": price.get_method_display()} if price.method else ""
        )
        out.append(
            _step(
                price.fixed_at,
                _("确定%(kind)s%(method)s") % {"kind": price.get_kind_display(), "method": method},
                _("%(amount)s 元") % {"amount": yuan(price.amount_fen)},
                asset=price.procedure.asset.name,
                kind="priced",
            )
        )
    return out


def _auction_steps(case: Case) -> list[dict[str, Any]]:
    from bidding.models import Auction, AuctionResult, CourtAction
    from marketplace.listings import auction_url

    out = []
    auctions = (
        Auction.objects.filter(case=case, is_practice=False)
        .exclude(state="draft")
        .select_related("lot")
    )
    for a in auctions.order_by("published_at", "pk"):
        lot = a.lot.title if a.lot is not None else ""
        round_label = str(a.get_round_display())
        when = ""
        if a.start_at and a.end_at:
            from django.utils import timezone

            when = _("，竞价 %(start)s 至 %(end)s") % {
                "start": format(timezone.localtime(a.start_at), "%Y-%m-%d %H:%M"),
                "end": format(timezone.localtime(a.end_at), "%Y-%m-%d %H:%M"),
            }
        out.append(
            _step(
                a.published_at,
                _("发布%(round)s拍卖公告") % {"round": round_label},
                _("起拍价 %(price)s 元%(when)s")
                % {"price": yuan(a.starting_price_fen), "when": when},
                asset=lot,
                link=auction_url(a.pk),
                kind="announced",
            )
        )
        for act in CourtAction.objects.filter(auction=a).order_by("decided_at", "pk"):
            out.append(
                _step(
                    act.decided_at,
                    labelled(round_label, act.get_kind_display()),
                    act.reason,
                    asset=lot,
                    kind="court_action",
                )
            )
        r = AuctionResult.objects.filter(auction=a).first()
        if r is None:
            continue
        if r.outcome == AuctionResult.Outcome.SOLD:
            from django.urls import reverse

            out.append(
                _step(
                    r.closed_at,
                    _("%(round)s成交") % {"round": round_label},
                    _("成交价 %(price)s 元，出价 %(bid_count)s 次")
                    % {"price": yuan(r.price_fen), "bid_count": r.bid_count},
                    asset=lot,
                    link=reverse("marketplace:result", args=[a.pk]),
                    kind="sold",
                )
            )
            if r.balance_paid_at:
                out.append(
                    _step(r.balance_paid_at, _("买受人付清成交价款"), asset=lot, kind="paid")
                )
            if r.ruling_served_at:
                out.append(
                    _step(
                        r.ruling_served_at,
                        _("成交裁定已送达买受人"),
                        r.ruling_document,
                        asset=lot,
                        kind="ruling",
                    )
                )
            if r.handover_completed_at:
                out.append(
                    _step(r.handover_completed_at, _("标的物已移交"), asset=lot, kind="handover")
                )
        else:
            out.append(
                _step(
                    r.closed_at,
                    _("%(round)s流拍") % {"round": round_label},
                    _("竞价期内无人出价"),
                    asset=lot,
                    kind="unsold",
                )
            )
        if a.state == "defaulted":
            out.append(
                _step(
                    r.balance_due_at,
                    _("买受人悔拍（逾期未付清价款）"),
                    _("保证金不予退还（AUC-33）"),
                    asset=lot,
                    kind="defaulted",
                )
            )
    return out


def _payout_steps(case: Case) -> list[dict[str, Any]]:
    from settlement.models import Payout

    out = []
    for p in Payout.objects.filter(case=case, status=Payout.Status.PAID).order_by("paid_at", "pk"):
        out.append(
            _step(
                p.paid_at,
                _("执行款发放"),
                _("向%(payee_kind)s发放 %(amount)s 元")
                % {"payee_kind": p.get_payee_kind_display(), "amount": yuan(p.amount_fen)},
                kind="payout",
            )
        )
    return out


def case_transparency(case_id: int) -> dict[str, Any]:
    case = Case.objects.select_related("court").filter(pk=case_id).first()
    if case is None:
        raise NotFound("case_not_found", _("案件不存在"))
    steps = _seizure_steps(case) + _pricing_steps(case) + _auction_steps(case) + _payout_steps(case)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    steps.sort(key=lambda s: s["at"] or far)
    assets = [
        {"name": a.name, "kind": str(a.get_kind_display()), "division_code": a.division_code}
        for a in Asset.objects.filter(case=case).order_by("pk")
    ]
    return {
        "case": {
            "id": case.pk,
            "number": case.number,
            "court": case.court.name,
            "title": case.title,
            "status": str(case.get_status_display()),
            "filed_on": case.filed_on,
        },
        "assets": assets,
        "steps": steps,
    }
