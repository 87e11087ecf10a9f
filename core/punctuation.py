"""Punctuation in the reader's language: Chinese text takes fullwidth marks, English ASCII.

Interface text composed in Python ("名称（角色）", "标签：值") uses these so that an English
page reads "Name (role)", never "Name（role）" (issue 17). Stored text (titles, documents) keeps
the marks it was written with: it is data.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext


def paren(text: object) -> str:
    """``（text）`` in Chinese, `` (text)`` in English."""
    return f"{gettext('（')}{text}{gettext('）')}"


def labelled(label: object, value: object) -> str:
    """``label：value`` in Chinese, ``label: value`` in English."""
    return f"{label}{gettext('：')}{value}"


def listed(parts: Iterable[object]) -> str:
    """Parts joined by ``；`` in Chinese, ``; `` in English."""
    return gettext("；").join(str(p) for p in parts)
