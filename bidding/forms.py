"""Forms of the court pages. Money is entered in yuan (two decimals) and stored in fen; the
services check the rules, the forms only parse."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bidding.models import AuctionResult, PanelDecision
from bidding.services import SET_ASIDE_GROUNDS, SUSPEND_GROUNDS, WITHDRAW_GROUNDS
from core.errors import DomainError
from core.money import parse_yuan


class YuanField(forms.Field):
    """A yuan amount ("1,234.50") → integer fen."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if len(str(value)) > 20:
            raise forms.ValidationError(_("金额过长"))
        try:
            return parse_yuan(value)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value / 100:.2f}"
        return value


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def prepare_value(self, value):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return super().prepare_value(value)


TEXTAREA = forms.Textarea(attrs={"rows": 3})


class _Form(forms.Form):
    """Labels end without an ASCII colon ("标题" not "标题:"), as on the other Chinese pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class AuctionDraftForm(_Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    starting_price_fen = YuanField(label=_("起拍价（元）"))
    increment_fen = YuanField(label=_("加价幅度（元）"))
    deposit_fen = YuanField(label=_("保证金（元）"), help_text=_("起拍价的 5%–20%（AUC-16）"))
    balance_period_days = forms.IntegerField(
        label=_("尾款支付期限（日）"),
        min_value=1,
        required=False,
        help_text=_("必填，无默认值（AUC-31）"),
    )
    start_at = LocalDateTimeField(label=_("竞价开始（北京时间）"), required=False)
    end_at = LocalDateTimeField(label=_("竞价结束（北京时间）"), required=False)
    announcement = forms.CharField(label=_("拍卖公告"), widget=TEXTAREA, required=False)
    bidding_rules = forms.CharField(label=_("竞价规则"), widget=TEXTAREA, required=False)
    pricing_basis_note = forms.CharField(label=_("定价依据说明"), widget=TEXTAREA, required=False)
    title_document_barred_reason = forms.CharField(
        label=_("执行依据不予公开的理由"), required=False
    )
    priority_holders_note = forms.CharField(
        label=_("优先购买权人情况"), widget=TEXTAREA, required=False
    )
    deposit_account = forms.CharField(label=_("保证金账户"), required=False)
    taxes_note = forms.CharField(label=_("税费及承担方"), widget=TEXTAREA, required=False)
    court_contact = forms.CharField(label=_("法院联系方式"), required=False)
    known_defects_note = forms.CharField(label=_("已知瑕疵"), widget=TEXTAREA, required=False)
    warnings_text = forms.CharField(
        label=_("特别提示（标准提示发布时自动加入）"), widget=TEXTAREA, required=False
    )
    priority_claims_fen = YuanField(label=_("优先债权总额（元，AUC-06）"), required=False)
    costs_estimate_fen = YuanField(label=_("执行费用估算（元）"), required=False)
    platform_chosen_by = forms.ChoiceField(
        label=_("平台选定方式（AUC-02）"),
        required=False,
        choices=[
            ("", "—"),
            ("creditor", _("申请执行人选择")),
            ("court", _("法院指定（未选择或意见不一）")),
        ],
    )
    platform_choice_note = forms.CharField(label=_("平台选定记录"), required=False)
    proxy_bidding_enabled = forms.BooleanField(
        label=_("启用代理出价（AUC-27，默认关闭）"), required=False
    )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        proxy = data.pop("proxy_bidding_enabled", False)
        for key in ("priority_claims_fen", "costs_estimate_fen"):
            data[key] = data.get(key) or 0
        for key in (
            "announcement",
            "bidding_rules",
            "pricing_basis_note",
            "title_document_barred_reason",
            "priority_holders_note",
            "deposit_account",
            "taxes_note",
            "court_contact",
            "known_defects_note",
            "warnings_text",
            "platform_chosen_by",
            "platform_choice_note",
        ):
            data[key] = data.get(key) or ""
        data["setting_overrides"] = {"proxy_bidding_enabled": True} if proxy else {}
        return data


class PanelDecisionForm(_Form):
    topic = forms.ChoiceField(label=_("事项"), choices=PanelDecision.Topic.choices)
    value_fen = YuanField(label=_("金额（元）"), required=False)
    text = forms.CharField(label=_("决定内容"), widget=TEXTAREA, required=False)
    panel_members = forms.CharField(label=_("合议庭成员"), max_length=300)
    decided_at = LocalDateTimeField(label=_("合议时间"))


class PriorityHolderForm(_Form):
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    rank = forms.IntegerField(label=_("顺序（1 为最优先）"), min_value=1)
    basis = forms.CharField(label=_("权利依据"), max_length=200)


class NoticeForm(_Form):
    recipient = forms.ChoiceField(label=_("受送达人"))
    method = forms.ChoiceField(label=_("送达方式"))
    sent_at = LocalDateTimeField(label=_("发出时间"))
    received_at = LocalDateTimeField(label=_("签收时间"), required=False)
    proof = forms.CharField(label=_("送达凭证/书面放弃文件"), required=False)
    unreachable_reason = forms.CharField(label=_("无法直接送达的原因（公示送达）"), required=False)

    def __init__(self, *args, recipients=(), **kwargs):
        from core.models import ServiceRecord

        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = list(recipients)
        self.fields["method"].choices = ServiceRecord.Method.choices


class ReasonForm(_Form):
    reason = forms.CharField(label=_("公开理由"), widget=TEXTAREA)


class SuspendForm(ReasonForm):
    ground = forms.ChoiceField(label=_("事由"), choices=list(SUSPEND_GROUNDS.items()))


class HaltForm(ReasonForm):
    ground = forms.ChoiceField(
        label=_("事由"),
        choices=[
            (k, _("法院决定中止") if k == "court_decision" else v)
            for k, v in SUSPEND_GROUNDS.items()
        ],
    )


class WithdrawForm(ReasonForm):
    ground = forms.ChoiceField(
        label=_("撤回事由（AUC-42）"), choices=list(WITHDRAW_GROUNDS.items())
    )


class SetAsideForm(ReasonForm):
    ground = forms.ChoiceField(
        label=_("撤销事由（AUC-43）"), choices=list(SET_ASIDE_GROUNDS.items())
    )
    document = forms.CharField(label=_("撤销裁定文号"), max_length=200)
    follow_up = forms.CharField(label=_("后续处理"), widget=TEXTAREA)


class ObjectionForm(_Form):
    objector = forms.CharField(label=_("异议人"), max_length=200)
    reason = forms.CharField(label=_("异议内容"), widget=TEXTAREA)
    measure = forms.ChoiceField(
        label=_("措施"), choices=[("suspend", _("暂缓")), ("halt", _("中止"))]
    )


class ResumeForm(ReasonForm):
    start_at = LocalDateTimeField(label=_("新的竞价开始"))
    end_at = LocalDateTimeField(label=_("新的竞价结束"))


class RulingForm(_Form):
    document = forms.CharField(label=_("成交裁定文号"), max_length=200)
    served_at = LocalDateTimeField(label=_("送达时间"), required=False)
    eligibility_proof = forms.CharField(label=_("购房资格证明（限购房产，AUC-13）"), required=False)


class HandoverForm(_Form):
    state = forms.ChoiceField(
        label=_("移交状态"),
        choices=[
            (k, v)
            for k, v in AuctionResult.Handover.choices
            if k not in ("not_started", "awaiting_ruling")
        ],
    )
    vehicle_violations_cleared = forms.NullBooleanField(label=_("车辆违章已处理"), required=False)
    note = forms.CharField(label=_("说明"), widget=TEXTAREA, required=False)


class InLieuForm(_Form):
    party = forms.ChoiceField(label=_("抵债债权人"))
    excess_days = forms.IntegerField(label=_("补交差价期限（日）"), min_value=1, required=False)
    eligibility_proof = forms.CharField(label=_("购房资格证明（限购房产）"), required=False)
    reason = forms.CharField(label=_("理由"), widget=TEXTAREA)

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = list(parties)


class RevealForm(_Form):
    purpose = forms.CharField(label=_("查看用途（记入访问日志）"), max_length=200)


class ConsentForm(_Form):
    note = forms.CharField(label=_("被执行人同意的方式和内容（AUC-07）"), widget=TEXTAREA)


class InsistForm(_Form):
    insisted_at = LocalDateTimeField(label=_("申请执行人申请继续拍卖的时间（AUC-06）"))
