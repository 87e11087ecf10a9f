"""Notification texts written in the recipient's language (issue 17).

A message is queued by whoever acts (a judge closing an auction, a bidder outbidding
another), but it is read by someone else. So a subject or body handed to ``notify`` is not
a finished string: it is a :class:`Text` — a msgid (``gettext_lazy``) with its ``%(name)s``
values — and ``notify`` renders it once per recipient under
``translation.override(recipient.language)``. The outbox stores the rendered words (what
was actually sent, for the audit), never the msgid.

Values are rendered in the same language: a nested :class:`Text` or lazy string is
translated, a datetime is shown in local time with the language's format, a date with the
language's date format. A callable (``auction.get_round_display``) is called in that language. A plain
``str`` value (a name, a case number, a title) is inserted as it is.

    notify(
        user=bidder,
        subject=text(_("【出价被超越】%(title)s"), title=auction.title),
        body=text(_("截止 %(when)s"), when=auction.ends_at),
        ...
    )

Join several texts with :func:`joined` (``joined(a, b, sep="\\n")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext


class Text:
    """A msgid and its values, rendered when turned into ``str`` (in the active language)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str | Promise, params: dict[str, Any]) -> None:
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        template = self.msgid if isinstance(self.msgid, Promise) else gettext(self.msgid)
        template = str(template)
        if not self.params:
            return template
        return template % {k: render_value(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Text({str(self.msgid)!r}, {self.params!r})"

    def __add__(self, other: object) -> Joined:
        return Joined([self, other], "")

    def __radd__(self, other: object) -> Joined:
        return Joined([other, self], "")


class Joined:
    """Several texts (or strings) shown one after the other, each in the active language."""

    __slots__ = ("parts", "sep")

    def __init__(self, parts: list[Any], sep: str) -> None:
        self.parts = parts
        self.sep = sep

    def __str__(self) -> str:
        return self.sep.join(render_value(p) for p in self.parts if p is not None and p != "")

    def __add__(self, other: object) -> Joined:
        return Joined([self, other], "")

    def __radd__(self, other: object) -> Joined:
        return Joined([other, self], "")


#: What ``notify`` takes as a subject or body.
Message = str | Promise | Text | Joined


def text(msgid: str | Promise, /, **params: Any) -> Text:
    """``msgid`` (a ``gettext_lazy`` result) with its ``%(name)s`` values, rendered later."""
    return Text(msgid, params)


def joined(*parts: Any, sep: str = "") -> Joined:
    return Joined(list(parts), sep)


#: How a message writes a moment and a day, per language (court time, ``TIME_ZONE``):
#: "2026-12-07 14:30" in Chinese, "7 Dec 2026, 14:30" in English.
DATETIME_FORMATS = {"zh-hans": "Y-m-d H:i", "en": "j M Y, H:i"}
DATE_FORMATS = {"zh-hans": "Y-m-d", "en": "j M Y"}


def render_value(value: Any) -> str:
    """A value as the reader of the active language sees it."""
    language = supported_language(translation.get_language()) or settings.LANGUAGE_CODE
    if callable(value) and not isinstance(value, Promise | Text | Joined):
        value = value()  # ``auction.get_round_display``: its label in this language
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, DATETIME_FORMATS.get(language, "Y-m-d H:i"))
    if isinstance(value, dt.date):
        return dateformat.format(value, DATE_FORMATS.get(language, "Y-m-d"))
    return str(value)


def supported_language(code: str | None) -> str | None:
    """``code`` if the site speaks it (``en-us`` counts as ``en``), else ``None``."""
    supported = {c for c, _name in settings.LANGUAGES}
    code = (code or "").lower()
    if code in supported:
        return code
    base = code.split("-")[0]
    return base if base in supported else None


def language_of(user: Any, default: str | None = None) -> str:
    """The language ``user`` reads messages in: their stored choice, else ``default``, else
    the site's language."""
    return (
        supported_language(getattr(user, "language", ""))
        or supported_language(default)
        or settings.LANGUAGE_CODE
    )


@contextmanager
def in_language_of(user: Any) -> Iterator[str]:
    language = language_of(user)
    with translation.override(language):
        yield language


def render(message: Any, user: Any) -> str:
    """``message`` (a :class:`Text`, a lazy string or a plain ``str``) in ``user``'s language."""
    with in_language_of(user):
        return render_value(message)
