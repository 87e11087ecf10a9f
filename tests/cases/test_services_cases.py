"""Cases, parties, assets, disclosures and lots: the services and what they refuse."""

import datetime as dt

import pytest

from cases.events import CaseCreated
from cases.models import Case, Disclosure
from cases.selectors import (
    case_history,
    case_parties,
    current_disclosures,
    missing_disclosure_topics,
)
from cases.services import asset_register, case_create, disclosure_record, lot_create, party_add
from core.errors import DomainError
from core.events import subscribe, unsubscribe
from core.models import AuditEntry
from tests.cases.conftest import id_number
from tests.conftest import make_court

WRONG_CHECK = "1" if id_number("36010219800101123").endswith("0") else "0"


def test_a_case_is_created_with_its_number_normalised_audited_and_announced(
    court, judge, officer, frozen_now
):
    seen: list[CaseCreated] = []
    subscribe(CaseCreated, seen.append)
    try:
        case = case_create(
            court=court,
            number="(2026)赣0102执恢7号",
            claim_fen=500_000_00,
            filed_on=dt.date(2026, 5, 6),
            judge=judge,
            officer=officer,
            actor=judge,
        )
    finally:
        unsubscribe(CaseCreated, seen.append)
    assert case.number == "（2026）赣0102执恢7号"
    assert (case.year, case.court_code, case.case_type, case.sequence) == (
        2026,
        "赣0102",
        "执恢",
        7,
    )
    assert seen == [CaseCreated(case_id=case.pk, court_id=court.pk)]
    entry = case_history(case).get()
    assert entry.after is not None
    assert (entry.action, entry.actor, entry.after["claim_fen"]) == (
        "case.created",
        judge,
        500_000_00,
    )


def test_the_same_number_twice_is_a_conflict_even_written_with_ascii_brackets(case, court, judge):
    with pytest.raises(DomainError) as info:
        case_create(
            court=court,
            number="(2026)赣0102执100号",
            claim_fen=1,
            filed_on=dt.date(2026, 3, 2),
            actor=judge,
        )
    assert (info.value.code, info.value.status) == ("case_number_taken", 409)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"number": "（2026）赣0103执1号"}, "court_code_mismatch"),
        ({"number": "（2026）赣0102民初1号"}, "invalid_case_number"),
        ({"claim_fen": -1}, "invalid_claim_amount"),
        ({"claim_fen": 12.5}, "invalid_claim_amount"),
        ({"claim_fen": True}, "invalid_claim_amount"),
        ({"filed_on": dt.date(2025, 12, 31)}, "year_mismatch"),
        ({"filed_on": dt.date(2026, 12, 1)}, "filed_in_future"),
    ],
)
def test_bad_case_input_is_refused_with_a_stable_code(court, judge, frozen_now, kwargs, code):
    args = {
        "court": court,
        "number": "（2026）赣0102执1号",
        "claim_fen": 100,
        "filed_on": dt.date(2026, 1, 5),
        "judge": judge,
        "actor": judge,
        **kwargs,
    }
    with pytest.raises(DomainError) as info:
        case_create(**args)
    assert info.value.code == code
    assert not Case.objects.exists()


def test_the_judge_must_be_a_judge_of_this_court(court, other_judge, officer, frozen_now):
    with pytest.raises(DomainError, match="本院") as info:
        case_create(
            court=court,
            number="（2026）赣0102执1号",
            claim_fen=1,
            filed_on=dt.date(2026, 1, 5),
            judge=other_judge,
            actor=officer,
        )
    assert info.value.code == "invalid_assignee"
    with pytest.raises(DomainError):
        case_create(
            court=court,
            number="（2026）赣0102执1号",
            claim_fen=1,
            filed_on=dt.date(2026, 1, 5),
            judge=officer,
            actor=officer,
        )


