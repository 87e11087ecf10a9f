"""The background entries of the record rules (issue 14): the worker's service-proof and
document tasks run through the worker's runner. Time is the test's (frozen)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.documents.service_proof import DEEMED_SERVICE
from core.models import Document, DocumentRequest, ServiceRecord
from core.service import deemed_service_at, service_record
from tests.background import run_task
from tests.bidding.engine_factories import make_case
from tests.conftest import make_user
from tests.documents_helpers import assert_sealed

pytestmark = pytest.mark.django_db

M = ServiceRecord.Method


@pytest.mark.rule("REC-10", entry="worker")
def test_the_worker_issues_the_publication_record_when_deemed_service_is_reached_rec10(
    court, judge, documents_ca
):
    """REC-10: service by publication on the platform is deemed made 5 days after publication
    (counted by the court calendar); the worker queues the 公告送达证明 at that moment, not a
    second before, and its document task seals it, naming the method, the reason and the
    deemed period."""
    debtor_user = make_user("party")
    case, _lot, _creditor, debtor = make_case(
        court, judge=judge, debtor_user=debtor_user, basis_fen=None
    )
    rec = service_record(
        court=court,
        subject=case.ref,
        document="拍卖通知书",
        document_kind="auction_notice",
        recipient_ref=debtor.ref,
        recipient_name=debtor.name,
        recipient_user=debtor_user,
        method=M.PLATFORM_PUBLICATION,
        unreachable_reason="下落不明，电话无法接通",
        actor=judge,
    )
    assert rec.deemed_days == 5 and rec.published_at == clock.now()
    assert rec.deemed_at is not None and rec.deemed_at >= clock.now() + dt.timedelta(days=5)
    assert rec.deemed_at == deemed_service_at(rec.published_at, 5, court=court)
    clock.set_time(rec.deemed_at - dt.timedelta(seconds=1))
    assert run_task("core.deemed_service_documents") == 0
    clock.set_time(rec.deemed_at)
    assert run_task("core.deemed_service_documents") == 1
    assert run_task("core.deemed_service_documents") == 0  # once
    assert run_task("core.documents") >= 1
    req = DocumentRequest.objects.get(doc_type=DEEMED_SERVICE.code)
    assert req.state == DocumentRequest.State.DONE
    doc = Document.objects.get(doc_type=DEEMED_SERVICE.code)
    text = assert_sealed(doc)
    assert "公告送达证明" in text and debtor.name in text and "下落不明，电话无法接通" in text
    assert "五日" in text
