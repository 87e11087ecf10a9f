"""Court pages: the court's flags with statistics, one flag's evidence with the decision form,
and the evidence of one auction as CSV or a printable page (court staff of the court only).

Before the close the pages show bidder codes only; after it each code links to the existing
access-logged reveal (REC-05)."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bidding.collusion import selectors
from bidding.collusion.models import CollusionFlag
from bidding.collusion.services import collusion_flag_decide
from bidding.collusion.signals import KIND_WORDS, PARTY_WORDS, SIGNAL_TITLES
from core.court_actions import CourtAction, CourtActions, by_ref
from core.forms import Form, TextField
from core.permissions import COURT_ACTORS, is_court_staff_of
from core.types import AuthedRequest


def _require_staff(request: AuthedRequest, court_id: int | None) -> None:
    if not is_court_staff_of(request.user, court_id, roles=COURT_ACTORS):
        raise DjangoPermissionDenied(_("仅本院法官、执行员、执行局长可访问"))


class DecideForm(Form):
    reason = TextField()


FLAG_ACTIONS: CourtActions[CollusionFlag] = CourtActions(
    {
        "dismiss": CourtAction[CollusionFlag](
            form=DecideForm,
            call=lambda s: collusion_flag_decide(
                flag=s.target, decision="dismiss", reason=s.data["reason"], actor=s.actor
            ),
            done=gettext_lazy("已排除该预警并记录理由"),
        ),
        "refer": CourtAction[CollusionFlag](
            form=DecideForm,
            call=lambda s: collusion_flag_decide(
                flag=s.target, decision="refer", reason=s.data["reason"], actor=s.actor
            ),
            done=gettext_lazy("已移送审查；如需撤销拍卖请在拍卖页面依 AUC-43 决定"),
        ),
    },
    page=lambda flag: reverse("bidding:collusion_flag", args=[flag.pk]),
    subject=by_ref(lambda flag: f"auction:{flag.auction_id}"),
)


RECORD_LABELS = {
    "pair": gettext_lazy("竞买号"),
    "code": gettext_lazy("竞买号"),
    "marker": gettext_lazy("共用"),
    "party": gettext_lazy("当事人"),
    "auctions": gettext_lazy("共同报名场次"),
    "registered_at": gettext_lazy("报名时间"),
    "bids": gettext_lazy("出价次数"),
    "seq": gettext_lazy("出价序号"),
    "seqs": gettext_lazy("出价序号"),
    "at": gettext_lazy("出价时间"),
    "last_seq": gettext_lazy("最后出价序号"),
    "leader": gettext_lazy("领先竞买号"),
    "leader_seq": gettext_lazy("领先出价序号"),
    "seconds_left": gettext_lazy("距结束秒数"),
}


def _value(key: str, value: Any) -> str:
    if key == "marker":
        return str(KIND_WORDS.get(value, value))
    if key == "party":
        return str(PARTY_WORDS.get(value, value))
    if key in ("registered_at", "at") and isinstance(value, str):
        try:
            return localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _record_text(record: dict[str, Any]) -> str:
    """One supporting record in words: "竞买号：A1、B2；共用：同一手机号"."""
    return "；".join(f"{RECORD_LABELS.get(k, k)}：{_value(k, v)}" for k, v in record.items())


def _rows(flag: CollusionFlag) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "title": SIGNAL_TITLES.get(row.get("signal", ""), row.get("signal", "")),
            "record_lines": [_record_text(r) for r in row.get("records", [])],
        }
        for row in flag.signals
    ]


def _code_links(flag: CollusionFlag) -> list[tuple[str, str]]:
    """After the close only: each flagged code → its access-logged reveal page (REC-05)."""
    from bidding.models import Registration

    if not flag.auction.has_ended:
        return []
    codes = sorted({c for row in flag.signals for c in row.get("codes", [])})
    regs = Registration.objects.filter(auction_id=flag.auction_id, bidder_code__in=codes)
    return [
        (str(r.bidder_code), reverse("bidding:court_registration_reveal", args=[r.pk]))
        for r in regs.order_by("bidder_code")
    ]


@login_required
def flag_list(request: AuthedRequest) -> HttpResponse:
    _require_staff(request, request.user.court_id)
    court_id = request.user.court_id
    assert court_id is not None
    state = request.GET.get("state", "")
    if state not in CollusionFlag.State.values:
        state = ""
    return render(
        request,
        "bidding/collusion/list.html",
        {
            "flags": selectors.court_flags(court_id, state=state)[:200],
            "stats": selectors.collusion_stats(court_id),
            "state": state,
            "states": CollusionFlag.State.choices,
        },
    )


def _flag_for(request: AuthedRequest, flag_id: int) -> CollusionFlag:
    """A flag of the user's court (judges, officers, bureau heads): the page's target."""
    flag = get_object_or_404(
        CollusionFlag.objects.select_related("auction", "auction__case", "decided_by"), pk=flag_id
    )
    _require_staff(request, flag.court_id)
    return flag


@login_required
def flag_detail(request: AuthedRequest, flag_id: int) -> HttpResponse:
    flag = _flag_for(request, flag_id)
    if request.method == "POST":
        return FLAG_ACTIONS.post(request, request.POST.get("action", ""), flag)
    return render(
        request,
        "bidding/collusion/detail.html",
        {"flag": flag, "rows": _rows(flag), "code_links": _code_links(flag)},
    )


def _flag_of_auction(request: AuthedRequest, auction_id: int) -> CollusionFlag:
    flag = get_object_or_404(
        CollusionFlag.objects.select_related("auction", "auction__case"), auction_id=auction_id
    )
    _require_staff(request, flag.court_id)
    return flag


@login_required
def evidence_csv(request: AuthedRequest, auction_id: int) -> HttpResponse:
    """The evidence of one auction: one line per signal (codes only, REC-05)."""
    flag = _flag_of_auction(request, auction_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="collusion-auction-{auction_id}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with the BOM
    w = csv.writer(response)
    w.writerow([_("拍卖"), flag.auction.title])
    w.writerow([_("风险分"), flag.score, _("阈值"), flag.threshold])
    w.writerow([_("状态"), flag.get_state_display(), flag.decision_reason])
    w.writerow([_("信号"), _("权重"), _("竞买号"), _("说明"), _("支撑记录")])
    for row in _rows(flag):
        w.writerow(
            [
                row["title"],
                row.get("weight", ""),
                " ".join(row.get("codes", [])),
                row.get("text", ""),
                " | ".join(row["record_lines"]),
            ]
        )
    return response


@login_required
def evidence_print(request: AuthedRequest, auction_id: int) -> HttpResponse:
    flag = _flag_of_auction(request, auction_id)
    return render(
        request,
        "bidding/collusion/print.html",
        {"flag": flag, "rows": _rows(flag)},
    )
