"""What waits for a bidder (core.duties, issue 13): the balance of an auction they won, with
its deadline (AUC-31), until it is paid."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.court_actions import ref_text
from core.duties import TODO, Duty, register
from core.models import Role


def _balances(user: Any) -> list[Duty]:
    from marketplace.account import wins_of

    if getattr(user, "role", None) not in (Role.BIDDER, Role.PARTY):
        return []
    out = []
    for w in wins_of(user):
        if not w["balance_fen"] or w["balance_paid_at"] or w["defaulted"]:
            continue
        auction = w["auction"]
        out.append(
            Duty(
                "balance_due",
                TODO,
                _("缴纳成交尾款"),
                ref_text(auction.ref),
                w["url"],
                since=w["result"].closed_at,
                due_at=w["balance_due_at"],
                rule="AUC-31",
                amount_fen=w["balance_fen"],
            )
        )
    return out


register("marketplace.balances", _balances)
