"""Everything a court page can do has an API call (issue 13), and it cannot drift:

- every action table (``core.court_actions.REGISTRY``: each ``CourtActions`` joins it when it
  is made) is mounted in the API by ``core.court_api`` (a ``GET …/actions`` and a
  ``POST …/actions/{name}`` operation whose view carries the table), and both are documented
  in the OpenAPI schema with the table's action names;
- every page (the URL resolver's walk) whose view takes a POST either runs a mounted table or
  is named below with the API operation that does the same (``API_EQUIVALENT``) or with why it
  is no court work (``NOT_COURT_WORK``: sign-in, a bidder's own page, a webhook…).

A new table, or a new posting page, fails here until it has its API call.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from core.court_actions import REGISTRY, CourtActions

#: Posting pages without a table whose work the API does through its own operation.
API_EQUIVALENT: dict[str, str | tuple[str, ...]] = {
    "cases:case_new": "POST /api/cases/",
    "cases:party_new": "POST /api/cases/{case_id}/parties",
    "cases:party_reveal": "POST /api/cases/{case_id}/parties/{party_id}/identity/reveal",
    "cases:asset_new": "POST /api/cases/{case_id}/assets",
    "cases:disclosure_new": "POST /api/cases/{case_id}/assets/{asset_id}/disclosures",
    "cases:seizure_new": "POST /api/cases/{case_id}/assets/{asset_id}/seizures",
    "cases:lot_new": "POST /api/cases/{case_id}/lots",
    "cases:identity": "POST /api/cases/identity",
    "bidding:register": "POST /api/bidding/auctions/{auction_id}/registration",
    "bidding:deposit": "POST /api/bidding/registrations/{registration_id}/deposit",
    "bidding:password": "POST /api/bidding/registrations/{registration_id}/password",
    "marketplace:watch": "PUT /api/marketplace/watchlist/{auction_id}",
    "marketplace:saved_search_save": "POST /api/marketplace/saved-searches",
    "marketplace:saved_search_remove": "DELETE /api/marketplace/saved-searches/{search_id}",
    "marketplace:viewing_request": "POST /api/marketplace/viewing-slots/{slot_id}/requests",
    "marketplace:balance_pay": "POST /api/marketplace/account/wins/{auction_id}/pay",
    "marketplace:practice_start": "POST /api/marketplace/practice",
    "bidding:question_ask": "POST /api/bidding/auctions/{auction_id}/questions",
    "bidding:court_question_decide": (
        "POST /api/bidding/court/questions/{question_id}/answer",
        "POST /api/bidding/court/questions/{question_id}/reject",
    ),
    "cases:asset_edit": "PUT /api/cases/{case_id}/assets/{asset_id}",
    "cases:file_new": "POST /api/cases/{case_id}/assets/{asset_id}/files",
    "appraisers:roster_import": "POST /api/appraisers/roster/import",
    "settlement:hold_reveal": "POST /api/settlement/deposits/{hold_id}/reveal",
    "settlement:receipts_import": "POST /api/settlement/receipts/import",
    "settlement:reconcile": "POST /api/settlement/reconcile",
    "marketplace:court_viewings": "POST /api/marketplace/court/viewing-slots",
    "marketplace:court_viewing_decide": (
        "POST /api/marketplace/court/viewings/{appointment_id}/confirm",
        "POST /api/marketplace/court/viewings/{appointment_id}/decline",
    ),
    "marketplace:court_viewing_slot_cancel": (
        "POST /api/marketplace/court/viewing-slots/{slot_id}/cancel"
    ),
}

_SESSION = "the person's own session (sign-in, sign-up, second factor, language): no court work"

#: Posting pages that are no court work (the issue's "court page"): why, for each.
NOT_COURT_WORK: dict[str, str] = {
    "core:logout": _SESSION,
    "core:otp": _SESSION,
    "core:signup": _SESSION,
    "core:signup_code": _SESSION,
    "core:signup_account": _SESSION,
    "core:enrol": _SESSION,
    "set_language": _SESSION,
    "core:inbox_read": "marks one's own inbox message read",
    "core:document_verify": "anyone checks a document by uploading it (reads only, public)",
    "marketplace:viewing_cancel": "a bidder cancels their own viewing booking",
    "marketplace:unsubscribe": "the e-mail's one-click unsubscribe link",
    "settlement:adyen_webhook": "the payment provider's webhook (no person)",
    "settlement:adyen_transfer_webhook": "the payment provider's webhook (no person)",
    "settlement:sim_pay": "the payment simulator's pay page (stands in for the bank's)",
}


def _walk(patterns: list[Any], ns: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern) and p.name:
            yield ns + p.name, p.callback


def _chain(view: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The view and every function it wraps (decorators that keep ``__wrapped__``)."""
    out = [view]
    while hasattr(out[-1], "__wrapped__"):
        out.append(out[-1].__wrapped__)
    return out


