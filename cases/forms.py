"""Forms of the judge's pages and the identity page. The services do the checking; a refusal
comes back as a ``DomainError`` and ``add_domain_error`` puts its message on the right field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.features import FEATURES
from cases.models import Asset, AssetFile, Case, Disclosure, Identity, Party, Seizure
from core.errors import DomainError
from core.models import Court, Role, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Which form field a service error code belongs to (the rest are shown above the form).
FIELD_FOR_CODE = {
    "invalid_case_number": "number",
    "court_code_mismatch": "number",
    "case_number_taken": "number",
    "year_mismatch": "filed_on",
    "filed_in_future": "filed_on",
    "invalid_date": "filed_on",
    "invalid_claim_amount": "claim",
    "invalid_amount": "claim",
    "invalid_assignee": "judge",
    "invalid_title": "title",
    "invalid_title_document": "title_document",
    "name_required": "name",
    "invalid_name": "name",
    "name_too_long": "name",
    "identity_kind_required": "identity_kind",
    "identity_kind_mismatch": "identity_kind",
    "invalid_identity_number": "identity_number",
    "identity_name_mismatch": "name",
    "party_exists": "identity_number",
    "invalid_phone": "phone",
    "invalid_email": "email",
    "invalid_priority": "priority",
    "invalid_division_code": "division_code",
    "invalid_coordinate": "latitude",
    "invalid_address": "address",
    "invalid_purchase_restriction": "purchase_restricted",
    "invalid_topic": "topic",
    "text_required": "text",
    "text_too_long": "text",
    "disclosure_unchanged": "text",
    "invalid_seizure_kind": "kind",
    "seizure_kind_mismatch": "kind",
    "seized_in_future": "seized_on",
    "seized_before_filing": "seized_on",
    "invalid_expiry": "expires_on",
    "document_required": "document",
    "file_required": "file",
    "file_empty": "file",
    "file_too_large": "file",
    "file_type_not_allowed": "file",
    "title_required": "title",
    "assets_required": "assets",
    "asset_in_lot": "assets",
    "asset_not_in_case": "assets",
    "bundle_reason_required": "bundle_reason",
    "purpose_required": "purpose",
}


def add_domain_error(
    form: forms.Form, exc: DomainError, *, field_map: dict[str, str] | None = None
) -> None:
    """Show a service refusal on its field (by ``data["field"]`` or the code), else on top.
    A refusal listing several fields (``data["errors"]``) shows each on its own field."""
    if exc.data.get("errors"):
        for item in exc.data["errors"]:
            add_domain_error(
                form,
                DomainError(item["code"], item["message"], exc.rule, field=item.get("field")),
                field_map=field_map,
            )
        return
    field = None
    if exc.data.get("field"):
        field = f"f_{exc.data['field']}"
    if field not in form.fields:
        field = (field_map or {}).get(exc.code) or FIELD_FOR_CODE.get(exc.code)
    if field not in form.fields:
        field = None
    message = str(exc.message)
    if exc.rule:
        message += f"（{exc.rule}）"
    form.add_error(field, message)


class CaseForm(forms.Form):
    number = forms.CharField(
        label=_("案号"), max_length=60, help_text=_("如 （2026）赣0102执1234号，半角括号亦可")
    )
    claim = forms.CharField(
        label=_("申请执行标的（元）"), max_length=30, help_text=_("如 1,234,567.89")
    )
    filed_on = forms.DateField(label=_("立案日期"), widget=DATE)
    judge = forms.ModelChoiceField(
        label=_("承办法官"), queryset=User.objects.none(), required=False
    )
    officer = forms.ModelChoiceField(
        label=_("执行员"), queryset=User.objects.none(), required=False
    )
    title = forms.CharField(label=_("案由"), max_length=200, required=False)
    title_document = forms.CharField(
        label=_("执行依据"),
        max_length=300,
        required=False,
        help_text=_("如 （2025）赣0102民初1号民事判决书"),
    )

    def __init__(self, *args: Any, court: Court | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        judge, officer = self.fields["judge"], self.fields["officer"]
        assert isinstance(judge, forms.ModelChoiceField)  # declared above
        assert isinstance(officer, forms.ModelChoiceField)
        judge.queryset = User.objects.filter(court=court, role=Role.JUDGE, is_active=True)
        officer.queryset = User.objects.filter(
            court=court, role__in=[Role.OFFICER, Role.JUDGE], is_active=True
        )


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("诉讼地位"), choices=Party.Role.choices)
    kind = forms.ChoiceField(label=_("主体类型"), choices=Party.Kind.choices)
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    identity_kind = forms.ChoiceField(
        label=_("证件类型"), choices=[("", "—"), *Identity.Kind.choices], required=False
    )
    identity_number = forms.CharField(label=_("证件号码"), max_length=40, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    address = forms.CharField(label=_("送达地址"), max_length=300, required=False)
    email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False)
    priority = forms.IntegerField(
        label=_("受偿顺位"),
        required=False,
        min_value=1,
        error_messages={"min_value": _("受偿顺位应从 1 开始")},
    )
    claim = forms.CharField(label=_("债权金额（元）"), max_length=30, required=False)
    username = forms.CharField(
        label=_("平台账户（用户名，可选）"),
        max_length=150,
        required=False,
        help_text=_("关联后，当事人登录即可在“当事人服务”中查看本案"),
    )

    def clean_username(self) -> User | None:
        name = (self.cleaned_data.get("username") or "").strip()
        if not name:
            return None
        user = User.objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("没有这个用户名的账户"))
        return user


def feature_field_name(key: str) -> str:
    return f"f_{key}"


class AssetForm(forms.Form):
    name = forms.CharField(label=_("标的物名称"), max_length=200)
    division_code = forms.CharField(
        label=_("行政区划代码"),
        max_length=6,
        help_text=_("在上方按省、市、区县选择；也可直接填写6位代码，如 360102"),
    )
    address = forms.CharField(label=_("坐落/存放地"), max_length=300, required=False)
    latitude = forms.CharField(
        label=_("纬度（可选）"),
        max_length=20,
        required=False,
        help_text=_("不知道精确位置时留空：按所在区县取点"),
    )
    longitude = forms.CharField(label=_("经度（可选）"), max_length=20, required=False)
    description = forms.CharField(
        label=_("描述"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    purchase_restricted = forms.BooleanField(label=_("属于限购住房"), required=False)

    def __init__(self, *args: Any, kind: str, edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != Asset.Kind.RESIDENTIAL:
            del self.fields["purchase_restricted"]
        if edit:
            self.fields["reason"] = forms.CharField(
                label=_("更正理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
            )
        for f in FEATURES[kind]:
            label = str(f.label) + ("" if f.required else str(_("（可选）")))
            self.fields[feature_field_name(f.key)] = forms.CharField(
                label=label, required=False, max_length=200, help_text=f.help
            )

    def features(self) -> dict[str, str]:
        return {
            f.key: self.cleaned_data.get(feature_field_name(f.key), "") for f in FEATURES[self.kind]
        }

    def feature_fields(self) -> list[forms.BoundField]:
        return [self[feature_field_name(f.key)] for f in FEATURES[self.kind]]

    def base_fields_bound(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if not n.startswith("f_")]


class DisclosureForm(forms.Form):
    topic = forms.ChoiceField(label=_("披露事项"), choices=Disclosure.Topic.choices)
    text = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("如无，请写明“无”及核查方式（如：经查询不动产登记簿，无抵押登记）"),
    )


class SeizureForm(forms.Form):
    kind = forms.ChoiceField(label=_("措施"), choices=Seizure.Kind.choices)
    seized_on = forms.DateField(label=_("查封（扣押、冻结）日期"), widget=DATE)
    document = forms.CharField(label=_("裁定书文号"), max_length=100)
    expires_on = forms.DateField(label=_("到期日（可选）"), widget=DATE, required=False)

    def __init__(self, *args: Any, allowed: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed:
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)  # declared above
            kind.choices = [(k, v) for k, v in Seizure.Kind.choices if k in allowed]


class AssetFileForm(forms.Form):
    kind = forms.ChoiceField(label=_("附件类型"), choices=AssetFile.Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    file = forms.FileField(
        label=_("文件"), help_text=_("照片 JPG/PNG/WEBP ≤10MB；视频 MP4 ≤200MB；文件 PDF ≤20MB")
    )


class LotForm(forms.Form):
    title = forms.CharField(label=_("拍品名称"), max_length=200)
    assets = forms.ModelMultipleChoiceField(
        label=_("标的物"), queryset=Asset.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    bundle_reason = forms.CharField(
        label=_("合并处置理由"),
        max_length=300,
        required=False,
        help_text=_("多件标的物合并为一个拍品时必填：说明为何不宜分别处置（AUC-07）"),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assets = self.fields["assets"]
        assert isinstance(assets, forms.ModelMultipleChoiceField)  # declared above
        assets.queryset = Asset.objects.filter(case=case, lots__isnull=True).order_by("pk")


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=_("证件类型"), choices=Identity.Kind.choices)
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    number = forms.CharField(label=_("证件号码"), max_length=40)


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("查看用途"), max_length=200, help_text=_("将记入受限数据访问记录")
    )
