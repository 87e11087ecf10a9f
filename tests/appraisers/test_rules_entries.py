"""Appraisal rules through each entry that reaches them (issue 14): objections (APR-12) and
their admissibility (APR-14) through the JSON API and the party's page. The services are
proven in test_review_objections.py and test_rules_boundaries.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from appraisers import services
from appraisers.models import Objection
from core import calendar, clock
from core.models import ServiceRecord
from tests.appraisers.conftest import (
    current_commission,
    drawn_firm_ids,
    inspected,
    pdf_upload,
    report_data,
    run_public_draw,
    start_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


@pytest.fixture
def served(setup):
    """A report the court reviewed and served on the parties."""
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(
        commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm, amount_fen=120_000_000)
    )
    c.refresh_from_db()
    services.report_review(commission=c, actor=s["judge"])
    c.refresh_from_db()
    return {**s, "req": req, "c": c}


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api_object(s, party, **body):
    return login(party.user).post(
        f"/api/appraisers/commissions/{s['c'].pk}/objections",
        {"party_id": party.pk, "grounds": ["result"], "text": "评估结果偏低", **body},
        content_type="application/json",
    )


def _window_closes(s) -> dt.datetime:
    record = ServiceRecord.objects.filter(subject=s["c"].subject).first()
    assert record is not None and record.received_at is not None
    return calendar.within_days(record.received_at, 5, court=s["court"].pk)


@pytest.mark.rule("APR-12", entry="api")
def test_apr12_objection_within_five_days_of_service_through_the_api(served):
    """A minute before the 5-day window closes the objection is taken; a minute after, the
    party's late objection is refused with the reason."""
    s = served
    closes = _window_closes(s)
    clock.set_time(closes - dt.timedelta(minutes=1))
    r = _api_object(s, s["creditor"])
    assert r.status_code == 200, r.content
    assert r.json()["status"] == Objection.Status.TO_FORWARD
    clock.set_time(closes + dt.timedelta(minutes=1))
    r = _api_object(s, s["debtor"], text="评估结果偏高")
    assert r.status_code == 200
    assert r.json()["status"] == Objection.Status.REFUSED
    assert "超过异议期" in r.json()["refusal_reason"]


@pytest.mark.rule("APR-14", entry="api")
def test_apr14_objection_to_an_explanation_is_refused_through_the_api(served):
    s = served
    r = _api_object(s, s["creditor"], target="explanation")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["outcome"]) == (
        Objection.Status.REFUSED,
        Objection.Outcome.REFUSED,
    )
    assert "APR-14" in body["refusal_reason"]
    r = _api_object(s, s["debtor"], target="report")  # the report itself: taken
    assert r.json()["status"] == Objection.Status.TO_FORWARD


@pytest.mark.rule("APR-14", entry="page")
def test_apr14_objection_to_an_explanation_is_refused_on_the_party_page(served):
    s = served
    url = reverse("appraisers:party_request", args=[s["req"].pk])
    form = {"action": "object", "commission": s["c"].pk, "grounds": "result", "text": "偏低"}
    r = login(s["creditor"].user).post(url, {**form, "target": "explanation"}, follow=True)
    page = r.content.decode()
    assert "该异议不予受理" in page and "APR-14" in page
    assert s["c"].objections.get().status == Objection.Status.REFUSED
    r = login(s["debtor"].user).post(url, {**form, "target": "report"}, follow=True)
    assert "异议已提交" in r.content.decode()
    assert s["c"].objections.filter(status=Objection.Status.TO_FORWARD).count() == 1


@pytest.fixture
def working(setup):
    """A commission the firm accepted and inspected: its 30-day report deadline runs."""
    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    c.refresh_from_db()
    return {**s, "req": req, "c": c, "user": user}


