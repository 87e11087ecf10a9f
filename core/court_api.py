"""Every court page's actions in the API (issue 13: "everything a court page can do has an API
call, documented in the OpenAPI schema").

``mount_court_actions(router, path, table, target, …)`` gives a page's action table
(``core.court_actions.CourtActions``) two operations on an app's router:

- ``GET <path>/actions``: the table's actions and their fields (``CourtActions.describe``);
- ``POST <path>/actions/{name}`` with ``{"fields": {...}}``: one action, exactly as the page
  runs it (``CourtActions.call``): the same permission, form, service and message.

``target(request, *path_params)`` (in the path's order) finds what the page acts on and checks who may open it,
as the page does (a refusal is ``forbidden``/``not_found``). The operation's docstring names
the table's actions; errors are ``invalid_input`` (a field, named), ``unknown_action``, the
lookup's refusal or the service's own ``{"code", "message", "rule"}``. The generated views
carry ``court_actions`` (the table), which ``tests/core/test_court_actions_api.py`` uses to
prove that no table and no posting court page is left without its API call.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from core.court_actions import CourtActions
from core.models import User
from core.ratelimit import check_write_rate

T = TypeVar("T")

_ERRORS = (
    "Errors: ``invalid_input`` (the field is named in the message), ``unknown_action``, "
    "``forbidden``/``not_found`` (who may open the page), or the service's refusal "
    '``{"code", "message", "rule"}`` (the rule it enforces).'
)


class CourtActionFieldOut(Schema):
    name: str
    label: str
    required: bool
    choices: list[list[str]] | None = None


class CourtActionOut(Schema):
    name: str
    fields: list[CourtActionFieldOut]


class CourtActionIn(Schema):
    """The action's fields by name, as on the court page's form (amounts in yuan "1,000.00",
    times in Beijing time "2026-12-10T10:00", a list for several ticked values, ``true`` or
    ``false`` for a tick box, an object by its id)."""

    fields: dict[str, Any] = {}


class CourtActionDoneOut(Schema):
    action: str
    message: str
    next_url: str
    result: dict[str, Any] | None = None


def _signature(params: dict[str, type], *extra: inspect.Parameter) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature(
        [
            inspect.Parameter("request", kind, annotation=HttpRequest),
            *(inspect.Parameter(n, kind, annotation=t) for n, t in params.items()),
            *extra,
        ]
    )


def mount_court_actions(
    router: Router,
    path: str,
    table: CourtActions[T],
    target: Callable[..., T],
    *,
    operation: str,
    page: str,
    rate: str,
    str_params: tuple[str, ...] = (),
) -> None:
    """``GET <path>/actions`` and ``POST <path>/actions/{name}`` for ``table``.

    ``operation``: the operation ids' stem (unique in the API); ``page``: the court page's
    name, in the summaries; ``rate``: the page's write-rate group; path parameters are
    integers except those named in ``str_params``."""
    params: dict[str, type] = {
        n: (str if n in str_params else int) for n in re.findall(r"\{(\w+)\}", path)
    }
    names = ", ".join(table.actions)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD

    def describe(request: HttpRequest, **kwargs: Any) -> list[dict[str, Any]]:
        return table.describe(target(request, *(kwargs[n] for n in params)))

    def run(request: HttpRequest, name: str, payload: CourtActionIn, **kwargs: Any) -> Any:
        check_write_rate(request, rate)
        user = request.user
        assert isinstance(user, User)  # django_auth: signed in
        return table.call(user, name, target(request, *(kwargs[n] for n in params)), payload.fields)

    describe.__signature__ = _signature(params)  # type: ignore[attr-defined]
    describe.__doc__ = (
        f"The actions of the court page “{page}” and their fields: what "
        f"``POST {path}/actions/{{name}}`` takes. Actions: {names}."
    )
    run.__signature__ = _signature(  # type: ignore[attr-defined]
        params,
        inspect.Parameter("name", kind, annotation=str),
        inspect.Parameter("payload", kind, annotation=CourtActionIn),
    )
    run.__doc__ = (
        f"One action of the court page “{page}”, exactly as the page runs it: the same "
        f"permission, form parsing and service (each rule checked there), the same message. "
        f"``name``: {names} (``GET {path}/actions`` lists them with their fields). {_ERRORS}"
    )
    for view in (describe, run):
        setattr(view, "court_actions", table)  # noqa: B010  (the proof finds the table here)
        view.__name__ = f"{operation}_{view.__name__}"
    router.get(
        f"{path}/actions",
        auth=django_auth,
        response=list[CourtActionOut],
        summary=f"{page}：法院操作及其字段（与页面相同）",
        operation_id=f"{operation}_actions",
    )(describe)
    router.post(
        f"{path}/actions/{{name}}",
        auth=django_auth,
        response=CourtActionDoneOut,
        summary=f"{page}：执行法院操作（与页面相同的校验与服务）",
        operation_id=f"{operation}_action_run",
    )(run)


#: One court page for ``mount_court_pages``: (path, table, target, operation, page name).
CourtPage = tuple[str, CourtActions[Any], Callable[..., Any], str, str]


def mount_court_pages(router: Router, rate: str, pages: list[CourtPage]) -> None:
    """``mount_court_actions`` for each of an app's court pages (one write-rate group)."""
    for path, table, target, operation, page in pages:
        mount_court_actions(router, path, table, target, operation=operation, page=page, rate=rate)
