"""Django admin for bidding: read-only records; no page links a bidder code to a person
before bidding ends (REC-05), for anyone, superusers included.

Writes go through the services (publication checks, audit); the admin only looks.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bidding.models import (
    Auction,
    AuctionResult,
    Bid,
    CourtAction,
    ExclusionEntry,
    PanelDecision,
    Registration,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Auction)
class AuctionAdmin(ReadOnly):
    list_display = ("id", "title", "round", "state", "is_practice", "current_price_fen", "end_at")
    list_filter = ("state", "round", "is_practice")
    search_fields = ("title",)
    exclude = ("leader",)  # the leader's registration is a person; the code is shown instead


@admin.register(Registration)
class RegistrationAdmin(ReadOnly):
    """REC-05: identity columns appear only for the winner of an ended auction."""

    IDENTITY_FIELDS = (
        "user",
        "identity",
        "agent_user",
        "agent_identity",
        "party_ref",
        "priority_holder",
        "agent_confirmed_by",
        "priority_confirmed_by",
    )
    list_display = ("id", "auction", "code_or_hidden", "status", "is_priority", "priority_rank")
    list_filter = ("status", "is_priority")
    search_fields = ()  # never searchable by person
    readonly_fields = ()

    @admin.display(description=_("竞买号"))
    def code_or_hidden(self, obj: Registration) -> str:
        return obj.bidder_code or "—"

    @staticmethod
    def _revealable(obj: Registration | None) -> bool:
        if obj is None or not obj.auction.has_ended:
            return False
        result = getattr(obj.auction, "result", None)
        return bool(result and result.winner_id == obj.pk)

    def get_fields(self, request: HttpRequest, obj: Registration | None = None) -> tuple[str, ...]:
        hidden = set(self.IDENTITY_FIELDS) | {"password_hash", "proxy_max_fen", "proxy_set_at"}
        if self._revealable(obj):
            hidden -= set(self.IDENTITY_FIELDS)
        return tuple(
            f.name
            for f in Registration._meta.concrete_fields
            if f.name not in hidden and f.name != "id"
        )


@admin.register(Bid)
class BidAdmin(ReadOnly):
    list_display = ("auction", "seq", "bidder_code", "amount_fen", "at", "is_priority")
    list_filter = ("is_priority",)
    exclude = ("registration",)


@admin.register(PanelDecision)
class PanelDecisionAdmin(ReadOnly):
    list_display = ("auction", "topic", "value_fen", "panel_members", "decided_at")


@admin.register(CourtAction)
class CourtActionAdmin(ReadOnly):
    list_display = ("auction", "kind", "ground", "decided_at", "from_state", "to_state")
    list_filter = ("kind",)


@admin.register(AuctionResult)
class AuctionResultAdmin(ReadOnly):
    list_display = ("auction", "outcome", "price_fen", "winner_code", "closed_at", "handover_state")
    exclude = ("winner",)


@admin.register(ExclusionEntry)
class ExclusionEntryAdmin(ReadOnly):
    list_display = ("lot", "category", "name")
    exclude = ("identity_number",)
