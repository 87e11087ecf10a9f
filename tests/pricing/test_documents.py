"""Pricing's sealed documents (issue 16): the inquiry result and the pricing notice (PRC-10)."""

from __future__ import annotations

import pytest

from core.models import ServiceRecord
from pricing.services import report_deliver
from tests.documents_helpers import assert_sealed, issue_queued
from tests.pricing.conftest import fix_by_directed
from tests.pricing.test_inquiry import platforms, report, requests, send

pytestmark = pytest.mark.django_db


def test_served_report_issues_the_inquiry_result_notice_prc10(
    procedure, judge, now, parties, documents_ca
):
    platforms(1)
    inquiry = send(procedure, judge)
    (r1,) = requests(inquiry)
    rep = report(r1, 876_543_21)
    creditor, debtor = parties
    for party in (creditor, debtor):
        report_deliver(
            report=rep,
            party=party,
            method=ServiceRecord.Method.ELECTRONIC,
            received_at=now,
            proof="回执",
        )
    docs = issue_queued()
    notice_doc = docs["pricing.inquiry_result_notice"]
    notice = assert_sealed(notice_doc)
    assert "876,543.21" in notice and "捌拾柒万陆仟伍佰肆拾叁元贰角壹分" in notice
    assert creditor.name in notice and debtor.name in notice and "五日内" in notice
    assert {u.pk for u in notice_doc.readers.all()} == {creditor.user_id, debtor.user_id}
    # each electronic service with its receipt has its 送达回证 (REC-10)
    from core.models import Document

    proofs = Document.objects.filter(doc_type="core.service_proof")
    assert proofs.count() == 2
    first = proofs.first()
    assert first is not None
    proof = assert_sealed(first)
    assert "送达回证" in proof and "回执" in proof


def test_fixed_price_issues_the_pricing_notice_prc10(procedure, judge, parties, documents_ca):
    price = fix_by_directed(procedure, judge, amount_fen=1_000_000_00)
    docs = issue_queued()
    notice = assert_sealed(docs["pricing.pricing_notice"])
    assert price.get_kind_display() in notice
    assert "1,000,000.00" in notice and "壹佰万元整" in notice
    assert procedure.asset.name in notice
