"""Forms of the court pages for other disposal routes (AUC-01, AUC-44) and for 以物抵债 among
several creditors (AUC-36, APR-03). They only parse; the services check the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bidding.models import DisposalRoute
from core.forms import TEXTAREA, Form, LocalDateTimeField, YuanField, set_choices


class OfflineRouteForm(Form):
    ground = forms.ChoiceField(
        label=_("理由类型（AUC-01）"),
        choices=[
            ("", _("请选择")),
            (DisposalRoute.Ground.REQUIRED_BY_LAW, DisposalRoute.Ground.REQUIRED_BY_LAW.label),
            (DisposalRoute.Ground.UNSUITABLE, DisposalRoute.Ground.UNSUITABLE.label),
        ],
        required=False,
    )
    reason = forms.CharField(label=_("具体理由"), widget=TEXTAREA, required=False, max_length=2000)


class SelfSaleForm(Form):
    supervised_price_fen = YuanField(label=_("监督价（元）"), required=False)
    days = forms.IntegerField(label=_("自行处置期限（日）"), required=False)
    reason = forms.CharField(label=_("准许理由"), widget=TEXTAREA, required=False, max_length=2000)

    def __init__(self, *args: Any, max_days: int = 60, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].help_text = _("1 至 %(n)s 日（AUC-44）") % {"n": max_days}


class SelfSaleCompleteForm(Form):
    receipt = forms.ChoiceField(label=_("处置款到账记录（本案执行款账户）"), required=False)

    def __init__(self, *args: Any, receipts: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "receipt", [("", _("请选择")), *receipts])


class InLieuApplyForm(Form):
    party = forms.ChoiceField(label=_("申请抵债的债权人"), required=False)
    note = forms.CharField(
        label=_("申请内容（如何提出、何时提出）"), widget=TEXTAREA, required=False, max_length=2000
    )

    def __init__(self, *args: Any, parties: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "party", [("", _("请选择")), *parties])


class InLieuDrawForm(Form):
    commit_deadline = LocalDateTimeField(label=_("承诺截止时间（北京时间）"))
    scheduled_at = LocalDateTimeField(label=_("摇号时间（北京时间）"))


class InLieuDecideForm(Form):
    excess_days = forms.IntegerField(
        label=_("补交差价期限（日）"),
        min_value=1,
        required=False,
        help_text=_("抵债价超过债权时必填（AUC-36）"),
    )
    eligibility_proof = forms.CharField(
        label=_("购房资格证明（限购房产）"), required=False, max_length=300
    )
    reason = forms.CharField(label=_("理由"), widget=TEXTAREA, required=False, max_length=2000)
