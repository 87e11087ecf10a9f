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
