"""How settlement's references read (core.refs): payouts, receipts, plans, money by hand."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.money import yuan
from core.refs import int_keys, register


def _payouts(keys: list[str]) -> dict[str, str]:
    """``payout:<pk>`` or the ledger's ``payout:<token>``."""
    from settlement.models import Payout

    out: dict[str, str] = {}
    by_pk = Payout.objects.filter(pk__in=int_keys(keys))
    tokens = [k for k in keys if not k.isdigit()]
    by_token = Payout.objects.filter(ledger_account__ref__in=[f"payout:{t}" for t in tokens])
    for p in by_pk:
        out[str(p.pk)] = str(
            _("发放 %(who)s ¥%(amount)s") % {"who": p.payee_name, "amount": yuan(p.amount_fen)}
        )
    for p in by_token.select_related("ledger_account"):
        token = p.ledger_account.ref.partition(":")[2] if p.ledger_account else ""
        out[token] = str(
            _("发放 %(who)s ¥%(amount)s") % {"who": p.payee_name, "amount": yuan(p.amount_fen)}
        )
    return out


def _payout_url(key: str, ids: dict[str, str]) -> str | None:
    from settlement.models import Payout

    pk = (
        int(key)
        if key.isdigit()
        else (
            Payout.objects.filter(ledger_account__ref=f"payout:{key}")
            .values_list("pk", flat=True)
            .first()
        )
    )
    return reverse("settlement:payout_detail", args=[pk]) if pk else None


def _receipts(keys: list[str]) -> dict[str, str]:
    from settlement.models import Receipt

    return {
        str(r.pk): str(
            _("到账 %(ref)s ¥%(amount)s") % {"ref": r.bank_reference, "amount": yuan(r.amount_fen)}
        )
        for r in Receipt.objects.filter(pk__in=int_keys(keys))
    }


def _plans(keys: list[str]) -> dict[str, str]:
    from settlement.models import DistributionPlan

    return {
        str(p.pk): str(_("分配方案（%(date)s）") % {"date": p.created_at.strftime("%Y-%m-%d")})
        for p in DistributionPlan.objects.filter(pk__in=int_keys(keys))
    }


def _arrivals(keys: list[str]) -> dict[str, str]:
    from settlement.models import Arrival

    return {
        str(a.pk): f"{a.get_method_display()} {a.voucher_no}"
        for a in Arrival.objects.filter(pk__in=int_keys(keys))
    }


def _finance(user: object, key: str, ids: dict[str, str]) -> bool:
    from core.permissions import can

    return can(user, "settlement.view_funds")


register("payout", noun=_("发放"), label=_payouts, url=_payout_url, visible=_finance)
register("receipt", noun=_("到账款项"), label=_receipts)
register(
    "plan",
    noun=_("分配方案"),
    label=_plans,
    url=lambda key, ids: reverse("settlement:plan_detail", args=[int(key)]),
    visible=_finance,
)
register("arrival", noun=_("现金或票据收款"), label=_arrivals)
register("fee", noun=_("费用"))
