"""Bidding's sealed documents (issue 16): each rendered from the records of a real flow."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bidding import services
from core import clock
from core.documents import rmb_upper
from core.money import yuan
from tests.documents_helpers import assert_sealed, issue_queued

from .engine_factories import (
    YUAN,
    bid,
    make_case,
    make_live_auction,
    publishable_draft,
    register_paid,
)

pytestmark = pytest.mark.django_db


def test_publishing_issues_announcement_terms_and_survey_auc09(
    court, judge, documents_ca, django_capture_on_commit_callbacks, client
):
    draft = publishable_draft(court, judge, start=123_456 * YUAN)
    with django_capture_on_commit_callbacks(execute=True):
        services.auction_publish(auction_id=draft.pk, actor=judge)
    docs = issue_queued()
    assert set(docs) >= {"bidding.announcement", "bidding.bidding_terms", "bidding.survey"}
    assert all(
        docs[t].public for t in ("bidding.announcement", "bidding.bidding_terms", "bidding.survey")
    )
    announcement = assert_sealed(docs["bidding.announcement"])
    assert draft.case.number in announcement and "拍卖公告（示例）" in announcement
    assert "123,456.00" in announcement and "壹拾贰万叁仟肆佰伍拾陆元整" in announcement
    assert "12,345.60" in announcement and "壹万贰仟叁佰肆拾伍元陆角整" in announcement  # deposit
    terms = assert_sealed(docs["bidding.bidding_terms"])
    assert "保证金不予退还" in terms and "竞价规则（示例）" in terms
    survey = assert_sealed(docs["bidding.survey"])
    disclosure = draft.lot.assets.first().disclosures.first()
    assert disclosure.text[:10] in survey and "特别提示" in survey
    # Listed: on the public auction page (anyone) and on the staff case page.
    number = docs["bidding.announcement"].number
    assert number in client.get(reverse("bidding:auction", args=[draft.pk])).content.decode()
    client.force_login(judge)
    assert draft.case is not None
    case_page = client.get(reverse("cases:case", args=[draft.case.pk])).content.decode()
    assert number in case_page and docs["bidding.survey"].code in case_page


def test_full_payment_issues_the_ruling_draft_and_money_papers_auc29_auc31_auc32(
    court, judge, documents_ca, django_capture_on_commit_callbacks
):
    from settlement.services import balance_pay_request
    from settlement.services.confirmations import intent_confirm
    from settlement.worker import drain

    _case, lot, _c, _d = make_case(court, judge=judge)
    start = 200_000 * YUAN + 50  # 5 角: the 大写 carries it
    auction = make_live_auction(court, lot, start=start, deposit=20_000 * YUAN)
    with django_capture_on_commit_callbacks(execute=True):
        loser, winner = register_paid(auction), register_paid(auction)
        bid(auction, loser, start)
        bid(auction, winner, start + 1_000 * YUAN)
        assert auction.end_at is not None
        clock.set_time(auction.end_at)
        services.auction_close_due()
    with django_capture_on_commit_callbacks(execute=True):
        drain()  # the money loop (as the worker runs it)
        intent = balance_pay_request(sale_ref=auction.sale_ref, idempotency_key="t-bal")
        intent_confirm(
            intent_id=intent.pk,
            success=True,
            psp_reference="PSPBAL",
            amount_minor=intent.amount_fen,
            currency="CNY",
        )
    docs = issue_queued()
    price = 201_000 * YUAN + 50
    assert winner.identity is not None and auction.case is not None
    confirmation = assert_sealed(docs["bidding.sale_confirmation"])
    assert winner.identity.name in confirmation and yuan(price) in confirmation
    assert rmb_upper(price) == "贰拾万壹仟元伍角整" and rmb_upper(price) in confirmation
    ruling = assert_sealed(docs["bidding.sale_ruling_draft"])
    assert "拍卖成交裁定书（草稿）" in ruling and winner.identity.name in ruling
    assert rmb_upper(price) in ruling and auction.case.number in ruling
    assert not docs["bidding.sale_ruling_draft"].public  # the judge's draft
    receipt = assert_sealed(docs["settlement.balance_receipt"])
    balance = price - 20_000 * YUAN
    assert yuan(balance) in receipt and rmb_upper(balance) in receipt
    assert list(docs["settlement.balance_receipt"].readers.all()) == [winner.user]
    deposits = [d for d in docs.values() if d.doc_type == "settlement.deposit_receipt"]
    from core.models import Document

    deposits = list(Document.objects.filter(doc_type="settlement.deposit_receipt"))
    assert {r.pk for d in deposits for r in d.readers.all()} == {loser.user_id, winner.user_id}
    deposit = assert_sealed(deposits[0])
    assert "20,000.00" in deposit and "贰万元整" in deposit


def test_unsold_issues_the_notice_and_in_lieu_the_ruling_draft_auc35_auc36(
    court, judge, documents_ca, django_capture_on_commit_callbacks
):
    _case, lot, creditor, _debtor = make_case(court, judge=judge, claim_fen=60_000 * YUAN)
    auction = make_live_auction(court, lot, start=100_000 * YUAN)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    with django_capture_on_commit_callbacks(execute=True):
        services.auction_close_due()
    services.auction_take_in_lieu(
        auction_id=auction.pk,
        actor=judge,
        party_id=creditor.pk,
        reason="申请执行人申请以物抵债",
        excess_days=15,
    )
    docs = issue_queued()
    notice = assert_sealed(docs["bidding.unsold_notice"])
    assert "流拍" in notice and docs["bidding.unsold_notice"].public
    ruling = assert_sealed(docs["bidding.in_lieu_ruling_draft"])
    assert creditor.name in ruling and "壹拾万元整" in ruling  # the round's starting price
    assert "肆万元整" in ruling  # the excess over the 60,000 claim
