"""Pricing rules through the API, as a client calls it (issue 13: every court page's action has
an API call; issue 14: each entry that reaches a rule is proven): the judge's procedure page
(``/api/pricing/procedures/{id}/court/actions/{name}``) and the roster keeper's page
(``/api/pricing/roster/actions/{name}``). JSON in, ``{"code","message","rule"}`` out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from core import calendar, clock
from core.models import Deadline
from pricing.models import Inquiry, InquiryPlatform, ReferencePrice
from tests.conftest import make_user
from tests.pricing.test_inquiry import (
    _fixed_three,
    platforms,
    report,
    requests,
    send,
    serve_all,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def call(user, path: str, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    c = Client()
    c.force_login(user)
    r = c.post(
        f"{path}/actions/{action}", json.dumps({"fields": fields}), content_type="application/json"
    )
    return r.status_code, r.json()


def on_procedure(judge, procedure, action: str, /, **fields: Any) -> tuple[int, dict[str, Any]]:
    return call(judge, f"/api/pricing/procedures/{procedure.pk}/court", action, **fields)


@pytest.mark.rule("PRC-07", entry="api")
def test_prc07_an_extension_is_asked_before_the_deadline_through_the_api(procedure, judge, now):
    """Inside the 3 days a platform's extension is recorded; after them it is refused; the
    window's close then names who reported (some on time → the others are missing)."""
    platforms(2)
    inquiry = send(procedure, judge)
    r1, r2 = requests(inquiry)
    status, body = on_procedure(judge, procedure, "extension", request=r1.pk, reason="数据更新中")
    assert status == 200, body
    # the message names the procedure (its case number first: issue 13)
    assert body["message"].startswith(procedure.case.number)
    assert body["message"].endswith("：已登记平台延期申请（PRC-07）")
    clock.advance(dt.timedelta(days=5))
    status, body = on_procedure(judge, procedure, "extension", request=r2.pk, reason="晚了")
    assert status == 400
    assert (body["code"], body["rule"]) == ("extension_too_late", "PRC-07")
    r2.refresh_from_db()
    assert not r2.extension_requested_at


@pytest.mark.rule("PRC-08", entry="api")
def test_prc08_no_correction_while_any_report_is_clean_through_the_api(procedure, judge, now):
    platforms(3)
    inquiry = send(procedure, judge)
    reps = [report(r, a) for r, a in zip(requests(inquiry), (1, 2, 3), strict=True)]
    for rep, error in zip(reps, (True, True, False), strict=True):
        status, body = on_procedure(
            judge,
            procedure,
            "review",
            report=rep.pk,
            fact_error=error,
            note="面积错误" if error else "",
        )
        assert status == 200, body
    status, body = on_procedure(
        judge, procedure, "corrections", inquiry=inquiry.pk, note="面积错误"
    )
    assert status == 400
    assert (body["code"], body["rule"]) == ("correction_not_allowed", "PRC-08")
    assert not Inquiry.objects.filter(procedure=procedure, kind="correction").exists()


@pytest.mark.rule("PRC-12", entry="api")
def test_prc12_a_lapsed_price_is_reissued_by_the_platforms_in_3_days_through_the_api(
    procedure, judge, now
):
    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    old = ReferencePrice.objects.get(procedure=procedure)
    status, body = on_procedure(judge, procedure, "reissue")
    assert status in (400, 409) and body["code"] == "still_valid"
    clock.set_time(old.valid_until + dt.timedelta(days=1))
    status, body = on_procedure(judge, procedure, "reissue")
    assert status == 200, body
    assert body["message"].startswith(procedure.case.number)
    assert body["message"].endswith("：已要求重新出具（PRC-12）")
    reissue = Inquiry.objects.get(procedure=procedure, kind="reissue")
    assert reissue.due_at == calendar.within_days(clock.now(), 3)
    assert {r.platform.code for r in requests(reissue)} == {"p1", "p2", "p3"}


@pytest.mark.rule("PRC-13", entry="api")
def test_prc13_fixing_the_price_opens_the_10_day_sale_deadline_through_the_api(
    procedure, judge, now
):
    platforms(3)
    inquiry = send(procedure, judge)
    for r, a in zip(requests(inquiry), (1_000_000_00, 1_200_000_00, 1_400_000_00), strict=True):
        report(r, a)
    serve_all(inquiry)
    clock.advance(dt.timedelta(days=8))
    assert not Deadline.objects.filter(subject=procedure.subject, rule_id="PRC-13").exists()
    status, body = on_procedure(judge, procedure, "fix", inquiry=inquiry.pk)
    assert status == 200, body
    d = Deadline.objects.get(subject=procedure.subject, rule_id="PRC-13", status="open")
    assert d.due_at == calendar.within_days(clock.now(), 10, court=procedure.court_id)


@pytest.mark.rule("PRC-15", entry="api")
def test_prc15_no_inquiry_fee_after_a_withdrawal_through_the_api(procedure, judge, now):
    from pricing.services import reference_price_record_sale
    from settlement.models import Charge

    _fixed_three(procedure, judge, (1_000_000_00, 1_200_000_00, 1_400_000_00))
    status, body = on_procedure(
        judge, procedure, "withdraw", ground="debt_performed", note="被执行人已履行"
    )
    assert status == 200, body
    reference_price_record_sale(
        asset_id=procedure.asset_id, auction_ref="auction:5", outcome="withdrawn"
    )
    assert not Charge.objects.filter(kind="inquiry_fee").exists()


KINDS = "挂牌价,成交价,评估价"


@pytest.mark.rule("PRC-18", entry="api")
def test_prc18_entry_conditions_and_the_five_year_bar_through_the_api(db, now):
    keeper = make_user("operator")
    admit = {"code": "p9", "name": "平台九", "url": "http://127.0.0.1:9/", "secret": "s"}
    status, body = call(
        keeper, "/api/pricing/roster", "admit", **admit, kinds="挂牌价,成交价", retention_years=10
    )
    assert status == 400 and (body["code"], body["rule"]) == ("too_few_price_data", "PRC-18")
    status, body = call(
        keeper, "/api/pricing/roster", "admit", **admit, kinds=KINDS, retention_years=10
    )
    assert status == 200, body
    platform = InquiryPlatform.objects.get(code="p9")
    status, body = call(
        keeper, "/api/pricing/roster", "remove", platform=platform.pk, reason="一年内逾期 5 次"
    )
    assert status == 200, body
    platform.refresh_from_db()
    assert platform.barred_until == calendar.months_after(now, 60)
    status, body = call(
        keeper, "/api/pricing/roster", "admit", **admit, kinds=KINDS, retention_years=10
    )
    assert status in (400, 409) and (body["code"], body["rule"]) == ("platform_barred", "PRC-18")


def test_only_the_roster_keeper_and_the_courts_own_judges_act(procedure, judge, other_court):
    status, _body = call(make_user("judge", other_court), "/api/pricing/roster", "admit", code="x")
    assert status == 403
    status, _body = on_procedure(make_user("judge", other_court), procedure, "checks")
    assert status == 403