def test_fixture_courts_without_a_standard_code_may_number_any_case(judge, frozen_now):
    test_court = make_court()  # code 测…: not a real 代字
    case = case_create(
        court=test_court,
        number="（2026）赣0102执9号",
        claim_fen=1,
        filed_on=dt.date(2026, 1, 5),
        actor=judge,
    )
    assert case.court == test_court


def test_parties_of_both_kinds_with_masked_identity_in_the_audit(case, judge):
    creditor = party_add(
        case=case,
        role="creditor",
        kind="organisation",
        name="示例银行股份有限公司",
        identity_kind="uscc",
        identity_number="91350100M000100Y43",
        claim_fen=100_00,
        priority=1,
        actor=judge,
    )
    debtor = party_add(
        case=case,
        role="debtor",
        kind="person",
        name="李四",
        identity_kind="resident_id",
        identity_number=id_number("36010219800101123").lower(),
        actor=judge,
    )
    assert [p.pk for p in case_parties(case)] == [creditor.pk, debtor.pk]
    assert [p.pk for p in case_parties(case, role="debtor")] == [debtor.pk]
    assert debtor.identity is not None
    assert debtor.identity.number.endswith(debtor.identity.number[-1].upper())
    entry = AuditEntry.objects.get(
        stream=f"case:{case.pk}", action="party.added", subject=debtor.ref
    )
    assert debtor.identity.number not in str(entry.after)
    assert entry.after is not None
    assert debtor.identity.masked_number in entry.after["identity"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "organisation", "identity_kind": "resident_id"}, "identity_kind_mismatch"),
        ({"identity_number": "36010219800101123" + WRONG_CHECK}, "invalid_identity_number"),
        ({"role": "judge"}, "invalid_party_role"),
        ({"name": "  "}, "name_required"),
        ({"phone": "12345"}, "invalid_phone"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"claim_fen": -100}, "invalid_claim_amount"),
        ({"priority": 0}, "invalid_priority"),
    ],
)
def test_bad_party_input_is_refused(case, judge, kwargs, code):
    args = {
        "case": case,
        "role": "debtor",
        "kind": "person",
        "name": "李四",
        "identity_kind": "resident_id",
        "identity_number": id_number("36010219800101123"),
        "actor": judge,
        **kwargs,
    }
    with pytest.raises(DomainError) as info:
        party_add(**args)
    assert info.value.code == code


def test_the_same_identity_cannot_be_registered_under_two_names(case, judge, debtor_party):
    with pytest.raises(DomainError) as info:
        party_add(
            case=case,
            role="third_party",
            kind="person",
            name="王五",
            identity_kind="resident_id",
            identity_number=debtor_party.identity.number,
            actor=judge,
        )
    assert info.value.code == "identity_name_mismatch"


def test_a_flat_keeps_checked_features(flat):
    assert flat.features == {
        "area_m2": 89.5,
        "rooms": 3,
        "floor": 3,
        "total_floors": 6,
        "year_built": 2005,
    }
    assert flat.is_immovable
    assert flat.ref == f"case:{flat.case_id}/asset:{flat.pk}"


