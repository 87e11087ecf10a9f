"""Appraisal rules through the API, as a client calls it (issue 13: every court page's action
has an API call; issue 14: each entry that reaches a rule is proven): the court's request
page (``/api/appraisers/court/requests/{id}/actions/{name}``), the operator's firm onboarding
(``/api/appraisers/firms/onboarding/…``). JSON in, ``{"code","message","rule"}`` out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from appraisers import services
from appraisers.models import AppraisalRequest, Commission, Firm, LotDraw, Objection
from appraisers.services.objections import answer_due_at
from core import calendar, clock
from core.models import Deadline, ServiceRecord
from tests.appraisers.conftest import (
    current_commission,
    drawn_firm_ids,
    firm_user_for,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def call(user, path: str, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    c = Client()
    c.force_login(user)
    r = c.post(
        f"{path}/actions/{action}",
        json.dumps({"fields": fields}),
        content_type="application/json",
    )
    return r.status_code, r.json()


def on_request(s, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    return call(s["judge"], f"/api/appraisers/court/requests/{s['req'].pk}", action, **fields)


def at(t: dt.datetime) -> str:
    return f"{t.astimezone(calendar.CST):%Y-%m-%dT%H:%M}"


def _open(subject: str, rule: str):
    return Deadline.objects.filter(subject=subject, rule_id=rule, status="open")


FIRM = {
    "name": "江西示例房地产估价有限公司",
    "licence_no": "JX-2026-001",
    "uscc": "",
    "qualification": "real_estate",
    "recommended_by": "中国房地产估价师与房地产经纪人学会",
    "division_code": "360100",
    "address": "南昌市红谷滩区",
    "contact_name": "周经理",
    "contact_phone": "0791-88000000",
}


@pytest.mark.rule("APR-01", entry="api")
def test_apr01_a_firm_without_its_recommending_association_is_refused_through_the_api(court):
    operator = make_user("operator")
    path = "/api/appraisers/firms/onboarding"
    status, body = call(operator, path, "create", **{**FIRM, "recommended_by": " "})
    assert status == 400 and body["rule"] == "APR-01"
    assert "请填写推荐该机构入库的评估行业协会" in body["message"]
    assert not Firm.objects.exists()
    status, body = call(operator, path, "create", **FIRM)
    assert status == 200, body
    firm = Firm.objects.get()
    assert firm.recommended_by == FIRM["recommended_by"]
    assert body["next_url"] == f"/appraisers/roster/firms/{firm.pk}/"
    # Nobody but the operator onboards firms.
    status, body = call(make_user("judge", court), path, "create", **{**FIRM, "licence_no": "X-2"})
    assert status == 403 and Firm.objects.count() == 1


@pytest.mark.rule("APR-02", entry="api")
def test_apr02_the_court_sets_a_future_deadline_to_agree_through_the_api(setup):
    s = {**setup, "req": start_request(setup)}
    assert s["req"].status == AppraisalRequest.Status.AGREEMENT
    status, body = on_request(s, "set_deadline", deadline=at(clock.now() - dt.timedelta(hours=1)))
    assert status == 400
    assert (body["code"], body["rule"]) == ("deadline_in_past", "APR-02")
    due = (clock.now() + dt.timedelta(days=5)).replace(second=0, microsecond=0)
    status, body = on_request(s, "set_deadline", deadline=at(due))
    assert status == 200, body
    s["req"].refresh_from_db()
    assert s["req"].agreement_deadline == due


def _drawn_through_the_api(s) -> LotDraw:
    """Agreement skipped, a public-value draw scheduled, its value fixed, run: all by API."""
    status, body = on_request(s, "skip_agreement", reason="被执行人下落不明，无法联系")
    assert status == 200, body
    when = clock.now() + dt.timedelta(hours=2)
    status, body = on_request(s, "schedule_draw", scheduled_at=at(when), seed_mode="public_value")
    assert status == 200, body
    draw = LotDraw.objects.get(request=s["req"])
    clock.set_time(when + dt.timedelta(minutes=1))
    status, body = on_request(
        s,
        "public_value",
        draw=draw.pk,
        value="2026125期 03 07 11 19 24 30 + 09",
        source="中国福利彩票双色球开奖公告",
        fixed_at=at(clock.now() - dt.timedelta(minutes=30)),
    )
    assert status == 200, body
    status, body = on_request(s, "run_draw", draw=draw.pk)
    assert status == 200, body
    draw.refresh_from_db()
    return draw


@pytest.mark.rule("APR-03", entry="api")
def test_apr03_the_lot_draw_ranks_three_firms_and_records_how_through_the_api(setup):
    s = {**setup, "req": start_request(setup)}
    # No draw while the parties may still agree (APR-02/03).
    status, body = on_request(
        s,
        "schedule_draw",
        scheduled_at=at(clock.now() + dt.timedelta(hours=2)),
        seed_mode="public_value",
    )
    assert status in (400, 409) and body["rule"] in ("APR-02", "APR-03"), body
    draw = _drawn_through_the_api(s)
    ranked = drawn_firm_ids(draw)
    assert len(ranked) == 3 and len(set(ranked)) == 3
    assert set(ranked) <= {f.pk for f in s["firms"]}
    assert draw.algorithm_version and draw.seed and draw.operator_id == s["judge"].pk


@pytest.mark.rule("APR-04", entry="api")
def test_apr04_the_first_ranked_firm_is_commissioned_with_the_materials_through_the_api(setup):
    s = {**setup, "req": start_request(setup)}
    draw = _drawn_through_the_api(s)
    c = current_commission(s["req"])
    assert c.firm_id == drawn_firm_ids(draw)[0] and c.state == Commission.State.OFFERED
    assert c.request.purpose and c.request.asset_id == s["asset"].pk


@pytest.fixture
def working(setup):
    s = setup
    req = start_request(s)
    draw = run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    c.refresh_from_db()
    return {**s, "req": req, "draw": draw, "c": c, "user": user}


@pytest.mark.rule("APR-07", entry="api")
def test_apr07_the_report_clock_pauses_with_a_reason_through_the_api(working):
    w = working
    status, body = on_request(w, "pause", commission=w["c"].pk, reason=" ")
    assert status == 400 and (body["code"], body["rule"]) == ("reason_required", "APR-07")
    status, body = on_request(w, "pause", commission=w["c"].pk, reason="案件中止执行")
    assert status == 200, body
    w["c"].refresh_from_db()
    assert w["c"].paused_at == clock.now() and w["c"].pause_reason == "案件中止执行"
    due = w["c"].report_due_at
    clock.advance(dt.timedelta(days=3))
    status, body = on_request(w, "resume", commission=w["c"].pk)
    assert status == 200, body
    w["c"].refresh_from_db()
    assert w["c"].paused_at is None and w["c"].report_due_at > due  # the paused days added


@pytest.mark.rule("APR-09", entry="api")
@pytest.mark.rule("PRC-16", entry="api")
def test_apr09_a_late_firm_is_replaced_without_a_fee_through_the_api(working):
    """Before the due time the firm is not late (APR-09 refuses); after it, the court marks it
    late: materials back in 3 days, the next-ranked firm commissioned, no fee (PRC-16)."""
    w = working
    status, body = on_request(w, "mark_late", commission=w["c"].pk)
    assert status in (400, 409) and (body["code"], body["rule"]) == ("not_late", "APR-09")
    clock.set_time(w["c"].report_due_at + dt.timedelta(minutes=1))
    status, body = on_request(w, "mark_late", commission=w["c"].pk)
    assert status == 200, body
    w["c"].refresh_from_db()
    assert w["c"].state == Commission.State.LATE and w["c"].fee_forfeited
    assert _open(w["c"].subject, "APR-09").get().due_at == calendar.within_days(
        clock.now(), 3, court=w["court"].pk
    )
    nxt = current_commission(w["req"])
    assert nxt.firm_id == w["draw"].result[1]
    # PRC-16: when the fees are settled, the replaced firm's is nothing.
    fees = services.appraisal_fee_settle(procedure_ref=w["req"].procedure_ref, outcome="withdrawn")
    late = next(f for f in fees if f.commission_id == w["c"].pk)
    assert late.amount_fen == 0 and "PRC-16" in late.explanation


@pytest.fixture
def delivered(working):
    w = working
    services.report_submit(
        commission=w["c"], upload=pdf_upload(), actor=w["user"], **report_data(w["c"].firm)
    )
    w["c"].refresh_from_db()
    return w


@pytest.mark.rule("APR-11", entry="api")
def test_apr11_the_court_asks_the_firm_to_explain_within_three_days_through_the_api(delivered):
    d = delivered
    status, body = on_request(d, "review", commission=d["c"].pk, grounds=["facts"], note="")
    assert status == 400 and (body["code"], body["rule"]) == ("note_required", "APR-11")
    status, body = on_request(
        d, "review", commission=d["c"].pk, grounds=["facts"], note="建筑面积与登记不符"
    )
    assert status == 200, body
    d["c"].refresh_from_db()
    assert d["c"].state == Commission.State.UNDER_REVIEW
    assert _open(d["c"].subject, "APR-11").get().due_at == calendar.within_days(
        clock.now(), 3, court=d["court"].pk
    )


@pytest.mark.rule("PRC-10", entry="api")
def test_prc10_the_approved_report_is_served_on_every_party_through_the_api(delivered):
    d = delivered
    assert _open(d["c"].subject, "PRC-10").exists()
    status, body = on_request(d, "review", commission=d["c"].pk)  # no grounds: approved
    assert status == 200, body
    served_on = set(
        ServiceRecord.objects.filter(subject=d["c"].subject).values_list("recipient_ref", flat=True)
    )
    assert {f"party:{d['creditor'].pk}", f"party:{d['debtor'].pk}"} <= served_on
    assert not _open(d["c"].subject, "PRC-10").exists()


@pytest.fixture
def objected(delivered):
    d = delivered
    services.report_review(commission=d["c"], actor=d["judge"])
    d["c"].refresh_from_db()
    o = services.objection_file(
        commission=d["c"],
        party=d["debtor"],
        grounds=["result"],
        text="评估结果过高",
        actor=d["debtor"].user,
    )
    return {**d, "o": o}


@pytest.mark.rule("APR-13", entry="api")
def test_apr13_forward_then_expert_review_only_after_the_firm_is_silent_through_the_api(objected):
    o_ = objected
    o = o_["o"]
    assert o.status == Objection.Status.TO_FORWARD
    status, body = on_request(o_, "forward", objection=o.pk)
    assert status == 200, body
    o.refresh_from_db()
    assert o.forwarded_at is not None
    assert _open(o.subject, "APR-13").get().due_at == calendar.within_days(
        o.forwarded_at, 5, court=o_["court"].pk
    )
    review = {"objection": o.pk, "body": "省资产评估协会"}
    due = at(clock.now() + dt.timedelta(days=20))
    status, body = on_request(o_, "expert_start", due_at=due, **review)
    assert status in (400, 409) and body["code"] == "expert_review_not_allowed", body
    answer_due = answer_due_at(o)
    assert answer_due is not None
    clock.set_time(answer_due + dt.timedelta(minutes=1))
    status, body = on_request(
        o_, "expert_start", due_at=at(clock.now() + dt.timedelta(days=20)), **review
    )
    assert status == 200, body


@pytest.mark.rule("APR-15", entry="api")
def test_apr15_no_negative_expert_finding_keeps_the_original_result_through_the_api(objected):
    o_ = objected
    o = o_["o"]
    services.objection_forward(objection=o, actor=o_["judge"])
    o.refresh_from_db()
    answer_due = answer_due_at(o)
    assert answer_due is not None
    clock.set_time(answer_due + dt.timedelta(minutes=1))
    services.expert_review_start(
        objection=o, body="协会", due_at=clock.now() + dt.timedelta(days=10), actor=o_["judge"]
    )
    status, body = on_request(
        o_, "expert_conclude", objection=o.pk, conclusion="评估方法与参数选取合理"
    )
    assert status == 200, body
    o.refresh_from_db()
    assert o.status != Objection.Status.AWAITING_CORRECTION
    clock.advance(dt.timedelta(days=8))
    services.appraisers_sweep()
    req = AppraisalRequest.objects.get(pk=o_["req"].pk)
    assert req.status == AppraisalRequest.Status.FIXED
    assert current_commission(req).pk == o_["c"].pk  # the original firm's result


def test_a_firm_user_and_another_court_cannot_act_on_the_request(working, other_court):
    w = working
    for person in (firm_user_for(w["c"].firm), make_user("judge", other_court)):
        status, _body = call(
            person,
            f"/api/appraisers/court/requests/{w['req'].pk}",
            "pause",
            commission=w["c"].pk,
            reason="x",
        )
        assert status == 403
    w["c"].refresh_from_db()
    assert w["c"].paused_at is None


@pytest.mark.rule("REC-14", entry="api")
def test_rec14_a_firm_user_switched_off_is_refused_through_the_api(setup):
    """Least privilege: only an active user of the commissioned firm accepts for it; the same
    user is refused once switched off and taken again once switched on."""
    from appraisers.models import FirmUser

    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    path = f"/api/appraisers/commissions/{c.pk}/page"
    fu = FirmUser.objects.get(user=user)
    services.firm_user_set_active(firm_user=fu, is_active=False, reason="离职", actor=None)
    status, body = call(user, path, "accept")
    # The page's own check refuses first (``appraisers.act_for_firm``: an active firm user).
    assert status == 403 and body["data"]["perm"] == "appraisers.act_for_firm", body
    c.refresh_from_db()
    assert c.state == Commission.State.OFFERED
    services.firm_user_set_active(firm_user=fu, is_active=True, reason="复职", actor=None)
    status, body = call(user, path, "accept")
    assert status == 200, body
    c.refresh_from_db()
    assert c.state == Commission.State.ACCEPTED
