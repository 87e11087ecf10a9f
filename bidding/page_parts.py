"""What higher apps add to the one public auction page (``/bidding/auctions/<id>/``).

Bidding owns the page (price, countdown, registration, bids, the announcement); apps above it
(the marketplace: follow/reminders, viewing appointments, loans, the case's public steps)
register a provider in ``AppConfig.ready()``, the way apps add their navigation to core. A
provider returns a dict merged into the page's ``parts`` context: data, and template names for
the page's slots (``parts.slots.<slot>``: a list of templates included there). Bidding never
imports the app that fills a slot.

Shared data keys: ``result_url`` (the page of a closed auction's result, where the winner
pays the balance, AUC-31; "" while there is none): the winner's 支付成交余款 button uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from bidding.models import Auction

# Slots of the page a provider may fill (templates included in this order).
SLOTS = ("tags", "counts", "actions", "tabs", "tab_panels", "after_result")

Provider = Callable[[HttpRequest, "Auction"], dict[str, Any]]

_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Add (or replace, by ``name``) a provider of page parts."""
    _providers[name] = provider


def parts_for(request: HttpRequest, auction: Auction) -> dict[str, Any]:
    """Every provider's parts for this page: ``{"slots": {slot: [template, ...]}, **data}``."""
    out: dict[str, Any] = {"slots": {slot: [] for slot in SLOTS}}
    for provider in _providers.values():
        got = dict(provider(request, auction))
        for slot, templates in (got.pop("slots", None) or {}).items():
            out["slots"].setdefault(slot, []).extend(templates)
        out.update(got)
    return out
