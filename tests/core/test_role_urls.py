"""Every URL of the project × every role (issue 15, proof): who gets what.

The world is the demo (``core.demo.seed``: one court with its staff, cases, parties, a firm,
auctions, payments…), built once for the module. Two sets of people ask every URL:

- **own**: the demo's own people (its court's judge, officer, bureau head and finance, its
  bidder, the creditor and debtor of its cases, its firm's appraiser, the operator);
- **other**: people of *another* court, *another* firm, *another* case's parties and
  *another* bidder (and a second operator). The URL's objects are never theirs: this is
  tenant isolation between courts, firms, parties and bidders.

Each URL (``django.urls`` resolver walk: pages, the API operations of the OpenAPI document,
the admin) is asked once per role and side, with the method its row names (GET unless POST),
filled with the demo object its parameters name (``PARAMS``); an API write carries a valid
body made from its OpenAPI schema (``_sample``), so its permission answers, not a 422. ``TABLE`` holds the expected
status of each: one compact string per row, ``own`` then ``other``, one code per role in
``ROLES`` order. A code is the exact status, or ``2``/``3`` for any 2xx/3xx.

**A new URL fails this test until it has a row** (docs/DEVELOPING.md, "The role × URL
table"). Regenerate the rows of a changed URL with ``GAVEL_ROLE_TABLE_RECORD=1`` (prints the
observed rows), then read every ``2`` in an ``other`` column: it must be a public page.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from appraisers.models import AppraisalRequest, Commission, Firm, FirmUser, LotDraw, Report
from bidding.models import (
    Auction,
    CollusionFlag,
    InLieuDraw,
    LotQuestion,
    OfflineRound,
    Registration,
)
from cases.models import Asset, Case, Lot, Party
from config.api import api
from core import clock
from core.models import Document, InboxMessage, User
from marketplace.models import SavedSearch, ViewingAppointment, ViewingSlot
from pricing.models import Inquiry, InquiryReport, PricingProcedure
from settlement.models import (
    DepositHold,
    DistributionPlan,
    PaymentIntent,
    PaymentNotice,
    Payout,
    Receipt,
    ReconciliationRun,
)
from tests.factories import (
    AppraiserUserFactory,
    BidderFactory,
    BureauHeadFactory,
    CaseFactory,
    CourtFactory,
    CreditorFactory,
    DebtorFactory,
    FinanceFactory,
    JudgeFactory,
    OfficerFactory,
    OperatorFactory,
    PartyUserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = (
    "anonymous",
    "bidder",
    "creditor",
    "debtor",
    "appraiser",
    "judge",
    "officer",
    "bureau_head",
    "finance",
    "operator",
)
MISSING = 987_654_321  # an id no row has: the URL must still answer 404, never 500

# ---- the table ------------------------------------------------------------------------------
# "<key>": "<method> <own: 10 codes> | <other: 10 codes>"; key: URL name (pages, admin
# index), "api <METHOD> <path>" (API operations). Codes in ROLES order.
TABLE: dict[str, str] = {
    "admin:index": "GET 3 3 3 3 3 3 3 3 3 2 | 3 3 3 3 3 3 3 3 3 2",
    "api DELETE /api/marketplace/saved-searches/{search_id}": "DELETE 401 2 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api DELETE /api/marketplace/watchlist/{auction_id}": "DELETE 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/appraisers/commissions": "GET 401 403 403 403 2 2 2 2 2 403 | 401 403 403 403 2 2 2 2 2 403",
    "api GET /api/appraisers/commissions/{commission_id}": "GET 401 403 2 2 2 2 2 2 2 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/appraisers/commissions/{commission_id}/page/actions": "GET 401 403 403 403 2 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/appraisers/court/actions": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/appraisers/court/requests/{request_id}/actions": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/appraisers/draws/{draw_id}": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/appraisers/draws/{draw_id}/participation/actions": "GET 401 403 2 2 403 2 2 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/appraisers/draws/{draw_id}/verify": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/appraisers/fees": "GET 401 403 403 403 2 403 403 403 403 403 | 401 403 403 403 2 403 403 403 403 403",
    "api GET /api/appraisers/firms": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/appraisers/firms/onboarding/actions": "GET 401 403 403 403 403 403 403 403 403 2 | 401 403 403 403 403 403 403 403 403 2",
    "api GET /api/appraisers/firms/{firm_id}/onboarding/actions": "GET 401 403 403 403 403 403 403 403 403 2 | 401 403 403 403 403 403 403 403 403 2",
    "api GET /api/appraisers/firms/{firm_id}/roster/actions": "GET 401 403 403 403 403 403 403 2 403 2 | 401 403 403 403 403 403 403 2 403 2",
    "api GET /api/appraisers/requests/{request_id}": "GET 401 403 2 2 403 2 2 2 2 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/appraisers/requests/{request_id}/parties/{party_id}/actions": "GET 401 403 2 403 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/auctions": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/bidding/auctions/{auction_id}": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/bidding/auctions/{auction_id}/bids": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/bidding/auctions/{auction_id}/registration": "GET 401 2 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/bidding/auctions/{auction_id}/result": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "api GET /api/bidding/auctions/{auction_id}/snapshot": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/bidding/court/auctions/{auction_id}/draft/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/auctions/{auction_id}/in-lieu/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/auctions/{auction_id}/publish-check": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/flags/{flag_id}/actions": "GET 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/bidding/court/lots/{lot_id}/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/lots/{lot_id}/draft/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/registrations/{registration_id}/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/in-lieu-draws/{in_lieu_draw_id}/actions": "GET 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/cases/identity": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/cases/numbers/parse": "GET 401 422 422 422 422 422 422 422 422 422 | 401 422 422 422 422 422 422 422 422 422",
    "api GET /api/cases/{case_id}": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/actions": "GET 401 404 403 403 404 2 2 2 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/assets": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/assets/{asset_id}": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/assets/{asset_id}/disclosures": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/assets/{asset_id}/seizures": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/deadlines": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/history": "GET 401 404 403 403 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/lots": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/cases/{case_id}/parties": "GET 401 404 2 2 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/core/duties": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/core/documents/{document_id}/actions": "GET 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/core/operator/courts/actions": "GET 401 403 403 403 403 403 403 403 403 2 | 401 403 403 403 403 403 403 403 403 2",
    "api GET /api/core/operator/courts/{court_id}/actions": "GET 401 403 403 403 403 403 403 403 403 2 | 401 403 403 403 403 403 403 403 403 2",
    "api GET /api/core/operator/people/{person_id}/actions": "GET 401 403 403 403 403 403 403 403 403 2 | 401 403 403 403 403 403 403 403 403 2",
    "api GET /api/marketplace/account": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/auctions": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/auctions/{auction_id}": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/calendar": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/cases/{case_id}/transparency": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/results": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/results/{auction_id}": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "api GET /api/marketplace/saved-searches": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/statistics": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/marketplace/watchlist": "GET 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api GET /api/marketplace/workbench": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/pricing/assets/{asset_id}/basis": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/pricing/court/actions": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/pricing/inquiries/{pk}": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/pricing/procedures/{pk}": "GET 401 403 2 2 403 2 2 2 2 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/pricing/procedures/{pk}/court/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/pricing/procedures/{pk}/party/actions": "GET 401 403 2 2 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/pricing/roster/actions": "GET 401 403 403 403 403 403 403 2 403 2 | 401 403 403 403 403 403 403 2 403 2",
    "api GET /api/settlement/accounts/{case_id}": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/accounts/{case_id}/statement": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/cases/{case_id}/account/actions": "GET 401 404 404 404 404 2 2 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/cases/{case_id}/arrivals/actions": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/intents/{reference}": "GET 401 2 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/payouts": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/settlement/payouts/{payout_id}/actions": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/plans/{plan_id}/actions": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api GET /api/settlement/receipts/unidentified": "GET 401 403 403 403 403 2 2 2 2 403 | 401 403 403 403 403 2 2 2 2 403",
    "api GET /api/settlement/receipts/{receipt_id}/claim/actions": "GET 401 404 404 404 404 2 2 2 2 404 | 401 404 404 404 404 2 2 2 2 404",
    "api POST /api/appraisers/commissions/{commission_id}/accept": "POST 401 403 403 403 2 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/commissions/{commission_id}/decline": "POST 401 403 403 403 400 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/commissions/{commission_id}/extensions": "POST 401 403 403 403 2 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/commissions/{commission_id}/objections": "POST 401 403 4 403 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/commissions/{commission_id}/page/actions/{name}": "POST 401 403 403 403 404 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/commissions/{commission_id}/report": "POST 401 422 422 422 422 422 422 422 422 422 | 401 422 422 422 422 422 422 422 422 422",
    "api POST /api/appraisers/court/actions/{name}": "POST 401 403 403 403 403 404 404 404 404 403 | 401 403 403 403 403 404 404 404 404 403",
    "api POST /api/appraisers/court/requests/{request_id}/actions/{name}": "POST 401 403 403 403 403 404 404 404 404 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/draws/{draw_id}/commitments": "POST 401 403 400 400 403 400 400 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/draws/{draw_id}/participation/actions/{name}": "POST 401 403 404 404 403 404 404 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/draws/{draw_id}/reveals": "POST 401 403 400 400 403 400 400 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/firms/onboarding/actions/{name}": "POST 401 403 403 403 403 403 403 403 403 404 | 401 403 403 403 403 403 403 403 403 404",
    "api POST /api/appraisers/firms/{firm_id}/onboarding/actions/{name}": "POST 401 403 403 403 403 403 403 403 403 404 | 401 403 403 403 403 403 403 403 403 404",
    "api POST /api/appraisers/firms/{firm_id}/roster/actions/{name}": "POST 401 403 403 403 403 403 403 404 403 404 | 401 403 403 403 403 403 403 404 403 404",
    "api POST /api/appraisers/requests": "POST 401 403 403 403 403 2 2 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/requests/{request_id}/parties/{party_id}/actions/{name}": "POST 401 403 404 403 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/appraisers/roster/import": "POST 401 422 422 422 422 422 422 422 422 422 | 401 422 422 422 422 422 422 422 422 422",
    "api POST /api/bidding/auctions/{auction_id}/bids": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/auctions/{auction_id}/proxy": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/auctions/{auction_id}/registration": "POST 401 409 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/auctions/{auction_id}/unlock": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/court/auctions/{auction_id}/draft/actions/{name}": "POST 401 403 403 403 403 404 404 404 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/halt": "POST 401 403 403 403 403 2 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/in-lieu/actions/{name}": "POST 401 403 403 403 403 404 404 404 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/objection": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/publish": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api GET /api/bidding/court/auctions/{auction_id}/actions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/actions/{name}": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/resume": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/set-aside": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/suspend": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/auctions/{auction_id}/withdraw": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/flags/{flag_id}/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/court/lots/{lot_id}/actions/{name}": "POST 401 403 403 403 403 404 404 404 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/lots/{lot_id}/draft/actions/{name}": "POST 401 403 403 403 403 404 404 404 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/registrations/{registration_id}/actions/{name}": "POST 401 403 403 403 403 404 404 404 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/in-lieu-draws/{in_lieu_draw_id}/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/practice": "POST 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api POST /api/bidding/registrations/{registration_id}/deposit": "POST 401 400 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/registrations/{registration_id}/password": "POST 401 400 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 400 400 400 403 403",
    "api POST /api/cases/identity": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/cases/{case_id}/actions/{name}": "POST 401 404 403 403 404 404 404 404 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/assets": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/assets/{asset_id}/disclosures": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/assets/{asset_id}/files": "POST 401 422 422 422 422 422 422 422 422 422 | 401 422 422 422 422 422 422 422 422 422",
    "api POST /api/cases/{case_id}/assets/{asset_id}/seizures": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/lots": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/parties": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/parties/{party_id}/identity/reveal": "POST 401 404 403 403 404 2 2 403 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/core/documents/{document_id}/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/core/operator/courts/actions/{name}": "POST 401 403 403 403 403 403 403 403 403 404 | 401 403 403 403 403 403 403 403 403 404",
    "api POST /api/core/operator/courts/{court_id}/actions/{name}": "POST 401 403 403 403 403 403 403 403 403 404 | 401 403 403 403 403 403 403 403 403 404",
    "api POST /api/core/operator/people/{person_id}/actions/{name}": "POST 401 403 403 403 403 403 403 403 403 404 | 401 403 403 403 403 403 403 403 403 404",
    "api POST /api/marketplace/court/viewing-slots": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/marketplace/court/viewing-slots/{slot_id}/cancel": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/marketplace/court/viewings/{appointment_id}/confirm": "POST 401 403 403 403 403 404 404 404 404 403 | 401 403 403 403 403 404 404 404 404 403",
    "api POST /api/marketplace/court/viewings/{appointment_id}/decline": "POST 401 403 403 403 403 404 404 404 404 403 | 401 403 403 403 403 404 404 404 404 403",
    "api POST /api/marketplace/practice": "POST 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api POST /api/marketplace/saved-searches": "POST 401 2 2 2 2 2 2 2 2 2 | 401 2 2 2 2 2 2 2 2 2",
    "api POST /api/marketplace/viewing-slots/{slot_id}/requests": "POST 401 2 2 2 2 403 403 403 403 2 | 401 2 409 409 409 403 403 403 403 409",
    "api POST /api/pricing/court/actions/{name}": "POST 401 403 403 403 403 404 404 404 404 403 | 401 403 403 403 403 404 404 404 404 403",
    "api POST /api/pricing/inquiries/{pk}/fix": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/procedures": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/procedures/{pk}/checks": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/procedures/{pk}/court/actions/{name}": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/procedures/{pk}/online-inquiry": "POST 401 403 403 403 403 400 400 400 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/procedures/{pk}/party/actions/{name}": "POST 401 403 404 404 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/reports/{pk}/objections": "POST 401 403 400 400 403 403 403 403 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/pricing/roster/actions/{name}": "POST 401 403 403 403 403 403 403 404 403 404 | 401 403 403 403 403 403 403 404 403 404",
    "api POST /api/pricing/valuations": "POST 401 403 403 403 403 400 400 400 400 403 | 401 403 403 403 403 400 400 400 400 403",
    "api POST /api/settlement/cases/{case_id}/account/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/cases/{case_id}/arrivals/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/deposits/{hold_id}/reveal": "POST 401 404 404 404 404 404 404 404 2 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/payouts/{payout_id}/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/payouts/{payout_id}/approve": "POST 401 403 403 403 403 403 403 2 400 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/settlement/plans/{plan_id}/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/receipts/import": "POST 401 422 422 422 422 422 422 422 422 422 | 401 422 422 422 422 422 422 422 422 422",
    "api POST /api/settlement/receipts/{receipt_id}/claim": "POST 401 403 403 403 403 400 400 403 400 403 | 401 403 403 403 403 404 404 403 404 403",
    "api POST /api/settlement/receipts/{receipt_id}/claim/actions/{name}": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/settlement/reconcile": "POST 401 404 404 404 404 404 404 404 2 404 | 401 404 404 404 404 404 404 404 2 404",
    "api PUT /api/cases/{case_id}/assets/{asset_id}": "PUT 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api PUT /api/marketplace/watchlist/{auction_id}": "PUT 401 2 2 2 2 403 403 403 403 2 | 401 2 2 2 2 403 403 403 403 2",
    "api:openapi-json": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "appraisers:court_request": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 403 403 403 403 403",
    "appraisers:court_requests": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 2 2 2 2 403",
    "appraisers:draw_live": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "appraisers:draw_participate": "POST 3 403 403 403 403 403 403 403 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "appraisers:draw_record_json": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "appraisers:draw_verify": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "appraisers:firm_commission": "GET 3 403 403 403 2 403 403 403 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "appraisers:firm_detail": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "appraisers:firm_fees": "GET 3 403 403 403 2 403 403 403 403 403 | 3 403 403 403 2 403 403 403 403 403",
    "appraisers:firm_new": "GET 3 403 403 403 403 403 403 403 403 2 | 3 403 403 403 403 403 403 403 403 2",
    "appraisers:firm_portal": "GET 3 403 403 403 2 403 403 403 403 403 | 3 403 403 403 2 403 403 403 403 403",
    "appraisers:party_request": "GET 3 403 2 2 403 2 2 2 2 403 | 3 403 403 403 403 403 403 403 403 403",
    "appraisers:party_requests": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "appraisers:report_download": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "appraisers:roster_export": "GET 3 403 403 403 403 403 403 2 403 2 | 3 403 403 403 403 403 403 2 403 2",
    "appraisers:roster_import": "GET 3 403 403 403 403 403 403 2 403 2 | 3 403 403 403 403 403 403 2 403 2",
    "appraisers:roster_list": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "bidding:auction": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "bidding:auction_bids": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "bidding:auction_snapshot": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "bidding:court_auction": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_auction_action": "POST 3 403 403 403 403 3 3 3 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_auction_edit": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_auction_new": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_auctions": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 2 2 2 403 403",
    "bidding:court_in_lieu": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_lot": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:court_registration_reveal": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "bidding:deposit": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "bidding:in_lieu_draw": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "bidding:in_lieu_draw_record": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "bidding:password": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "bidding:register": "POST 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "cases:asset": "GET 3 404 3 3 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:asset_edit": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:asset_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:case": "GET 3 404 3 3 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:case_new": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 2 2 2 403 403",
    "cases:disclosure_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:file_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:identity": "GET 3 2 2 2 2 3 3 3 3 2 | 3 2 2 2 2 3 3 3 3 2",
    "cases:lot_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:my_cases": "GET 3 3 3 3 3 2 2 2 2 3 | 3 3 3 3 3 2 2 2 2 3",
    "cases:party_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:party_reveal": "GET 3 404 403 403 404 2 2 403 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:portal": "GET 3 2 2 2 2 3 3 3 3 2 | 3 2 2 2 2 3 3 3 3 2",
    "cases:portal_case": "GET 3 404 2 2 404 3 3 3 3 404 | 3 404 404 404 404 404 404 404 404 404",
    "cases:seizure_new": "GET 3 404 403 403 404 2 2 2 403 404 | 3 404 404 404 404 404 404 404 404 404",
    "core:enrol": "GET 410 410 410 410 410 410 410 410 410 410 | 410 410 410 410 410 410 410 410 410 410",
    "core:home": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "core:inbox": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "core:inbox_read": "POST 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "core:login": "GET 2 3 3 3 3 3 3 3 3 3 | 2 3 3 3 3 3 3 3 3 3",
    "core:my_deadlines": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "core:operator": "GET 3 403 403 403 403 403 403 403 403 3 | 3 403 403 403 403 403 403 403 403 3",
    "core:operator_court": "GET 3 403 403 403 403 403 403 403 403 2 | 3 403 403 403 403 403 403 403 403 2",
    "core:operator_courts": "GET 3 403 403 403 403 403 403 403 403 2 | 3 403 403 403 403 403 403 403 403 2",
    "core:operator_people": "GET 3 403 403 403 403 403 403 403 403 2 | 3 403 403 403 403 403 403 403 403 2",
    "core:operator_person": "GET 3 403 403 403 403 403 403 403 403 2 | 3 403 403 403 403 403 403 403 403 2",
    "core:otp": "GET 3 403 403 403 403 403 403 403 403 403 | 3 403 403 403 403 403 403 403 403 403",
    "core:regions": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "core:signup": "GET 2 3 3 3 3 3 3 3 3 3 | 2 3 3 3 3 3 3 3 3 3",
    "core:signup_account": "GET 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "core:signup_code": "GET 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "core:terms": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:account": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "marketplace:auction": "GET 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",  # → bidding:auction
    "marketplace:calendar": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:court_viewing_decide": "POST 3 403 403 403 403 3 3 3 3 403 | 3 403 403 403 403 3 3 3 3 403",
    "marketplace:court_viewing_slot_cancel": "POST 3 403 403 403 403 3 3 3 3 403 | 3 403 403 403 403 3 3 3 3 403",
    "marketplace:court_viewings": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 2 2 2 2 403",
    "marketplace:listings": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:lot_viewings": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:my_viewings": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "marketplace:practice": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:practice_start": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:result": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "marketplace:results": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:saved_search_remove": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:saved_search_save": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:statistics": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 2 2 2 2 403",
    "marketplace:transparency": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:unsubscribe": "GET 400 400 400 400 400 400 400 400 400 400 | 400 400 400 400 400 400 400 400 400 400",
    "marketplace:viewing_cancel": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:viewing_request": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:watch": "POST 3 3 3 3 3 3 3 3 3 3 | 3 3 3 3 3 3 3 3 3 3",
    "marketplace:watchlist": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "marketplace:workbench": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "pricing:court_list": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 2 2 2 2 403",
    "pricing:models": "GET 3 403 403 403 403 2 2 2 2 2 | 3 403 403 403 403 2 2 2 2 2",
    "pricing:party": "GET 3 403 2 2 403 3 3 3 3 403 | 3 403 403 403 403 403 403 403 403 403",
    "pricing:party_list": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "pricing:procedure": "GET 3 403 3 3 403 2 2 2 2 403 | 3 403 403 403 403 403 403 403 403 403",
    "pricing:roster": "GET 3 2 2 2 2 2 2 2 2 2 | 3 2 2 2 2 2 2 2 2 2",
    "settlement:account_detail": "GET 3 404 404 404 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:arrivals": "GET 3 404 404 404 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:dashboard": "GET 3 404 404 404 404 2 2 2 2 404 | 3 404 404 404 404 2 2 2 2 404",
    "settlement:fee_advance_new": "POST 3 404 404 404 404 3 3 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:hold_reveal": "POST 3 404 404 404 404 404 404 404 3 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:notice_detail": "GET 404 404 2 2 404 2 2 2 2 404 | 404 404 404 404 404 404 404 404 404 404",
    "settlement:notice_issue": "POST 3 404 404 404 404 3 3 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:payout_detail": "GET 3 404 404 404 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:plan_detail": "GET 3 404 404 404 404 2 2 2 2 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:plan_draft": "POST 3 404 404 404 404 3 3 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:receipt_claim": "POST 3 404 404 404 404 3 3 3 3 404 | 3 404 404 404 404 3 3 3 3 404",
    "settlement:receipts_import": "GET 3 404 404 404 404 404 404 404 2 404 | 3 404 404 404 404 404 404 404 2 404",
    "settlement:reconcile": "GET 3 404 404 404 404 404 404 404 2 404 | 3 404 404 404 404 404 404 404 2 404",
    "settlement:reconcile_run": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "settlement:sim_pay": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "settlement:sim_statement": "GET 3 404 404 404 404 404 404 404 2 404 | 3 404 404 404 404 404 404 404 2 404",
    # added at the merge of issues 13–16 and 19 (recorded, each 2 in an other column read: public)
    "api GET /api/bidding/court/drafts": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 2 2 2 403 403",
    "api GET /api/bidding/court/drafts/{auction_id}": "GET 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/court/auctions/{auction_id}/objection/ruling": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/court/lots/{lot_id}/offline-rounds": "POST 401 400 400 400 400 400 400 400 400 400 | 401 400 400 400 400 400 400 400 400 400",
    "api POST /api/bidding/court/offline-rounds/{round_id}/ground-ended": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/court/offline-rounds/{round_id}/result": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/court/offline-rounds/{round_id}/resume": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/bidding/court/offline-rounds/{round_id}/suspend": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/claim": "POST 401 404 403 403 404 2 2 2 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/cases/{case_id}/status": "POST 401 404 403 403 404 400 400 400 403 404 | 401 404 404 404 404 404 404 404 404 404",
    "api POST /api/marketplace/account/wins/{auction_id}/pay": "POST 401 404 404 404 404 404 404 404 404 404 | 401 404 404 404 404 404 404 404 404 404",
    "bidding:collusion_evidence_csv": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "bidding:collusion_evidence_print": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "bidding:collusion_flag": "GET 3 404 404 404 404 404 404 404 404 404 | 3 404 404 404 404 404 404 404 404 404",
    "bidding:collusion_flags": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 2 2 2 403 403",
    "cases:case_action": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    "core:document_ca": "GET 400 400 400 400 400 400 400 400 400 400 | 400 400 400 400 400 400 400 400 400 400",
    "core:document_crl": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "core:document_download": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "core:document_reissue": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    "core:document_verify": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "core:document_verify_code": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "core:published_notices": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:balance_pay": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    "javascript-catalog": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "protected_file": "GET 404 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404 404",
    "settlement:statement_issue": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    # 拍品咨询 and public statistics (issue 17)
    "api GET /api/bidding/auctions/{auction_id}/questions": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "api GET /api/bidding/court/questions": "GET 401 403 403 403 403 2 2 2 403 403 | 401 403 403 403 403 2 2 2 403 403",
    "api POST /api/bidding/auctions/{auction_id}/questions": "POST 401 400 400 400 400 403 403 403 403 400 | 401 400 400 400 400 403 403 403 403 400",
    "api POST /api/bidding/court/questions/{question_id}/answer": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "api POST /api/bidding/court/questions/{question_id}/reject": "POST 401 403 403 403 403 409 409 409 403 403 | 401 403 403 403 403 403 403 403 403 403",
    "bidding:court_question_decide": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    "bidding:court_questions": "GET 3 403 403 403 403 2 2 2 403 403 | 3 403 403 403 403 2 2 2 403 403",
    "bidding:question_ask": "GET 3 405 405 405 405 405 405 405 405 405 | 3 405 405 405 405 405 405 405 405 405",
    "marketplace:public_statistics": "GET 2 2 2 2 2 2 2 2 2 2 | 2 2 2 2 2 2 2 2 2 2",
    "marketplace:statistics_courts": "GET 3 403 403 403 403 2 2 2 2 403 | 3 403 403 403 403 2 2 2 2 403",
}

#: URL names whose files `files15` serves (the file-serving view replacing /media/):
#: the lead adds its rows here at the merge.
FILE_ROUTES: dict[str, str] = {}

#: Pages added by other slices at the same time (sign-up, onboarding): rows at the merge.
SIGNUP_ROUTES: dict[str, str] = {}

#: Not asked, with the reason (each still needs an entry, so a new URL is a decision).
SKIPPED: dict[str, str] = {
    "^media/(?P<path>.*)$": "Django's static() for MEDIA_URL, only when the URLconf loads with "
    "DEBUG on (the demo); files15 replaces it with a view that checks who may read",
    "core:logout": "signs the asking client out (asked last by test_sign_out_for_every_role)",
    "set_language": "Django's language switch: POST only, answers every role alike",
    "api:openapi-view": "Swagger UI page, static HTML (the document itself has a row)",
    "api:api-root": "ninja's root, no view",
    "settlement:adyen_webhook": "HMAC-signed webhook, no session (tests/settlement webhooks)",
    "settlement:adyen_transfer_webhook": "HMAC-signed webhook, no session",
    "core:health": "HAProxy's health check, no role page: the same answer for everyone "
    "(tests/core/test_health.py; HAProxy denies /health/ off the host)",
    "core:health_processes": "the worker's and clocks' heartbeats for monitoring, no role page "
    "(tests/core/test_health.py)",
}


# ---- the world ------------------------------------------------------------------------------


def _first(model: type[models.Model], **filters: Any) -> int:
    row = model.objects.filter(**filters).order_by("pk").first()  # type: ignore[attr-defined]
    return row.pk if row is not None else MISSING


def _build_world() -> dict[str, Any]:
    from core.demo import seed

    seed()
    own = {u.username: u for u in User.objects.all()}
    people = {
        "own": {
            "bidder": own["bidder1"],
            "creditor": own["creditor"],
            "debtor": own["debtor"],
            "appraiser": own["appraiser"],
            "judge": own["judge"],
            "officer": own["officer"],
            "bureau_head": own["head"],
            "finance": own["finance"],
            "operator": own["operator"],
        }
    }
    court = CourtFactory.create()
    creditor, debtor = PartyUserFactory.create(), PartyUserFactory.create()
    case = CaseFactory.create(court=court)
    CreditorFactory.create(case=case, user=creditor)
    DebtorFactory.create(case=case, user=debtor)
    appraiser = AppraiserUserFactory.create()
    demo_firm = Firm.objects.order_by("pk").first()
    assert demo_firm is not None
    other_firm = Firm.objects.exclude(pk=demo_firm.pk).order_by("pk").first()
    if other_firm is not None:  # a firm the demo's requests did not commission
        FirmUser.objects.create(firm=other_firm, user=appraiser, created_at=clock.now())
    people["other"] = {
        "bidder": BidderFactory.create(),
        "creditor": creditor,
        "debtor": debtor,
        "appraiser": appraiser,
        "judge": JudgeFactory.create(court=court),
        "officer": OfficerFactory.create(court=court),
        "bureau_head": BureauHeadFactory.create(court=court),
        "finance": FinanceFactory.create(court=court),
        "operator": OperatorFactory.create(),
    }
    auction = _first(Auction, is_practice=False, state__in=["bidding", "extended"])
    if auction == MISSING:
        auction = _first(Auction, is_practice=False)
    case_id = _first(Case)
    objects: dict[str, int | str] = {
        "case": case_id,
        "party": _first(Party, case_id=case_id),
        "asset": _first(Asset, case_id=case_id),
        "lot": _first(Lot),
        "auction": auction,
        "registration": _first(Registration, auction_id=auction),
        "in_lieu_draw": _first(InLieuDraw),
        "request": _first(AppraisalRequest),
        "commission": _first(Commission),
        "report": _first(Report),
        "draw": _first(LotDraw),
        "procedure": _first(PricingProcedure),
        "inquiry": _first(Inquiry),
        "inquiry_report": _first(InquiryReport),
        "receipt": _first(Receipt),
        "payout": _first(Payout),
        "plan": _first(DistributionPlan),
        "reconcile": _first(ReconciliationRun),
        "hold": _first(DepositHold),
        "slot": _first(ViewingSlot),
        "viewing": _first(ViewingAppointment),
        "search": _first(SavedSearch),
        "inbox": _first(InboxMessage),
        "firm": demo_firm.pk,
        "court": own["judge"].court_id or MISSING,
        "person": own["judge"].pk,
        "offline_round": _first(OfflineRound),
        "flag": _first(CollusionFlag),
        "document": _first(Document),
        "question": _first(LotQuestion),
    }
    document = Document.objects.order_by("pk").first()
    objects["document_code"] = getattr(document, "code", "NOSUCHCODE") or "NOSUCHCODE"
    notice = PaymentNotice.objects.order_by("pk").first()
    objects["notice_token"] = getattr(notice, "token", "no-such-token") or "no-such-token"
    intent = PaymentIntent.objects.order_by("pk").first()
    objects["intent_ref"] = getattr(intent, "reference", "no-such-reference")
    return {"people": people, "objects": objects}


#: A URL parameter → the demo object it names; ``pk`` differs by URL (``PK_OF``).
PARAMS = {
    "case_id": "case",
    "party_id": "party",
    "asset_id": "asset",
    "lot_id": "lot",
    "auction_id": "auction",
    "registration_id": "registration",
    "request_id": "request",
    "commission_id": "commission",
    "receipt_id": "receipt",
    "payout_id": "payout",
    "slot_id": "slot",
    "search_id": "search",
    "reference": "intent_ref",
    "token": "notice_token",
    "round_id": "offline_round",
    "flag_id": "flag",
    "code": "document_code",
    "question_id": "question",
    "plan_id": "plan",
    "hold_id": "hold",
    "firm_id": "firm",
    "document_id": "document",
    "in_lieu_draw_id": "in_lieu_draw",
    "court_id": "court",
    "person_id": "person",
    "appointment_id": "viewing",
}
PK_OF = {
    "core:operator_court": "court",
    "core:operator_person": "person",
    "core:inbox_read": "inbox",
    "core:document_download": "document",
    "core:document_reissue": "document",
    "settlement:plan_detail": "plan",
    "settlement:payout_detail": "payout",
    "settlement:receipt_claim": "receipt",
    "settlement:reconcile_run": "reconcile",
    "settlement:hold_reveal": "hold",
    "appraisers:firm_detail": "firm",
    "appraisers:firm_commission": "commission",
    "appraisers:court_request": "request",
    "appraisers:party_request": "request",
    "appraisers:report_download": "report",
    "appraisers:draw_live": "draw",
    "appraisers:draw_participate": "draw",
    "appraisers:draw_verify": "draw",
    "appraisers:draw_record_json": "draw",
    "pricing:procedure": "procedure",
    "pricing:party": "procedure",
    "marketplace:saved_search_remove": "search",
    "marketplace:viewing_cancel": "viewing",
    "marketplace:court_viewing_decide": "viewing",
    "marketplace:court_viewing_slot_cancel": "slot",
    "api procedures": "procedure",
    "api inquiries": "inquiry",
    "api reports": "inquiry_report",
    "api draws": "draw",
}
OTHER_ARGS = {
    "kind": "firms",
    "name": "suspend",
    "draw_id": "in_lieu_draw",
    "decision": "answer",
}


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ns + (f"{p.namespace}:" if p.namespace else "")
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            yield route, ns + p.name if p.name else route  # unnamed: its route is its key


def _pages() -> dict[str, str]:
    """Every URL pattern that is not the API's: name → route."""
    return {
        name: route
        for route, name in _walk(get_resolver().url_patterns)
        if not route.startswith("api/")
    }


