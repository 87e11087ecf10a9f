"""The winner pays the balance (尾款, AUC-31) from 我的账户 or the result page: online through
the simulator's cashier, or by bank transfer quoting the payment reference; finance claims an
unmatched transfer against the sale."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bidding.models import AuctionResult
from core import clock
from settlement.models import BalanceDue, PaymentIntent, Payout, Receipt
from tests.bidding.engine_factories import (
    YUAN,
    bid,
    make_case,
    make_live_auction,
    register_paid,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
START = 100_000 * YUAN
DUE = START - 10_000 * YUAN


@pytest.fixture
def sold(court, judge, frozen_now):
    _case, lot, _creditor, _debtor = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, deposit=10_000 * YUAN)
    winner, other = register_paid(auction), register_paid(auction)
    bid(auction, winner, START)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    from bidding.services import auction_close_due

    assert auction_close_due() == [auction.pk]
    bd = BalanceDue.objects.get(sale_ref=auction.sale_ref)
    return {"auction": auction, "winner": winner.user, "other": other.user, "bd": bd}


def _csv(*lines: str) -> SimpleUploadedFile:
    text = "交易时间,流水号,付款人,付款账号,收款账号,金额,币种,附言\n" + "\n".join(lines) + "\n"
    return SimpleUploadedFile("s.csv", text.encode("utf-8"), content_type="text/csv")


def test_the_winner_sees_amount_deadline_reference_and_both_ways_to_pay_AUC_31(client, sold):
    bd = sold["bd"]
    client.force_login(sold["winner"])
    html = client.get(reverse("marketplace:account")).content.decode()
    assert "90,000.00" in html
    assert bd.payment_reference and bd.payment_reference in html
    assert "付款截止" in html and timezone.localtime(bd.due_at).strftime("%Y-%m-%d %H:%M") in html
    assert reverse("marketplace:balance_pay", args=[sold["auction"].pk]) in html
    assert "转账至本案案款账户" in html
    result = client.get(reverse("marketplace:result", args=[sold["auction"].pk])).content.decode()
    assert "您竞得本拍品" in result and bd.payment_reference in result


def test_nobody_else_sees_the_balance_or_may_pay_it(client, sold):
    client.force_login(sold["other"])
    url = reverse("marketplace:result", args=[sold["auction"].pk])
    assert sold["bd"].payment_reference not in client.get(url).content.decode()
    resp = client.post(reverse("marketplace:balance_pay", args=[sold["auction"].pk]), follow=True)
    assert "您没有竞得该拍品" in resp.content.decode()
    assert not PaymentIntent.objects.filter(purpose="balance").exists()


def test_the_winner_pays_online_through_the_cashier_and_comes_back_paid_AUC_31(client, sold):
    client.force_login(sold["winner"])
    pay_url = reverse("marketplace:balance_pay", args=[sold["auction"].pk])
    resp = client.post(pay_url)
    assert resp.status_code == 302 and "/settlement/simulator/pay/" in resp["Location"]
    assert client.post(pay_url)["Location"] == resp["Location"]  # a double click: same payment
    cashier = client.get(resp["Location"]).content.decode()
    assert "90,000.00" in cashier
    done = client.post(resp["Location"], {"action": "pay"}).content.decode()
    assert reverse("marketplace:account") in done  # the way back
    bd = BalanceDue.objects.get(pk=sold["bd"].pk)
    assert bd.status == BalanceDue.Status.PAID
    assert AuctionResult.objects.get(auction=sold["auction"]).balance_paid_at is not None
    html = client.get(reverse("marketplace:account")).content.decode()
    assert "已缴清" in html and pay_url not in html


def test_a_transfer_quoting_the_reference_in_the_bank_statement_pays_it_AUC_31(client, sold):
    bd = sold["bd"]
    finance = make_user("finance", sold["auction"].court)
    client.force_login(finance)
    resp = client.post(
        "/settlement/receipts/import/",
        {"file": _csv(f"2026-11-03 10:00,T1,李四,6222,,90000.00,CNY,尾款 {bd.payment_reference}")},
    )
    assert "新增 1 笔" in resp.content.decode()
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID
    # Finance sees on the case account which transfer paid which balance.
    account = client.get(f"/settlement/accounts/{bd.case_id}/").content.decode()
    assert bd.payment_reference in account and "T1" in account and "已缴清" in account
    judge = sold["auction"].case.judge
    client.force_login(judge)
    court_page = client.get(f"/bidding/court/auctions/{sold['auction'].pk}/").content.decode()
    assert bd.payment_reference in court_page and "90,000.00" in court_page
    client.force_login(sold["winner"])
    assert "已缴清" in client.get(reverse("marketplace:account")).content.decode()


def test_partial_transfers_add_up_and_an_overpayment_is_refunded_AUC_31(client, sold):
    bd = sold["bd"]
    finance = make_user("finance", sold["auction"].court)
    client.force_login(finance)
    client.post(
        "/settlement/receipts/import/",
        {"file": _csv(f"2026-11-03 10:00,T1,李四,6222,,40000.00,CNY,{bd.payment_reference}")},
    )
    client.force_login(sold["winner"])
    html = client.get(reverse("marketplace:account")).content.decode()
    assert "50,000.00" in html and "40,000.00" in html  # outstanding, paid so far
    client.force_login(finance)
    client.post(
        "/settlement/receipts/import/",
        {"file": _csv(f"2026-11-04 10:00,T2,李四,6222,,51000.00,CNY,{bd.payment_reference}")},
    )
    bd.refresh_from_db()
    assert (bd.status, bd.refunded_fen) == (BalanceDue.Status.PAID, 1_000 * YUAN)
    refund = Payout.objects.get(payee_kind=Payout.PayeeKind.REFUND)
    assert (refund.amount_fen, refund.payee_account_no) == (1_000 * YUAN, "6222")
    client.force_login(sold["winner"])
    assert "多缴退还" in client.get(reverse("marketplace:account")).content.decode()


@pytest.mark.rule("AUC-31", entry="page")
def test_finance_claims_an_unmatched_receipt_against_the_sale_on_the_dashboard_AUC_31(client, sold):
    bd = sold["bd"]
    finance = make_user("finance", sold["auction"].court)
    client.force_login(finance)
    client.post(
        "/settlement/receipts/import/",
        {"file": _csv("2026-11-03 10:00,T9,李四,6222,,90000.00,CNY,付尾款")},
    )
    r = Receipt.objects.get(bank_reference="T9")
    assert r.status == Receipt.Status.UNIDENTIFIED
    assert "付款参考号" in client.get("/settlement/").content.decode()
    wrong = client.post(
        f"/settlement/receipts/{r.pk}/claim/", {"payment_reference": "WK0000000100"}, follow=True
    )
    assert "付款参考号不存在或校验位不符" in wrong.content.decode()
    resp = client.post(
        f"/settlement/receipts/{r.pk}/claim/",
        {"payment_reference": bd.payment_reference},
        follow=True,
    )
    assert "已认领为成交余款" in resp.content.decode()
    bd.refresh_from_db()
    assert bd.status == BalanceDue.Status.PAID


@pytest.mark.rule("AUC-31", entry="api")
def test_the_api_shows_the_reference_and_pays_online_idempotently_AUC_31(client, sold):
    client.force_login(sold["winner"])
    (win,) = client.get("/api/marketplace/account").json()["wins"]
    assert win["payment_reference"] == sold["bd"].payment_reference and win["payable"] is True
    url = f"/api/marketplace/account/wins/{sold['auction'].pk}/pay"
    first = client.post(url).json()
    assert first["amount_fen"] == DUE and "/settlement/simulator/pay/" in first["pay_url"]
    assert client.post(url).json()["reference"] == first["reference"]
    client.force_login(sold["other"])
    assert client.post(url).status_code == 404
