"""Delivery channels behind adapters. Console versions by default; swap by setting."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("gavel.notifications")


class ChannelError(Exception):
    """A delivery that failed and may be retried."""


class Channel(Protocol):
    def send(self, message: Any) -> None: ...


class ConsoleSMS:
    sent: list[tuple[str, str]] = []

    def send(self, message: Any) -> None:
        phone = message.address or (message.recipient.phone if message.recipient else "")
        if not phone:
            raise ChannelError("recipient has no phone number")
        from django.utils import translation
        from django.utils.translation import gettext

        with translation.override(getattr(message, "language", None) or None):
            text = gettext("【Gavel】%(subject)s：%(body)s") % {
                "subject": message.subject,
                "body": message.body,
            }
        ConsoleSMS.sent.append((phone, text))
        log.info("SMS to %s: %s", phone, text)


class ConsoleEmail:
    sent: list[tuple[str, str]] = []

    def send(self, message: Any) -> None:
        from django.core.mail import send_mail

        address = message.address or (message.recipient.email if message.recipient else "")
        if not address:
            raise ChannelError("recipient has no e-mail address")
        try:
            send_mail(message.subject, message.body, None, [address])
        except Exception as exc:  # SMTP errors are retried
            raise ChannelError(str(exc)) from exc
        ConsoleEmail.sent.append((address, message.subject))


_overrides: dict[str, Channel] = {}


def get_channel(name: str) -> Channel:
    if name in _overrides:
        return _overrides[name]
    path = {"sms": settings.GAVEL_SMS_BACKEND, "email": settings.GAVEL_EMAIL_BACKEND}.get(name)
    if path is None:
        raise ChannelError(f"unknown channel {name}")
    return import_string(path)()


def override_channel(name: str, channel: Channel | None) -> None:
    """Swap a channel in tests (a real object that fails on demand, not a mock)."""
    if channel is None:
        _overrides.pop(name, None)
    else:
        _overrides[name] = channel
