"""Form fields every app's pages share: yuan amounts, Beijing date-times, the ids of the page's
own objects, yes/no buttons, lists. They only parse what a page posts; the services check the
rules. ``Form`` is the base of every court action's form (``core.court_actions``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import parse_yuan
from core.validation import BIGINT_MAX, text_problem

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def validate_storable_text(value: Any) -> None:
    """No NUL byte, no lone surrogate (``core.validation``): PostgreSQL could not store it."""
    if isinstance(value, str) and text_problem(value):
        raise forms.ValidationError(_("含有不能保存的字符"), code="bad_text")


def model_max_length(model: type[Model], field: str) -> int | None:
    """The ``max_length`` of ``model.field`` (a form's text field takes no more)."""
    return getattr(model._meta.get_field(field), "max_length", None)


class Form(forms.Form):
    """The base of the pages' forms.

    Labels end without an ASCII colon ("标题" not "标题:"), as on the other Chinese pages.
    ``target`` is the object the page acts on (an auction, a procedure…): ``ObjectField``s
    look their object up among that target's own. Every text field refuses a NUL byte and a
    lone surrogate (Django's ``CharField`` refuses only the NUL).
    """

    def __init__(self, *args: Any, target: object = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.target = target
        for field in self.fields.values():
            if isinstance(field, ObjectField):
                field.queryset = field.scope(target)
            if isinstance(field, forms.CharField) and validate_storable_text not in (
                field.validators
            ):
                field.validators.append(validate_storable_text)


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Give choice field ``name`` of ``form`` its choices (known only when the form is made)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{name} is not a choice field")
    field.choices = list(choices)


class YuanField(forms.Field):
    """A yuan amount ("1,234.50", "¥1234.5") → integer fen (``core.money.parse_yuan``)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value: Any) -> int | None:
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if len(str(value)) > 20:
            raise forms.ValidationError(_("金额过长"))
        try:
            fen = parse_yuan(value)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        if abs(fen) > BIGINT_MAX:
            raise forms.ValidationError(_("金额过大"))
        return fen

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return f"{value / 100:.2f}"
        return value


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input ("2026-11-05T10:00", ISO 8601 with or without seconds or an
    offset) read as Beijing time (the site's time zone) → an aware datetime."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = timezone.localtime(value)
        return super().prepare_value(value)


class DateField(forms.DateField):
    """A ``date`` input, ``YYYY-MM-DD``."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d"]


class TextField(forms.CharField):
    """Free text passed to the service as typed ("" when absent): the service says what is
    missing, in its own words and with its rule. Never a NUL byte or a lone surrogate;
    ``max_length`` from the model the text goes to: ``TextField(max_length=model_max_length(
    Auction, "title"))`` (the model's save refuses longer text anyway, ``core.validation``)."""

    default_validators = [validate_storable_text]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


class FlagField(forms.Field):
    """A checkbox or a button that posts one word for "yes" (``on``, ``yes``, ``approve``,
    ``1``…): True for exactly that word, False for anything else or nothing."""

    widget = forms.HiddenInput

    def __init__(self, *, yes: str = "on", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.yes = yes

    def to_python(self, value: Any) -> bool:
        return value == self.yes

    def validate(self, value: Any) -> None:
        """Never "required": unticked is an answer."""


class ValuesField(forms.Field):
    """Every value posted under the name (ticked checkboxes, a multiple select), as strings."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value]


_LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")


class WordListField(forms.Field):
    """A list typed in one box, separated by spaces, commas (also "，" "、") or semicolons."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        return [x for x in _LIST_SEPARATORS.split(str(value or "")) if x]


class ObjectField(forms.Field):
    """The id of one of the page's own objects, posted in a hidden input → that object.

    ``scope(target)`` gives the objects the page may name (a procedure's inquiries, a
    request's commissions). An id that is not one of them was tampered with: 404 by default,
    like ``get_object_or_404``; or the ``not_found`` message on the page. With
    ``required=False`` no object (``None``) is an answer too.
    """

    widget = forms.HiddenInput

    def __init__(
        self,
        scope: Callable[[Any], QuerySet[Any]],
        *,
        not_found: StrOrPromise | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scope = scope
        self.not_found = not_found
        self.queryset: QuerySet[Any] | None = None

    def to_python(self, value: Any) -> Model | None:
        text = str(value if value is not None else "").strip()
        found: Model | None = None
        if text.isdigit() and self.queryset is not None:
            found = self.queryset.filter(pk=int(text)).first()
        if found is None and not self.required:
            return None
        if found is None:
            if self.not_found is None:
                raise Http404(self.label or "object")
            raise forms.ValidationError(self.not_found, code="not_found")
        return found
