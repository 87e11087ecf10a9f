"""REC-08 in the Django admin of every app: an admin that can write goes through the audited
service (an audit entry with the operator, old and new values and the reason) or is
read-only. Each writable change page is posted through the admin with the test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from cases.models import Case, SimulatedRejection
from core.models import AuditEntry
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

#: Every registered admin that may write, and how (REC-08). A new writable admin must be
#: added here with a test below that posts it and finds its audit entry.
WRITABLE = {
    "core.Court": {"add", "change"},  # audited in save_model
    "core.User": {"add", "change"},  # audited in save_model
    "core.CalendarDay": {"add", "change", "delete"},  # calendar_day_set
    "core.RuleSetting": {"add", "change", "delete"},  # setting_set / setting_clear
    "cases.Case": {"change"},  # case_status_set / case_claim_set
    "cases.SimulatedRejection": {"add", "change", "delete"},  # audited (simulator script)
    "settlement.CaseAccount": {"change"},  # case_account_set_gateway
    "appraisers.FirmUser": {"add", "change"},  # firm_user_add / firm_user_set_active
    "axes.AccessAttempt": {"delete"},  # lifting a lockout, audited
    "otp_totp.TOTPDevice": {"delete"},  # removing a second factor, audited
}


@pytest.fixture
def admin_client(client, platform_operator):
    client.force_login(platform_operator)
    return client


def _writes(model_admin: admin.ModelAdmin[Any], request: Any) -> set[str]:
    out = set()
    if model_admin.has_add_permission(request):
        out.add("add")
    if model_admin.has_change_permission(request):
        out.add("change")
    if model_admin.has_delete_permission(request):
        out.add("delete")
    if not out & {"add", "change"}:
        return out  # a view-only page: its inlines cannot be posted either
    for inline in model_admin.get_inline_instances(request):
        if inline.has_add_permission(request, None) or inline.has_change_permission(request):
            out.add(f"inline:{inline.model._meta.label}")
        if inline.has_delete_permission(request):
            out.add(f"inline-delete:{inline.model._meta.label}")
    return out


def test_rec08_every_registered_admin_writes_only_through_audited_paths(platform_operator):
    """All apps (core, cases, settlement, appraisers, pricing, bidding, marketplace, axes)."""
    request = RequestFactory().get("/admin/")
    request.user = platform_operator
    found = {}
    for model, model_admin in admin.site._registry.items():
        writes = _writes(model_admin, request)
        if writes:
            found[model._meta.label] = writes
    assert {k: v for k, v in found.items() if k not in WRITABLE} == {}, found
    assert found == WRITABLE


def _post_change(client, url: str, **changes: Any):
    """Post the admin change form as a person would: what the page shows, with ``changes``."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = getattr(value, "pk", value)
    for formset in page.context["inline_admin_formsets"]:
        mgmt = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{mgmt.prefix}-{name}"] = mgmt.initial.get(name, mgmt[name].value())
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data)


# --- cases.Case: status and claim -------------------------------------------------------------


@pytest.mark.rule("REC-08", entry="admin")
def test_rec08_admin_claim_change_is_audited_with_old_and_new_values(
    admin_client, platform_operator
):
    case = CaseFactory.create(claim_fen=500_000_00)
    url = reverse("admin:cases_case_change", args=[case.pk])
    resp = _post_change(admin_client, url, claim_fen=1, reason="更正笔误")
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.claim_fen == 1
    entry = AuditEntry.objects.get(stream=f"case:{case.pk}", action="case.claim_changed")
    assert entry.actor == platform_operator and entry.reason == "更正笔误"
    assert (entry.before, entry.after) == ({"claim_fen": 500_000_00}, {"claim_fen": 1})
    assert "REC-08" in entry.rule_ids


@pytest.mark.rule("REC-08", entry="admin")
def test_rec08_admin_claim_change_without_a_reason_changes_nothing(admin_client):
    case = CaseFactory.create(claim_fen=500_000_00)
    url = reverse("admin:cases_case_change", args=[case.pk])
    resp = _post_change(admin_client, url, claim_fen=1, reason="")
    assert resp.status_code == 200  # the form again, with the missing reason
    case.refresh_from_db()
    assert case.claim_fen == 500_000_00
    assert not AuditEntry.objects.filter(action="case.claim_changed").exists()


