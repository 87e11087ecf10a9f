"""The Django admin for the platform operator: every core page opens, and edits go through
the services (calendar: audited and deadlines recompute, REC-02; settings: legal ranges with
the rule ID and audited, REC-08)."""

import datetime as dt

import pytest
from django.urls import reverse

from core import calendar
from core.calendar import CST
from core.deadlines import deadline_open
from core.models import AuditEntry, CalendarDay, Court, RuleSetting
from core.rulesettings import get_setting

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, platform_operator):
    client.force_login(platform_operator)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "court",
        "user",
        "calendarday",
        "rulesetting",
        "auditentry",
        "accesslog",
        "deadline",
        "outboxmessage",
        "inboxmessage",
        "servicerecord",
    ],
)
def test_every_core_admin_page_opens(admin_client, model, court, judge):
    assert admin_client.get(reverse(f"admin:core_{model}_changelist")).status_code == 200
    if model not in {
        "auditentry",
        "accesslog",
        "deadline",
        "outboxmessage",
        "inboxmessage",
        "servicerecord",
    }:
        assert admin_client.get(reverse(f"admin:core_{model}_add")).status_code == 200


def test_calendar_edit_in_admin_is_audited_and_recomputes_deadlines(
    admin_client, court, judge, platform_operator
):
    """REC-02: declaring Thursday 12 Nov 2026 a holiday moves a deadline due that day."""
    d = deadline_open(
        rule_id="PRC-13",
        title="启动变价",
        subject="case:1/asset:1",
        start_event="price_fixed",
        started_at=dt.datetime(2026, 11, 2, 9, tzinfo=CST),
        period=10,
        court=court,
        owner=judge,
    )
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 12))
    resp = admin_client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2026-11-12", "kind": "holiday", "name": "示例假日", "reason": "省政府通知"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert CalendarDay.objects.get(date=dt.date(2026, 11, 12)).kind == "holiday"
    d.refresh_from_db()
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 13))
    entry = AuditEntry.objects.get(stream="system:calendar")
    assert entry.actor == platform_operator and entry.reason == "省政府通知"
    assert entry.after == {"kind": "holiday", "name": "示例假日"}

    # Deleting the day in the admin restores the weekly pattern, audited again.
    row = CalendarDay.objects.get(date=dt.date(2026, 11, 12))
    resp = admin_client.post(
        reverse("admin:core_calendarday_delete", args=[row.pk]), {"post": "yes"}
    )
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.due_at == calendar.end_of_day(dt.date(2026, 11, 12))
    assert AuditEntry.objects.filter(stream="system:calendar").count() == 2


def test_calendar_edit_in_admin_needs_a_reason(admin_client):
    resp = admin_client.post(
        reverse("admin:core_calendarday_add"), {"date": "2026-11-12", "kind": "holiday"}
    )
    assert resp.status_code == 200
    assert not CalendarDay.objects.filter(date=dt.date(2026, 11, 12)).exists()


