"""Settlement rules through each entry that reaches them (issue 14): the case account's pages.
The services are proven in test_payouts.py, test_balances.py and test_approvals_waiting.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from settlement.models import DistributionPlan
from settlement.services import fee_charge
from tests.settlement.conftest import fund, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.rule("FND-06", entry="page")
def test_fnd06_the_plan_pays_costs_first_then_the_debt_then_the_debtor_on_the_account_page(
    court, officer, judge
):
    """FND-06: nothing on the case account → no plan (refused, none written); funded, the plan
    the officer drafts on the page pays the cost first, then the creditor's claim, the surplus
    to the debtor; the officer who made it cannot approve it, the case judge can."""
    case = make_case(court, officer=officer, judge=judge, creditors=(("申请人甲", 1, 600_000),))
    c = login(officer)
    url = reverse("settlement:plan_draft", args=[case.pk])
    page = c.post(url, follow=True).content.decode()
    assert "案款账户没有可分配的款项（FND-06）" in page
    assert not DistributionPlan.objects.filter(case=case).exists()
    fund(case, 1_000_000)
    fee_charge(
        case_id=case.pk,
        ref="procedure:1",
        kind="appraisal_fee",
        amount_fen=100_000,
        payee_ref="firm:1",
        payee_name="某评估公司",
        idempotency_key="fnd06-page",
    )
    r = c.post(url, follow=True)
    plan = DistributionPlan.objects.get(case=case)
    lines = [(ln.payee_name, ln.amount_fen) for ln in plan.lines.order_by("seq")]
    assert lines == [("某评估公司", 100_000), ("申请人甲", 600_000), ("被执行人乙", 300_000)]
    assert "申请人甲" in r.content.decode()
    detail = reverse("settlement:plan_detail", args=[plan.pk])
    page = c.post(detail, follow=True).content.decode()
    assert "只有承办法官或执行局长可以批准分配方案（FND-06）" in page
    plan.refresh_from_db()
    assert plan.status == "draft"
    page = login(judge).post(detail, follow=True).content.decode()
    assert "分配方案已批准" in page
    plan.refresh_from_db()
    assert plan.status != "draft"


@pytest.mark.rule("PRC-17", entry="page")
def test_prc17_the_creditor_advances_the_fee_on_the_account_page(court, officer):
    """PRC-17: an advance from the debtor is refused (nothing recorded, nothing credited); the
    creditor's cash advance reaches the case account once however often the form is posted; an
    insurer's guarantee replaces an advance, with its guarantee number."""
    from cases.models import Party
    from settlement import ledger
    from settlement.models import FeeAdvance
    from settlement.services.accounts import case_ledger_account

    case = make_case(court, officer=officer, creditors=(("申请人甲", 1, 600_000),))
    creditor = Party.objects.get(case=case, role="creditor")
    debtor = Party.objects.get(case=case, role="debtor")
    c = login(officer)
    url = reverse("settlement:fee_advance_new", args=[case.pk])
    account = reverse("settlement:account_detail", args=[case.pk])
    assert 'name="token"' in c.get(account).content.decode()
    cash = {
        "form": "cash",
        "kind": "appraisal_fee",
        "amount": "3,000",
        "bank_reference": "B20261102001",
        "token": "t1",
    }
    page = c.post(url, {**cash, "creditor": f"party:{debtor.pk}"}, follow=True).content.decode()
    assert "预交询价费、评估费的应为本案申请执行人（PRC-17）" in page
    assert not FeeAdvance.objects.filter(case=case).exists()
    for _ in range(2):
        r = c.post(url, {**cash, "creditor": f"party:{creditor.pk}"}, follow=True)
    assert "已登记申请执行人预交的费用（PRC-17）" in r.content.decode()
    advance = FeeAdvance.objects.get(case=case)
    assert (advance.form, advance.status, advance.amount_fen) == ("cash", "held", 300_000)
    assert ledger.balance(case_ledger_account(case.pk)) == 300_000
    guarantee = {
        "form": "guarantee",
        "kind": "inquiry_fee",
        "creditor": f"party:{creditor.pk}",
        "amount": "500",
        "insurer": "某财产保险股份有限公司",
        "token": "t2",
    }
    page = c.post(url, guarantee, follow=True).content.decode()
    assert "保函编号不能为空" in page and FeeAdvance.objects.filter(case=case).count() == 1
    c.post(url, {**guarantee, "guarantee_no": "BH-2026-001"}, follow=True)
    g = FeeAdvance.objects.get(case=case, form="guarantee")
    assert (g.status, g.guarantee_no, g.amount_fen) == ("guaranteed", "BH-2026-001", 50_000)
    assert "BH-2026-001" in c.get(account).content.decode()
