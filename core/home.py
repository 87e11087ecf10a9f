"""Sections of the home page, which later apps fill.

Core owns ``/`` (the welcome, sign-in and sign-up, the cards of the site's navigation); an app
above it adds a section from ``AppConfig.ready()`` — the marketplace adds the auctions under
way and about to start, so that a visitor sees lots, not only links::

    from core import home

    home.register(home.Section(key="marketplace.live", template="marketplace/home/live.html",
                               order=10, context=live_auctions))

A section is rendered with the request's context plus what ``context(request)`` returns; one
whose ``context`` returns ``None`` is left out (nothing to show). Sections are ordered by
``order`` then ``key``. Core never imports the app that fills a section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    order: int = 100
    context: Callable[[HttpRequest], dict[str, Any] | None] | None = None
    #: Static files the section needs (``"marketplace/marketplace.css"``), loaded once each.
    stylesheets: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add (or replace, by key) a section. Idempotent, so ``ready()`` may run twice."""
    _sections[section.key] = section


@dataclass
class Rendered:
    """The home page's sections: their HTML in order and the static files they need."""

    html: list[SafeString] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


def rendered(request: HttpRequest) -> Rendered:
    """Each section's HTML, in order; sections with nothing to show are left out."""
    out = Rendered()
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        extra = section.context(request) if section.context else {}
        if extra is None:
            continue
        out.html.append(SafeString(render_to_string(section.template, extra, request=request)))
        out.stylesheets += [f for f in section.stylesheets if f not in out.stylesheets]
        out.scripts += [f for f in section.scripts if f not in out.scripts]
    return out