def _api_operations() -> dict[str, tuple[str, str]]:
    """``"api <METHOD> <path>"`` → (method, path) for every operation of the OpenAPI document."""
    out = {}
    for path, ops in api.get_openapi_schema()["paths"].items():
        for method in ops:
            out[f"api {method.upper()} {path}"] = (method.upper(), path)
    return out


def _page_url(name: str, route: str, objects: dict[str, Any]) -> str:
    kwargs = {}
    for param in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if param == "pk":
            kwargs[param] = objects[PK_OF[name]]
        elif param == "draw_id" and name.startswith("bidding:"):
            kwargs[param] = objects["in_lieu_draw"]
        elif param in PARAMS:
            kwargs[param] = objects[PARAMS[param]]
        else:
            kwargs[param] = OTHER_ARGS[param]
    return reverse(name, kwargs=kwargs)


def _api_url(path: str, objects: dict[str, Any]) -> str:
    def fill(m: re.Match[str]) -> str:
        param = m.group(1)
        if param == "pk":
            section = path.split("/")[3]
            return str(objects[PK_OF[f"api {section}"]])
        if param == "draw_id":
            return str(objects["draw"])
        if param in OTHER_ARGS and param not in PARAMS:
            return OTHER_ARGS[param]
        return str(objects[PARAMS[param]])

    return re.sub(r"\{(?:int:)?(\w+)\}", fill, path)


