"""``{% collusion_flag_note auction %}``: the auction's collusion flag on its court page (issue 19).

Score, state and a link only: no code and no identity (REC-05)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from bidding.collusion.models import CollusionFlag

register = template.Library()


@register.simple_tag
def collusion_flag_note(auction_id: int) -> SafeString | str:
    flag = CollusionFlag.objects.filter(auction_id=auction_id).first()
    if flag is None:
        return ""
    return format_html(
        '<p id="collusion-flag" class="notice">{}：{} {}（{}） · <a href="{}">{}</a></p>',
        _("串通风险预警"),
        _("风险分"),
        flag.score,
        flag.get_state_display(),
        reverse("bidding:collusion_flag", args=[flag.pk]),
        _("查看证据"),
    )
