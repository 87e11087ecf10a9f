"""The AUC-03 state machine: which transitions exist (and which never do)."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

from bidding.models import Auction, AuctionState

S = AuctionState


def _auction(state: str) -> Auction:
    return Auction(state=state, starting_price_fen=1, increment_fen=1, deposit_fen=0)


@pytest.mark.parametrize(
    "state,method,target",
    [
        (S.DRAFT, "publish", S.SCHEDULED),
        (S.SCHEDULED, "open", S.BIDDING),
        (S.BIDDING, "extend", S.EXTENDED),
        (S.EXTENDED, "extend", S.EXTENDED),
        (S.BIDDING, "close_sold", S.SOLD),
        (S.EXTENDED, "close_unsold", S.UNSOLD),
        (S.BIDDING, "suspend", S.SUSPENDED),
        (S.SUSPENDED, "halt", S.HALTED),
        (S.HALTED, "resume", S.SCHEDULED),
        (S.SCHEDULED, "withdraw", S.WITHDRAWN),
        (S.SOLD, "set_aside", S.SET_ASIDE),
        (S.UNSOLD, "take_in_lieu", S.IN_LIEU),
        (S.SOLD, "default", S.DEFAULTED),
        (S.BIDDING, "case_withdraw", S.CASE_WITHDRAWN),
    ],
)
def test_allowed_transitions_auc03(state, method, target):
    a = _auction(state)
    getattr(a, method)()
    assert a.state == target


@pytest.mark.parametrize(
    "state,method",
    [
        (S.DRAFT, "open"),  # never bid on an unpublished auction
        (S.SCHEDULED, "close_sold"),  # no early close (AUC-03: only AUC-40 stops bidding)
        (S.BIDDING, "withdraw"),  # withdrawal only before the start (AUC-42)
        (S.SOLD, "close_unsold"),  # closed once
        (S.UNSOLD, "close_sold"),
        (S.SOLD, "take_in_lieu"),
        (S.DEFAULTED, "default"),
        (S.WITHDRAWN, "resume"),
        (S.SET_ASIDE, "publish"),
    ],
)
def test_forbidden_transitions_auc03(state, method):
    with pytest.raises(TransitionNotAllowed):
        getattr(_auction(state), method)()


def test_state_labels_are_chinese():
    assert _auction(S.BIDDING).get_state_display() == "进行中"
    assert _auction(S.UNSOLD).get_state_display() == "流拍"
