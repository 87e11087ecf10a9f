"""What waits for a signature in settlement (core.duties, issue 13): distribution plans and
payouts at this person's step (FND-06, FND-11/12), from ``approvals_waiting_for``."""

from __future__ import annotations

from typing import Any

from core.duties import APPROVAL, Duty, register


def _approvals(user: Any) -> list[Duty]:
    from settlement.selectors import approvals_waiting_for

    return [
        Duty(
            "approval",
            APPROVAL,
            a["what"],
            a["case_number"],
            a["url"],
            since=a["since"],
            rule="FND-12" if "payout" in a["url"] else "FND-06",
            detail=a["payee"],
            amount_fen=a["amount_fen"],
        )
        for a in approvals_waiting_for(user)
    ]


register("settlement.approvals", _approvals)
