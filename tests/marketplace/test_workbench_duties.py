"""Issue 13: every workbench shows every duty that waits for that person, approvals included,
and its pills count every row it lists (each once)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from appraisers import services as appraisers
from core import clock
from core.duties import duties_for
from core.models import User
from pricing.models import ValuationModel, ValuationTrainingRun
from tests.appraisers.conftest import (
    current_commission,
    firm_user_for,
    make_firm,
    run_public_draw,
    start_request,
)
from tests.appraisers.conftest import make_case as make_appraisal_case

pytestmark = pytest.mark.django_db


def pills(html: str) -> dict[str, int]:
    found = re.findall(r'data-count="(\w+)">.*?(?:<b>|（)(\d+)', html)
    return {name: int(n) for name, n in found}


def kinds(user: User | None) -> list[str]:
    return [d.kind for d in duties_for(user)]


def test_a_plan_and_a_payout_waiting_for_the_head_count_once_each_fnd06_fnd12(
    client: Any, frozen_now: dt.datetime, court, officer, judge, bureau_head
) -> None:
    from settlement.services import distribution_plan_draft, payout_create
    from tests.settlement.conftest import fund, make_case

    case = make_case(court, officer=officer, judge=judge)
    fund(case, 1_000_000)
    distribution_plan_draft(case_id=case.pk, actor=officer)
    payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=100_000,
        purpose="发放执行款",
        idempotency_key="duties-payout",
        actor=officer,
    )
    client.force_login(bureau_head)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    counts = pills(html)
    # Listed: the plan (待我审批), the payout (待我审批 and as its FND-10 deadline, once).
    assert counts["approvals"] == 2
    assert counts["total"] == 2
    assert counts["red"] + counts["yellow"] + counts["soon"] + counts["green"] == counts["total"]
    assert "待您审批" in html and "申请人甲" in html


def test_the_engines_draft_counts_in_the_pills(client: Any, frozen_now, court, judge) -> None:
    from bidding import services
    from tests.bidding.engine_factories import make_case, make_live_auction

    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    services.auction_close_due()
    draft = services.auction_next_round_create(auction_id=live.pk, actor=judge)
    client.force_login(judge)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    counts = pills(html)
    assert counts["drafts"] == 1 and counts["total"] >= 1
    section = html.split('id="drafts"')[1].split("</section>")[0]
    assert reverse("bidding:court_auction", args=[draft.pk]) in section
    assert "auction:" not in section


def _model(version: int, *, active: bool) -> ValuationModel:
    return ValuationModel.objects.create(
        asset_class="residential",
        method="knn",
        version=version,
        file=f"/nowhere/m{version}.joblib",
        file_sha256="0" * 64,
        created_at=clock.now(),
        dataset="南昌住宅成交（合成演示数据，非真实成交）",
        data_fingerprint="f" * 64,
        rows=100,
        currency="CNY",
        split="random",
        interval_level="0.900",
        is_active=active,
    )


def test_a_training_outcome_waits_on_the_model_keepers_workbench(
    client: Any, frozen_now: dt.datetime, platform_operator: User, bureau_head: User, judge: User
) -> None:
    now = clock.now()
    failed = ValuationTrainingRun.objects.create(
        preset="demo_cn",
        method="gbm",
        status="failed",
        requested_at=now,
        finished_at=now,
        message="训练数据不足：至少需要 50 条成交记录",
    )
    _model(1, active=True)
    ValuationTrainingRun.objects.create(
        preset="demo_cn",
        method="knn",
        status="done",
        requested_at=now,
        finished_at=now,
        message="新模型不优于启用中的模型，未启用",
        model=_model(2, active=False),
    )
    for keeper in (platform_operator, bureau_head):
        assert sorted(kinds(keeper)) == ["training_done", "training_failed"]
    assert kinds(judge) == []  # not the model keeper
    client.force_login(platform_operator)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    section = html.split('id="todos"')[1].split("</section>")[0]
    assert "估价模型训练失败" in section and "训练数据不足" in section
    assert "待决定是否启用" in section and reverse("pricing:models") in section
    assert pills(html)["todos"] == 2 and pills(html)["total"] == 2
    # Asked again: the failure is no longer waiting (the newest run of that method counts).
    ValuationTrainingRun.objects.create(
        preset="demo_cn", method="gbm", requested_at=now + dt.timedelta(minutes=1)
    )
    assert kinds(platform_operator) == ["training_done"]
    assert failed.pk


def test_a_commission_offered_then_the_report_due_wait_for_the_firm_user(
    client: Any, court, judge, frozen_now: dt.datetime
) -> None:
    case, creditor, debtor, asset = make_appraisal_case(court, judge)
    firms = [make_firm(None) for _ in range(5)]
    s = {"court": court, "judge": judge, "case": case, "asset": asset, "firms": firms}
    req = start_request(s)
    # APR-02: both parties are asked to agree on a firm while the window is open.
    assert kinds(creditor.user) == ["appraisal_agreement"]
    assert kinds(debtor.user) == ["appraisal_agreement"]
    run_public_draw(s, req)
    assert kinds(creditor.user) == []
    c = current_commission(req)
    user = firm_user_for(c.firm)
    assert kinds(user) == ["commission_offer"]
    client.force_login(user)
    html = client.get(reverse("marketplace:workbench")).content.decode()
    assert "接受或拒绝委托" in html and case.number in html
    assert reverse("appraisers:firm_commission", args=[c.pk]) in html
    appraisers.commission_accept(commission=c, actor=user)
    (duty,) = duties_for(user)
    assert duty.kind == "report_due" and duty.due_at is not None
    other_firm_user = firm_user_for(next(f for f in firms if f.pk != c.firm_id))
    assert kinds(other_firm_user) == []


def test_the_duties_api_lists_what_the_workbench_lists_for_that_person(
    client: Any, court, judge, frozen_now: dt.datetime
) -> None:
    """``GET /api/core/duties``: a client sees the same duties as the workbench page, only its
    own, filtered by section; a bad section is refused with a stable code, never a 500."""
    case, creditor, _debtor, asset = make_appraisal_case(court, judge)
    firms = [make_firm(None) for _ in range(5)]
    s = {"court": court, "judge": judge, "case": case, "asset": asset, "firms": firms}
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    client.force_login(user)
    r = client.get("/api/core/duties")
    assert r.status_code == 200
    (duty,) = r.json()
    assert duty["kind"] == "commission_offer" and duty["section"] == "todo"
    assert duty["url"] == reverse("appraisers:firm_commission", args=[c.pk])
    assert case.number in duty["subject"] + duty["detail"] + duty["title"]
    assert client.get("/api/core/duties?section=approval").json() == []
    bad = client.get("/api/core/duties?section=everything")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
    client.force_login(creditor.user)
    assert client.get("/api/core/duties").json() == []  # the offer is the firm's, not the party's
    client.logout()
    assert client.get("/api/core/duties").status_code == 401
