"""现金、票据与现场收款 (FND-07, FND-09) and direct payments (FND-05): one page per case.

Finance takes cash at the counter and instruments, clears instruments, sends the formal
receipt notice and takes field cash from the officers; the case's officers record field
cash and direct payments. The services check who may do what and every rule.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from cases.models import Case, Party
from core import permissions as perms
from core.court_actions import CourtAction, CourtActions
from core.forms import (
    FlagField,
    Form,
    LocalDateTimeField,
    ObjectField,
    TextField,
    ValuesField,
    YuanField,
)
from core.models import Role, User
from core.ratelimit import write_rate_limited
from core.types import AuthedRequest
from settlement.models import Arrival, DirectPayment
from settlement.services import arrivals


def _arrivals(case: Case) -> QuerySet[Arrival]:
    return Arrival.objects.filter(case=case)


class CashForm(Form):
    payer_name = TextField()
    amount = YuanField(label=gettext_lazy("金额"))


class InstrumentForm(CashForm):
    instrument_no = TextField()


class FieldCashForm(CashForm):
    place = TextField()
    officers = ValuesField()
    signed = ValuesField()

    def clean(self) -> dict:
        data = super().clean() or {}
        for name in ("officers", "signed"):
            data[name] = [int(v) for v in data.get(name, []) if str(v).isdigit()]
        return data


class HandOverForm(Form):
    arrival = ObjectField(_arrivals)
    late_reason = TextField()


class ClearForm(Form):
    arrival = ObjectField(_arrivals)
    bank_reference = TextField()


class FormalForm(Form):
    arrival = ObjectField(_arrivals)


class DirectForm(Form):
    creditor = ObjectField(lambda case: Party.objects.filter(case=case, role=Party.Role.CREDITOR))
    amount = YuanField(label=gettext_lazy("金额"))
    paid_at = LocalDateTimeField(label=gettext_lazy("支付时间"))
    channel = TextField()
    evidence = TextField()
    disputed = FlagField()


ARRIVAL_ACTIONS: CourtActions[Case] = CourtActions(
    {
        "cash": CourtAction[Case](
            form=CashForm,
            call=lambda s: arrivals.cash_receive(
                case_id=s.target.pk,
                amount_fen=s.data["amount"],
                payer_name=s.data["payer_name"],
                actor=s.actor,
            ),
            done=lambda s, a: (
                gettext_lazy("已收取现金并开具收据 %(no)s（FND-07）") % {"no": a.voucher_no}
            ),
        ),
        "instrument": CourtAction[Case](
            form=InstrumentForm,
            call=lambda s: arrivals.instrument_receive(
                case_id=s.target.pk,
                amount_fen=s.data["amount"],
                payer_name=s.data["payer_name"],
                instrument_no=s.data["instrument_no"],
                actor=s.actor,
            ),
            done=lambda s, a: (
                gettext_lazy("已收到票据并开具临时收据 %(no)s（FND-07）") % {"no": a.voucher_no}
            ),
        ),
        "field_cash": CourtAction[Case](
            form=FieldCashForm,
            call=lambda s: arrivals.field_cash_collect(
                case_id=s.target.pk,
                amount_fen=s.data["amount"],
                payer_name=s.data["payer_name"],
                officer_ids=s.data["officers"],
                signed_by_ids=s.data["signed"],
                place=s.data["place"],
                actor=s.actor,
            ),
            done=lambda s, a: (
                gettext_lazy("已登记现场收取现金，凭证 %(no)s；请当日交财务（FND-09）")
                % {"no": a.voucher_no}
            ),
        ),
        "hand_over": CourtAction[Case](
            form=HandOverForm,
            call=lambda s: arrivals.field_cash_hand_over(
                arrival_id=s.data["arrival"].pk, late_reason=s.data["late_reason"], actor=s.actor
            ),
            done=lambda s, a: (
                gettext_lazy("现金 %(no)s 已交财务并入案款账户（FND-09）") % {"no": a.voucher_no}
            ),
        ),
        "clear": CourtAction[Case](
            form=ClearForm,
            call=lambda s: arrivals.instrument_cleared(
                arrival_id=s.data["arrival"].pk,
                bank_reference=s.data["bank_reference"],
                actor=s.actor,
            ),
            done=lambda s, a: (
                gettext_lazy("票据 %(no)s 已兑付入账；请按期通知领取正式收据（FND-07）")
                % {"no": a.voucher_no}
            ),
        ),
        "formal": CourtAction[Case](
            form=FormalForm,
            call=lambda s: arrivals.instrument_formal_notice(
                arrival_id=s.data["arrival"].pk, actor=s.actor
            ),
            done=lambda s, a: gettext_lazy("已通知领取正式收据（%(no)s）") % {"no": a.voucher_no},
        ),
        "direct": CourtAction[Case](
            form=DirectForm,
            call=lambda s: arrivals.direct_payment_record(
                case_id=s.target.pk,
                creditor_party_id=s.data["creditor"].pk,
                amount_fen=s.data["amount"],
                paid_at=s.data["paid_at"],
                channel=s.data["channel"],
                evidence=s.data["evidence"],
                disputed=s.data["disputed"],
                actor=s.actor,
            ),
            done=gettext_lazy("已登记直接支付（FND-05）"),
        ),
    },
    page=lambda case: reverse("settlement:arrivals", args=[case.pk]),
    subject=lambda case: case.number,
)


def _arrivals_case(request: HttpRequest, case_id: int) -> Case:
    """A case whose account the user may see (the arrivals page's target); else 404."""
    case = Case.objects.select_related("court").filter(pk=case_id).first()
    if case is None or not perms.can(request.user, "settlement.view_case_account", case):
        raise Http404
    return case


@login_required
@write_rate_limited("settlement.write")
def arrivals_page(request: AuthedRequest, case_id: int) -> HttpResponse:
    case = _arrivals_case(request, case_id)
    if request.method == "POST":
        return ARRIVAL_ACTIONS.post(request, request.POST.get("action", ""), case)
    user = request.user
    role = getattr(user, "role", "")
    return render(
        request,
        "settlement/arrivals.html",
        {
            "case": case,
            "arrivals": _arrivals(case).prefetch_related("officers"),
            "direct_payments": DirectPayment.objects.filter(case=case).select_related("creditor"),
            "creditors": Party.objects.filter(case=case, role=Party.Role.CREDITOR),
            "colleagues": User.objects.filter(
                court=case.court, role__in=[Role.OFFICER, Role.JUDGE], is_active=True
            ).exclude(pk=user.pk),
            "is_finance": role == Role.FINANCE,
            "is_officer": role in (Role.OFFICER, Role.JUDGE),
            "statuses": Arrival.Status,
        },
    )