@pytest.mark.parametrize(
    ("kind", "features", "code", "words"),
    [
        (
            "residential",
            {"area_m2": "0", "rooms": 3, "floor": 2, "year_built": 2000},
            "invalid_feature",
            "应大于 0",
        ),
        (
            "residential",
            {"area_m2": "-5", "rooms": 3, "floor": 2, "year_built": 2000},
            "invalid_feature",
            "应大于 0",
        ),
        (
            "residential",
            {"area_m2": "abc", "rooms": 3, "floor": 2, "year_built": 2000},
            "invalid_feature",
            "应为数字",
        ),
        (
            "residential",
            {"area_m2": "80", "rooms": 3, "floor": 2, "year_built": 2031},
            "invalid_feature",
            "建成年份",
        ),
        (
            "residential",
            {"area_m2": "80", "rooms": 3, "floor": 0, "year_built": 2000},
            "invalid_feature",
            "不能为 0",
        ),
        (
            "residential",
            {"area_m2": "80", "rooms": 3, "floor": 9, "total_floors": 6, "year_built": 2000},
            "invalid_feature",
            "不应高于总楼层",
        ),
        (
            "residential",
            {"area_m2": "80", "floor": 2, "year_built": 2000},
            "feature_required",
            "房间数",
        ),
        (
            "vehicle",
            {"make": "示例", "model": "X", "year": 2018, "mileage_km": -1},
            "invalid_feature",
            "行驶里程",
        ),
        (
            "vehicle",
            {
                "make": "示例",
                "model": "X",
                "year": 2018,
                "mileage_km": 10,
                "vin": "LSVAU2180N2183294I",
            },
            "invalid_feature",
            "VIN",
        ),
        ("vehicle", {"model": "X", "year": 2018, "mileage_km": 10}, "feature_required", "品牌"),
        ("land", {}, "feature_required", "土地面积"),
        ("equity", {"company": "示例有限公司", "share_pct": "120"}, "invalid_feature", "持股比例"),
        ("equity", {"company": "示例有限公司", "share_pct": "0"}, "invalid_feature", "持股比例"),
        (
            "equity",
            {"company": "示例有限公司", "share_pct": "30", "company_uscc": "91350100M000100Y44"},
            "invalid_feature",
            "校验位",
        ),
    ],
)
def test_features_are_checked_per_kind(case, judge, kind, features, code, words):
    with pytest.raises(DomainError) as info:
        asset_register(
            case=case,
            kind=kind,
            name="示例",
            division_code="360102",
            address="示例地址",
            features=features,
            actor=judge,
        )
    assert info.value.code == code
    assert words in str(info.value.message)


def test_vehicle_equity_land_and_shop_register(case, judge):
    car = asset_register(
        case=case,
        kind="vehicle",
        name="小型轿车",
        division_code="360102",
        features={
            "make": "示例",
            "model": "S1",
            "year": "2019",
            "mileage_km": "0",
            "vin": "lsvau2180n2183294",
        },
        actor=judge,
    )
    assert car.features["mileage_km"] == 0 and car.features["vin"] == "LSVAU2180N2183294"
    assert not car.is_immovable
    equity = asset_register(
        case=case,
        kind="equity",
        name="示例公司30%股权",
        division_code="360102",
        features={"company": "示例有限公司", "share_pct": 30, "company_uscc": "91350100m000100y43"},
        actor=judge,
    )
    assert equity.features["share_pct"] == 30.0 and equity.is_immovable  # a property right (AUC-08)
    land = asset_register(
        case=case,
        kind="land",
        name="工业用地",
        division_code="360102",
        address="示例路",
        features={"area_m2": "10000", "land_use": "工业用地"},
        actor=judge,
    )
    assert land.features["area_m2"] == 10000.0


def test_address_division_code_and_coordinates_are_checked(case, judge):
    base = {
        "case": case,
        "kind": "commercial",
        "name": "商铺",
        "features": {"area_m2": 40},
        "actor": judge,
    }
    with pytest.raises(DomainError, match="6位数字"):
        asset_register(division_code="3601", address="示例", **base)
    with pytest.raises(DomainError, match="坐落"):
        asset_register(division_code="360102", address="", **base)
    with pytest.raises(DomainError, match="纬度"):
        asset_register(
            division_code="360102", address="示例", latitude="115.9", longitude="28.6", **base
        )
    with pytest.raises(DomainError, match="限购"):
        asset_register(division_code="360102", address="示例", purchase_restricted=True, **base)


