"""Rebuild the listing index (``ListingIndex``) from bidding's auctions: after a bulk import."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the listing index (sort keys, filters, search words) of every auction."

    def handle(self, *args: Any, **options: Any) -> None:
        from marketplace.search_index import reindex_all

        n = reindex_all()
        self.stdout.write(f"indexed {n} public auctions")
