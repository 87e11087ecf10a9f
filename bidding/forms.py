"""Forms of the court pages and the bidder's registration. Money is entered in yuan (two
decimals) and stored in fen; the services check the rules, the forms only parse (and, for
registration, find the co-bidders and the agent the bidder names)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bidding.models import AuctionResult, PanelDecision
from bidding.services import SET_ASIDE_GROUNDS, SUSPEND_GROUNDS, WITHDRAW_GROUNDS
from core.forms import TEXTAREA, Form, LocalDateTimeField, YuanField, set_choices


class AuctionDraftForm(Form):
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

    def clean(self) -> dict[str, Any]:
        """The service's keyword arguments: blanks as "" or 0, the proxy switch as an override."""
        data = dict(super().clean() or {})
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


class PanelDecisionForm(Form):
    topic = forms.ChoiceField(label=_("事项"), choices=PanelDecision.Topic.choices)
    value_fen = YuanField(label=_("金额（元）"), required=False)
    text = forms.CharField(label=_("决定内容"), widget=TEXTAREA, required=False)
    panel_members = forms.CharField(label=_("合议庭成员"), max_length=300)
    decided_at = LocalDateTimeField(label=_("合议时间"))


class CostForm(Form):
    """A cost or loss the default caused (AUC-33 (1)), on the defaulted auction's page."""

    amount_yuan = YuanField(label=_("金额（元）"))
    payee_name = forms.CharField(label=_("收款人"), max_length=200)
    note = forms.CharField(label=_("费用事由"), max_length=200, help_text=_("如：车辆保管费"))


class PriorityHolderForm(Form):
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    rank = forms.IntegerField(label=_("顺序（1 为最优先）"), min_value=1)
    basis = forms.CharField(label=_("权利依据"), max_length=200)


