"""Object permissions of bidding (autodiscovered by ``rules``).

Judges, officers and bureau heads act on their own court's auctions (the court pages check
``bidding.manage_auction``); identity reads for agent and priority checks
are limited further to named roles in ``services.IDENTITY_READERS`` and logged (REC-05).
"""

import rules

from core.permissions import is_bureau_head, is_judge_or_officer, is_same_court

can_manage_auction = is_same_court & (is_judge_or_officer | is_bureau_head)

rules.add_perm("bidding.manage_auction", can_manage_auction)