def test_setting_out_of_range_in_admin_shows_the_rule_and_saves_nothing(admin_client, court):
    resp = admin_client.post(
        reverse("admin:core_rulesetting_add"),
        {"court": court.pk, "key": "deposit_ratio_max", "value": '"0.30"', "reason": "试图放宽"},
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "deposit_ratio_max" in body and "AUC-16" in body
    assert not RuleSetting.objects.exists()
    assert not AuditEntry.objects.exists()


def test_setting_in_range_in_admin_is_saved_and_audited(admin_client, court, platform_operator):
    resp = admin_client.post(
        reverse("admin:core_rulesetting_add"),
        {"court": court.pk, "key": "deposit_ratio_min", "value": '"0.10"', "reason": "院务会"},
    )
    assert resp.status_code == 302
    assert str(get_setting("deposit_ratio_min", court=court)) == "0.10"
    entry = AuditEntry.objects.get(action="setting.changed")
    assert entry.actor == platform_operator and entry.reason == "院务会"
    # Changing it again edits the same override (court and key are read-only on change).
    row = RuleSetting.objects.get()
    page = admin_client.get(reverse("admin:core_rulesetting_change", args=[row.pk]))
    assert page.status_code == 200 and "deposit_ratio_min" in page.content.decode()
    resp = admin_client.post(
        reverse("admin:core_rulesetting_change", args=[row.pk]),
        {"value": '"0.12"', "reason": "再调整"},
    )
    assert resp.status_code == 302
    assert str(get_setting("deposit_ratio_min", court=court)) == "0.12"
    assert RuleSetting.objects.count() == 1


def test_court_change_in_admin_is_audited(admin_client, court, platform_operator):
    url = reverse("admin:core_court_change", args=[court.pk])
    data = {
        "name": court.name,
        "code": court.code,
        "division_code": court.division_code,
        "master_account_no": "6222000000000009",
        "master_account_bank": court.master_account_bank,
        "master_account_name": court.master_account_name,
        "contact_phone": "",
    }
    assert admin_client.post(url, data).status_code == 302
    assert Court.objects.get(pk=court.pk).master_account_no == "6222000000000009"
    entry = AuditEntry.objects.get(stream="system:courts")
    assert entry.after == {"master_account_no": "6222000000000009"}
    assert entry.actor == platform_operator


def test_audit_entries_cannot_be_changed_in_admin(admin_client):
    from django.db import transaction

    from core.audit import audit_record

    with transaction.atomic():
        e = audit_record(stream="case:1", action="x")
    resp = admin_client.post(reverse("admin:core_auditentry_change", args=[e.pk]), {"reason": "改"})
    assert resp.status_code == 403
    assert admin_client.get(reverse("admin:core_auditentry_delete", args=[e.pk])).status_code == 403


def test_staff_user_without_court_is_refused_with_a_chinese_message(admin_client):
    from core.models import User

    resp = admin_client.post(
        reverse("admin:core_user_add"),
        {
            "username": "newjudge",
            "usable_password": "true",
            "password1": "a-long-Passw0rd-2026",
            "password2": "a-long-Passw0rd-2026",
            "role": "judge",
            "display_name": "新法官",
        },
    )
    assert resp.status_code == 200
    assert "须指定所属法院" in resp.content.decode()
    assert not User.objects.filter(username="newjudge").exists()


def test_no_one_can_delete_a_user_in_admin_so_registrations_never_show(admin_client, bidder):
    """REC-05: the delete page would list a user's registrations; users are deactivated instead."""
    resp = admin_client.get(f"/admin/core/user/{bidder.pk}/delete/")
    assert resp.status_code == 403
    page = admin_client.get(f"/admin/core/user/{bidder.pk}/change/").content.decode()
    assert f"/admin/core/user/{bidder.pk}/delete/" not in page


def test_the_admin_never_shows_who_got_a_bidders_message(admin_client, bidder, party_user):
    """REC-05: an outbid notice sent at the time of a public bid would tie the person to a
    bidder code. The outbox and inbox pages hide the recipient and text of bidding messages
    and still show the rest (a party's seizure notice) in full."""
    from core.models import InboxMessage, OutboxMessage
    from core.notifications import deliver_pending, notify

    bidder.display_name = "竞买人张三"
    bidder.save()
    party_user.display_name = "当事人李四"
    party_user.save()
    notify(
        user=bidder,
        topic="marketplace.outbid",
        subject="您的出价已被超越",
        body="“东湖区某房产（一拍）”有新的出价",
        key="outbid-1",
        link="/bidding/auctions/9/",
    )
    notify(user=party_user, topic="case.seizure", subject="查封通知", body="本院已查封", key="s-1")
    deliver_pending()
    pages = []
    for model in (OutboxMessage, InboxMessage):
        name = model._meta.model_name
        pages.append(admin_client.get(reverse(f"admin:core_{name}_changelist")).content.decode())
        for obj in model.objects.all():
            url = reverse(f"admin:core_{name}_change", args=[obj.pk])
            pages.append(admin_client.get(url).content.decode())
    html = "".join(pages)
    assert "竞买人张三" not in html and bidder.username not in html
    assert "东湖区某房产" not in html and "/bidding/auctions/9/" not in html
    assert "已隐去" in html and "marketplace.outbid" in html
    assert "当事人李四" in html and "本院已查封" in html