class NoticeForm(Form):
    recipient = forms.ChoiceField(label=_("受送达人"))
    method = forms.ChoiceField(label=_("送达方式"))
    sent_at = LocalDateTimeField(label=_("发出时间"))
    received_at = LocalDateTimeField(label=_("签收时间"), required=False)
    proof = forms.CharField(label=_("送达凭证/书面放弃文件"), required=False)
    unreachable_reason = forms.CharField(label=_("无法直接送达的原因（公示送达）"), required=False)

    def __init__(
        self, *args: Any, recipients: Iterable[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        from core.models import ServiceRecord

        super().__init__(*args, **kwargs)
        set_choices(self, "recipient", recipients)
        set_choices(self, "method", ServiceRecord.Method.choices)


class ReasonForm(Form):
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


class ObjectionForm(Form):
    objector = forms.CharField(label=_("异议人"), max_length=200)
    reason = forms.CharField(label=_("异议内容"), widget=TEXTAREA)
    measure = forms.ChoiceField(
        label=_("措施"), choices=[("suspend", _("暂缓")), ("halt", _("中止"))]
    )


class ResumeForm(ReasonForm):
    start_at = LocalDateTimeField(label=_("新的竞价开始"))
    end_at = LocalDateTimeField(label=_("新的竞价结束"))


class RulingForm(Form):
    document = forms.CharField(label=_("成交裁定文号"), max_length=200)
    served_at = LocalDateTimeField(label=_("送达时间"), required=False)
    eligibility_proof = forms.CharField(label=_("购房资格证明（限购房产，AUC-13）"), required=False)


class HandoverForm(Form):
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


class InLieuForm(Form):
    party = forms.ChoiceField(label=_("抵债债权人"))
    excess_days = forms.IntegerField(label=_("补交差价期限（日）"), min_value=1, required=False)
    eligibility_proof = forms.CharField(label=_("购房资格证明（限购房产）"), required=False)
    reason = forms.CharField(label=_("理由"), widget=TEXTAREA)

    def __init__(self, *args: Any, parties: Iterable[tuple[Any, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "party", parties)


class RevealForm(Form):
    """REC-05: before bidding ends, only for a pending agent or priority check."""

    check = forms.ChoiceField(
        label=_("核对事项"),
        choices=[
            ("agent", _("委托代理核对（AUC-14）")),
            ("priority", _("优先购买权核对（AUC-19）")),
        ],
        required=False,
    )
    purpose = forms.CharField(label=_("查看用途（记入访问日志）"), max_length=200)


class ConsentForm(Form):
    note = forms.CharField(label=_("被执行人同意的方式和内容（AUC-07）"), widget=TEXTAREA)


class InsistForm(Form):
    insisted_at = LocalDateTimeField(label=_("申请执行人申请继续拍卖的时间（AUC-06）"))


# ---- the bidder's registration (报名): joint bidders (共同竞买) and an agent (委托代理, AUC-14) ----
JOINT_ROWS = 3


def find_verified_person(username: str, id_number: str) -> Any:
    """The active account ``username`` whose verified real-name identity has ``id_number``.

    A bidder names a co-bidder or an agent by what that person gives them for it: the account
    they sign in with and the number of their identity document. Both must match one verified
    person; nothing about the person is read back (REC-05), only "found" or "not found".
    """
    from django.contrib.auth import get_user_model

    from cases.models import Identity

    number = re.sub(r"\s+", "", id_number or "")
    if not username or not number:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        return None
    verified = Identity.objects.filter(
        user=user, status=Identity.Status.VERIFIED, number__iexact=number
    ).exists()
    return user if verified else None


def parse_share(text: str) -> Decimal | None:
    """A share in percent ("30", "33.33", "25%"): more than 0, less than 100, two decimals."""
    text = (text or "").strip().rstrip("%％").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or exponent < -2:
        return None
    if value <= 0 or value >= 100:
        return None
    return value


class RegistrationForm(Form):
    """报名: the terms, the purchase-eligibility declaration (AUC-13), up to three co-bidders with
    their shares (the registrant keeps the rest of 100%) and an agent the court must confirm
    before bidding opens (AUC-14). Co-bidders and the agent are named by account and identity
    number; the engine (``registration_create``) checks the rest."""

    accept_terms = forms.BooleanField(required=False)
    eligibility_declared = forms.BooleanField(required=False)
    agent_username = forms.CharField(label=_("代理人登录账号"), max_length=150, required=False)
    agent_id_number = forms.CharField(label=_("代理人证件号码"), max_length=40, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for i in range(1, JOINT_ROWS + 1):
            self.fields[f"joint_{i}_username"] = forms.CharField(
                label=_("共同竞买人登录账号"), max_length=150, required=False
            )
            self.fields[f"joint_{i}_id_number"] = forms.CharField(
                label=_("共同竞买人证件号码"), max_length=40, required=False
            )
            self.fields[f"joint_{i}_share"] = forms.CharField(
                label=_("份额（%）"), max_length=12, required=False
            )

    def joint_rows(self) -> list[dict[str, Any]]:
        """The co-bidder rows as bound fields, for the template."""
        return [
            {
                "n": i,
                "username": self[f"joint_{i}_username"],
                "id_number": self[f"joint_{i}_id_number"],
                "share": self[f"joint_{i}_share"],
            }
            for i in range(1, JOINT_ROWS + 1)
        ]

    def has_joint_input(self) -> bool:
        return any(
            (self.data.get(f"joint_{i}_{k}") or "").strip()
            for i in range(1, JOINT_ROWS + 1)
            for k in ("username", "id_number", "share")
        )

    def has_agent_input(self) -> bool:
        return any((self.data.get(k) or "").strip() for k in ("agent_username", "agent_id_number"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        own = getattr(self.user, "username", None)
        members: list[dict[str, Any]] = []
        seen: set[str] = set()
        total = Decimal(0)
        for i in range(1, JOINT_ROWS + 1):
            username = (data.get(f"joint_{i}_username") or "").strip()
            number = (data.get(f"joint_{i}_id_number") or "").strip()
            share_text = (data.get(f"joint_{i}_share") or "").strip()
            if not (username or number or share_text):
                continue
            ok = True
            if not username:
                self.add_error(f"joint_{i}_username", _("请填写共同竞买人的登录账号"))
                ok = False
            if not number:
                self.add_error(f"joint_{i}_id_number", _("请填写共同竞买人的证件号码"))
                ok = False
            share = parse_share(share_text)
            if share is None:
                self.add_error(
                    f"joint_{i}_share", _("份额须为大于 0、小于 100 的百分数，最多两位小数")
                )
                ok = False
            if not ok:
                continue
            if username == own:
                self.add_error(f"joint_{i}_username", _("共同竞买人不能是您本人"))
                continue
            if username in seen:
                self.add_error(f"joint_{i}_username", _("同一共同竞买人只能填写一次"))
                continue
            person = find_verified_person(username, number)
            if person is None:
                self.add_error(
                    f"joint_{i}_username",
                    _("未找到登录账号为“%(username)s”且证件号码相符的已实名认证用户")
                    % {"username": username},
                )
                continue
            seen.add(username)
            members.append({"user": person, "share": share})
            total += share or 0
        if members and total >= 100:
            self.add_error(None, _("共同竞买人份额合计须小于 100%（其余为您的份额）"))
        agent = None
        agent_username = (data.get("agent_username") or "").strip()
        agent_number = (data.get("agent_id_number") or "").strip()
        if agent_username or agent_number:
            if not agent_username:
                self.add_error("agent_username", _("请填写代理人的登录账号"))
            elif not agent_number:
                self.add_error("agent_id_number", _("请填写代理人的证件号码"))
            elif agent_username == own:
                self.add_error("agent_username", _("代理人不能是您本人"))
            else:
                agent = find_verified_person(agent_username, agent_number)
                if agent is None:
                    self.add_error(
                        "agent_username",
                        _("未找到登录账号为“%(username)s”且证件号码相符的已实名认证用户")
                        % {"username": agent_username},
                    )
        data["joint_bidders"] = members
        data["agent"] = agent
        return data


class QuestionForm(Form):
    """拍品咨询: the visitor's question (the service checks the length and the limits)."""

    text = forms.CharField(
        label=_("咨询内容"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500, "aria-describedby": "q-help"}),
        help_text=_("5–500 字。答复后问题与答复一并公开，提问人仅显示为匿名代号。"),
    )


class QuestionAnswerForm(Form):
    answer = forms.CharField(
        label=_("答复内容"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )


class QuestionRejectForm(Form):
    reason = forms.ChoiceField(label=_("不予公开的理由"), choices=())
    note = forms.CharField(
        label=_("说明（可选，仅提问人可见）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from bidding.models import LotQuestion

        super().__init__(*args, **kwargs)
        set_choices(self, "reason", LotQuestion.RejectReason.choices)
