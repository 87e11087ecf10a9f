"""The roster (APR-01): CSV import/export for its keepers, the 5-year bar, sub-roster codes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from appraisers import services
from appraisers.models import Firm
from core.errors import DomainError
from core.models import AuditEntry
from tests.appraisers.conftest import make_firm
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HEADER = (
    "licence_no,name,uscc,qualification,recommended_by,division_code,address,contact_name,contact_phone,"
    "status,status_reason,sub_rosters\n"
)


def test_export_then_import_round_trips(db):
    a = make_firm(None, levels=("city", "province"))
    services.firm_set_status(firm=make_firm(None), status="suspended", reason="整改", actor=None)
    text = services.roster_export_csv()
    Firm.objects.filter(pk=a.pk).update(name="改过的名字")
    counts = services.roster_import_csv(text=text, actor=None)
    assert counts == {"created": 0, "updated": 2}
    assert Firm.objects.get(pk=a.pk).name != "改过的名字"
    assert services.roster_export_csv() == text


def test_import_creates_firms_with_sub_rosters_and_is_audited(db):
    text = HEADER + (
        "L-9001,新余示例评估有限公司,,asset,中评协,360500,,,,active,,"
        "residential:city:360500;equity:province:360000\n"
    )
    assert services.roster_import_csv(text=text, actor=None) == {"created": 1, "updated": 0}
    firm = Firm.objects.get(licence_no="L-9001")
    assert {(e.specialty, e.level, e.division_code) for e in firm.roster_entries.all()} == {
        ("residential", "city", "360500"),
        ("equity", "province", "360000"),
    }
    assert AuditEntry.objects.filter(stream="system:appraisers-roster", subject=firm.ref).exists()


def test_a_bad_row_imports_nothing_and_names_the_line(db):
    text = HEADER + (
        "L-1,甲公司,,asset,中评协,360100,,,,active,,residential:city:360100\n"
        "L-2,乙公司,,asset,中评协,360100,,,,active,,residential:city:360000\n"
    )
    with pytest.raises(DomainError) as exc:
        services.roster_import_csv(text=text, actor=None)
    assert "第 3 行" in str(exc.value.message)
    assert not Firm.objects.filter(licence_no__in=["L-1", "L-2"]).exists()


def test_import_cannot_reinstate_a_removed_firm_within_five_years(db):
    """APR-01."""
    firm = make_firm(None)
    services.firm_set_status(firm=firm, status="removed", reason="虚假评估", actor=None)
    text = services.roster_export_csv().replace(",removed,", ",active,")
    with pytest.raises(DomainError) as exc:
        services.roster_import_csv(text=text, actor=None)
    assert "五年内" in str(exc.value.message)
    assert Firm.objects.get(pk=firm.pk).status == "removed"


def test_appraisers_csv_round_trip(db):
    firm = make_firm(None)
    text = services.appraisers_export_csv()
    assert firm.appraisers.get().licence_no in text
    text += f"{firm.licence_no},新评估师,APR-NEW-1,residential,1\n"
    assert services.appraisers_import_csv(text=text, actor=None)["created"] == 1


def test_keeper_imports_through_the_page(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    keeper = make_user("operator")
    client.force_login(keeper)
    body = HEADER + "L-77,页面导入公司,,land,中评协,360100,,,,active,,land:city:360100\n"
    resp = client.post(
        reverse("appraisers:roster_import"),
        {"kind": "firms", "file": SimpleUploadedFile("r.csv", ("\ufeff" + body).encode("utf-8"))},
    )
    assert resp.status_code == 302 and Firm.objects.filter(licence_no="L-77").exists()
    client.force_login(make_user("party"))
    assert client.get(reverse("appraisers:roster_import")).status_code == 403


def test_sub_roster_codes_are_checked(db):
    firm = make_firm(None)
    with pytest.raises(DomainError):
        services.roster_entry_add(
            firm=firm, specialty="land", level="province", division_code="360100", actor=None
        )
    with pytest.raises(DomainError):
        services.roster_entry_add(
            firm=firm, specialty="land", level="city", division_code="360000", actor=None
        )


def test_demo_seed_is_idempotent_and_gives_the_demo_firm_user_a_commission(db, frozen_now):
    from appraisers.demo import seed
    from appraisers.models import Commission, FirmUser
    from tests.appraisers.conftest import make_case
    from tests.conftest import make_court

    court = make_court(division_code="360102")
    judge = make_user("judge", court)
    _, _, _, asset = make_case(court, judge)
    appraiser = make_user("appraiser")
    ctx = {
        "court": court,
        "users": {"judge": judge, "appraiser": appraiser, "operator": None},
        "assets": [asset],
    }
    seed(ctx)
    seed(ctx)
    assert Firm.objects.filter(is_sample=True).count() == 8
    assert all("示例" in f.name for f in Firm.objects.filter(is_sample=True))
    fu = FirmUser.objects.get(user=appraiser)
    c = Commission.objects.get()
    assert c.firm_id == fu.firm_id and c.state == "offered"
    from appraisers.services.verification import draw_verify

    assert draw_verify(c.request.draws.get())["ok"]


@pytest.mark.real_clock
def test_demo_seed_runs_on_the_running_clock(db):
    """`make demo` seeds on the real clock: the demo draw is scheduled far enough ahead that
    scheduling it (APR-03: the time is fixed before the draw) never lands in the past."""
    from appraisers.demo import seed
    from appraisers.models import Commission
    from core import clock
    from tests.appraisers.conftest import make_case
    from tests.conftest import make_court

    assert not clock.is_controlled()
    court = make_court(division_code="360102")
    judge = make_user("judge", court)
    _, _, _, asset = make_case(court, judge)
    seed(
        {
            "court": court,
            "users": {"judge": judge, "appraiser": make_user("appraiser")},
            "assets": [asset],
        }
    )
    c = Commission.objects.get()
    assert c.state == "offered"
    assert c.request.draws.get().scheduled_at <= clock.now()
    assert not clock.is_controlled()


def test_the_demo_appraisal_is_for_its_own_flat_not_an_asset_already_priced_or_sold(db, frozen_now):
    """The sample commission is for a flat of the first case that has no reference price,
    lot or auction of its own, so the demo never shows an appraisal of a flat on sale."""
    from appraisers.demo import APPRAISAL_ASSET, seed
    from appraisers.models import Commission
    from cases import demo as cases_demo
    from core.demo import seed_core

    ctx: dict = {}
    seed_core(ctx)
    cases_demo.seed(ctx)
    seed(ctx)
    seed(ctx)
    c = Commission.objects.get()
    asset = c.request.asset
    assert asset.name == APPRAISAL_ASSET and asset.case_id == ctx["cases"][0].pk
    assert asset not in ctx["assets"].values() and not asset.lots.exists()
    assert asset.seizures.count() == 1


# --- APR-01: no firm without its recommending association ------------------------------------


@pytest.mark.parametrize("association", ["", "   "])
def test_apr01_firm_create_refuses_a_firm_without_its_recommending_association(db, association):
    with pytest.raises(DomainError) as exc:
        services.firm_create(
            name="无推荐评估公司",
            licence_no="L-APR01",
            qualification="asset",
            division_code="360100",
            recommended_by=association,
            actor=None,
        )
    assert (exc.value.code, exc.value.rule) == ("association_required", "APR-01")
    assert not Firm.objects.filter(licence_no="L-APR01").exists()


def test_apr01_firm_create_accepts_a_named_association(db):
    firm = services.firm_create(
        name="有推荐评估公司",
        licence_no="L-APR01",
        qualification="asset",
        division_code="360100",
        recommended_by=" 中国资产评估协会 ",
        actor=None,
    )
    assert firm.recommended_by == "中国资产评估协会"


def test_apr01_csv_import_refuses_a_new_or_updated_firm_without_association(db):
    new = HEADER + "L-7,丙公司,,asset,,360100,,,,active,,residential:city:360100\n"
    with pytest.raises(DomainError) as exc:
        services.roster_import_csv(text=new, actor=None)
    assert "第 2 行" in str(exc.value.message) and "协会" in str(exc.value.message)
    firm = make_firm(None)
    text = services.roster_export_csv().replace(firm.recommended_by, "")
    with pytest.raises(DomainError):
        services.roster_import_csv(text=text, actor=None)
    firm.refresh_from_db()
    assert firm.recommended_by


def test_apr01_the_database_refuses_a_firm_row_without_association(db):
    from django.db import IntegrityError, transaction

    from core import clock

    with pytest.raises(IntegrityError), transaction.atomic():
        Firm.objects.create(
            name="直写公司",
            licence_no="L-RAW",
            qualification="asset",
            division_code="360100",
            created_at=clock.now(),
        )


@pytest.mark.rule("APR-01", entry="page")
def test_apr01_the_import_page_refuses_a_firm_without_association(client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("operator"))
    body = HEADER + "L-78,无协会公司,,land,,360100,,,,active,,land:city:360100\n"
    resp = client.post(
        reverse("appraisers:roster_import"),
        {"kind": "firms", "file": SimpleUploadedFile("r.csv", body.encode("utf-8"))},
        follow=True,
    )
    assert not Firm.objects.filter(licence_no="L-78").exists()
    assert "评估行业协会" in resp.content.decode()
