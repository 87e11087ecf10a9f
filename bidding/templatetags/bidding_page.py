"""Filters of the public auction page."""

from __future__ import annotations

from django import template

register = template.Library()

_SEPARATORS = "：:，, \u3000"


@register.filter
def without_label(value: object, label: object) -> str:
    """A disclosure's text without its own topic repeated in front ("权属状况：…" under
    权属状况 reads once): the label is already the row's heading."""
    text = str(value or "")
    name = str(label or "")
    if name and text.startswith(name):
        rest = text[len(name) :]
        stripped = rest.lstrip(_SEPARATORS)
        if stripped != rest or not rest:
            return stripped
    return text
