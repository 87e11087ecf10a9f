"""Settlement's sealed documents (issue 16): the payout approval sheet, the case statement."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Document
from settlement.services import payout_approve, payout_create
from tests.conftest import make_user
from tests.documents_helpers import assert_sealed, issue_queued
from tests.settlement.conftest import fund

pytestmark = pytest.mark.django_db


def test_paid_payout_issues_the_approval_sheet_with_every_signature_fnd12(
    case, officer, bureau_head, finance, drain, party_user, documents_ca
):
    from cases.models import Party

    creditor = Party.objects.get(case=case, role="creditor")
    Party.objects.filter(pk=creditor.pk).update(user=party_user)
    fund(case, 3_000_000)
    p = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref=f"party:{creditor.pk}",
        payee_name="申请人甲",
        amount_fen=1_234_567,
        purpose="执行款发放",
        idempotency_key="p-doc",
        actor=officer,
        payee_account_no="6222000011110000",
        payee_bank="测试银行",
    )
    payout_approve(payout_id=p.pk, actor=bureau_head)
    payout_approve(payout_id=p.pk, actor=finance)
    drain()
    docs = issue_queued()
    sheet_doc = docs["settlement.payout_approval"]
    sheet = assert_sealed(sheet_doc)
    assert "12,345.67" in sheet and "壹万贰仟叁佰肆拾伍元陆角柒分" in sheet
    assert "申请人甲" in sheet and "局长/院领导审批" in sheet and "财务审核" in sheet
    assert list(sheet_doc.readers.all()) == [party_user]  # the payee's own copy


def test_officer_seals_todays_case_statement_from_the_account_page_fnd02(
    client, case, officer, documents_ca
):
    fund(case, 2_500_050)
    client.force_login(officer)
    response = client.post(reverse("settlement:statement_issue", args=[case.pk]))
    assert response.status_code == 302
    doc = Document.objects.get(doc_type="settlement.case_statement")
    text = assert_sealed(doc)
    assert case.number in text and "25,000.50" in text and "贰万伍仟元伍角整" in text
    page = client.get(reverse("settlement:account_detail", args=[case.pk])).content.decode()
    assert doc.number in page


def test_released_deposit_issues_the_refund_voucher_to_its_payer_auc30(
    case, drain, documents_ca, django_capture_on_commit_callbacks
):
    from settlement.services import deposit_release, deposit_request
    from tests.settlement.conftest import pay

    payer = make_user("bidder")
    ref = "reg-test:1/registration:7"  # not an auction registration: bidding ignores it
    with django_capture_on_commit_callbacks(execute=True):
        pay(
            deposit_request(
                case_id=case.pk,
                ref=ref,
                payer_ref=f"user:{payer.pk}",
                payer_name="竞买人张三",
                amount_fen=2_000_050,
                idempotency_key=f"{ref}/deposit",
                mode="authorise",
            )
        )
        deposit_release(ref=ref, reason="未成交", idempotency_key="rel")
        drain()
    docs = issue_queued()
    receipt = assert_sealed(docs["settlement.deposit_receipt"])
    assert "竞买人张三" in receipt and "贰万元零伍角整" not in receipt
    assert "20,000.50" in receipt and "贰万元伍角整" in receipt
    voucher_doc = docs["settlement.refund_voucher"]
    assert list(voucher_doc.readers.all()) == [payer]  # REC-05: the payer's own paper
    voucher = assert_sealed(voucher_doc)
    assert "未成交" in voucher and "贰万元伍角整" in voucher
