"""Input validation before the database (issue 15): one set of checks every entry uses.

PostgreSQL refuses a NUL byte in text, UTF-8 cannot carry a lone surrogate, a ``bigint``
column holds −2⁶³…2⁶³−1 and a ``varchar(n)`` n characters. A value past any of these used to
reach the database and come back as a 500. Here they are refused as a person's error
(``DomainError("invalid_input", …)``, 400, the API's ``{"code","message","rule"}`` shape),
before any statement runs:

- query strings and form posts: ``core.middleware.InputGuardMiddleware`` (every page and
  the API), ``core.forms`` fields (``Form`` checks every text field it has);
- JSON bodies and query parameters of the API: ``core.api_errors.GuardedParser`` walks the
  whole payload (nested objects and lists included);
- every model save, whatever the entry (page, API, admin, websocket, worker, command):
  ``guard_model_input`` (a ``pre_save`` receiver) checks each text field's length against the
  model's ``max_length``, and each integer field against its column's range.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.errors import DomainError

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1

#: A NUL byte, or a UTF-16 surrogate (U+D800–U+DFFF) standing alone in a Python string.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

#: The column ranges of Django's integer fields, the same on every database (SQLite stores
#: anything; PostgreSQL refuses what is outside): ``BaseDatabaseOperations``' table.
_INT_RANGES: dict[str, tuple[int, int]] = dict(BaseDatabaseOperations.integer_field_ranges)


def _name(field: str) -> str:
    return f"“{field}”" if field else ""


def text_problem(value: str) -> str | None:
    """ "nul", "surrogate" or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    return "nul" if found.group() == "\x00" else "surrogate"


def bad_text_error(field: str = "") -> DomainError:
    return DomainError(
        "invalid_text",
        _("输入%(field)s含有不能保存的字符（空字符或不成对的代理字符）") % {"field": _name(field)},
        field=field,
    )


def check_text(value: str, *, field: str = "", max_length: int | None = None) -> str:
    """``value`` unchanged, or ``DomainError`` ("invalid_text" / "text_too_long")."""
    if text_problem(value):
        raise bad_text_error(field)
    if max_length is not None and len(value) > max_length:
        raise DomainError(
            "text_too_long",
            _("输入%(field)s过长（最多 %(max)s 字）") % {"field": _name(field), "max": max_length},
            field=field,
            max_length=max_length,
        )
    return value


def check_int(
    value: int, *, field: str = "", min_value: int = BIGINT_MIN, max_value: int = BIGINT_MAX
) -> int:
    """``value`` unchanged, or ``DomainError("number_out_of_range")``."""
    if not min_value <= value <= max_value:
        raise DomainError(
            "number_out_of_range",
            _("输入%(field)s超出范围（%(min)s 至 %(max)s）")
            % {"field": _name(field), "min": min_value, "max": max_value},
            field=field,
        )
    return value


def check_payload(data: Any, *, path: str = "", ints: bool = True) -> None:
    """Walk parsed JSON (or query values): every string, every key, every integer (unless
    ``ints`` is False: a JSON column stores any number)."""
    if isinstance(data, str):
        check_text(data, field=path)
    elif isinstance(data, bool) or data is None or isinstance(data, float):
        return
    elif isinstance(data, int):
        if ints:
            check_int(data, field=path)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            key_text = str(key)
            check_text(key_text, field=path)
            check_payload(value, path=f"{path}.{key_text}" if path else key_text, ints=ints)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            check_payload(value, path=f"{path}[{i}]", ints=ints)


def _payload_fits(data: Any) -> bool:
    """``check_payload(data, ints=False)`` would pass: the same walk without building the path
    of every value (only an error needs it)."""
    if isinstance(data, str):
        return _BAD_TEXT.search(data) is None
    if isinstance(data, Mapping):
        return all(
            _BAD_TEXT.search(str(key)) is None and _payload_fits(value)
            for key, value in data.items()
        )
    if isinstance(data, list | tuple):
        return all(_payload_fits(value) for value in data)
    return True