def _tables_of(view: Callable[..., Any]) -> list[CourtActions[Any]]:
    """The action tables the view's own code names (``AUCTION_ACTIONS.post(…)``)."""
    fn = _chain(view)[-1]
    source = inspect.getsource(fn)
    return [
        v
        for k, v in fn.__globals__.items()
        if isinstance(v, CourtActions) and re.search(rf"\b{k}\b", source)
    ]


def _takes_post(view: Callable[..., Any]) -> bool:
    """``require_POST``/``require_http_methods`` with POST, a ``POST`` in the view's code or
    an action table it runs."""
    for fn in _chain(view):
        closure = inspect.getclosurevars(fn).nonlocals if inspect.isfunction(fn) else {}
        methods = closure.get("request_method_list")
        if methods is not None:
            return "POST" in methods
    return "POST" in inspect.getsource(_chain(view)[-1]) or bool(_tables_of(view))


def _mounted() -> dict[int, list[str]]:
    """id(table) → the API operations that carry it."""
    out: dict[int, list[str]] = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                table = getattr(op.view_func, "court_actions", None)
                if isinstance(table, CourtActions):
                    for method in op.methods:
                        out.setdefault(id(table), []).append(f"{method} /api/{prefix}{path}")
    return out


def _name_of(table: CourtActions[Any]) -> str:
    module = sys.modules[table.module]
    names = [k for k, v in vars(module).items() if v is table]
    return f"{table.module}.{names[0] if names else '?'}"


def _documented() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}


def _pages() -> dict[str, Callable[..., Any]]:
    return {
        name: view
        for name, view in _walk(get_resolver().url_patterns)
        if not name.startswith(("admin:", "api:"))
    }


def test_every_action_table_has_its_api_call():
    _pages()  # the URL conf (and the API) import every page module: every table is made
    mounted = _mounted()
    assert len(REGISTRY) >= 28
    missing = sorted(_name_of(t) for t in REGISTRY if id(t) not in mounted)
    assert not missing, "action tables without an API call (core.court_api):\n" + "\n".join(missing)
    documented = _documented()
    schema = api.get_openapi_schema()
    for table in REGISTRY:
        for operation in mounted[id(table)]:
            method, path = operation.split(" ", 1)
            path = path.replace("//", "/")
            assert f"{method} {path}" in documented, operation
            op = schema["paths"][path][method.lower()]
            assert op["summary"] and all(name in op["description"] for name in table.actions)


def test_every_posting_court_page_has_its_api_call():
    mounted_ids = set(_mounted())
    documented = _documented()
    uncovered = []
    for name, view in sorted(_pages().items()):
        if not _takes_post(view):
            continue
        tables = _tables_of(view)
        if tables and all(id(t) in mounted_ids for t in tables):
            continue
        if name in API_EQUIVALENT:
            calls = API_EQUIVALENT[name]
            for call in (calls,) if isinstance(calls, str) else calls:
                assert call in documented, (name, call)
            continue
        if name not in NOT_COURT_WORK:
            uncovered.append(name)
    assert not uncovered, "posting pages without an API call:\n" + "\n".join(uncovered)


@pytest.mark.parametrize("name", sorted(API_EQUIVALENT) + sorted(NOT_COURT_WORK))
def test_the_lists_name_real_posting_pages(name):
    """No stale entry: each name above is a page that takes a POST and runs no table."""
    pages = _pages()
    assert name in pages and _takes_post(pages[name])
