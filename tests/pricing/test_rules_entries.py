"""Pricing rules through each entry that reaches them (issue 14): the JSON API and the judge's
procedure page. The services are proven in test_procedure.py and test_rules_boundaries.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from core import clock
from pricing.models import PricingProcedure

pytestmark = pytest.mark.django_db

CHECKS = {
    "title": "登记在被执行人名下",
    "encumbrances": "设有抵押",
    "possession": "被执行人自住",
    "arrears": "无欠缴",
    "defects": "无已知瑕疵",
}


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _recorded(procedure: PricingProcedure) -> bool:
    procedure.refresh_from_db()
    return procedure.checks_recorded_at is not None


@pytest.mark.rule("PRC-02", entry="api")
def test_prc02_every_check_is_recorded_before_a_method_through_the_api(procedure, judge):
    """One check left blank (权利负担) is refused with the rule; all five are recorded."""
    c = login(judge)
    url = f"/api/pricing/procedures/{procedure.pk}/checks"
    r = c.post(url, {**CHECKS, "encumbrances": " "}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("checks_incomplete", "PRC-02")
    assert r.json()["message"] == "定价前须核查并记录：权利负担"
    assert not _recorded(procedure)
    r = c.post(url, CHECKS, content_type="application/json")
    assert r.status_code == 200, r.content
    assert _recorded(procedure)


@pytest.mark.rule("PRC-02", entry="page")
def test_prc02_every_check_is_recorded_before_a_method_on_the_procedure_page(procedure, judge):
    c = login(judge)
    url = f"/pricing/procedures/{procedure.pk}/"
    r = c.post(url, {"action": "checks", **CHECKS, "defects": ""}, follow=True)
    assert "定价前须核查并记录：瑕疵" in r.content.decode()
    assert not _recorded(procedure)
    r = c.post(url, {"action": "checks", **CHECKS}, follow=True)
    assert "核查已记录（PRC-02）" in r.content.decode()
    assert _recorded(procedure)


# --- PRC-03 (the cascade: online inquiry only on the parties' joint request) and PRC-09 (the
# reference price is the mean of the on-time results) -------------------------------------------


@pytest.fixture
def checked_flat(active_models, flat, judge, now):
    from pricing.services import procedure_open
    from tests.pricing.conftest import admit_builtin_platforms, check

    admit_builtin_platforms()
    return check(procedure_open(asset=flat, actor=judge), judge)


def _inquiries(procedure: PricingProcedure) -> int:
    from pricing.models import Inquiry

    return Inquiry.objects.filter(procedure=procedure).count()


def _platforms_asked(procedure: PricingProcedure) -> set[int]:
    from pricing.models import InquiryRequest

    return set(
        InquiryRequest.objects.filter(inquiry__procedure=procedure).values_list(
            "platform_id", flat=True
        )
    )


def _roster() -> set[int]:
    from pricing.services.inquiry import active_platforms

    return {p.pk for p in active_platforms()}


@pytest.mark.rule("PRC-03", entry="api")
@pytest.mark.rule("PRC-06", entry="api")
def test_prc03_online_inquiry_needs_the_joint_request_through_the_api(
    checked_flat, judge, django_capture_on_commit_callbacks
):
    c = login(judge)
    url = f"/api/pricing/procedures/{checked_flat.pk}/online-inquiry"
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("joint_request_required", "PRC-03")
    assert "须经当事人双方一致申请" in r.json()["message"]
    assert _inquiries(checked_flat) == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(url, {"joint_request": True}, content_type="application/json")
    assert r.status_code == 201 and _inquiries(checked_flat) == 1
    assert _platforms_asked(checked_flat) == _roster() and len(_roster()) >= 2  # PRC-06: all


@pytest.mark.rule("PRC-03", entry="page")
@pytest.mark.rule("PRC-06", entry="page")
def test_prc03_online_inquiry_needs_the_joint_request_on_the_procedure_page(
    checked_flat, judge, django_capture_on_commit_callbacks
):
    c = login(judge)
    url = f"/pricing/procedures/{checked_flat.pk}/"
    r = c.post(url, {"action": "online"}, follow=True)
    assert "须经当事人双方一致申请" in r.content.decode() and _inquiries(checked_flat) == 0
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(url, {"action": "online", "joint_request": "on"}, follow=True)
    assert "已向名单库全部平台发出询价（PRC-06）" in r.content.decode()
    assert _inquiries(checked_flat) == 1
    assert _platforms_asked(checked_flat) == _roster() and len(_roster()) >= 2


@pytest.fixture
def priced(checked_flat, judge, django_capture_on_commit_callbacks):
    """Every roster platform reported; the reports were served on the parties today."""
    from pricing.services import inquiry_deliver_electronic, inquiry_send

    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_send(procedure=checked_flat, joint_request=True, actor=judge)
    inquiry_deliver_electronic(inquiry=inquiry)
    return checked_flat, inquiry


def _mean_of_results(inquiry) -> int:
    from pricing.services.contract import mean_half_up
    from pricing.services.inquiry import final_results

    results = final_results(inquiry)
    assert len(results) >= 2
    return mean_half_up([r.amount_fen for r in results])


@pytest.mark.rule("PRC-09", entry="api")
def test_prc09_the_reference_price_is_the_mean_through_the_api(priced, judge):
    """Inside the parties' objection window the price is not fixed yet (PRC-09 names what is
    due); after it, the reference price is the mean of the on-time results."""
    _proc, inquiry = priced
    c = login(judge)
    url = f"/api/pricing/inquiries/{inquiry.pk}/fix"
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 400
    assert (r.json()["code"], r.json()["rule"]) == ("not_ready", "PRC-09")
    assert "尚不能确定参考价" in r.json()["message"] and "异议期" in r.json()["message"]
    clock.advance(dt.timedelta(days=8))
    r = c.post(url, {}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["amount_fen"] == _mean_of_results(inquiry)


@pytest.mark.rule("PRC-09", entry="page")
def test_prc09_the_reference_price_is_the_mean_on_the_procedure_page(priced, judge):
    from core.money import yuan
    from pricing.models import ReferencePrice

    proc, inquiry = priced
    c = login(judge)
    url = f"/pricing/procedures/{proc.pk}/"
    r = c.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    assert "尚不能确定参考价" in r.content.decode()
    assert not ReferencePrice.objects.filter(procedure=proc).exists()
    clock.advance(dt.timedelta(days=8))
    r = c.post(url, {"action": "fix", "inquiry": inquiry.pk}, follow=True)
    page = r.content.decode()
    assert "参考价已确定（PRC-09）" in page
    price = ReferencePrice.objects.get(procedure=proc)
    assert price.amount_fen == _mean_of_results(inquiry)
    assert yuan(price.amount_fen) in page


# --- the judge's procedure page, one test per rule the page reaches (issue 14) ---------------
# Each posts the form the page shows, as the judge, and asserts the refusal the page prints
# (the service's message and its rule) with nothing written, then the effect once lawful.

DAY = dt.timedelta(days=1)
KINDS = ["挂牌价", "成交价", "评估价"]


def _page(procedure: PricingProcedure) -> str:
    return f"/pricing/procedures/{procedure.pk}/"


def _post(c: Client, procedure: PricingProcedure, **data) -> str:
    return c.post(_page(procedure), data, follow=True).content.decode()


def _local(at: dt.datetime) -> str:
    """A ``datetime-local`` value in Beijing time, as the page's input sends it."""
    from core import calendar

    return at.astimezone(calendar.CST).strftime("%Y-%m-%dT%H:%M")


