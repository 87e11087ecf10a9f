"""Court documents (issue 16): numbering, sealing, the register, verification (page+command)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from bidding import services as bidding_services
from bidding.documents import SALE_CONFIRMATION
from core import clock
from core.audit import audit_verify
from core.documents import document_issue, documents_issue_pending, verify_pdf
from core.documents.seal import ca_create, court_cert_issue, court_cert_revoke, court_seal
from core.documents.services import Stamp, render_unsealed
from core.documents.sign import seal_pdf
from core.errors import DomainError
from core.models import AuditEntry, Document, DocumentRequest
from tests.bidding.engine_factories import YUAN, bid, make_case, make_live_auction, register_paid
from tests.conftest import documents_paths, make_user

pytestmark = pytest.mark.django_db

START = 1_234_567 * YUAN + 89  # 壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分


@pytest.fixture
def sold(court, judge, documents_ca, django_capture_on_commit_callbacks):
    creditor, debtor = make_user("party"), make_user("party")
    _case, lot, _c, _d = make_case(court, judge=judge, creditor_user=creditor, debtor_user=debtor)
    auction = make_live_auction(
        court, lot, start=START, increment=1_000 * YUAN, deposit=100_000 * YUAN
    )
    loser, winner = register_paid(auction), register_paid(auction)
    bid(auction, loser, START)
    bid(auction, winner, START + 1_000 * YUAN)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    with django_capture_on_commit_callbacks(execute=True):  # AuctionClosed is after commit
        bidding_services.auction_close_due()
    auction.refresh_from_db()
    return auction, winner, loser


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\n", "")


@pytest.mark.rule("AUC-29", entry="worker")
def test_sale_close_queues_the_confirmation_and_the_worker_issues_it_sealed_auc29(sold):
    auction, winner, loser = sold
    req = DocumentRequest.objects.get(subject=f"auction:{auction.pk}/sale")
    assert req.doc_type == SALE_CONFIRMATION.code and req.state == "pending"
    assert not Document.objects.exists()  # nothing rendered on the close itself
    assert documents_issue_pending() == 4  # with the two deposit receipts and the pricing notice
    doc = Document.objects.get(doc_type=SALE_CONFIRMATION.code)
    pdf = bytes(doc.pdf)
    assert doc.sha256 == hashlib.sha256(pdf).hexdigest()
    assert doc.number == f"（2026）{auction.court.code}执拍确字第1号"
    assert doc.public and set(doc.readers.values_list("pk", flat=True)) >= {winner.user_id}
    text = _text(pdf)
    assert "网络司法拍卖成交确认书" in text and doc.number in text and doc.code in text
    assert winner.identity.name in text and winner.bidder_code in text
    assert loser.identity.name not in text
    assert "1,235,567.89" in text  # 成交价 in figures …
    assert "壹佰贰拾叁万伍仟伍佰陆拾柒元捌角玖分" in text  # … and in 大写
    verdict = verify_pdf(pdf)
    assert verdict.genuine, verdict.problems
    assert verdict.document == doc
    # REC-06: the hash is in the case's audit stream, and the chain holds.
    entry = AuditEntry.objects.get(
        stream=f"case:{auction.case_id}", action="document.issued", subject=doc.subject
    )
    assert entry.after is not None
    assert entry.after["sha256"] == doc.sha256 and entry.after["number"] == doc.number
    assert audit_verify() == []


def test_numbers_run_per_court_type_and_year(sold, court):
    auction, _w, _l = sold
    first = document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    second = document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    assert (first.seq, second.seq) == (1, 2)
    clock.set_time(clock.now().replace(year=2027, month=1, day=5))
    third = document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    assert (third.year, third.seq) == (2027, 1) and "（2027）" in third.number


def test_correction_is_a_new_version_naming_the_old_one(sold, judge):
    auction, _w, _l = sold
    subject = f"auction:{auction.pk}/sale"
    v1 = document_issue(doc_type=SALE_CONFIRMATION.code, subject=subject)
    with pytest.raises(DomainError) as no_reason:
        document_issue(doc_type=SALE_CONFIRMATION.code, subject=subject, corrects=v1)
    assert no_reason.value.code == "document_correction_reason"
    v2 = document_issue(
        doc_type=SALE_CONFIRMATION.code,
        subject=subject,
        corrects=v1,
        reason="标的物名称笔误",
        actor=judge,
    )
    assert (v2.number, v2.version, v2.corrects_id) == (v1.number, 2, v1.pk)
    assert "标的物名称笔误" in _text(bytes(v2.pdf))
    with pytest.raises(DomainError) as twice:
        document_issue(doc_type=SALE_CONFIRMATION.code, subject=subject, corrects=v1, reason="x")
    assert twice.value.code == "document_already_corrected"
    assert verify_pdf(bytes(v1.pdf)).genuine  # the old version stays genuine, marked corrected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_documents_table_is_append_only_rec06(sold):
    from django.db import IntegrityError, transaction

    auction, _w, _l = sold
    doc = document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=doc.pk).update(public=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=doc.pk).delete()


@pytest.fixture
def issued(sold):
    auction, _winner, _l = sold
    return document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")


def _one_byte_changed(pdf: bytes) -> bytes:
    # A byte inside the page content (the signed range), as a forger editing a figure would.
    at = pdf.index(b"stream") + 40
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _resealed_with_another_key(doc: Document, settings, tmp_path) -> bytes:
    """The same document rendered again and sealed by a court cert of a rogue CA."""
    spec = SALE_CONFIRMATION
    draft = spec.build(doc.subject, {})
    unsealed = render_unsealed(
        spec, draft, Stamp(number=doc.number, code=doc.code, issued_at=doc.issued_at)
    )
    real = settings.GAVEL_DOCUMENTS_CA_CERT
    documents_paths(settings, tmp_path / "rogue")
    ca_create(name="伪造的根证书")
    rogue = court_seal(doc.court)
    forged = seal_pdf(unsealed, rogue, reason="x", location=doc.court.name)
    documents_paths(settings, tmp_path / "documents")
    assert real == settings.GAVEL_DOCUMENTS_CA_CERT
    return forged


def _verify_page(client, pdf: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("core:document_verify"),
        {"file": SimpleUploadedFile("doc.pdf", pdf, content_type="application/pdf")},
    )


def _verify_command(pdf: bytes, tmp_path) -> tuple[bool, str]:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    out = io.StringIO()
    try:
        call_command("documents_verify", str(path), stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_genuine_document_is_genuine_by_page_and_command(issued, client, tmp_path):
    pdf = bytes(issued.pdf)
    page = _verify_page(client, pdf).content.decode()
    assert "真实：本文件为平台出具的原件" in page and issued.number in page
    assert issued.court.name in page and issued.sha256 in page
    ok, out = _verify_command(pdf, tmp_path)
    assert ok and "GENUINE" in out and issued.number in out


def test_one_byte_change_is_not_genuine_by_page_and_command(issued, client, tmp_path):
    edited = _one_byte_changed(bytes(issued.pdf))
    verdict = verify_pdf(edited)
    assert not verdict.genuine
    assert verdict.claimed == issued  # it still claims to be that document …
    page = _verify_page(client, edited).content.decode()
    assert "非真实文书" in page and "已被改动" in page
    ok, out = _verify_command(edited, tmp_path)
    assert not ok and "NOT GENUINE" in out


def test_resealed_copy_with_another_key_is_not_genuine(issued, client, tmp_path, settings):
    forged = _resealed_with_another_key(issued, settings, tmp_path)
    verdict = verify_pdf(forged)
    assert not verdict.genuine
    labels = {c.label for c in verdict.checks if not c.ok}
    assert {"登记核对（SHA-256）", "证书链"} <= labels
    assert "签章证书不是平台根证书签发的" in _verify_page(client, forged).content.decode()
    ok, out = _verify_command(forged, tmp_path)
    assert not ok and "证书链" in out


def test_revoked_court_certificate_is_reported(issued, client, tmp_path):
    pdf = bytes(issued.pdf)
    court_cert_revoke(issued.court)
    verdict = verify_pdf(pdf)
    assert not verdict.genuine
    assert [c.label for c in verdict.checks if not c.ok] == ["证书未吊销"]
    assert "签章证书已被吊销" in _verify_page(client, pdf).content.decode()
    ok, out = _verify_command(pdf, tmp_path)
    assert not ok and "吊销" in out
    # A new certificate for the court; documents issued with it are genuine again.
    court_cert_issue(issued.court)
    again = document_issue(doc_type=issued.doc_type, subject=issued.subject)
    assert verify_pdf(bytes(again.pdf)).genuine


def test_not_a_pdf_and_unsigned_pdf_are_not_genuine(issued):
    assert not verify_pdf(b"hello").genuine
    assert "不是有效的 PDF 文件" in verify_pdf(b"hello").problems[0]


def test_code_page_shows_the_register_entry_and_an_unknown_code_is_404(issued, client):
    page = client.get(reverse("core:document_verify_code", args=[issued.code]))
    assert page.status_code == 200
    assert issued.number in page.content.decode() and issued.sha256 in page.content.decode()
    typed = client.get(reverse("core:document_verify"), {"code": issued.code.lower()})
    assert typed.status_code == 302 and typed["Location"].endswith(f"/{issued.code}/")
    assert client.get(reverse("core:document_verify_code", args=["ZZZZZZZZZZ"])).status_code == 404


def test_download_is_for_those_who_may_read_it(sold, client, other_court):
    auction, winner, loser = sold
    doc = document_issue(doc_type=SALE_CONFIRMATION.code, subject=f"auction:{auction.pk}/sale")
    url = reverse("core:document_download", args=[doc.pk])
    assert client.get(url).status_code == 200  # public (AUC-29)
    private = Document.objects.filter(pk=doc.pk)
    # A non-public document: its readers and the court's staff only.
    from core.documents.rules import is_document_reader

    assert is_document_reader(winner.user, doc) and not is_document_reader(loser.user, doc)
    staff_elsewhere = make_user("judge", other_court)
    from core.permissions import can

    doc_private = private.get()
    doc_private.public = False  # in memory only: the table is append-only
    assert not can(staff_elsewhere, "core.read_document", doc_private)
    assert not can(loser.user, "core.read_document", doc_private)
    assert can(winner.user, "core.read_document", doc_private)
    assert can(make_user("judge", auction.court), "core.read_document", doc_private)


def test_issuing_without_a_ca_fails_clearly_and_the_request_is_retried(sold, settings, tmp_path):
    _auction, _w, _l = sold
    documents_paths(settings, tmp_path / "nothing")
    assert documents_issue_pending() == 0
    req = DocumentRequest.objects.get(doc_type=SALE_CONFIRMATION.code)
    assert req.state == "pending" and req.attempts == 1 and "根证书" in req.last_error


def test_documents_ca_command_issues_revokes_and_shows(court, settings, tmp_path):
    documents_paths(settings, tmp_path / "cmd")

    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("documents_ca", *args, stdout=out)
        return out.getvalue()

    assert "CA:" in run("init")
    serial = run("court", str(court.pk)).split("serial ")[1].strip()
    assert f"{serial} valid" in run("show")
    assert serial in run("revoke", str(court.pk))
    assert f"{serial} REVOKED" in run("show")
    with pytest.raises(CommandError):
        run("court", "no-such-court")


def test_verify_page_asks_for_a_file(client):
    assert client.get(reverse("core:document_verify")).status_code == 200
    page = client.post(reverse("core:document_verify"), {})
    assert page.status_code == 400 and "请选择要核验的 PDF 文件" in page.content.decode()


def test_operator_requeues_a_failed_request_in_the_admin(client, platform_operator, sold):
    req = DocumentRequest.objects.get(doc_type=SALE_CONFIRMATION.code)
    DocumentRequest.objects.filter(pk=req.pk).update(state="failed", attempts=5, last_error="x")
    client.force_login(platform_operator)
    client.post(
        reverse("admin:core_documentrequest_changelist"),
        {"action": "requeue", "_selected_action": [req.pk]},
    )
    req.refresh_from_db()
    assert (req.state, req.attempts) == ("pending", 0)
    assert AuditEntry.objects.filter(stream="system:documents", action="document.requeued").exists()
