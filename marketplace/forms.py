"""Forms for the marketplace pages (Chinese labels and errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Lot
from core.models import Court


class LotChoiceField(forms.ModelChoiceField):
    """A lot of the court, shown with its case number."""

    def label_from_instance(self, obj: Lot) -> str:
        return f"{obj.title}（{obj.case.number}）"


class ViewingSlotForm(forms.Form):
    lot = LotChoiceField(
        label=_("拍品"),
        queryset=Lot.objects.none(),
        error_messages={"required": _("请选择拍品"), "invalid_choice": _("拍品不存在")},
    )
    starts_at = forms.DateTimeField(
        label=_("开始时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": _("请填写开始时间"), "invalid": _("时间格式不正确")},
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"required": _("请填写结束时间"), "invalid": _("时间格式不正确")},
    )
    place = forms.CharField(
        label=_("集合地点"), max_length=300, error_messages={"required": _("请填写集合地点")}
    )
    capacity = forms.IntegerField(
        label=_("名额"),
        min_value=1,
        max_value=200,
        initial=5,
        error_messages={
            "required": _("请填写名额"),
            "invalid": _("名额须为整数"),
            "min_value": _("名额至少为 1"),
            "max_value": _("名额最多 200"),
        },
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, court: Court | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lot = self.fields["lot"]
        assert isinstance(lot, LotChoiceField)  # deep-copied from the declaration above
        lot.queryset = Lot.objects.filter(case__court=court).select_related("case").order_by("-pk")