def _checked(procedure: PricingProcedure, judge, **conditions: bool) -> PricingProcedure:
    from tests.pricing.conftest import check

    return check(procedure, judge, **conditions)


def _http_platforms(n: int):
    """Roster entries that never answer by themselves (each test records their reports)."""
    from pricing.services import platform_admit

    return [
        platform_admit(
            code=f"p{i}",
            name=f"平台{i}",
            adapter="http",
            config={"url": "http://127.0.0.1:9/"},
            secret="s",
            price_data_kinds=KINDS,
            retention_years=10,
            sort_order=i,
        )
        for i in range(1, n + 1)
    ]


def _sent(procedure: PricingProcedure, judge, n: int, fee_fen: int = 300_000):
    from pricing.models import InquiryRequest
    from pricing.services import inquiry_send

    _http_platforms(n)
    inquiry = inquiry_send(
        procedure=_checked(procedure, judge), joint_request=True, fee_fen=fee_fen, actor=judge
    )
    reqs = list(InquiryRequest.objects.filter(inquiry=inquiry).order_by("platform__sort_order"))
    return inquiry, reqs


def _report(req, amount_fen: int):
    from pricing.platforms import PlatformReport
    from pricing.services import inquiry_report_record

    return inquiry_report_record(
        request=req,
        report=PlatformReport(amount_fen=amount_fen, currency="CNY", method="市场比较法"),
    )


