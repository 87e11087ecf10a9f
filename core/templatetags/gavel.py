from typing import Any

from django import template

from core.money import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """Integer fen → '1,234.56'."""
    try:
        return _yuan(int(fen))
    except (TypeError, ValueError):
        return ""


@register.filter
def ref_text(ref: Any) -> str:
    """An opaque reference ("case:2/auction:3") → the names people recognise (core.refs)."""
    from core.refs import describe

    return describe(str(ref or "")).text


@register.filter
def refs_named(text: Any) -> str:
    """A text with references inside (a ledger line "没收保证金待处理 auction:1/registration:1")
    → the same text with each reference named as people recognise it (``core.refs.in_text``)."""
    from core.refs import in_text

    return in_text(str(text or ""))


@register.simple_tag(takes_context=True)
def ref_link(context: Any, ref: Any) -> str:
    """The reference's names, linked to the page the signed-in viewer may open."""
    from django.utils.html import format_html

    from core.refs import describe

    request = context.get("request")
    viewer = getattr(request, "user", None)
    d = describe(str(ref or ""), viewer if getattr(viewer, "is_authenticated", False) else None)
    if d.url:
        return format_html('<a href="{}">{}</a>', d.url, d.text)
    return format_html("{}", d.text)


@register.filter
def start_event(code: Any) -> str:
    """What started a deadline, named (``core.deadlines.start_event_label``), never its code."""
    from core.deadlines import start_event_label

    return start_event_label(str(code or ""))


@register.filter
def stored(text: Any) -> str:
    """A label the code stored in Chinese (a ground, a fee's name, a default purpose) in the
    reader's language when it is an interface word; any other stored text is shown as it is."""
    from django.utils.translation import gettext

    value = str(text or "")
    return gettext(value) if value.strip() else value
