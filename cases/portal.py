"""Sections of the parties' portal and of the judge's case page, which later apps extend.

An app adds a section from its ``AppConfig.ready()``::

    from cases.portal import Section, register_section

    register_section(Section(
        key="pricing.objections", where="portal_case", title="对定价结果提出异议",
        template="pricing/portal/objections.html", order=40,
        context=lambda request, case: {"objections": ...},
    ))

``where`` is one of ``portal`` (the party's portal home: ``context(request, cases)``),
``portal_case`` (a party's view of one case: ``context(request, case)``) or ``case`` (the
staff case page: ``context(request, case)``). The template is rendered with the page's
context plus what ``context`` returns; a section whose ``visible(request, obj)`` is false
is skipped. Sections are ordered by ``order`` then ``key``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

WHERE = ("portal", "portal_case", "case")


@dataclass(frozen=True)
class Section:
    key: str
    where: str
    title: str
    template: str
    order: int = 100
    context: Callable[[Any, Any], dict[str, Any]] | None = None
    visible: Callable[[Any, Any], bool] | None = None


_sections: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add (or replace, by key) a section. Idempotent, so ``ready()`` may run twice."""
    if section.where not in WHERE:
        raise ValueError(f"where must be one of {WHERE}")
    _sections[section.key] = section


def register_case_sections(
    *,
    key: str,
    title: Any,
    template: str,
    order: int = 100,
    context: Callable[[Any, Any, bool], dict[str, Any]],
    visible: Callable[[Any, Any, bool], bool] | None = None,
) -> None:
    """One section on both case pages: the staff case page (``key``, ``staff=True``) and a
    party's view of the case (``key + ".party"``, ``staff=False``); ``context`` and
    ``visible`` get ``(request, case, staff)``."""
    for where, suffix, staff in (("case", "", True), ("portal_case", ".party", False)):
        register_section(
            Section(
                key=key + suffix,
                where=where,
                title=title,
                template=template,
                order=order,
                context=lambda request, case, staff=staff: context(request, case, staff),
                visible=None
                if visible is None
                else (lambda request, case, staff=staff: visible(request, case, staff)),
            )
        )


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def sections_for(where: str) -> list[Section]:
    return sorted(
        (s for s in _sections.values() if s.where == where), key=lambda s: (s.order, s.key)
    )


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: str
    html: str


def render_sections(
    where: str, request: Any, obj: Any, base: dict[str, Any]
) -> list[RenderedSection]:
    out = []
    for s in sections_for(where):
        if s.visible is not None and not s.visible(request, obj):
            continue
        ctx = dict(base)
        if s.context is not None:
            ctx.update(s.context(request, obj))
        ctx["section"] = s
        out.append(
            RenderedSection(s.key, s.title, render_to_string(s.template, ctx, request=request))
        )
    return out