def _fixed_by_inquiry(procedure: PricingProcedure, judge, amounts, fee_fen: int = 300_000):
    from pricing.services import inquiry_deliver_electronic, inquiry_fix

    inquiry, reqs = _sent(procedure, judge, len(amounts), fee_fen=fee_fen)
    for req, amount in zip(reqs, amounts, strict=True):
        _report(req, amount)
    inquiry_deliver_electronic(inquiry=inquiry)
    clock.advance(8 * DAY)
    return inquiry_fix(inquiry=inquiry, actor=judge)


@pytest.mark.rule("PRC-04", entry="page")
def test_prc04_party_agreement_needs_a_deadline_and_identical_quotes_on_the_procedure_page(
    procedure, judge, parties
):
    """PRC-04: no court-set deadline → refused, no step; different quotes → not confirmed;
    identical quotes in time, harming no one → the reference price."""
    from pricing.models import PricingStep, ReferencePrice

    proc = _checked(procedure, judge)
    creditor, debtor = parties
    c = login(judge)
    page = _post(c, proc, action="party_agreement", deadline_at=_local(clock.now() - DAY))
    assert "指定期限须晚于当前时间（PRC-04）" in page
    assert not PricingStep.objects.filter(procedure=proc).exists()
    page = _post(c, proc, action="party_agreement", deadline_at=_local(clock.now() + 7 * DAY))
    assert "已启动当事人议价" in page
    _post(c, proc, action="quote", party=creditor.pk, kind="amount", amount_yuan="900,000")
    _post(c, proc, action="quote", party=debtor.pk, kind="amount", amount_yuan="950,000")
    page = _post(c, proc, action="agreement_confirm", harms_no_one="on")
    assert "双方报价尚不一致或未全部提交（PRC-04）" in page
    assert not ReferencePrice.objects.filter(procedure=proc).exists()
    _post(c, proc, action="quote", party=debtor.pk, kind="amount", amount_yuan="900,000")
    page = _post(c, proc, action="agreement_confirm", harms_no_one="on")
    assert "已处理议价结果" in page
    price = ReferencePrice.objects.get(procedure=proc)
    assert (price.method, price.amount_fen) == ("party_agreement", 900_000_00)


@pytest.mark.rule("PRC-05", entry="page")
def test_prc05_directed_inquiry_needs_body_letter_and_deadline_on_the_procedure_page(
    procedure, judge
):
    """PRC-05: a letter without the body it goes to is refused; a timely result is the price."""
    from pricing.models import PricingStep, ReferencePrice

    proc = _checked(procedure, judge, has_tax_base_or_gov_price=True)
    c = login(judge)
    letter = {
        "action": "directed",
        "joint_request": "on",
        "letter_ref": "（2026）询 1 号",
        "deadline_at": _local(clock.now() + 5 * DAY),
    }
    page = _post(c, proc, **letter, body_name="")
    assert "须写明询价机构和询价函文号（PRC-05）" in page
    assert not PricingStep.objects.filter(procedure=proc).exists()
    page = _post(c, proc, **letter, body_name="南昌市税务局")
    assert "已发出定向询价函" in page
    page = _post(c, proc, action="directed_result", amount_yuan="1,000,000")
    assert "已记录定向询价结果" in page
    price = ReferencePrice.objects.get(procedure=proc)
    assert (price.method, price.amount_fen) == ("directed_inquiry", 1_000_000_00)


