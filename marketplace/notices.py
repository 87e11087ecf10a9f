"""Messages the marketplace sends, each through the core outbox and each with an unsubscribe link.

Topics (a person may unsubscribe from each): ``marketplace.reminder`` (auction start/end),
``marketplace.outbid``, ``marketplace.saved_search``, ``marketplace.viewing``. The link is a
signed token naming the person and the topic, so it works from an SMS or an e-mail without
signing in.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import OutboxMessage, User
from core.notifications import Message, joined, notify, text, unsubscribe

# What each topic is called on the unsubscribe page, in the reader's language.
TOPICS = {
    "marketplace.reminder": _("关注拍品的开拍/结束提醒"),
    "marketplace.outbid": _("出价被超越提醒"),
    "marketplace.saved_search": _("保存的搜索有新拍品"),
    "marketplace.viewing": _("看样预约结果"),
    "marketplace.viewing_request": _("新的看样申请（法院工作人员）"),
}
_SALT = "marketplace.unsubscribe"


def unsubscribe_token(user: User, topic: str) -> str:
    return signing.dumps({"u": user.pk, "t": topic}, salt=_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("t") not in TOPICS
        or not isinstance(data.get("u"), int)
    ):
        return None
    return data["u"], data["t"]


def site_url(path: str) -> str:
    """An absolute link where the site's address is configured (``GAVEL_SITE_URL``), else the path."""
    base = settings.GAVEL_SITE_URL or ""
    return base.rstrip("/") + path


def unsubscribe_link(user: User, topic: str) -> str:
    return site_url(reverse("marketplace:unsubscribe", args=[unsubscribe_token(user, topic)]))


def unsubscribe_all_channels(*, user: User, topic: str) -> None:
    """Stop ``topic`` for ``user`` on every channel (inbox, SMS, e-mail). Legal notices never stop."""
    for channel in OutboxMessage.Channel.values:
        unsubscribe(user=user, topic=topic, channel=channel)


def send(
    *,
    user: User,
    topic: str,
    subject: Message,
    body: Message,
    key: str,
    link: str = "",
    court: int | None = None,
) -> list[OutboxMessage]:
    """Queue one marketplace message (inbox always; SMS/e-mail per court setting and contact)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown marketplace topic {topic!r}")
    full = joined(
        body, text(_("退订此类提醒：%(link)s"), link=unsubscribe_link(user, topic)), sep="\n"
    )
    return notify(
        user=user, topic=topic, subject=subject, body=full, key=key, link=link, court=court
    )
