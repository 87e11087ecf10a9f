from django import template

from core.models import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    """``judge`` → 法官."""
    try:
        return str(Role(value).label)
    except ValueError:
        return value or ""