@pytest.mark.rule("PRC-07", entry="page")
def test_prc07_extensions_before_the_deadline_and_one_more_3_days_on_the_procedure_page(
    procedure, judge
):
    """PRC-07: an extension asked after the 3 days is refused and not recorded; none reported
    and one applied in time → that platform alone gets one 3-day extension."""
    from core import calendar

    inquiry, (r1, r2) = _sent(procedure, judge, 2)
    c = login(judge)
    page = _post(c, procedure, action="close_window", inquiry=inquiry.pk)
    assert "报告期限尚未届满（PRC-07）" in page
    page = _post(c, procedure, action="extension", request=r1.pk, reason="需补充样本")
    assert "已登记平台延期申请（PRC-07）" in page
    clock.advance(4 * DAY)
    page = _post(c, procedure, action="extension", request=r2.pk, reason="晚了")
    assert "延期须在报告期限届满前申请（PRC-07）" in page
    r2.refresh_from_db()
    assert r2.extension_requested_at is None
    page = _post(c, procedure, action="close_window", inquiry=inquiry.pk)
    assert "已结算报告期限（PRC-07）" in page
    inquiry.refresh_from_db()
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert inquiry.status == "extended"
    assert inquiry.extended_due_at == calendar.within_days(
        calendar.within_days(inquiry.sent_at, 3), 3
    )
    assert (r1.extension_granted, r2.status) == (True, "missing")


@pytest.mark.rule("PRC-08", entry="page")
def test_prc08_corrections_only_when_every_report_is_wrong_on_the_procedure_page(procedure, judge):
    """PRC-08: one clean report → no platform is asked to correct; all wrong → all correct
    within 3 days."""
    from core import calendar
    from pricing.models import InquiryRequest

    inquiry, reqs = _sent(procedure, judge, 2)
    reps = [_report(r, a) for r, a in zip(reqs, (1_000_000_00, 1_200_000_00), strict=True)]
    c = login(judge)
    _post(c, procedure, action="review", report=reps[0].pk, fact_error="on", note="面积错误")
    _post(c, procedure, action="review", report=reps[1].pk, note="")
    page = _post(c, procedure, action="corrections", inquiry=inquiry.pk, note="面积错误")
    assert "（PRC-08）" in page and "已要求全部平台补正" not in page
    before = InquiryRequest.objects.filter(inquiry=inquiry).count()
    assert before == 2  # no correction request was written
    _post(c, procedure, action="review", report=reps[1].pk, fact_error="on", note="遗漏车位")
    page = _post(c, procedure, action="corrections", inquiry=inquiry.pk, note="遗漏车位")
    assert "已要求全部平台补正（PRC-08）" in page
    inquiry.refresh_from_db()
    assert inquiry.corrections_due_at == calendar.within_days(clock.now(), 3)
    assert InquiryRequest.objects.filter(inquiry=inquiry, correction_kind="correction").count() == 2


