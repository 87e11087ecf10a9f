"""Forms of the court pages for other disposal routes (AUC-01, AUC-44), offline rounds (AUC-39) and for 以物抵债 among
several creditors (AUC-36, APR-03). They only parse; the services check the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bidding.models import DisposalRoute, OfflineRound
from core.forms import (
    TEXTAREA,
    Form,
    LocalDateTimeField,
    ObjectField,
    WordListField,
    YuanField,
    set_choices,
)


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


class OfflineRoundForm(Form):
    """AUC-39: an offline auction or sale (变卖) to be held; the service checks its rules."""

    method = forms.ChoiceField(
        label=_("方式（AUC-39）"),
        choices=[("", _("请选择")), *OfflineRound.Method.choices],
        required=False,
    )
    appraisal_fen = YuanField(label=_("评估价（元）"))
    start_price_fen = YuanField(label=_("起拍价/变卖价（元）"))
    deposit_fen = YuanField(
        label=_("保证金（元）"), required=False, help_text=_("线下拍卖不低于评估价的 5%")
    )
    held_at = LocalDateTimeField(label=_("举行时间（北京时间）"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["method"] = data.get("method") or ""
        data["deposit_fen"] = data.get("deposit_fen") or 0
        return data


def _pending_rounds(page: Any) -> Any:
    """The lot page's pending offline round (an id outside it was tampered with: 404)."""
    if page.route is None:
        return OfflineRound.objects.none()
    return OfflineRound.objects.filter(route=page.route, outcome=OfflineRound.Outcome.PENDING)


class OfflineResultForm(Form):
    """AUC-39: how a pending offline round ended (ties among the same rank drawn by lot)."""

    round = ObjectField(_pending_rounds)
    outcome = forms.ChoiceField(
        label=_("结果"),
        choices=[("", _("请选择"))]
        + [c for c in OfflineRound.Outcome.choices if c[0] != OfflineRound.Outcome.PENDING],
        required=False,
    )
    price_fen = YuanField(label=_("成交价（元）"), required=False)
    buyer_name = forms.CharField(label=_("买受人"), required=False, max_length=200)
    tied_same_rank = WordListField(label=_("同顺位、同价的优先购买权人（抽签，用逗号分隔）"))
    public_value = forms.CharField(label=_("现场公开抽取的随机数"), required=False, max_length=200)


class OfflineSuspendForm(Form):
    """AUC-40: suspend (暂缓) or halt (中止) the pending offline round."""

    round = ObjectField(_pending_rounds)
    reason = forms.CharField(label=_("理由"), widget=TEXTAREA, required=False, max_length=2000)


class OfflineGroundEndedForm(Form):
    """AUC-40 / ASR 18: the ground ended; the court resumes within 15 days."""

    round = ObjectField(_pending_rounds)
    ended_at = LocalDateTimeField(label=_("事由消除时间（不填为现在）"), required=False)


class OfflineResumeForm(Form):
    """AUC-40: resume the suspended offline round at a new time."""

    round = ObjectField(_pending_rounds)
    held_at = LocalDateTimeField(label=_("新的举行时间（北京时间）"))
    reason = forms.CharField(label=_("说明"), widget=TEXTAREA, required=False, max_length=2000)


class ObjectionRulingForm(Form):
    """REC-12: the ruling on an objection the court is reviewing, and when it was served."""

    track = forms.ChoiceField(label=_("异议"), required=False)
    upheld = forms.TypedChoiceField(
        label=_("审查结果"),
        choices=[("no", _("驳回异议")), ("yes", _("异议成立"))],
        coerce=lambda v: v == "yes",
    )
    ruling = forms.CharField(label=_("裁定内容"), widget=TEXTAREA, required=False, max_length=4000)
    served_at = LocalDateTimeField(label=_("裁定送达时间（不填为现在）"), required=False)

    def __init__(self, *args: Any, tracks: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "track", list(tracks))