def _ask(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> int:
    if method == "GET":
        return client.get(url).status_code
    if url.startswith("/api/"):
        data = json.dumps(body or {})
        return client.generic(method, url, data, content_type="application/json").status_code
    return client.post(url, {}).status_code


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A valid value of a JSON schema: the required properties only, the first of a choice."""
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for choice in ("anyOf", "oneOf", "allOf"):
        if choice in schema:
            options = [o for o in schema[choice] if o.get("type") != "null"]
            return _sample(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(props[k], components) for k in schema.get("required", [])}
    samples = {"integer": 1, "number": 1, "boolean": True, "array": []}
    if kind in samples:
        return samples[kind]
    return {"date": "2026-11-02", "date-time": "2026-11-05T10:00:00+08:00"}.get(fmt or "", "测试")


def _bodies() -> dict[str, dict[str, Any]]:
    """``"api <METHOD> <path>"`` → a valid JSON body (so the permission, not the body's
    shape, decides: an empty body would be 422 for everyone)."""
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    out = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _sample(content["application/json"]["schema"], components)
                out[f"api {method.upper()} {path}"] = body
    return out


def _with_ids(body: Any, objects: dict[str, Any]) -> Any:
    """A body's ``<thing>_id`` fields name the world's own objects (their ids differ from run
    to run on PostgreSQL, whose sequences go on across tests), not the schema's sample 1."""
    if not isinstance(body, dict):
        return body
    return {
        k: objects[PARAMS[k]] if k in PARAMS and isinstance(v, int) else v for k, v in body.items()
    }


#: A write whose body names objects by id (made from the schema) may be refused for the body
#: (400, 404: the id is another test's, as PostgreSQL sequences run on across tests) before or
#: after the permission (403): for these the table holds "refused", not which check came first.
REFUSALS = frozenset({400, 403, 404, 409, 422})


def _matches(code: str, status: int, *, write: bool = False) -> bool:
    if write and code.isdigit() and int(code) in REFUSALS and status in REFUSALS:
        return True
    return str(status) == code or (len(code) == 1 and str(status)[0] == code)


def _observed(status: int) -> str:
    return str(status)[0] if 200 <= status < 400 else str(status)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        clock.set_time(clock_start())
        try:
            yield _build_world()
        finally:
            clock.reset()
            transaction.set_rollback(True)


def clock_start() -> Any:
    from tests.conftest import TEST_NOW

    return TEST_NOW


def _clients(people: dict[str, User]) -> dict[str, Client]:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in people.items():
        c = Client(raise_request_exception=False)
        c.force_login(user)
        clients[role] = c
    return clients


def _all_keys() -> dict[str, Callable[[dict[str, Any]], tuple[str, str]]]:
    """Every key the table must hold → how to make its (method, url)."""
    keys: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {}
    for name, route in _pages().items():
        if route.startswith("admin/") and name != "admin:index":
            continue  # the admin: its own permission (is_staff), test_the_admin_is_the_operators
        keys[name] = partial(_page_key, name, route)
    for key, (method, path) in _api_operations().items():
        keys[key] = partial(_api_key, method, path)
    keys["api:openapi-json"] = partial(_api_key, "GET", "/api/openapi.json")
    return keys


def _page_key(name: str, route: str, objs: dict[str, Any]) -> tuple[str, str]:
    return "", _page_url(name, route, objs)


def _api_key(method: str, path: str, objs: dict[str, Any]) -> tuple[str, str]:
    return method, _api_url(path, objs)


def test_every_url_has_a_row():
    """A new URL without a row fails here: add its row (docs/DEVELOPING.md)."""
    keys = set(_all_keys())
    known = set(TABLE) | set(SKIPPED) | set(FILE_ROUTES) | set(SIGNUP_ROUTES)
    missing = sorted(keys - known)
    stale = sorted(set(TABLE) - keys)
    assert not missing, "URLs without a row in tests/core/test_role_urls.py TABLE:\n" + "\n".join(
        missing
    )
    assert not stale, "rows of URLs that no longer exist:\n" + "\n".join(stale)
    # Every API route is an operation of the OpenAPI document (so it has its rows above).
    documented = {_shape(path) for _method, path in _api_operations().values()}
    routes = {
        name: _shape("/" + route)
        for route, name in _walk(get_resolver().url_patterns)
        if route.startswith("api/")
    }
    known = set(SKIPPED) | set(TABLE)
    hidden = sorted(n for n, r in routes.items() if r not in documented and n not in known)
    assert not hidden, "API routes outside the OpenAPI document:\n" + "\n".join(hidden)


def _shape(path: str) -> str:
    """``/api/cases/<int:case_id>`` and ``/api/cases/{case_id}`` → ``/api/cases/{case_id}``."""
    return re.sub(r"[<{](?:\w+:)?(\w+)[>}]", r"{\1}", path)


def test_sign_out_for_every_role(world, settings):
    """``core:logout`` (asked apart: it ends the asking client's session)."""
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    for side, people in world["people"].items():
        for role, client in _clients(people).items():
            resp = client.post(reverse("core:logout"))
            assert resp.status_code == 302, (side, role, resp.status_code)
            assert "_auth_user_id" not in client.session, (side, role)


def test_every_role_gets_the_expected_status_on_every_url(world, settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    objects = world["objects"]
    sides = {side: _clients(people) for side, people in world["people"].items()}
    record = os.environ.get("GAVEL_ROLE_TABLE_RECORD") == "1"
    wrong, observed_rows = [], {}
    bodies = _bodies()
    for key, make in sorted(_all_keys().items()):
        if key in SKIPPED:
            continue
        row = TABLE.get(key) or FILE_ROUTES.get(key) or SIGNUP_ROUTES.get(key)
        method, url = make(objects)
        if not method:
            method = row.split()[0] if row else "GET"
        seen: dict[str, list[str]] = {}
        for side, clients in sides.items():
            body = _with_ids(bodies.get(key), objects)
            statuses = [_ask(clients[role], method, url, body) for role in ROLES]
            seen[side] = [_observed(s) for s in statuses]
            assert all(s < 500 for s in statuses), f"{key} {url}: {side} {statuses}"
        observed_rows[key] = f"{method} {' '.join(seen['own'])} | {' '.join(seen['other'])}"
        if row is None:
            continue
        expected = row.split()[1:]
        expected.remove("|")
        got = seen["own"] + seen["other"]
        for i, (code, status) in enumerate(zip(expected, got, strict=True)):
            write = key.startswith(("api POST", "api PUT", "api PATCH", "api DELETE"))
            status_code = int(status) if len(status) == 3 else int(status) * 100
            if not _matches(code, status_code, write=write):
                side = "own" if i < len(ROLES) else "other"
                wrong.append(f"{key} {url} {side} {ROLES[i % len(ROLES)]}: {code} ≠ {status}")
    if record:
        print("\nTABLE = {")
        for key, text in observed_rows.items():
            print(f'    {json.dumps(key, ensure_ascii=False)}: "{text}",')
        print("}")
    assert not wrong, "\n".join(wrong)


def test_the_admin_is_the_operators(world, settings):
    """Every model list of the Django admin: the operator only (its own ``is_staff``
    permission); everyone else is sent to the admin's sign-in."""
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    lists = sorted(name for name in _pages() if name.endswith("_changelist"))
    assert len(lists) > 20
    own = world["people"]["own"]
    clients = _clients({r: own[r] for r in ("bidder", "judge", "finance", "operator")})
    wrong = []
    for name in lists:
        url = reverse(name)
        for role, client in clients.items():
            status = client.get(url).status_code
            expected = 200 if role == "operator" else 302
            if status != expected:
                wrong.append(f"{name} {role}: {status}")
    assert not wrong, "\n".join(wrong)
