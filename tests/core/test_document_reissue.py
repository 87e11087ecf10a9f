"""Issue 16, the rest: staff re-issue a corrected document from the pages; the old version's
verification says it was superseded; 公告送达证明 after deemed service (REC-10); the download's
headers; the party's portal lists the party's documents."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.urls import reverse

from core import clock
from core.documents.service_proof import DEEMED_SERVICE, SERVICE_PROOF, deemed_service_documents_due
from core.models import AuditEntry, Document, DocumentRequest, ServiceRecord
from core.service import service_receipt, service_record
from tests.bidding.engine_factories import make_case
from tests.conftest import make_user
from tests.documents_helpers import assert_sealed, issue_queued

pytestmark = pytest.mark.django_db

M = ServiceRecord.Method


@pytest.fixture
def served(court, judge, documents_ca):
    """A case whose debtor was served by post with a receipt: its 送达回证, issued."""
    debtor_user = make_user("party")
    case, _lot, _creditor, debtor = make_case(
        court, judge=judge, debtor_user=debtor_user, basis_fen=None
    )
    service_record(
        court=court,
        subject=case.ref,
        document="执行通知书",
        document_kind="enforcement_notice",
        recipient_ref=debtor.ref,
        recipient_name=debtor.name,
        recipient_user=debtor_user,
        method=M.POST,
        received_at=clock.now(),
        proof="EMS1234567890CN",
        actor=judge,
    )
    doc = issue_queued()[SERVICE_PROOF.code]
    return case, debtor_user, doc


def test_staff_reissue_from_the_case_page_and_the_old_code_names_the_new_version(
    served, client, judge
):
    case, _debtor, v1 = served
    client.force_login(judge)
    page = client.get(reverse("cases:case", args=[case.pk]))
    action = reverse("core:document_reissue", args=[v1.pk])
    assert action in page.content.decode()  # the button on the case's documents list
    back = client.post(action, {"reason": "受送达人姓名笔误", "next": page.request["PATH_INFO"]})
    assert back.status_code == 302 and back["Location"] == reverse("cases:case", args=[case.pk])
    v2 = Document.objects.get(corrects=v1)
    assert (v2.number, v2.version, v2.reason, v2.issued_by) == (
        v1.number,
        2,
        "受送达人姓名笔误",
        judge,
    )
    assert "受送达人姓名笔误" in assert_sealed(v2)
    entry = AuditEntry.objects.get(stream=case.ref, action="document.corrected", actor=judge)
    assert entry.reason == "受送达人姓名笔误" and (entry.after or {})["sha256"] == v2.sha256
    listed = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert v2.code in listed and v1.code not in listed  # the list shows the current version
    # The old version's QR page: genuine but superseded, naming the new version.
    old = client.get(reverse("core:document_verify_code", args=[v1.code])).content.decode()
    assert "已被更正，不再有效" in old and v2.code in old and "第2版" in old
    assert "受送达人姓名笔误" in old
    assert reverse("core:document_reissue", args=[v1.pk]) not in old  # only the current one
    # Uploading the old file: genuine, and superseded shown with it.
    uploaded = client.post(
        reverse("core:document_verify"), {"file": _upload(bytes(v1.pdf))}
    ).content.decode()
    assert "真实：本文件为平台出具的原件" in uploaded and "已被更正，不再有效" in uploaded
    assert v2.code in uploaded


def test_reissue_is_refused_to_another_court_a_party_and_without_a_reason(
    served, client, other_court
):
    _case, debtor_user, v1 = served
    url = reverse("core:document_reissue", args=[v1.pk])
    for user in (make_user("judge", other_court), debtor_user):
        client.force_login(user)
        assert client.post(url, {"reason": "改"}).status_code == 403
    client.force_login(make_user("officer", v1.court))
    refused = client.post(url, {"reason": "  "}, follow=True)
    assert "更正文书须说明原因" in refused.content.decode()
    assert not Document.objects.filter(corrects=v1).exists()
    assert client.get(url).status_code == 405  # a change is a POST


def test_verify_command_says_superseded(served, tmp_path, judge):
    from core.documents.services import document_reissue

    _case, _d, v1 = served
    v2 = document_reissue(document=v1, reason="日期有误", actor=judge)
    path = tmp_path / "old.pdf"
    path.write_bytes(bytes(v1.pdf))
    from io import StringIO

    out = StringIO()
    call_command("documents_verify", str(path), stdout=out)
    assert f"SUPERSEDED by {v2.number} v2 (code {v2.code}" in out.getvalue()
    assert "GENUINE" in out.getvalue()


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("doc.pdf", data, content_type="application/pdf")


def test_download_headers_rfc5987_private_and_streamed(served, client):
    _case, debtor_user, doc = served
    client.force_login(debtor_user)
    resp = client.get(reverse("core:document_download", args=[doc.pk]))
    assert resp.status_code == 200 and resp.streaming
    name = f"送达回证-{doc.number}-{doc.code}.pdf"
    assert resp["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    assert resp["Cache-Control"] == "private, no-store"
    assert resp["Content-Type"] == "application/pdf"
    assert int(resp["Content-Length"]) == doc.size
    assert b"".join(resp.streaming_content) == bytes(doc.pdf)
    inline = client.get(reverse("core:document_download", args=[doc.pk]), {"inline": 1})
    assert inline["Content-Disposition"].startswith("inline; filename*=utf-8''")


def test_the_party_portal_lists_the_party_s_documents(served, client):
    case, debtor_user, doc = served
    client.force_login(debtor_user)
    page = client.get(reverse("cases:portal_case", args=[case.pk])).content.decode()
    assert doc.code in page and reverse("core:document_download", args=[doc.pk]) in page
    assert reverse("core:document_reissue", args=[doc.pk]) not in page  # no staff button
    client.force_login(make_user("party"))
    assert client.get(reverse("core:document_download", args=[doc.pk])).status_code == 403


def test_deemed_service_issues_the_publication_record_once_when_the_period_ends_rec10(
    court, judge, documents_ca
):
    debtor_user = make_user("party")
    case, _lot, _c, debtor = make_case(court, judge=judge, debtor_user=debtor_user, basis_fen=None)
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
    assert rec.deemed_at is not None
    clock.set_time(rec.deemed_at - dt.timedelta(seconds=1))
    assert deemed_service_documents_due() == 0  # not yet: the 5 days have not run
    clock.set_time(rec.deemed_at)
    assert deemed_service_documents_due() == 1
    assert deemed_service_documents_due() == 0  # idempotent: queued once
    doc = issue_queued()[DEEMED_SERVICE.code]
    assert deemed_service_documents_due() == 0
    text = assert_sealed(doc)
    assert "公告送达证明" in text and "拍卖通知书" in text and debtor.name in text
    assert "下落不明，电话无法接通" in text and "网络平台公示" in text and "五日" in text
    assert doc.stream == case.ref and list(doc.readers.all()) == [debtor_user]
    assert DocumentRequest.objects.filter(doc_type=DEEMED_SERVICE.code).count() == 1


def test_no_publication_record_when_the_receipt_came_first(court, judge, documents_ca):
    case, *_ = make_case(court, judge=judge, basis_fen=None)
    rec = service_record(
        court=court,
        subject=case.ref,
        document="询价结果通知书",
        document_kind="pricing_notice",
        recipient_ref="party:x",
        recipient_name="被执行人乙",
        method=M.ENFORCEMENT_INFO_PUBLICATION,
        unreachable_reason="地址不详",
        actor=judge,
    )
    assert rec.deemed_days == 15 and rec.deemed_at is not None
    clock.advance(dt.timedelta(days=2))
    service_receipt(record=rec, received_at=clock.now(), proof="本人签收", actor=judge)
    clock.set_time(rec.deemed_at + dt.timedelta(days=1))
    assert deemed_service_documents_due() == 0
    assert set(issue_queued()) == {SERVICE_PROOF.code}  # its 送达回证 instead