def test_disclosures_are_append_only_and_the_newest_is_in_force(flat, judge, officer, frozen_now):
    """PRC-02 / AUC-09: each record keeps who and when; a correction supersedes, never edits."""
    assert missing_disclosure_topics(flat) == list(Disclosure.Topic.values)
    first = disclosure_record(asset=flat, topic="possession", text="由被执行人自住", actor=judge)
    from core import clock

    clock.advance(dt.timedelta(hours=2))
    second = disclosure_record(
        asset=flat, topic="possession", text="已出租，租期至2027年6月", actor=officer
    )
    assert second.supersedes == first
    current = current_disclosures(flat)
    assert current["possession"] == second
    assert (current["possession"].recorded_by, current["possession"].recorded_at) == (
        officer,
        clock.now(),
    )
    first.refresh_from_db()
    assert first.text == "由被执行人自住"  # the older record is kept as it was
    assert "possession" not in missing_disclosure_topics(flat)
    entry = AuditEntry.objects.filter(
        stream=f"case:{flat.case_id}", action="disclosure.recorded"
    ).last()
    assert entry is not None and entry.before is not None and entry.after is not None
    assert entry.before["text"] == "由被执行人自住" and entry.after["text"].startswith("已出租")


def test_disclosure_refusals(flat, judge):
    with pytest.raises(DomainError, match="请填写披露内容"):
        disclosure_record(asset=flat, topic="defects", text="  ", actor=judge)
    with pytest.raises(DomainError) as info:
        disclosure_record(asset=flat, topic="weather", text="晴", actor=judge)
    assert info.value.code == "invalid_topic"
    disclosure_record(asset=flat, topic="defects", text="无已知瑕疵", actor=judge)
    with pytest.raises(DomainError) as info:
        disclosure_record(asset=flat, topic="defects", text="无已知瑕疵", actor=judge)
    assert info.value.code == "disclosure_unchanged"


def test_inseparable_assets_are_bundled_with_a_reason(case, flat, judge):
    """AUC-07: inseparable items go as one lot, assets of one case only, each asset in one lot."""
    parking = asset_register(
        case=case,
        kind="commercial",
        name="地下车位",
        division_code="360102",
        address="示例路1号地下",
        features={"area_m2": "12.5"},
        actor=judge,
    )
    with pytest.raises(DomainError) as info:
        lot_create(case=case, assets=[flat, parking], title="住宅及车位", actor=judge)
    assert (info.value.code, info.value.rule) == ("bundle_reason_required", "AUC-07")
    lot = lot_create(
        case=case,
        assets=[flat, parking.pk],
        title="住宅及车位",
        bundle_reason="车位为该住宅配套，产权证合一，不宜分别处置",
        actor=judge,
    )
    assert set(lot.assets.all()) == {flat, parking}
    with pytest.raises(DomainError) as info:
        lot_create(case=case, assets=[flat], title="住宅", actor=judge)
    assert info.value.code == "asset_in_lot"


def test_a_lot_cannot_mix_cases(case, flat, court, judge, frozen_now):
    other = case_create(
        court=court,
        number="（2026）赣0102执101号",
        claim_fen=1,
        filed_on=dt.date(2026, 3, 2),
        actor=judge,
    )
    car = asset_register(
        case=other,
        kind="vehicle",
        name="轿车",
        division_code="360102",
        features={"make": "示例", "model": "A", "year": 2020, "mileage_km": 1},
        actor=judge,
    )
    with pytest.raises(DomainError) as info:
        lot_create(case=case, assets=[flat, car], title="混合", bundle_reason="x", actor=judge)
    assert (info.value.code, info.value.rule) == ("asset_not_in_case", "AUC-07")


def test_an_ended_case_takes_no_new_assets(case, judge):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.WITHDRAWN)
    with pytest.raises(DomainError) as info:
        asset_register(case=case, kind="movable", name="设备", division_code="360102", actor=judge)
    assert info.value.code == "case_not_open"


@pytest.mark.postgres
def test_the_database_refuses_to_edit_or_delete_a_disclosure(flat, judge):
    """REC-08: a disclosure is never edited; PostgreSQL refuses UPDATE and DELETE outright."""
    from django.db import DatabaseError, transaction

    d = disclosure_record(
        asset=flat, topic="title", text="产权清晰，登记于被执行人名下", actor=judge
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=d.pk).update(text="改写")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Disclosure.objects.filter(pk=d.pk).delete()
    d.refresh_from_db()
    assert d.text == "产权清晰，登记于被执行人名下"
