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
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.http import HttpRequest
from django.template.loader import render_to_string

from cases.models import Case

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

WHERE = ("portal", "portal_case", "case")

#: What a section is about: the case (``portal_case``, ``case``) or the party's cases (``portal``).
SectionObject: TypeAlias = Case | list[Case]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Section:
    key: str
    where: str
    title: str | StrPromise
    template: str
    order: int = 100
    context: Callable[[HttpRequest, SectionObject], dict[str, Any]] | None = None
    visible: Callable[[HttpRequest, SectionObject], bool] | None = None


_sections: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add (or replace, by key) a section. Idempotent, so ``ready()`` may run twice."""
    if section.where not in WHERE:
        raise ValueError(f"where must be one of {WHERE}")
    _sections[section.key] = section


def _on_case(
    fn: Callable[[HttpRequest, Case, bool], _T], staff: bool
) -> Callable[[HttpRequest, SectionObject], _T]:
    """``fn(request, case, staff)`` as a section callback of a case page."""

    def call(request: HttpRequest, obj: SectionObject) -> _T:
        if not isinstance(obj, Case):
            raise TypeError("a case page's section is rendered for one case")
        return fn(request, obj, staff)

    return call


def register_case_sections(
    *,
    key: str,
    title: str | StrPromise,
    template: str,
    order: int = 100,
    context: Callable[[HttpRequest, Case, bool], dict[str, Any]],
    visible: Callable[[HttpRequest, Case, bool], bool] | None = None,
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
                context=_on_case(context, staff),
                visible=None if visible is None else _on_case(visible, staff),
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
    title: str | StrPromise
    html: str


def render_sections(
    where: str, request: HttpRequest, obj: SectionObject, base: dict[str, Any]
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