@pytest.mark.rule("PRC-10", entry="page")
def test_prc10_each_report_is_served_before_the_price_on_the_procedure_page(
    procedure, judge, parties
):
    """PRC-10: the price waits for service on every party; publication on the platform is
    refused (中国执行信息公开网 only); served by the page, the 3-day deadline is met."""
    from core.models import Deadline, ServiceRecord
    from pricing.models import ReferencePrice

    inquiry, (r1,) = _sent(procedure, judge, 1)
    rep = _report(r1, 800_000_00)
    creditor, debtor = parties
    c = login(judge)
    page = _post(c, procedure, action="fix", inquiry=inquiry.pk)
    assert "尚不能确定参考价" in page and "送达" in page
    assert not ReferencePrice.objects.filter(procedure=procedure).exists()
    one = {"action": "deliver_one", "report": rep.pk}
    page = _post(
        c,
        procedure,
        **one,
        party=debtor.pk,
        method="platform_publication",
        unreachable_reason="下落不明",
    )
    assert "无法送达的，应在中国执行信息公开网公示（PRC-10）" in page
    assert not ServiceRecord.objects.filter(subject=rep.subject).exists()
    page = _post(
        c,
        procedure,
        **one,
        party=creditor.pk,
        method="electronic",
        received_at=_local(clock.now()),
        proof="电子送达回执",
    )
    assert "已记录送达" in page
    assert Deadline.objects.get(subject=rep.subject, rule_id="PRC-10").status == "open"
    _post(
        c,
        procedure,
        **one,
        party=debtor.pk,
        method="info_publication",
        unreachable_reason="下落不明",
    )
    assert Deadline.objects.get(subject=rep.subject, rule_id="PRC-10").status == "met"
    assert ServiceRecord.objects.filter(subject=rep.subject).count() == 2


@pytest.mark.rule("PRC-12", entry="page")
def test_prc12_a_lapsed_price_is_reissued_within_3_days_on_the_procedure_page(procedure, judge):
    """PRC-12: a price still valid is not reissued; lapsed before any announcement → the same
    platforms reissue within 3 days."""
    from core import calendar
    from pricing.models import Inquiry

    price = _fixed_by_inquiry(procedure, judge, (1_000_000_00, 1_200_000_00))
    c = login(judge)
    page = _post(c, procedure, action="reissue")
    assert "参考价仍在有效期内（PRC-12）" in page
    assert not Inquiry.objects.filter(procedure=procedure, kind="reissue").exists()
    clock.set_time(price.valid_until + DAY)
    page = _post(c, procedure, action="reissue")
    assert "已要求重新出具（PRC-12）" in page
    reissue = Inquiry.objects.get(procedure=procedure, kind="reissue")
    assert reissue.due_at == calendar.within_days(clock.now(), 3)
    assert reissue.requests.count() == 2


@pytest.mark.rule("PRC-15", entry="page")
def test_prc15_no_inquiry_fee_after_a_withdrawal_on_the_procedure_page(procedure, judge):
    """PRC-15: withdrawn on the page (a lawful ground) → no platform is paid the inquiry fee;
    a ground that is not lawful is refused and the price stays."""
    from pricing.models import ReferencePrice
    from pricing.services import reference_price_record_sale
    from settlement.models import Charge

    price = _fixed_by_inquiry(procedure, judge, (1_000_000_00, 1_200_000_00))
    c = login(judge)
    page = _post(c, procedure, action="withdraw", ground="because", note="")
    assert "撤回定价须有法定事由（PRC-14）" in page
    price.refresh_from_db()
    assert price.status == ReferencePrice.Status.ACTIVE
    page = _post(c, procedure, action="withdraw", ground="debt_performed", note="已履行")
    assert "已撤回定价（PRC-14）" in page
    reference_price_record_sale(
        asset_id=procedure.asset_id, auction_ref="auction:5", outcome="withdrawn"
    )
    assert not Charge.objects.filter(kind="inquiry_fee").exists()
    price.refresh_from_db()
    assert price.status == ReferencePrice.Status.WITHDRAWN


# --- the roster page (PRC-18) -----------------------------------------------------------------


