"""Every write of bidding, by topic (docs/bidding.md "The services package").

``from bidding import services`` / ``from bidding.services import bid_place`` keep working: the
public names of every module are importable from here, plus the few private helpers other
bidding modules and tests already use (``_require_staff``, ``_notice_subject``, the code and
password helpers), and the ``Auction`` and ``Bid`` models some tests reach through this module.

- ``_common``: the auction's audit stream, published settings, bidder codes and passwords,
  refusals, the staff check, notices
- ``publication``: publication checks and ``auction_publish`` (AUC-03..10, AUC-16, AUC-22, AUC-31)
- ``drafts``: drafts, panel decisions, priority holders, exclusions, notices (AUC-04, AUC-10/11/19)
- ``registration``: registration, deposit, bidder code, password (AUC-11..19)
- ``bids``: ``bid_place`` and proxy bidding (AUC-20..27)
- ``close``: the clock, the close exactly once and its follow-up (AUC-28..30, AUC-35..38)
- ``after_sale``: balance, sale ruling, handover, default (AUC-31..34, AUC-15)
- ``court_actions``: suspend, halt, resume, withdraw, set aside, in lieu, next rounds
  (AUC-35..37, AUC-40..43)
- ``agents``: agents and priority purchasers (AUC-14, AUC-19)
- ``practice``: practice auctions (模拟拍)
- ``disposal``: other disposal routes (AUC-01, AUC-44)
- ``questions``: 拍品咨询, questions about a lot answered by its court (REC-05, REC-14)
"""

from bidding.models import Auction, Bid
from bidding.services._common import (
    CODE_ALPHABET,
    EXTENSION,
    IDENTITY_READERS,
    STAFF_ACTORS,
    _hash_password,
    _notice_subject,
    _password_ok,
    _random_code,
    _require_staff,
    setting,
    unlock_session_key,
)
from bidding.services.after_sale import (
    auction_balance_paid,
    auction_default,
    auction_handover_update,
    auction_ruling_served,
)
from bidding.services.agents import (
    registration_confirm_agent,
    registration_confirm_priority,
    registration_identity_reveal,
)
from bidding.services.bids import (
    LIVE_FIELDS,
    bid_hash,
    bid_place,
    next_min_bid_fen,
    proxy_bid_set,
)
from bidding.services.close import (
    auction_clock_closes,
    auction_clock_tick,
    auction_close_due,
    auction_close_followup,
    auction_followups_due,
    auction_followups_retry,
    auction_open_due,
)
from bidding.services.court_actions import (
    SET_ASIDE_GROUNDS,
    SUSPEND_GROUNDS,
    WITHDRAW_GROUNDS,
    auction_case_withdrawn,
    auction_ground_ended,
    auction_halt,
    auction_next_round_create,
    auction_resume,
    auction_set_aside,
    auction_suspend,
    auction_take_in_lieu,
    auction_third_party_objection,
    auction_withdraw,
)
from bidding.services.disposal import (
    ROUTE_BLOCKING_STATES,
    disposal_offline_record,
    disposal_route_current,
    self_sale_authorize,
    self_sale_complete,
)
from bidding.services.drafts import (
    AUCTION_SETTING_KEYS,
    DRAFT_FIELDS,
    MONEY_FIELDS,
    auction_draft_create,
    auction_draft_update,
    auction_notice_record,
    current_panel_decisions,
    draft_defaults,
    exclusion_add,
    panel_decision_record,
    priority_holder_add,
)
from bidding.services.forfeits import (
    auction_cost_record,
    auction_forfeit_apply,
    forfeit_resale,
    forfeits_apply_after_resale,
    forfeits_apply_due,
)
from bidding.services.objections import auction_objection_rule, auction_objections_pending
from bidding.services.offline import (
    offline_round_ground_ended,
    offline_round_record,
    offline_round_result,
    offline_round_resume,
    offline_round_suspend,
)
from bidding.services.practice import (
    PRACTICE_DEFAULTS,
    practice_auction_start,
)
from bidding.services.publication import (
    HOUSE_WARNING,
    STANDARD_WARNINGS,
    auction_debtor_consent,
    auction_low_start_notice,
    auction_publish,
    auction_publish_problems,
    lot_unsold_awaiting_next_round,
)
from bidding.services.questions import question_answer, question_ask, question_reject
from bidding.services.registration import (
    registration_barred,
    registration_create,
    registration_deposit_confirmed,
    registration_deposit_released,
    registration_pay_deposit,
    registration_set_password,
    registration_unlock,
)

__all__ = [
    "AUCTION_SETTING_KEYS",
    "CODE_ALPHABET",
    "DRAFT_FIELDS",
    "EXTENSION",
    "HOUSE_WARNING",
    "IDENTITY_READERS",
    "LIVE_FIELDS",
    "MONEY_FIELDS",
    "PRACTICE_DEFAULTS",
    "ROUTE_BLOCKING_STATES",
    "SET_ASIDE_GROUNDS",
    "STAFF_ACTORS",
    "STANDARD_WARNINGS",
    "SUSPEND_GROUNDS",
    "WITHDRAW_GROUNDS",
    "Auction",
    "Bid",
    "_hash_password",
    "_notice_subject",
    "_password_ok",
    "_random_code",
    "_require_staff",
    "auction_balance_paid",
    "auction_case_withdrawn",
    "auction_clock_closes",
    "auction_clock_tick",
    "auction_close_due",
    "auction_close_followup",
    "auction_cost_record",
    "auction_debtor_consent",
    "auction_default",
    "auction_draft_create",
    "auction_draft_update",
    "auction_followups_due",
    "auction_followups_retry",
    "auction_forfeit_apply",
    "auction_ground_ended",
    "auction_halt",
    "auction_handover_update",
    "auction_low_start_notice",
    "auction_next_round_create",
    "auction_notice_record",
    "auction_objection_rule",
    "auction_objections_pending",
    "auction_open_due",
    "auction_publish",
    "auction_publish_problems",
    "auction_resume",
    "auction_ruling_served",
    "auction_set_aside",
    "auction_suspend",
    "auction_take_in_lieu",
    "auction_third_party_objection",
    "auction_withdraw",
    "bid_hash",
    "bid_place",
    "current_panel_decisions",
    "disposal_offline_record",
    "disposal_route_current",
    "draft_defaults",
    "exclusion_add",
    "forfeit_resale",
    "forfeits_apply_after_resale",
    "forfeits_apply_due",
    "lot_unsold_awaiting_next_round",
    "next_min_bid_fen",
    "offline_round_ground_ended",
    "offline_round_record",
    "offline_round_result",
    "offline_round_resume",
    "offline_round_suspend",
    "panel_decision_record",
    "practice_auction_start",
    "priority_holder_add",
    "proxy_bid_set",
    "question_answer",
    "question_ask",
    "question_reject",
    "registration_barred",
    "registration_confirm_agent",
    "registration_confirm_priority",
    "registration_create",
    "registration_deposit_confirmed",
    "registration_deposit_released",
    "registration_identity_reveal",
    "registration_pay_deposit",
    "registration_set_password",
    "registration_unlock",
    "self_sale_authorize",
    "self_sale_complete",
    "setting",
    "unlock_session_key",
]
