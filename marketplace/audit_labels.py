"""Names people read for marketplace's audit actions (the case history shows them)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "listing.loan_info_set": _("设置贷款支持信息"),
    "viewing.slot_created": _("开放看样时段"),
    "viewing.slot_cancelled": _("取消看样时段"),
    "viewing.requested": _("申请看样"),
    "viewing.confirmed": _("确认看样"),
    "viewing.declined": _("拒绝看样"),
    "viewing.cancelled": _("取消看样"),
}