@pytest.mark.rule("REC-08", entry="admin")
def test_rec08_admin_status_change_is_audited(admin_client, platform_operator):
    case = CaseFactory.create()
    url = reverse("admin:cases_case_change", args=[case.pk])
    resp = _post_change(admin_client, url, status="suspended", reason="案外人提出异议")
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.status == "suspended"
    entry = AuditEntry.objects.get(stream=f"case:{case.pk}", action="case.status_changed")
    assert (entry.before, entry.after) == ({"status": "open"}, {"status": "suspended"})
    assert entry.actor == platform_operator and entry.reason == "案外人提出异议"


def test_rec08_admin_cannot_edit_other_case_fields(admin_client):
    case = CaseFactory.create(title="借款合同纠纷")
    url = reverse("admin:cases_case_change", args=[case.pk])
    _post_change(admin_client, url, title="改过的案由", reason="x")
    case.refresh_from_db()
    assert case.title == "借款合同纠纷"


def test_rec08_claim_service_refuses_a_negative_claim_and_staff_of_another_court(
    judge, other_court
):
    from cases.services import case_claim_set
    from core.errors import DomainError, PermissionDenied
    from tests.factories import JudgeFactory

    case = CaseFactory.create(court=judge.court, claim_fen=100)
    with pytest.raises(DomainError):
        case_claim_set(case=case, claim_fen=-1, reason="x", actor=judge)
    case_claim_set(case=case, claim_fen=0, reason="全部履行前核减", actor=judge)
    case.refresh_from_db()
    assert case.claim_fen == 0
    with pytest.raises(PermissionDenied):
        case_claim_set(
            case=case, claim_fen=5, reason="x", actor=JudgeFactory.create(court=other_court)
        )


# --- appraisers: firms read-only, firm users through the services ----------------------------


def test_rec08_admin_firm_pages_are_read_only(admin_client):
    from tests.appraisers.conftest import make_firm

    firm = make_firm(None)
    url = reverse("admin:appraisers_firm_change", args=[firm.pk])
    assert admin_client.get(url).status_code == 200  # view only
    resp = admin_client.post(url, {"name": "改名", "recommended_by": ""})
    assert resp.status_code == 403
    assert admin_client.post(reverse("admin:appraisers_firm_add"), {}).status_code == 403
    firm.refresh_from_db()
    assert firm.name != "改名"


def test_rec08_admin_firm_user_add_goes_through_firm_user_add(admin_client, platform_operator):
    from appraisers.models import FirmUser
    from tests.appraisers.conftest import make_firm
    from tests.conftest import make_user

    firm = make_firm(None)
    person = make_user("appraiser")
    resp = admin_client.post(
        reverse("admin:appraisers_firmuser_add"), {"firm": firm.pk, "user": person.pk}
    )
    assert resp.status_code == 302
    assert FirmUser.objects.get(user=person).firm == firm
    entry = AuditEntry.objects.get(action="firm.user_added", subject=firm.ref)
    assert entry.actor == platform_operator


def test_rec08_admin_firm_user_add_refuses_a_person_without_the_appraiser_role(admin_client):
    from appraisers.models import FirmUser
    from tests.appraisers.conftest import make_firm
    from tests.conftest import make_user

    firm = make_firm(None)
    person = make_user("bidder")
    admin_client.post(
        reverse("admin:appraisers_firmuser_add"), {"firm": firm.pk, "user": person.pk}
    )
    assert not FirmUser.objects.filter(user=person).exists()
    assert not AuditEntry.objects.filter(action="firm.user_added").exists()


@pytest.mark.rule("REC-08", entry="admin")
def test_rec08_admin_firm_user_deactivation_is_audited(admin_client, platform_operator):
    from appraisers import services
    from tests.appraisers.conftest import make_firm
    from tests.conftest import make_user

    firm = make_firm(None)
    fu = services.firm_user_add(firm=firm, user=make_user("appraiser"), actor=None)
    url = reverse("admin:appraisers_firmuser_change", args=[fu.pk])
    resp = _post_change(admin_client, url, is_active=False, reason="人员离职")
    assert resp.status_code == 302
    fu.refresh_from_db()
    assert fu.is_active is False
    entry = AuditEntry.objects.get(action="firm.user_deactivated")
    assert entry.actor == platform_operator and entry.reason == "人员离职"