def check_querydict(pairs: Iterable[tuple[str, Iterable[str]]]) -> None:
    """``QueryDict.lists()``: every name and value free of NUL and lone surrogates."""
    for key, values in pairs:
        check_text(key, field=key)
        for value in values:
            if isinstance(value, str):
                check_text(value, field=key)


def request_too_large_error() -> DomainError:
    """A body larger than the site takes (``DATA_UPLOAD_MAX_MEMORY_SIZE`` for forms and JSON,
    ``GAVEL_MAX_UPLOAD_BYTES`` for file uploads): 413."""
    return DomainError("request_too_large", _("提交的内容过大"), status=413)


_labels: dict[tuple[models.Field[Any, Any], str | None], str] = {}


def _label(field: models.Field[Any, Any]) -> str:
    """The field's name as the reader reads it (translated once per language, not per save:
    issue 18, the clock checks hundreds of records a second)."""
    key = (field, get_language())
    label = _labels.get(key)
    if label is None:
        label = _labels[key] = str(field.verbose_name or field.name)
    return label


#: What ``check_instance`` checks of each model, worked out once per model (issue 18: every
#: save of the set-up and of the clock passes here, hundreds a second): each concrete field's
#: attname, the field, whether it is JSON, its varchar limit, its integer column's range.
_FieldCheck = tuple[str, "models.Field[Any, Any]", bool, int | None, tuple[int, int] | None]
_plans: dict[type[models.Model], tuple[_FieldCheck, ...]] = {}


def _plan(model: type[models.Model]) -> tuple[_FieldCheck, ...]:
    plan = _plans.get(model)
    if plan is None:
        rows: list[_FieldCheck] = []
        for field in model._meta.concrete_fields:
            limit = field.max_length if isinstance(field, models.CharField) else None
            bounds = _INT_RANGES.get(field.get_internal_type())
            rows.append((field.attname, field, isinstance(field, models.JSONField), limit, bounds))
        plan = _plans[model] = tuple(rows)
    return plan


def check_instance(instance: models.Model) -> None:
    """Every concrete field of ``instance`` fits its column (the model's own limits). The
    field's label (a translation) is looked up only for the error."""
    for attname, field, is_json, limit, bounds in _plan(type(instance)):
        value = getattr(instance, attname, None)
        if value is None:
            continue
        if is_json:
            if not _payload_fits(value):
                check_payload(value, path=_label(field), ints=False)  # the error, named
        elif isinstance(value, str):
            if _BAD_TEXT.search(value) is not None or (limit is not None and len(value) > limit):
                check_text(value, field=_label(field), max_length=limit)
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and bounds is not None
            and not bounds[0] <= value <= bounds[1]
        ):
            check_int(value, field=_label(field), min_value=bounds[0], max_value=bounds[1])


def guard_model_input(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """``pre_save`` receiver (wired in ``CoreConfig.ready``); fixtures (``raw``) are trusted."""
    if kwargs.get("raw"):
        return
    check_instance(instance)


def date_param(
    params: Mapping[str, Any], key: str, label: str, *, first_year: int, last_year: int
) -> dt.date | None:
    """An ISO date (``2026-01-31``) from a query's ``key``, or None when blank; a bad date or a
    year outside ``first_year``…``last_year`` is refused with ``invalid_date`` naming the field
    (outside such years a Beijing midnight may not exist as a UTC datetime, and pandas'
    timestamps end in 2262: refused as input, never a 500)."""
    text = str(params.get(key) or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid_date",
            _("%(label)s“%(text)s”不是有效日期（格式：2026-01-31）")
            % {"label": label, "text": text},
            field=key,
        ) from None
    if not first_year <= day.year <= last_year:
        raise DomainError(
            "invalid_date",
            _("%(label)s须在 %(first_year)s 年至 %(last_year)s 年之间")
            % {"label": label, "first_year": first_year, "last_year": last_year},
            field=key,
        )
    return day
