"""A forfeited deposit applied once the default is final (AUC-33 order, AUC-34 switches,
FND-06): automatically when the lot sells again and is paid for, or is not resold; by the
court from the defaulted auction's page; exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from bidding import services
from bidding.models import Auction, AuctionState
from core import clock
from core.errors import Conflict
from core.models import AuditEntry
from core.rulesettings import setting_set
from settlement import ledger
from settlement.models import ForfeitSettlement, GatewayOperation, LedgerTransaction, ShortfallClaim
from settlement.services import balance_pay_request, balances_overdue_sweep, fee_charge
from settlement.services.accounts import case_ledger_account
from settlement.simulator import simulate_payment

from .engine_factories import YUAN, bid, make_case, make_live_auction, register_paid

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN
DEPOSIT = 10_000 * YUAN


def _defaulted(court, judge):
    case, lot, _creditor, _debtor = make_case(court, judge=judge)
    auction = make_live_auction(court, lot, start=START, increment=INC, deposit=DEPOSIT)
    buyer = register_paid(auction)
    bid(auction, buyer, START)
    assert auction.end_at is not None
    clock.set_time(auction.end_at)
    services.auction_close_due()
    auction.refresh_from_db()
    due_at = auction.result.balance_due_at
    assert due_at is not None
    clock.set_time(due_at + dt.timedelta(hours=24, seconds=1))  # after the transfer grace
    balances_overdue_sweep()
    auction.refresh_from_db()
    assert auction.state == AuctionState.DEFAULTED
    return auction, case, buyer


def _resell(auction, price, *, pay=True):
    """The lot sells again at ``price`` in an auction that follows the default."""
    again = make_live_auction(
        auction.court, auction.lot, start=price, increment=INC, deposit=DEPOSIT
    )
    Auction.objects.filter(pk=again.pk).update(previous=auction, link=Auction.Link.REAUCTION)
    b = register_paid(again)
    bid(again, b, price)
    again.refresh_from_db()
    assert again.end_at is not None
    clock.set_time(again.end_at)
    services.auction_close_due()
    if pay:
        simulate_payment(balance_pay_request(sale_ref=again.sale_ref, idempotency_key="re"))
    return again


def _case_balance(case):
    return ledger.balance(case_ledger_account(case.pk))


def test_nothing_is_applied_while_the_reauction_is_pending_AUC_33(court, judge, frozen_now):
    auction, case, _buyer = _defaulted(court, judge)
    assert services.forfeits_apply_due() == 0
    assert services.auction_forfeit_apply(auction_id=auction.pk) is None
    assert not ForfeitSettlement.objects.exists()
    assert _case_balance(case) == 0  # the deposit waits in forfeit suspense


def test_resale_paid_applies_the_forfeit_in_the_AUC_33_order_into_the_case_account(
    court, judge, frozen_now
):
    auction, case, buyer = _defaulted(court, judge)
    fee_charge(
        case_id=case.pk,
        ref=auction.ref,
        kind="auction_cost",
        amount_fen=2_000 * YUAN,
        payee_ref="party:0",
        payee_name="公告费收款人",
        idempotency_key="cost",
    )
    _resell(auction, START - 5_000 * YUAN)
    fs = ForfeitSettlement.objects.get(hold__ref=buyer.money_ref)
    # (1) costs 2,000; (2) shortfall 5,000; (3)/(4) the rest 3,000; nothing back (AUC-34).
    assert (fs.to_costs_fen, fs.to_shortfall_fen, fs.to_debt_fen, fs.to_defaulter_fen) == (
        2_000 * YUAN,
        5_000 * YUAN,
        3_000 * YUAN,
        0,
    )
    assert fs.resale_price_fen == START - 5_000 * YUAN and fs.pursued_fen == 0
    assert _case_balance(case) == (START - 5_000 * YUAN) + DEPOSIT  # the re-sale + the forfeit
    assert AuditEntry.objects.filter(action="auction.forfeit_applied", subject=auction.ref).exists()
    assert services.forfeits_apply_due() == 0  # idempotent
    assert ForfeitSettlement.objects.count() == 1


def test_a_shortfall_beyond_the_deposit_is_pursued_from_the_defaulter_AUC_34(
    court, judge, frozen_now
):
    auction, _case, buyer = _defaulted(court, judge)
    _resell(auction, START - 15_000 * YUAN)
    fs = ForfeitSettlement.objects.get()
    assert (fs.to_shortfall_fen, fs.to_debt_fen, fs.pursued_fen) == (DEPOSIT, 0, 5_000 * YUAN)
    assert ShortfallClaim.objects.get(ref=buyer.money_ref).amount_fen == 5_000 * YUAN


def test_with_the_ASR_22_switch_the_surplus_goes_back_to_the_defaulter_AUC_34(
    court, judge, frozen_now
):
    setting_set(key="return_forfeit_surplus_to_defaulter", value=True, court=court, reason="ASR 22")
    auction, _case, _buyer = _defaulted(court, judge)
    _resell(auction, START - 4_000 * YUAN)
    fs = ForfeitSettlement.objects.get()
    assert (fs.to_shortfall_fen, fs.to_debt_fen, fs.to_defaulter_fen) == (
        4_000 * YUAN,
        0,
        6_000 * YUAN,
    )
    assert GatewayOperation.objects.get(context="forfeit_surplus").amount_fen == 6_000 * YUAN


def test_a_resale_not_yet_paid_is_not_final_and_a_second_default_walks_on_AUC_33(
    court, judge, frozen_now
):
    auction, _case, buyer = _defaulted(court, judge)
    again = _resell(auction, START - 5_000 * YUAN, pay=False)
    assert services.forfeit_resale(auction).final is False
    assert services.forfeits_apply_due() == 0
    simulate_payment(balance_pay_request(sale_ref=again.sale_ref, idempotency_key="late"))
    assert ForfeitSettlement.objects.filter(hold__ref=buyer.money_ref).exists()


def test_when_the_lot_is_not_resold_the_worker_applies_it_without_a_shortfall_AUC_33(
    court, judge, frozen_now
):
    auction, case, _buyer = _defaulted(court, judge)
    draft = auction.following.get()
    services.auction_withdraw(
        auction_id=draft.pk, actor=judge, reason="被执行人已履行债务", ground="debt_paid"
    )
    assert services.forfeits_apply_due() == 1
    fs = ForfeitSettlement.objects.get()
    assert (fs.resale_price_fen, fs.shortfall_fen, fs.to_debt_fen) == (None, 0, DEPOSIT)
    assert _case_balance(case) == DEPOSIT


def test_the_court_applies_it_from_the_auction_page_and_sees_how_AUC_33(
    client, court, judge, frozen_now
):
    auction, case, _buyer = _defaulted(court, judge)
    client.force_login(judge)
    page = reverse("bidding:court_auction", args=[auction.pk])
    html = client.get(page).content.decode()
    assert "悔拍保证金的处理" in html and "立即处理" in html
    resp = client.post(
        reverse("bidding:court_auction_action", args=[auction.pk, "forfeit_apply"]), follow=True
    )
    html = resp.content.decode()
    assert "已按 AUC-33 顺序处理悔拍保证金" in html
    assert "（3）（4）被执行人本案及与该标的有关的债务" in html and "10,000.00" in html
    assert ForfeitSettlement.objects.get().to_debt_fen == DEPOSIT
    # The case account (court page) shows the application with amounts and rule ids.
    account = client.get(reverse("settlement:account_detail", args=[case.pk])).content.decode()
    assert "悔拍保证金的处理" in account and "AUC-33" in account and "AUC-34" in account
    assert auction.title in account and "依 AUC-33 用于" in account  # the statement's line
    # FND-06: the distribution plan drafted from the case account shows where the money came from.
    from settlement.services import distribution_plan_draft

    plan = distribution_plan_draft(case_id=case.pk, actor=judge)
    assert plan.available_fen == DEPOSIT
    plan_page = client.get(reverse("settlement:plan_detail", args=[plan.pk])).content.decode()
    assert "含依 AUC-33 转入的悔拍保证金" in plan_page and "（2）再次拍卖差价" in plan_page
    again = services.auction_forfeit_apply(auction_id=auction.pk, actor=judge, force=True)
    assert again is not None and again.pk == ForfeitSettlement.objects.get().pk  # once
    with pytest.raises(Conflict) as exc:  # the re-auction draft: nothing was forfeited there
        services.auction_forfeit_apply(
            auction_id=auction.following.get().pk, actor=judge, force=True
        )
    assert exc.value.code == "auction_not_defaulted"


def test_another_courts_staff_cannot_apply_it(client, court, other_court, judge, frozen_now):
    from tests.conftest import make_user

    auction, _case, _buyer = _defaulted(court, judge)
    stranger = make_user("judge", other_court)
    from core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.auction_forfeit_apply(auction_id=auction.pk, actor=stranger, force=True)
    assert not ForfeitSettlement.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_applications_apply_the_forfeit_exactly_once_AUC_33(court, judge):
    from tests import race

    auction, case, _buyer = _defaulted(court, judge)
    results = race.together(
        lambda: services.auction_forfeit_apply(auction_id=auction.pk, actor=judge, force=True),
        lambda: services.auction_forfeit_apply(auction_id=auction.pk, actor=judge, force=True),
        reraise=True,
    )
    assert results[0] is not None and results[1] is not None
    assert results[0].pk == results[1].pk
    assert ForfeitSettlement.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="forfeit_apply").count() == 1
    assert _case_balance(case) == DEPOSIT


# ---- costs of the default, recorded on the defaulted auction's page (AUC-33 (1)) ----------


def _post_cost(client, auction, amount, payee="南昌某停车场", note="车辆保管费"):
    return client.post(
        reverse("bidding:court_auction_action", args=[auction.pk, "cost"]),
        {"cost-amount_yuan": amount, "cost-payee_name": payee, "cost-note": note},
        follow=True,
    )


def test_the_court_records_a_cost_of_the_default_and_the_forfeit_pays_it_first_AUC_33(
    client, court, judge, frozen_now
):
    auction, case, buyer = _defaulted(court, judge)
    client.force_login(judge)
    html = _post_cost(client, auction, "1,500.00").content.decode()
    assert "已记录拍卖费用：车辆保管费 ¥1,500.00（收款人 南昌某停车场，AUC-33）" in html
    assert "1,500.00" in html.split('id="forfeit-costs"')[1][:300]
    # The same cost posted twice (a double click) is recorded once.
    _post_cost(client, auction, "1,500.00")
    from settlement.models import Charge

    charge = Charge.objects.get(case=case)
    assert (charge.kind, charge.ref, charge.amount_fen, charge.payee_name) == (
        "auction_cost",
        auction.ref,
        1_500 * YUAN,
        "南昌某停车场",
    )
    assert AuditEntry.objects.filter(action="auction.cost_recorded", subject=auction.ref).exists()
    # The re-sale at the same price is paid: (1) the cost 1,500, (3)/(4) the rest 8,500.
    _resell(auction, START)
    fs = ForfeitSettlement.objects.get(hold__ref=buyer.money_ref)
    assert (fs.to_costs_fen, fs.to_shortfall_fen, fs.to_debt_fen) == (
        1_500 * YUAN,
        0,
        8_500 * YUAN,
    )
    # The case account names the auctions and registrations, never their references.
    import re

    account = client.get(reverse("settlement:account_detail", args=[case.pk])).content.decode()
    assert "悔拍保证金依 AUC-33 用于（1）拍卖费用及损失" in account
    assert re.search(r"(auction|registration|case):\d", account) is None
    assert auction.title in account
    # Once applied, a later cost would not be counted: refused, and the page says why.
    html = _post_cost(client, auction, "100.00", note="迟到的费用").content.decode()
    assert "悔拍保证金已按 AUC-33 顺序处理，不能再计入拍卖费用" in html
    assert Charge.objects.filter(case=case).count() == 1


def test_a_cost_needs_a_defaulted_auction_a_reason_and_the_courts_staff_AUC_33(
    client, court, other_court, judge, frozen_now
):
    from core.errors import DomainError, PermissionDenied
    from tests.conftest import make_user

    auction, _case, _buyer = _defaulted(court, judge)
    with pytest.raises(DomainError) as exc:
        services.auction_cost_record(
            auction_id=auction.pk, amount_fen=100, payee_name="某", note=" ", actor=judge
        )
    assert exc.value.code == "cost_note_required"
    with pytest.raises(PermissionDenied):
        services.auction_cost_record(
            auction_id=auction.pk,
            amount_fen=100,
            payee_name="某",
            note="保管费",
            actor=make_user("judge", other_court),
        )
    with pytest.raises(Conflict) as refused:  # the re-auction draft: nobody defaulted there
        services.auction_cost_record(
            auction_id=auction.following.get().pk,
            amount_fen=100,
            payee_name="某",
            note="保管费",
            actor=judge,
        )
    assert refused.value.code == "auction_not_defaulted"
    from settlement.models import Charge

    assert not Charge.objects.exists()
