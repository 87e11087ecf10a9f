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
