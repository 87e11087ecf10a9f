"""The judge's pages, the identity page and the parties' portal, in Chinese."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case, Disclosure, Seizure
from cases.portal import Section, register_section, unregister_section
from core.models import AccessLog, Deadline, ServiceRecord
from core.service import service_record
from tests.cases.conftest import id_number
from tests.conftest import make_user


def page(client, url, **kw):
    resp = client.get(url, **kw)
    return resp, resp.content.decode()


def test_the_judge_sees_my_cases_and_the_case_page_in_chinese(
    client, case, flat, debtor_party, judge
):
    client.force_login(judge)
    resp, html = page(client, reverse("cases:my_cases"))
    assert resp.status_code == 200
    assert "我的案件" in html and case.number in html and "123,456.78" in html
    resp, html = page(client, reverse("cases:case", args=[case.pk]))
    assert resp.status_code == 200
    for words in (
        "首次执行案件",
        "被执行人",
        "张三",
        flat.name,
        "建筑面积（平方米）",
        "89.5",
        "权属状况",
        "未登记",
        "操作记录",
        "立案登记",
        "登记标的物",
    ):
        assert words in html, words
    assert debtor_party.identity.number not in html  # masked everywhere (REC-05)
    assert debtor_party.identity.masked_number in html


def test_staff_of_another_court_get_404_on_pages(client, case, flat, other_judge):
    client.force_login(other_judge)
    for url in (
        reverse("cases:case", args=[case.pk]),
        reverse("cases:asset", args=[case.pk, flat.pk]),
        reverse("cases:disclosure_new", args=[case.pk, flat.pk]),
        reverse("cases:portal_case", args=[case.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert case.number not in page(client, reverse("cases:my_cases") + "?all=1")[1]


def test_finance_reads_the_case_but_gets_403_on_forms(client, case, flat, finance):
    client.force_login(finance)
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 200
    assert client.get(reverse("cases:seizure_new", args=[case.pk, flat.pk])).status_code == 403
    resp = client.post(
        reverse("cases:seizure_new", args=[case.pk, flat.pk]),
        {"kind": "seal", "seized_on": "2026-10-20", "document": "x"},
    )
    assert resp.status_code == 403 and not Seizure.objects.exists()


def test_case_form_shows_the_reason_a_number_is_refused(client, judge, frozen_now):
    client.force_login(judge)
    resp = client.post(
        reverse("cases:case_new"),
        {"number": "（2026）赣0102民初5号", "claim": "100", "filed_on": "2026-10-01"},
    )
    html = resp.content.decode()
    assert resp.status_code == 200 and "不是执行案件类型代字" in html
    resp = client.post(
        reverse("cases:case_new"),
        {"number": "（2026）赣0102执5号", "claim": "-100", "filed_on": "2026-10-01"},
    )
    assert "不能为负数" in resp.content.decode()
    resp = client.post(
        reverse("cases:case_new"),
        {
            "number": "(2026)赣0102执5号",
            "claim": "1,000.50",
            "filed_on": "2026-10-01",
            "judge": judge.pk,
        },
    )
    case = Case.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("cases:case", args=[case.pk])
    assert (case.number, case.claim_fen, case.judge) == ("（2026）赣0102执5号", 100050, judge)


@pytest.mark.rule("PRC-01", entry="page")
def test_recording_a_seizure_on_the_page_shows_the_pricing_deadline(
    client, case, flat, judge, frozen_now
):
    client.force_login(judge)
    url = reverse("cases:seizure_new", args=[case.pk, flat.pk])
    html = page(client, url)[1]
    assert "PRC-01" in html and 'value="detain"' not in html  # a flat can only be sealed
    resp = client.post(
        url,
        {"kind": "seal", "seized_on": "2026-10-20", "document": "（2026）赣0102执100号之一"},
        follow=True,
    )
    html = resp.content.decode()
    assert "已登记查封措施，并开启启动定价期限（PRC-01），届满时间：2026-11-19 23:59" in html
    assert "启动定价期限（PRC-01）届满" in html
    assert Deadline.objects.get().rule_id == "PRC-01"
    html = page(client, reverse("cases:case", args=[case.pk]))[1]
    assert "启动财产处置参考价确定程序" in html and "2026-11-19 23:59" in html


def test_a_seizure_form_error_is_shown_on_its_field(client, case, flat, judge, frozen_now):
    client.force_login(judge)
    resp = client.post(
        reverse("cases:seizure_new", args=[case.pk, flat.pk]),
        {"kind": "seal", "seized_on": "2027-01-01", "document": "裁定"},
    )
    assert "查封日期不能晚于今天" in resp.content.decode()
    assert not Seizure.objects.exists()


def test_recording_a_disclosure_on_the_page(client, case, flat, judge, frozen_now):
    client.force_login(judge)
    url = reverse("cases:disclosure_new", args=[case.pk, flat.pk]) + "?topic=arrears"
    assert 'value="arrears" selected' in page(client, url)[1]
    resp = client.post(url, {"topic": "arrears", "text": "欠缴物业费 3,200 元"}, follow=True)
    html = resp.content.decode()
    assert "已登记披露事项：欠缴税费" in html and "欠缴物业费 3,200 元" in html
    assert Disclosure.objects.get().recorded_by == judge
    resp = client.post(url, {"topic": "arrears", "text": ""})
    assert "这个字段是必填项" in resp.content.decode() or "必填" in resp.content.decode()


def test_registering_an_asset_picks_the_kind_then_checks_its_features(client, case, judge):
    client.force_login(judge)
    url = reverse("cases:asset_new", args=[case.pk])
    assert "请选择类型" in page(client, url)[1]
    html = page(client, url + "?kind=vehicle")[1]
    assert "行驶里程（公里）" in html and "建筑面积" not in html
    resp = client.post(
        url + "?kind=vehicle",
        {
            "kind": "vehicle",
            "name": "轿车",
            "division_code": "360102",
            "f_make": "示例",
            "f_model": "S",
            "f_year": "2019",
            "f_mileage_km": "-10",
        },
    )
    assert "行驶里程（公里）：不应小于 0" in resp.content.decode()
    resp = client.post(
        url + "?kind=vehicle",
        {
            "kind": "vehicle",
            "name": "轿车",
            "division_code": "360102",
            "f_make": "示例",
            "f_model": "S",
            "f_year": "2019",
            "f_mileage_km": "52000",
        },
    )
    assert resp.status_code == 302
    assert case.assets.get().features == {
        "make": "示例",
        "model": "S",
        "year": 2019,
        "mileage_km": 52000,
    }


def test_adding_a_party_with_a_wrong_id_number_says_so(client, case, judge):
    client.force_login(judge)
    url = reverse("cases:party_new", args=[case.pk])
    good = id_number("36010219800101123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = client.post(
        url,
        {
            "role": "debtor",
            "kind": "person",
            "name": "张三",
            "identity_kind": "resident_id",
            "identity_number": bad,
        },
    )
    assert "校验位不正确" in resp.content.decode()
    party_user = make_user("party", username="zhangsan")
    resp = client.post(
        url,
        {
            "role": "debtor",
            "kind": "person",
            "name": "张三",
            "identity_kind": "resident_id",
            "identity_number": good,
            "username": "zhangsan",
            "claim": "",
        },
    )
    assert resp.status_code == 302
    assert case.parties.get().user == party_user


def test_reveal_page_logs_each_read(client, case, debtor_party, officer):
    client.force_login(officer)
    url = reverse("cases:party_reveal", args=[case.pk, debtor_party.pk])
    html = page(client, url)[1]
    assert debtor_party.identity.number not in html
    resp = client.post(url, {"purpose": "协助执行通知书填写"})
    assert debtor_party.identity.number in resp.content.decode()
    assert resp["Cache-Control"] == "no-store"
    assert AccessLog.objects.get().purpose == "协助执行通知书填写"


def test_a_party_cannot_open_the_reveal_page(client, case, debtor_party):
    client.force_login(debtor_party.user)
    url = reverse("cases:party_reveal", args=[case.pk, debtor_party.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"purpose": "看"}).status_code == 403
    assert not AccessLog.objects.exists()


def test_the_portal_shows_a_partys_cases_documents_and_deadlines(
    client, case, flat, debtor_party, court, judge, frozen_now
):
    from cases.services import case_create

    other = case_create(
        court=court,
        number="（2026）赣0102执555号",
        claim_fen=1,
        filed_on=dt.date(2026, 3, 2),
        actor=judge,
    )
    service_record(
        court=court,
        subject=case.ref,
        document="执行通知书",
        document_kind="enforcement_notice",
        recipient_ref=debtor_party.ref,
        recipient_name=debtor_party.name,
        method=ServiceRecord.Method.POST,
        proof="EMS1234567890CN",
        actor=judge,
    )
    from core.deadlines import deadline_open

    deadline_open(
        rule_id="REC-12",
        title="对执行行为提出书面异议",
        subject=case.ref,
        start_event="notice",
        started_at=frozen_now,
        period=15,
        court=court,
        party_ref=debtor_party.ref,
    )
    client.force_login(debtor_party.user)
    html = page(client, reverse("cases:portal"))[1]
    assert case.number in html and other.number not in html
    assert "执行通知书" in html and "EMS1234567890CN" in html
    assert "对执行行为提出书面异议" in html
    html = page(client, reverse("cases:portal_case", args=[case.pk]))[1]
    assert flat.name in html and "执行通知书" in html and "被执行人" in html
    assert "操作记录" not in html  # the court's internal record is not shown to parties
    assert client.get(reverse("cases:portal_case", args=[other.pk])).status_code == 404
    # The staff case page sends a party to their portal view.
    resp = client.get(reverse("cases:case", args=[case.pk]))
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "cases:portal_case", args=[case.pk]
    )


def test_later_apps_can_add_portal_sections(client, case, debtor_party, settings, tmp_path):
    tpl = tmp_path / "x_section.html"
    tpl.write_text("<p>评估机构协商：{{ case.number }} {{ extra }}</p>", encoding="utf-8")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    register_section(
        Section(
            key="test.agree",
            where="portal_case",
            title="协商选定评估机构",
            template="x_section.html",
            order=10,
            context=lambda request, c: {"extra": "示例"},
        )
    )
    try:
        client.force_login(debtor_party.user)
        html = page(client, reverse("cases:portal_case", args=[case.pk]))[1]
        assert "协商选定评估机构" in html and f"评估机构协商：{case.number} 示例" in html
    finally:
        unregister_section("test.agree")


def test_identity_page_submits_and_shows_masked_status(client, bidder, frozen_now):
    client.force_login(bidder)
    url = reverse("cases:identity")
    assert "提交实名信息" in page(client, url)[1]
    number = id_number("36010219900307251")
    resp = client.post(url, {"kind": "resident_id", "name": "赵六", "number": number[:-1] + "Y"})
    assert "最后一位应为数字或X" in resp.content.decode()
    resp = client.post(url, {"kind": "resident_id", "name": "赵六", "number": number}, follow=True)
    html = resp.content.decode()
    assert "实名核验已通过" in html and "已核验" in html
    assert number not in html and number[:3] + "*" * 11 + number[-4:] in html


def test_signed_out_visitors_are_sent_to_sign_in(client, case):
    resp = client.get(reverse("cases:case", args=[case.pk]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.parametrize("name", ["my_cases", "portal", "identity"])
def test_nav_links_are_on_my_pages(client, judge, party_user, name):
    client.force_login(party_user)
    html = page(client, reverse(f"cases:{name}"), follow=True)[1]
    assert "当事人服务" in html and "实名认证" in html
    client.force_login(judge)
    html = page(client, reverse(f"cases:{name}"), follow=True)[1]
    assert "我的案件" in html


def test_a_passed_pricing_deadline_shows_as_overdue_before_the_sweep(
    client, case, flat, judge, frozen_now
):
    """PRC-01 / REC-13: the case page marks a passed deadline even before the worker flags it."""
    import datetime as dt

    from cases.services import seizure_record
    from core import clock
    from core.calendar import CST

    seizure_record(
        asset=flat, kind="seal", seized_on=dt.date(2026, 10, 20), document="裁定", actor=judge
    )
    client.force_login(judge)
    html = page(client, reverse("cases:case", args=[case.pk]))[1]
    assert "正常" in html and "已超期" not in html
    clock.set_time(dt.datetime(2026, 11, 20, 8, 0, tzinfo=CST))
    html = page(client, reverse("cases:case", args=[case.pk]))[1]
    assert "已超期" in html
    # The history reads in Beijing time, not the stored UTC text.
    assert "2026-11-19 23:59" in html and "15:59:59" not in html


def test_a_person_who_picks_english_reads_the_case_page_in_english(
    client, case, flat, judge, settings
):
    client.force_login(judge)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page(client, reverse("cases:case", args=[case.pk]))[1]
    assert "Enforcement title" in html and "Known defects" in html and "Record disclosure" in html
    assert "执行依据" not in html


def test_the_case_history_names_every_apps_actions_in_chinese(client, case, judge):
    """REC-08: the judge reads the whole trace of the case, including the auction's and the
    appraisal's steps, by name and with amounts in yuan, not as internal codes."""
    from django.db import transaction

    from core.audit import audit_record

    with transaction.atomic():
        audit_record(
            stream=f"case:{case.pk}",
            action="panel.decided",
            actor=judge,
            subject="auction:1",
            after={"topic": "starting_price", "value_fen": 105_000_000},
            rules=["AUC-04"],
        )
        audit_record(stream=f"case:{case.pk}", action="draw.done", actor=judge, subject="draw:1")
    client.force_login(judge)
    html = page(client, reverse("cases:case", args=[case.pk]))[1]
    history = html.split('id="history"', 1)[1]
    assert "合议庭决定" in history and "¥1,050,000.00" in history and "摇号完成" in history
    assert "panel.decided" not in history and "draw.done" not in history


