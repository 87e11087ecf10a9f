"""The operator onboards appraisal firms (with their recommending association, APR-01) and
firm users (each with a one-time enrolment link, REC-14) on pages; nobody else may."""

import re

import pytest

from appraisers.models import Firm, FirmUser
from core.models import AuditEntry, EnrolmentLink, OutboxMessage, Role, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FIRM = {
    "action": "create",
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


@pytest.fixture
def operator(client):
    user = make_user("operator")
    client.force_login(user)
    return user


def test_operator_adds_a_firm_with_its_association(client, operator):
    resp = client.post("/appraisers/roster/firms/new/", FIRM)
    firm = Firm.objects.get(licence_no="JX-2026-001")
    assert resp.status_code == 302 and resp.url == f"/appraisers/roster/firms/{firm.pk}/"
    assert firm.recommended_by == "中国房地产估价师与房地产经纪人学会"
    assert AuditEntry.objects.filter(action="firm.created", actor_id=operator.pk).exists()
    assert "新增评估机构" in client.get("/appraisers/roster/").content.decode()


@pytest.mark.rule("APR-01", entry="page")
def test_a_firm_without_a_recommending_association_is_refused(client, operator):
    """APR-01: the roster takes only firms recommended by an appraisal association."""
    resp = client.post("/appraisers/roster/firms/new/", {**FIRM, "recommended_by": " "})
    assert resp.status_code == 200
    assert "请填写推荐该机构入库的评估行业协会" in resp.content.decode()
    assert "APR-01" in resp.content.decode()
    assert not Firm.objects.exists()


def test_operator_adds_a_firm_user_who_gets_an_enrolment_link(client, operator):
    client.post("/appraisers/roster/firms/new/", FIRM)
    firm = Firm.objects.get()
    resp = client.post(
        f"/appraisers/roster/firms/{firm.pk}/",
        {
            "action": "user",
            "username": "zhou.appraiser",
            "display_name": "周评估",
            "phone": "13900000022",
            "email": "",
        },
    )
    person = User.objects.get(username="zhou.appraiser")
    assert resp.status_code == 302 and resp.url == f"/operator/people/{person.pk}/"
    assert person.role == Role.APPRAISER and person.court is None
    assert FirmUser.objects.get(user=person).firm == firm
    page = client.get(resp.url).content.decode()
    assert re.search(r'id="issued-url"[^>]*>[^<]*/accounts/enrol/', page)
    assert EnrolmentLink.objects.filter(user=person, used_at=None).count() == 1
    assert OutboxMessage.objects.filter(recipient=person, channel="sms").exists()
    assert "周评估" in client.get(f"/appraisers/roster/firms/{firm.pk}/").content.decode()


@pytest.mark.parametrize("role", ["bureau_head", "judge", "appraiser", "bidder"])
def test_only_the_operator_onboards_firms(client, court, role):
    """A bureau head keeps the roster (status, sub-rosters) but onboards no firms or users;
    a superuser flag opens nothing here."""
    who = make_user(role, court if role in ("bureau_head", "judge") else None, is_superuser=True)
    client.force_login(who)
    assert client.get("/appraisers/roster/firms/new/").status_code == 403
    assert client.post("/appraisers/roster/firms/new/", FIRM).status_code == 403
    firm = Firm.objects.create(
        name="某机构",
        licence_no="X-1",
        qualification="asset",
        division_code="360100",
        recommended_by="中评协",
        created_at="2026-11-02T01:00:00Z",
    )
    resp = client.post(
        f"/appraisers/roster/firms/{firm.pk}/",
        {"action": "user", "username": "x.user", "display_name": "某人", "phone": "139"},
    )
    assert resp.status_code == 403
    assert not User.objects.filter(username="x.user").exists()


def test_operator_corrects_a_firm_and_the_association_stays_required(client, operator):
    client.post("/appraisers/roster/firms/new/", FIRM)
    firm = Firm.objects.get()
    edit = {k: v for k, v in FIRM.items() if k != "licence_no"}
    resp = client.post(
        f"/appraisers/roster/firms/{firm.pk}/",
        {**edit, "action": "edit", "contact_phone": "0791-1111111", "reason": "换号"},
    )
    assert resp.status_code == 302
    firm.refresh_from_db()
    assert firm.contact_phone == "0791-1111111" and firm.licence_no == "JX-2026-001"
    entry = AuditEntry.objects.filter(action="firm.updated").get()
    assert entry.reason == "换号" and entry.actor_id == operator.pk
    resp = client.post(
        f"/appraisers/roster/firms/{firm.pk}/", {**edit, "action": "edit", "recommended_by": ""}
    )
    assert resp.status_code == 200 and "APR-01" in resp.content.decode()
    firm.refresh_from_db()
    assert firm.recommended_by == FIRM["recommended_by"]
