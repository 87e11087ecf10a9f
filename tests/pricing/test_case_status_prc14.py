"""PRC-14 / APR-07: a case whose enforcement is suspended (中止) or halted (终结) stops its
pricing procedures and appraisal clocks in the same transaction, whatever the entry (service,
API, admin); reopening resumes what that stop suspended, nothing else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from appraisers import services as apr
from appraisers.models import AppraisalRequest
from cases.services import case_status_set
from core.models import AuditEntry
from pricing.models import PricingProcedure
from pricing.services import appraisal_start, procedure_suspend
from tests.appraisers.conftest import current_commission, firm_user_for, make_firm, run_public_draw
from tests.pricing.conftest import check

pytestmark = pytest.mark.django_db
State = PricingProcedure.State


def _state(proc: PricingProcedure) -> str:
    proc.refresh_from_db()
    return proc.state


@pytest.fixture
def appraising(procedure, judge, court, now):
    """A procedure in appraisal whose commission is accepted (its report clock running)."""
    for _ in range(4):
        make_firm(None)
    proc = check(procedure, judge, law_requires_appraisal=True)
    appraisal_start(procedure=proc, actor=judge)
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    run_public_draw({"judge": judge, "court": court}, req)
    c = current_commission(req)
    apr.commission_accept(commission=c, actor=firm_user_for(c.firm))
    c.refresh_from_db()
    assert c.paused_at is None and c.report_due_at is not None
    return proc, c


def test_prc14_suspending_the_case_suspends_pricing_and_pauses_the_appraisal(appraising, judge):
    proc, c = appraising
    case_status_set(case=proc.case, status="suspended", reason="案外人异议", actor=judge)
    assert _state(proc) == State.SUSPENDED
    assert proc.ended_reason.startswith("执行中止")
    c.refresh_from_db()
    assert c.paused_at is not None
    case_status_set(case=proc.case, status="open", reason="异议审查完毕", actor=judge)
    assert _state(proc) == State.APPRAISAL
    c.refresh_from_db()
    assert c.paused_at is None


def test_prc14_terminating_the_case_suspends_pricing_on_the_halt_ground(checked, judge):
    case_status_set(case=checked.case, status="terminated", reason="终结本次执行", actor=judge)
    assert _state(checked) == State.SUSPENDED
    assert checked.ended_reason.startswith("执行终结或暂缓")


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
def test_prc14_other_case_statuses_do_not_suspend_pricing(checked, judge, status):
    """The boundary of the rule's set: only 中止 and 终结 stop pricing here."""
    case_status_set(case=checked.case, status=status, reason="x", actor=judge)
    assert _state(checked) == State.CHECKED


def test_prc14_reopening_leaves_a_suspension_on_another_ground(checked, judge):
    procedure_suspend(procedure=checked, ground="materials_wrong", actor=judge)
    case_status_set(case=checked.case, status="suspended", reason="x", actor=judge)
    case_status_set(case=checked.case, status="open", reason="y", actor=judge)
    assert _state(checked) == State.SUSPENDED
    assert checked.ended_reason.startswith("财产材料严重错误")


def test_prc14_a_refused_pricing_step_rolls_back_the_case_status(checked, judge):
    """Same transaction: the case is not left suspended with pricing still running."""
    from core.errors import DomainError

    with pytest.raises(DomainError):
        case_status_set(case=checked.case, status="suspended", reason="", actor=judge)
    checked.case.refresh_from_db()
    assert checked.case.status == "open" and _state(checked) == State.CHECKED


@pytest.mark.rule("PRC-14", entry="api")
def test_prc14_through_the_api(client, checked, judge):
    client.force_login(judge)
    url = f"/api/cases/{checked.case_id}/status"
    resp = client.post(
        url, {"status": "suspended", "reason": "中止执行裁定"}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "suspended"
    assert _state(checked) == State.SUSPENDED
    resp = client.post(url, {"status": "paused", "reason": "x"}, content_type="application/json")
    assert resp.status_code == 400 and resp.json()["rule"] == "REC-08"


@pytest.mark.rule("PRC-14", entry="api")
def test_prc14_api_refuses_a_party(client, checked, party_user):
    client.force_login(party_user)
    resp = client.post(
        f"/api/cases/{checked.case_id}/status",
        {"status": "suspended", "reason": "x"},
        content_type="application/json",
    )
    assert resp.status_code in (403, 404)
    assert _state(checked) == State.CHECKED


@pytest.mark.rule("PRC-14", entry="admin")
def test_prc14_through_the_admin(client, checked, platform_operator):
    from tests.core.test_admin_rec08 import _post_change

    client.force_login(platform_operator)
    url = reverse("admin:cases_case_change", args=[checked.case_id])
    resp = _post_change(client, url, status="suspended", reason="中止执行裁定")
    assert resp.status_code == 302
    assert _state(checked) == State.SUSPENDED
    assert AuditEntry.objects.filter(action="case.status_changed").exists()


@pytest.mark.rule("APR-07", entry="worker")
def test_apr07_the_sweep_keeps_a_terminated_case_paused(appraising, judge):
    from appraisers.services import appraisers_sweep

    proc, c = appraising
    case_status_set(case=proc.case, status="terminated", reason="终结本次执行", actor=judge)
    appraisers_sweep()
    c.refresh_from_db()
    assert c.paused_at is not None


@pytest.mark.rule("PRC-14", entry="page")
def test_prc14_through_the_case_page(client, checked, judge):
    client.force_login(judge)
    resp = client.post(
        reverse("cases:case_action", args=[checked.case_id, "status"]),
        {"status-status": "suspended", "status-reason": "中止执行裁定"},
    )
    assert resp.status_code == 302
    assert _state(checked) == State.SUSPENDED
    page = client.get(reverse("cases:case", args=[checked.case_id])).content.decode()
    assert "中止执行" in page and "变更案件状态" in page


@pytest.mark.rule("REC-08", entry="page")
def test_rec08_claim_through_the_case_page_audited_and_a_negative_one_refused(
    client, checked, judge
):
    client.force_login(judge)
    url = reverse("cases:case_action", args=[checked.case_id, "claim"])
    resp = client.post(url, {"claim-claim_fen": "-0.01", "claim-reason": "x"}, follow=True)
    checked.case.refresh_from_db()
    assert checked.case.claim_fen == 50_000_000
    assert not AuditEntry.objects.filter(action="case.claim_changed").exists()
    resp = client.post(url, {"claim-claim_fen": "0.01", "claim-reason": "更正"})
    assert resp.status_code == 302
    checked.case.refresh_from_db()
    assert checked.case.claim_fen == 1
    entry = AuditEntry.objects.get(action="case.claim_changed")
    assert entry.actor == judge and entry.after == {"claim_fen": 1}


@pytest.mark.rule("PRC-14", entry="page")
def test_prc14_the_case_page_refuses_a_party(client, checked, party_user):
    client.force_login(party_user)
    resp = client.post(
        reverse("cases:case_action", args=[checked.case_id, "status"]),
        {"status-status": "suspended", "status-reason": "x"},
    )
    assert resp.status_code in (403, 404)
    assert _state(checked) == State.CHECKED