@pytest.mark.rule("PRC-18", entry="page")
def test_prc18_roster_entry_conditions_and_the_5_year_bar_on_the_roster_page(bureau_head):
    """PRC-18: fewer than 3 kinds of price data → refused, not listed; removed → barred 5 years."""
    from pricing.models import InquiryPlatform

    c = login(bureau_head)
    form = {
        "action": "admit",
        "code": "px",
        "name": "某询价平台",
        "url": "http://127.0.0.1:9/",
        "secret": "s",
        "retention_years": "10",
    }
    page = c.post("/pricing/roster/", {**form, "kinds": "挂牌价,成交价"}, follow=True)
    assert "入库平台须具备三类以上价格数据（PRC-18）" in page.content.decode()
    assert not InquiryPlatform.objects.filter(code="px").exists()
    page = c.post("/pricing/roster/", {**form, "kinds": "挂牌价,成交价,评估价"}, follow=True)
    assert "已入库" in page.content.decode()
    platform = InquiryPlatform.objects.get(code="px")
    c.post("/pricing/roster/", {"action": "remove", "platform": platform.pk, "reason": "虚假报告"})
    platform.refresh_from_db()
    assert platform.status == "removed"
    clock.advance(4 * 365 * DAY)
    page = c.post("/pricing/roster/", {**form, "kinds": "挂牌价,成交价,评估价"}, follow=True)
    assert "前不得再入库（PRC-18）" in page.content.decode()
    platform.refresh_from_db()
    assert platform.status == "removed"


# --- REC-01 (day counting) and REC-10 (service records) on the procedure page ------------------


@pytest.mark.rule("REC-01", entry="page")
def test_rec01_the_inquiry_sent_on_the_page_is_due_on_the_next_working_day(procedure, judge):
    """REC-01: sent on Wednesday 2026-11-04, day 3 is Saturday → the reports are due at the
    end of Monday 11-09 (not Saturday, not Friday), as the page shows."""
    from core import calendar
    from pricing.models import Inquiry

    clock.set_time(dt.datetime(2026, 11, 4, 10, 0, tzinfo=calendar.CST))
    _http_platforms(2)
    proc = _checked(procedure, judge)
    page = _post(login(judge), proc, action="online", joint_request="on")
    assert "已向名单库全部平台发出询价（PRC-06）" in page
    inquiry = Inquiry.objects.get(procedure=proc)
    assert inquiry.due_at == calendar.end_of_day(dt.date(2026, 11, 9))
    assert "2026-11-09" in login(judge).get(_page(proc)).content.decode()


@pytest.mark.rule("REC-10", entry="page")
def test_rec10_service_records_method_time_proof_and_the_deemed_date_on_the_procedure_page(
    procedure, judge, parties
):
    """REC-10: a receipt dated before the sending is refused (nothing recorded); an electronic
    service keeps its method, time and proof; a publication keeps its reason and is deemed
    received 15 days later."""
    from core.models import ServiceRecord
    from core.service import deemed_service_at

    _inquiry, (r1,) = _sent(procedure, judge, 1)
    rep = _report(r1, 800_000_00)
    creditor, debtor = parties
    c = login(judge)
    one = {"action": "deliver_one", "report": rep.pk, "method": "electronic", "proof": "回执 A1"}
    page = _post(c, procedure, **one, party=creditor.pk, received_at=_local(clock.now() - DAY))
    assert "签收时间不能早于发出时间（REC-10）" in page
    assert not ServiceRecord.objects.filter(subject=rep.subject).exists()
    _post(c, procedure, **one, party=creditor.pk, received_at=_local(clock.now()))
    rec = ServiceRecord.objects.get(subject=rep.subject, recipient_ref=f"party:{creditor.pk}")
    assert (rec.method, rec.proof) == ("electronic", "回执 A1")
    assert rec.sent_at == clock.now() and rec.received_at == clock.now()
    _post(
        c,
        procedure,
        action="deliver_one",
        report=rep.pk,
        party=debtor.pk,
        method="info_publication",
        unreachable_reason="下落不明",
    )
    pub = ServiceRecord.objects.get(subject=rep.subject, recipient_ref=f"party:{debtor.pk}")
    assert pub.unreachable_reason == "下落不明" and pub.received_at is None
    assert pub.deemed_at == deemed_service_at(pub.sent_at, 15, court=procedure.court_id)
