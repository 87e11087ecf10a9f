"""GB/T 2260 divisions: names, the tree, a point per division, and the picker's endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core import regions


def test_provinces_cities_and_districts_by_code():
    provinces = regions.children()
    assert len(provinces) == 34 and provinces[0].code == "110000"
    jiangxi = {r.code: r.name for r in regions.children("360000")}
    assert jiangxi["360100"] == "南昌市"
    nanchang = {r.code: r.name for r in regions.children("360100")}
    assert nanchang["360102"] == "东湖区" and nanchang["360113"] == "红谷滩区"


def test_a_municipality_has_its_districts_straight_under_it():
    below = regions.children("110000")
    assert below[0].level == "district" and below[0].name == "东城区"
    assert regions.full_name("110105") == "北京市朝阳区"


def test_full_name_and_lineage():
    assert regions.full_name("360102") == "江西省南昌市东湖区"
    assert [r.level for r in regions.lineage("360102")] == ["province", "city", "district"]
    assert regions.full_name("999999") == "999999"  # unknown: the code as typed


def test_each_division_has_a_point_and_a_newer_district_takes_its_citys():
    lat, lon = regions.point("360102") or (None, None)
    assert lat == Decimal("28.698731") and lon == Decimal("115.903526")
    # 红谷滩区 (2019) is newer than the point data: it takes 南昌市's point
    assert regions.point("360113") == regions.point("360100")
    assert regions.point("999999") is None


def test_picker_context_for_a_district_and_for_a_municipality():
    ctx = regions.picker("360102")
    assert ctx["region_selected"] == ["360000", "360100", "360102"]
    assert {r.code for r in ctx["region_choices"][2]} >= {"360102", "360113"}
    ctx = regions.picker("110105")
    assert ctx["region_selected"] == ["110000", "", "110105"]
    assert ctx["region_choices"][1] == [] and ctx["region_choices"][2][0].code == "110101"


@pytest.mark.django_db
def test_the_endpoint_lists_children_and_refuses_an_unknown_code(client):
    resp = client.get(reverse("core:regions"), {"parent": "360100"})
    assert resp.status_code == 200 and "max-age=86400" in resp["Cache-Control"]
    assert {"code": "360102", "name": "东湖区", "level": "district"} in resp.json()["regions"]
    assert len(client.get(reverse("core:regions")).json()["regions"]) == 34
    resp = client.get(reverse("core:regions"), {"parent": "999999"})
    assert resp.status_code == 404 and resp.json()["code"] == "unknown_region"
