"""An asset's location: chosen by division, placed at the district's seat when no exact point
is known, and corrected later on its page (audited), which pricing hears of."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cases import services
from cases.models import Asset
from core.errors import DomainError
from core.models import AuditEntry
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

FLAT = {"area_m2": "96.2", "rooms": "3", "floor": "5", "year_built": "2008"}


@pytest.fixture
def case(court, judge):
    return CaseFactory.create(court=court, judge=judge)


def register(case, judge, **kw):
    args = {
        "case": case,
        "kind": "residential",
        "name": "东湖区某小区 3 栋 502 室",
        "division_code": "360102",
        "address": "南昌市东湖区示例路 1 号",
        "features": dict(FLAT),
        "actor": judge,
    }
    args.update(kw)
    return services.asset_register(**args)


def test_without_coordinates_the_asset_is_placed_at_its_districts_seat(case, judge):
    asset = register(case, judge)
    assert (asset.latitude, asset.longitude) == (Decimal("28.698731"), Decimal("115.903526"))
    assert asset.location_precision == Asset.Precision.DISTRICT


def test_entered_coordinates_are_kept_as_exact(case, judge):
    asset = register(case, judge, latitude="28.71", longitude="115.91")
    assert asset.latitude == Decimal("28.710000") and asset.location_precision == "exact"


def test_one_coordinate_without_the_other_is_refused(case, judge):
    with pytest.raises(DomainError) as exc:
        register(case, judge, latitude="28.71")
    assert exc.value.code == "invalid_coordinate"
    assert not Asset.objects.exists()


def test_correcting_an_asset_is_audited_with_only_what_changed(case, judge):
    asset = register(case, judge)
    services.asset_update(
        asset=asset,
        name=asset.name,
        division_code="360113",
        address=asset.address,
        features={**FLAT, "area_m2": "98.5"},
        reason="现场核实面积与区划",
        actor=judge,
    )
    asset.refresh_from_db()
    assert asset.division_code == "360113" and asset.features["area_m2"] == 98.5
    entry = AuditEntry.objects.get(action="asset.updated")
    assert entry.reason == "现场核实面积与区划"
    assert set((entry.after or {}).keys()) == {"division_code", "features", "location"}
    # the same facts again: nothing to record
    services.asset_update(
        asset=asset,
        name=asset.name,
        division_code="360113",
        address=asset.address,
        features={**FLAT, "area_m2": "98.5"},
        reason="再次保存",
        actor=judge,
    )
    assert AuditEntry.objects.filter(action="asset.updated").count() == 1


def test_a_correction_needs_a_reason(case, judge):
    asset = register(case, judge)
    with pytest.raises(DomainError):
        services.asset_update(
            asset=asset,
            name="新名称",
            division_code="360102",
            address=asset.address,
            features=dict(FLAT),
            reason="  ",
            actor=judge,
        )
    asset.refresh_from_db()
    assert asset.name != "新名称"


def test_the_edit_page_picks_the_district_by_name_and_saves_with_a_reason(client, case, judge):
    asset = register(case, judge)
    client.force_login(judge)
    url = reverse("cases:asset_edit", args=[case.pk, asset.pk])
    page = client.get(url).content.decode()
    assert "江西省" in page and "东湖区" in page and "data-region-select" in page
    form = {
        "name": asset.name,
        "division_code": "360113",
        "address": asset.address,
        "latitude": "",
        "longitude": "",
        "description": "",
        "reason": "",
        **{f"f_{k}": v for k, v in FLAT.items()},
    }
    resp = client.post(url, form)
    assert resp.status_code == 200 and "更正理由" in resp.content.decode()  # reason required
    resp = client.post(url, {**form, "reason": "区划调整"}, follow=True)
    text = resp.content.decode()
    assert "已更正标的物信息" in text and "江西省南昌市红谷滩区" in text
    assert Asset.objects.get(pk=asset.pk).division_code == "360113"


def test_only_staff_who_may_change_the_case_open_the_edit_page(client, case, judge, bidder):
    asset = register(case, judge)
    client.force_login(bidder)
    resp = client.get(reverse("cases:asset_edit", args=[case.pk, asset.pk]))
    assert resp.status_code in (403, 404)