# --- settlement.CaseAccount --------------------------------------------------------------------


def test_rec08_admin_case_account_gateway_change_is_audited(admin_client, platform_operator):
    from settlement.services import case_account_open

    case = CaseFactory.create()
    account = case_account_open(case_id=case.pk)
    url = reverse("admin:settlement_caseaccount_change", args=[account.pk])
    resp = _post_change(admin_client, url, gateway_balance_account="BA-42", reason="通道迁移")
    assert resp.status_code == 302
    account.refresh_from_db()
    assert account.gateway_balance_account == "BA-42"
    entry = AuditEntry.objects.get(action="case_account.gateway_changed")
    assert entry.after is not None and entry.after["gateway_balance_account"] == "BA-42"
    assert entry.before is not None and entry.before["gateway_balance_account"] == ""
    assert entry.actor == platform_operator


def test_rec08_admin_case_account_without_reason_is_refused(admin_client):
    from settlement.services import case_account_open

    case = CaseFactory.create()
    account = case_account_open(case_id=case.pk)
    url = reverse("admin:settlement_caseaccount_change", args=[account.pk])
    resp = _post_change(admin_client, url, gateway_balance_account="BA-42", reason="")
    assert resp.status_code == 200
    account.refresh_from_db()
    assert account.gateway_balance_account == ""


# --- cases.SimulatedRejection, core outbox retry -----------------------------------------------


def test_rec08_admin_simulator_script_is_audited_masked(admin_client, platform_operator):
    resp = admin_client.post(
        reverse("admin:cases_simulatedrejection_add"),
        {"kind": "resident_id", "number": "11010519491231002X", "reason": "测试"},
    )
    assert resp.status_code == 302
    assert SimulatedRejection.objects.count() == 1
    entry = AuditEntry.objects.get(action="simulator.rejection_set")
    assert "11010519491231002X" not in str(entry.after)
    assert entry.actor == platform_operator


def test_rec08_admin_outbox_retry_is_audited(admin_client, platform_operator, judge):
    from core.models import OutboxMessage
    from core.notifications import notify

    notify(user=judge, topic="t", subject="s", body="b", key="k-rec08")
    msg = OutboxMessage.objects.first()
    assert msg is not None
    OutboxMessage.objects.filter(pk=msg.pk).update(status=OutboxMessage.Status.FAILED)
    resp = admin_client.post(
        reverse("admin:core_outboxmessage_changelist"),
        {"action": "retry_failed", "_selected_action": [msg.pk]},
    )
    assert resp.status_code == 302
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.PENDING
    entry = AuditEntry.objects.get(action="outbox.retried")
    assert entry.after is not None and msg.pk in entry.after["messages"]
    assert entry.actor == platform_operator


def test_rec08_case_admin_change_page_opens(admin_client):
    case = CaseFactory.create(with_parties=True)
    assert admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code == 200
    assert Case.objects.filter(pk=case.pk).exists()


def test_rec08_admin_removing_a_second_factor_device_is_audited(admin_client, judge):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=judge, name="phone", confirmed=True)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    resp = admin_client.post(url, {"post": "yes"})
    assert resp.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEntry.objects.filter(
        action="otp_device.removed", subject=f"otp_totp.totpdevice:{device.pk}"
    ).exists()


def test_rec08_admin_setting_a_password_is_audited(admin_client, platform_operator, judge):
    url = reverse("admin:auth_user_password_change", args=[judge.pk])
    resp = admin_client.post(
        url,
        {
            "password1": "N3w-strong-pass!",
            "password2": "N3w-strong-pass!",
            "usable_password": "true",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    entry = AuditEntry.objects.get(action="user.password_set")
    assert entry.subject == f"user:{judge.pk}" and entry.actor == platform_operator
    assert "N3w" not in str(entry.after)


def test_rec08_admin_a_refused_password_leaves_no_entry(admin_client, judge):
    url = reverse("admin:auth_user_password_change", args=[judge.pk])
    resp = admin_client.post(url, {"password1": "a", "password2": "b"})
    assert resp.status_code == 200
    assert not AuditEntry.objects.filter(action="user.password_set").exists()
