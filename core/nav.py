"""The site's navigation, assembled from what each app registers in ``AppConfig.ready()``.

Core knows no higher app: each app adds its own entries (label, URL name, who sees them), so
the top bar and the home page grow with the apps installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

ANON = "anonymous"
ANY = "any"


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    roles: frozenset[str]
    order: int = 100
    description: object = ""


_items: dict[str, NavItem] = {}


def register(
    label: object,
    url_name: str,
    *,
    roles: Iterable[str],
    order: int = 100,
    description: object = "",
) -> None:
    """``roles``: role values, plus ``"any"`` (everyone signed in) and ``"anonymous"``."""
    _items[url_name] = NavItem(label, url_name, frozenset(roles), order, description)


def items_for(user: Any) -> list[dict[str, Any]]:
    signed_in = bool(getattr(user, "is_authenticated", False))
    role = getattr(user, "role", None) if signed_in else None
    out = []
    for item in sorted(_items.values(), key=lambda i: (i.order, str(i.label))):
        visible = (ANON in item.roles and not signed_in) or (
            signed_in and (ANY in item.roles or role in item.roles)
        )
        if not visible:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "description": item.description})
    return out