def test_a_long_case_history_is_paged_newest_first(client, case, judge):
    from django.db import transaction

    from cases.views import HISTORY_PAGE_SIZE
    from core.audit import audit_record
    from core.models import AuditEntry

    stream = f"case:{case.pk}"
    with transaction.atomic():
        for i in range(HISTORY_PAGE_SIZE + 5):
            audit_record(
                stream=stream,
                action="service.recorded",
                actor=judge,
                subject=f"x:{i}",
                after={"document": f"文书第{i}号"},
            )
    total = AuditEntry.objects.filter(stream=stream).count()
    client.force_login(judge)
    url = reverse("cases:case", args=[case.pk])
    first = page(client, url)[1].split('id="history"', 1)[1]
    assert first.count('<tr><td class="act">') == HISTORY_PAGE_SIZE
    assert f"文书第{HISTORY_PAGE_SIZE + 4}号" in first and "较早的记录" in first
    older = page(client, url + "?history=2")[1].split('id="history"', 1)[1]
    assert older.count('<tr><td class="act">') == total - HISTORY_PAGE_SIZE
    assert "文书第0号" in older and "较新的记录" in older


def test_an_asset_with_several_bad_features_shows_every_problem_at_once(client, case, judge):
    """Each wrong feature is named on its own field after one submission, and all typed
    values stay in the form (nothing is registered)."""
    client.force_login(judge)
    url = reverse("cases:asset_new", args=[case.pk]) + "?kind=residential"
    typed = {
        "kind": "residential",
        "name": "东湖区示例路9号",
        "division_code": "360102",
        "f_area_m2": "-5",
        "f_rooms": "abc",
        "f_floor": "0",
        "f_year_built": "2099",
    }
    html = client.post(url, typed).content.decode()
    for problem in (
        "建筑面积（平方米）：应大于 0",
        "房间数（室）：应为整数",
        "所在楼层：不能为 0",
        "建成年份：不应大于",
    ):
        assert problem in html
    assert 'value="abc"' in html and 'value="2099"' in html
    assert not case.assets.exists()


def test_asset_features_read_in_english_when_chosen(client, case, flat, judge):
    client.force_login(judge)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    try:
        html = page(client, reverse("cases:asset", args=[case.pk, flat.pk]))[1]
        assert "Floor area (m²)" in html and "建筑面积" not in html
    finally:
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
