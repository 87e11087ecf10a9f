"""Signatures waiting for a person (FND-06 plans, FND-12 payouts): listed for exactly the
person whose turn it is, shown on the workbench, and each payout step ends on the payout with
a message naming the payee, the amount and what happens next."""

from __future__ import annotations

import pytest
from django.urls import reverse

from settlement.models import Payout
from settlement.selectors import approvals_waiting_for
from settlement.services import (
    distribution_plan_approve,
    distribution_plan_draft,
    payout_approve,
)
from tests.conftest import make_user
from tests.settlement.conftest import fund, make_case

pytestmark = pytest.mark.django_db


def _whats(user):
    return [(a["what"], a["payee"], a["amount_fen"]) for a in approvals_waiting_for(user)]


def test_a_draft_plan_waits_for_the_bureau_head_and_the_case_judge_not_its_maker_FND_06(
    court, other_court, officer, judge, bureau_head, finance
):
    case = make_case(court, officer=officer, judge=judge)
    fund(case, 1_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    waiting = [(f"分配方案 #{plan.pk}", "", 1_000_000)]
    assert _whats(bureau_head) == waiting
    assert _whats(judge) == waiting
    assert approvals_waiting_for(bureau_head)[0]["url"] == reverse(
        "settlement:plan_detail", args=[plan.pk]
    )
    # Not the officer who made it, not finance, not another judge of the court, not another court.
    assert _whats(officer) == []
    assert _whats(finance) == []
    assert _whats(make_user("judge", court)) == []
    assert _whats(make_user("bureau_head", other_court)) == []
    distribution_plan_approve(plan_id=plan.pk, actor=bureau_head)
    assert [w for w in _whats(bureau_head) if w[0].startswith("分配方案")] == []


def test_each_payout_waits_for_the_leader_then_for_finance_FND_12(
    court, officer, judge, bureau_head, finance
):
    case = make_case(court, officer=officer, judge=judge, creditors=(("申请人甲", 1, 600_000),))
    fund(case, 1_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    distribution_plan_approve(plan_id=plan.pk, actor=judge)
    assert _whats(bureau_head) == [
        ("款项发放（待领导审批）", "申请人甲", 600_000),
        ("款项发放（待领导审批）", "被执行人乙", 400_000),
    ]
    assert _whats(finance) == []  # not yet finance's turn
    creditor = Payout.objects.get(case=case, payee_name="申请人甲")
    payout_approve(payout_id=creditor.pk, actor=bureau_head)
    assert [w[1] for w in _whats(bureau_head)] == ["被执行人乙"]
    assert _whats(finance) == [("款项发放（待财务审核）", "申请人甲", 600_000)]


def test_the_workbench_shows_the_approvals_waiting(client, court, officer, judge, bureau_head):
    case = make_case(court, officer=officer, judge=judge)
    fund(case, 1_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    client.force_login(bureau_head)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    section = html.split('id="approvals"')[1].split("</section>")[0]
    assert f"分配方案 #{plan.pk}" in section and case.number in section
    assert reverse("settlement:plan_detail", args=[plan.pk]) in section
    client.force_login(officer)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    assert "暂无待审批事项" in html.split('id="approvals"')[1]


def test_each_payout_step_names_the_payee_the_amount_and_what_comes_next_FND_12(
    client, court, officer, judge, bureau_head, finance
):
    case = make_case(court, officer=officer, judge=judge, creditors=(("申请人甲", 1, 1_000_000),))
    fund(case, 1_000_000)
    plan = distribution_plan_draft(case_id=case.pk, actor=officer)
    distribution_plan_approve(plan_id=plan.pk, actor=bureau_head)
    payout = Payout.objects.get(case=case)
    url = reverse("settlement:payout_detail", args=[payout.pk])
    client.force_login(bureau_head)
    resp = client.post(url, {"action": "approve", "note": "同意"}, follow=True)
    assert resp.redirect_chain[-1][0] == url  # ends on the payout it changed
    assert "已同意发放：申请人甲 ¥10,000.00，转财务审核（FND-12）。" in resp.content.decode()
    client.force_login(finance)
    resp = client.post(
        url, {"action": "account", "account_no": "6222000000000001", "bank": "某银行"}, follow=True
    )
    assert "已保存申请人甲的收款账户。" in resp.content.decode()
    resp = client.post(url, {"action": "approve", "note": "核对无误"}, follow=True)
    assert "财务已审核：申请人甲 ¥10,000.00，已提交银行付款" in resp.content.decode()