@pytest.mark.rule("APR-08", entry="api")
def test_apr08_an_extension_is_at_most_fifteen_days_through_the_api(working):
    w = working
    url = f"/api/appraisers/commissions/{w['c'].pk}/extensions"
    c = login(w["user"])
    r = c.post(url, {"days": 16, "reason": "需调取档案"}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("extension_too_long", "APR-08")
    assert r.json()["message"] == "每次延期不得超过 15 日"
    assert not w["c"].extensions.exists()
    r = c.post(url, {"days": 15, "reason": "需调取档案"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "pending"


@pytest.mark.rule("APR-08", entry="page")
def test_apr08_an_extension_is_at_most_fifteen_days_on_the_firm_page(working):
    w = working
    url = reverse("appraisers:firm_commission", args=[w["c"].pk])
    c = login(w["user"])
    r = c.post(url, {"action": "extension", "days": 16, "reason": "需调取档案"}, follow=True)
    assert "每次延期不得超过 15 日" in r.content.decode()
    assert not w["c"].extensions.exists()
    r = c.post(url, {"action": "extension", "days": 15, "reason": "需调取档案"}, follow=True)
    assert "延期申请已提交，待法官决定" in r.content.decode()
    assert w["c"].extensions.get().days == 15


# --- APR-06: the site inspection: the parties told in advance, recorded before the report -----


@pytest.fixture
def accepted(setup):
    from tests.appraisers.conftest import firm_user_for

    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=user)
    c.refresh_from_db()
    return {**s, "req": req, "c": c, "user": user}


@pytest.mark.rule("APR-06", entry="page")
def test_apr06_the_inspection_is_noticed_ahead_on_the_firm_page(accepted):
    """Now is too late to tell the parties; the next minute is taken and served."""
    a = accepted
    now = clock.now().astimezone(calendar.CST).replace(second=0, microsecond=0)
    later = now + dt.timedelta(minutes=1)
    url = reverse("appraisers:firm_commission", args=[a["c"].pk])
    c = login(a["user"])
    form = {"action": "inspection_notice", "place": "标的物所在地"}
    r = c.post(url, {**form, "at": f"{now:%Y-%m-%dT%H:%M}"}, follow=True)
    assert "勘验时间须晚于当前时间，以便通知当事人" in r.content.decode()
    a["c"].refresh_from_db()
    assert a["c"].inspection_at is None
    r = c.post(url, {**form, "at": f"{later:%Y-%m-%dT%H:%M}"}, follow=True)
    assert "已通知当事人现场勘验时间和地点" in r.content.decode()
    a["c"].refresh_from_db()
    assert a["c"].inspection_at == later
    assert ServiceRecord.objects.filter(subject=a["c"].subject).exists()


@pytest.mark.rule("APR-06", entry="api")
def test_apr06_no_report_before_the_inspection_through_the_api(accepted):
    a = accepted
    c = login(a["user"])
    url = f"/api/appraisers/commissions/{a['c'].pk}/report"
    data = report_data(a["c"].firm)
    data["signer_licences"] = ",".join(data["signer_licences"])
    r = c.post(url, {**data, "file": pdf_upload()})
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("inspection_required", "APR-06")
    assert r.json()["message"] == "须先记录现场勘验"
    services.inspection_notice(
        commission=a["c"], at=clock.now() + dt.timedelta(hours=1), place="现场", actor=a["user"]
    )
    clock.advance(dt.timedelta(hours=1))
    services.inspection_record(commission=a["c"], witness="见证人", actor=a["user"])
    r = c.post(url, {**data, "file": pdf_upload()})
    assert r.status_code == 200, r.content
    assert a["c"].reports.count() == 1


# --- the judge's request page and the parties' page, one test per rule they reach (issue 14) --
# Each posts the form the page shows, as the person who uses it, and asserts the refusal the
# page prints (the service's message and its rule) with nothing written, then the effect.

DAY = dt.timedelta(days=1)


def _court_url(req) -> str:
    return reverse("appraisers:court_request", args=[req.pk])


def _post(user, url: str, **data) -> str:
    return login(user).post(url, data, follow=True).content.decode()


def _local(at: dt.datetime) -> str:
    return at.astimezone(calendar.CST).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.rule("APR-02", entry="page")
def test_apr02_parties_agree_on_three_firms_in_order_on_the_party_page(setup):
    """APR-02: two firms are refused and nothing is recorded; the same three firms in the same
    order from both parties commission the first of them without a draw."""
    from appraisers.models import AgreementSubmission, RankedFirm

    s = setup
    req = start_request(s)
    url = reverse("appraisers:party_request", args=[req.pk])
    ids = [f.pk for f in s["firms"][:3]]
    ranks = {"action": "agreement", "choice": "firms"}
    page = _post(s["creditor"].user, url, **ranks, rank1=ids[0], rank2=ids[1])
    assert "须按顺序选定三家不同的评估机构（APR-02）" in page
    assert not AgreementSubmission.objects.filter(request=req).exists()
    for party in (s["creditor"], s["debtor"]):
        page = _post(party.user, url, **ranks, rank1=ids[0], rank2=ids[1], rank3=ids[2])
        assert "意见已提交" in page
    req.refresh_from_db()
    assert req.status == "commissioned"
    assert list(RankedFirm.objects.filter(request=req).values_list("firm_id", flat=True)) == ids
    assert current_commission(req).firm_id == ids[0]


@pytest.mark.rule("APR-02", entry="page")
def test_apr02_the_court_sets_the_agreement_deadline_ahead_on_the_request_page(setup):
    s = setup
    req = start_request(s)
    before = req.agreement_deadline
    page = _post(s["judge"], _court_url(req), action="set_deadline", deadline=_local(clock.now()))
    assert "协商期限须晚于当前时间（APR-02）" in page
    req.refresh_from_db()
    assert req.agreement_deadline == before
    later = (clock.now() + 10 * DAY).astimezone(calendar.CST).replace(second=0, microsecond=0)
    page = _post(s["judge"], _court_url(req), action="set_deadline", deadline=_local(later))
    assert "已设定协商期限" in page
    req.refresh_from_db()
    assert req.agreement_deadline == later


@pytest.mark.rule("APR-03", entry="page")
def test_apr03_the_draw_ranks_three_firms_from_the_sub_roster_on_the_request_page(setup):
    """APR-03: skipping agreement needs a reason; the public-value draw, scheduled, valued and
    run on the page, ranks three firms of the sub-roster and commissions the first."""
    from appraisers.models import LotDraw

    s = setup
    req = start_request(s)
    url = _court_url(req)
    page = _post(s["judge"], url, action="skip_agreement", reason=" ")
    assert "不经协商直接摇号须说明理由（如当事人无法联系）（APR-03）" in page
    req.refresh_from_db()
    assert req.status == "agreement" and not req.agreement_skip_reason
    _post(s["judge"], url, action="skip_agreement", reason="被执行人下落不明，无法联系")
    at = (clock.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    page = _post(
        s["judge"], url, action="schedule_draw", scheduled_at=_local(at), seed_mode="public_value"
    )
    assert "名单已冻结公布" in page
    draw = LotDraw.objects.get(request=req)
    clock.set_time(at)
    _post(
        s["judge"],
        url,
        action="public_value",
        draw=draw.pk,
        value="2026125期 03 07 11 19 24 30 + 09",
        source="中国福利彩票双色球开奖公告",
        fixed_at=_local(at - dt.timedelta(minutes=30)),
    )
    page = _post(s["judge"], url, action="run_draw", draw=draw.pk)
    assert "摇号完成，已委托第一顺位机构" in page
    draw.refresh_from_db()
    ranked = drawn_firm_ids(draw)
    assert len(ranked) == 3 and set(ranked) <= {f.pk for f in s["firms"]}
    assert current_commission(req).firm_id == ranked[0]


@pytest.fixture
def working_page(setup):
    """A commission the firm accepted and inspected: its 30-day report clock runs."""
    from tests.appraisers.conftest import firm_user_for
    from tests.appraisers.test_commission import _in_progress

    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    c = _in_progress({"c": c, "user": firm_user_for(c.firm)})
    return {**s, "req": req, "c": c}


@pytest.mark.rule("APR-07", entry="page")
def test_apr07_the_report_clock_pauses_and_resumes_on_the_request_page(working_page):
    """APR-07: the 30-day clock stops with a reason (none → refused, still running) and moves
    on by the days it was paused."""
    w = working_page
    c = w["c"]
    due = c.report_due_at
    url = _court_url(w["req"])
    page = _post(w["judge"], url, action="pause", commission=c.pk, reason="")
    assert "中止计算期限须说明理由（APR-07）" in page
    c.refresh_from_db()
    assert c.paused_at is None
    page = _post(w["judge"], url, action="pause", commission=c.pk, reason="执行中止")
    assert "评估期限已中止计算" in page
    clock.advance(7 * DAY)
    page = _post(w["judge"], url, action="resume", commission=c.pk)
    assert "评估期限已恢复计算" in page
    c.refresh_from_db()
    assert c.paused_days_total == 7
    assert (
        c.report_due_at.astimezone(calendar.CST).date()
        >= (due + 7 * DAY).astimezone(calendar.CST).date()
    )


@pytest.mark.rule("APR-09", entry="page")
def test_apr09_a_late_firm_is_replaced_by_the_next_ranked_on_the_request_page(working_page):
    """APR-09: at the deadline the firm is not late (refused, unchanged); a second after, it is
    replaced with no fee, materials due within 3 days, and the next-ranked firm commissioned."""
    from appraisers.models import Commission

    w = working_page
    c = w["c"]
    url = _court_url(w["req"])
    clock.set_time(c.report_due_at)
    page = _post(w["judge"], url, action="mark_late", commission=c.pk)
    assert "报告期限尚未届满（APR-09）" in page
    c.refresh_from_db()
    assert c.state != Commission.State.LATE
    clock.set_time(c.report_due_at + dt.timedelta(seconds=1))
    page = _post(w["judge"], url, action="mark_late", commission=c.pk)
    assert "已更换逾期机构" in page
    c.refresh_from_db()
    assert c.state == Commission.State.LATE and c.fee_forfeited
    assert c.materials_return_due_at == calendar.within_days(clock.now(), 3, court=w["court"].pk)
    nxt = current_commission(w["req"])
    assert nxt.pk != c.pk and nxt.firm_id != c.firm_id


@pytest.mark.rule("APR-11", entry="page")
def test_apr11_court_review_asks_an_explanation_within_3_days_on_the_request_page(setup):
    """APR-11: a ground without the problem written is refused; with it, the firm must explain
    or correct within 3 days."""
    from appraisers.models import Commission

    s = setup
    req = start_request(s)
    run_public_draw(s, req)
    c = current_commission(req)
    user = inspected(c)
    services.report_submit(commission=c, upload=pdf_upload(), actor=user, **report_data(c.firm))
    url = _court_url(req)
    page = _post(s["judge"], url, action="review", commission=c.pk, grounds="facts", note="")
    assert "须写明需说明或补正的具体问题（APR-11）" in page
    assert not c.reviews.exists()
    page = _post(
        s["judge"], url, action="review", commission=c.pk, grounds="facts", note="面积与登记不符"
    )
    assert "已要求机构说明或补正" in page
    c.refresh_from_db()
    assert c.state == Commission.State.UNDER_REVIEW
    review = c.reviews.get()
    assert review.due_at == calendar.within_days(review.requested_at, 3, court=s["court"].pk)


def _objected(s):
    return services.objection_file(
        commission=s["c"],
        party=s["debtor"],
        grounds=["result"],
        text="评估结果过高",
        actor=s["debtor"].user,
    )


@pytest.mark.rule("APR-13", entry="page")
def test_apr13_forwarded_then_expert_review_only_when_unanswered_on_the_request_page(served):
    """APR-13: forwarded on the page, the firm answers within 5 days; expert review before that
    is refused; once the 5 days pass unanswered, the court organises it."""
    from appraisers.services.objections import answer_due_at

    s = served
    o = _objected(s)
    url = _court_url(s["req"])
    page = _post(s["judge"], url, action="forward", objection=o.pk)
    assert "已转交评估机构" in page
    o.refresh_from_db()
    assert o.forwarded_at is not None
    due = answer_due_at(o)
    assert due == calendar.within_days(o.forwarded_at, 5, court=s["court"].pk)
    expert = {
        "action": "expert_start",
        "objection": o.pk,
        "body": "省资产评估协会",
        "due_at": _local(clock.now() + 20 * DAY),
    }
    page = _post(s["judge"], url, **expert)
    assert "方可组织专业技术评审（APR-13）" in page
    o.refresh_from_db()
    assert o.expert_body == ""
    clock.set_time(due + dt.timedelta(minutes=1))
    page = _post(s["judge"], url, **{**expert, "due_at": _local(clock.now() + 20 * DAY)})
    assert "已组织专业技术评审" in page
    o.refresh_from_db()
    assert o.expert_body == "省资产评估协会"


@pytest.mark.rule("APR-15", entry="page")
def test_apr15_the_result_is_fixed_only_after_the_window_on_the_request_page(served):
    """APR-15: inside the objection window the result is refused; with no objection after it,
    the original report is the result."""
    from appraisers.models import Commission

    s = served
    url = _court_url(s["req"])
    page = _post(s["judge"], url, action="fix_result", commission=s["c"].pk)
    assert "暂不能确定评估结果" in page and "（APR-15）" in page
    s["c"].refresh_from_db()
    assert s["c"].finalized_at is None
    clock.advance(8 * DAY)
    page = _post(s["judge"], url, action="fix_result", commission=s["c"].pk)
    assert "评估结果已确定并通知定价程序" in page
    c = Commission.objects.get(pk=s["c"].pk)
    assert c.finalized_at is not None
    report = c.current_report()
    assert report is not None and report.amount_fen == 120_000_000


# --- PRC-16: the appraisal fee's basis when pricing is withdrawn --------------------------------


@pytest.mark.rule("PRC-16", entry="page")
def test_prc16_withdrawn_on_the_procedure_page_pays_the_declared_actual_costs(setup):
    """PRC-16: the firm declares its actual costs on its page; the judge withdraws the pricing
    procedure on the procedure page (a ground the law names; another is refused and settles
    nothing): the firm's fee is those actual costs, not a fee on a value."""
    from appraisers.models import AppraisalFee, AppraisalRequest
    from pricing.services import appraisal_start, procedure_open
    from tests.appraisers.conftest import firm_user_for
    from tests.pricing.conftest import check

    s = setup
    proc = check(
        procedure_open(asset=s["asset"], actor=s["judge"]), s["judge"], law_requires_appraisal=True
    )
    appraisal_start(procedure=proc, actor=s["judge"])
    req = AppraisalRequest.objects.get(procedure_ref=proc.ref)
    run_public_draw(s, req)
    c = current_commission(req)
    firm_user = firm_user_for(c.firm)
    services.commission_accept(commission=c, actor=firm_user)
    url = reverse("appraisers:firm_commission", args=[c.pk])
    page = _post(firm_user, url, action="costs", amount_yuan="1,200", note="现场勘验交通费")
    assert "已申报实际支出费用" in page
    proc_url = f"/pricing/procedures/{proc.pk}/"
    page = _post(s["judge"], proc_url, action="withdraw", ground="because", note="")
    assert "撤回定价须有法定事由（PRC-14）" in page
    assert not AppraisalFee.objects.filter(request=req).exists()
    page = _post(s["judge"], proc_url, action="withdraw", ground="creditor_withdrew", note="")
    assert "已撤回定价（PRC-14）" in page
    fee = AppraisalFee.objects.get(request=req, commission=c)
    assert (fee.basis, fee.amount_fen) == (AppraisalFee.Basis.ACTUAL_COSTS, 120_000)


# --- REC-07: the lot draw's record is tamper-evident, and anyone can check it ------------------


@pytest.mark.rule("REC-07", entry="page")
def test_rec07_the_public_verify_page_finds_a_draw_result_changed_afterwards(setup, client):
    """REC-07: the public verification page recomputes the draw from its record and matches it
    with the audit trail; a result changed in the database afterwards is shown as a mismatch."""
    import json

    from django.db import connection

    req = start_request(setup)
    draw = run_public_draw(setup, req)
    url = reverse("appraisers:draw_verify", args=[draw.pk])
    page = client.get(url).content.decode()
    assert "核验一致" in page and "核验不一致" not in page
    forged = list(reversed(drawn_firm_ids(draw)))
    with connection.cursor() as cur:  # a forger with database access, triggers switched off
        cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(
                "UPDATE appraisers_lotdraw SET result = %s WHERE id = %s",
                (json.dumps(forged), draw.pk),
            )
        finally:
            cur.execute("SET session_replication_role = DEFAULT")
    page = client.get(url).content.decode()
    assert "核验不一致" in page and "种子或结果与审计记录不符" in page
