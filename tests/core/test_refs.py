"""People see names, never internal references (core.refs)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from core.refs import describe, describe_many
from tests.factories import AssetFactory, AuctionFactory, CaseFactory

pytestmark = pytest.mark.django_db


def test_a_case_and_its_asset_read_as_number_and_name_linked_for_staff(court, judge):
    case = CaseFactory.create(court=court)
    asset = AssetFactory.create(case=case, name="东湖区示例路8号502室")
    d = describe(f"case:{case.pk}/asset:{asset.pk}", judge)
    assert d.text == f"{case.number} · 东湖区示例路8号502室"
    assert d.url == f"/cases/{case.pk}/assets/{asset.pk}/"


def test_no_link_for_someone_who_may_not_open_it(court, other_court, bidder):
    from tests.conftest import make_user

    case = CaseFactory.create(court=court)
    stranger = make_user("judge", other_court, username="stranger")
    for viewer in (bidder, stranger):
        d = describe(f"case:{case.pk}", viewer)
        assert d.text == case.number and d.url is None


def test_an_auction_reads_as_its_title_with_the_round_and_words_are_translated(court, judge):
    auction = AuctionFactory.create(court=court, title="小型普通客车 赣A·D0000")
    d = describe(f"case:{auction.case_id}/auction:{auction.pk}/handover", judge)
    assert "小型普通客车 赣A·D0000（一拍）" in d.text and d.text.endswith("交付")
    assert "auction:" not in d.text and "handover" not in d.text
    assert d.url == f"/bidding/court/auctions/{auction.pk}/"


def test_a_vanished_or_unknown_part_is_named_not_shown_raw(court):
    many = describe_many(["case:999999", "mystery:3", "court:" + str(court.pk)])
    assert many["case:999999"].text == "案件（已不存在）"
    assert many["mystery:3"].text == "其他事项"
    assert many["court:" + str(court.pk)].text == court.name


def test_template_tags_show_names_and_links(court, judge):
    case = CaseFactory.create(court=court)
    request = RequestFactory().get("/")
    request.user = judge
    html = Template("{% load gavel %}{% ref_link ref %}|{{ ref|ref_text }}").render(
        Context({"ref": f"case:{case.pk}", "request": request})
    )
    assert html == f'<a href="/cases/{case.pk}/">{case.number}</a>|{case.number}'


def test_the_case_history_reads_a_correction_in_words_not_json(court, judge):
    from cases import services
    from cases.audit_labels import history_rows
    from core.models import AuditEntry

    case = CaseFactory.create(court=court, judge=judge)
    asset = services.asset_register(
        case=case,
        kind="residential",
        name="示例房产",
        division_code="360102",
        address="南昌市东湖区示例路 1 号",
        features={"area_m2": "96.2", "rooms": "3", "floor": "5", "year_built": "2008"},
        actor=judge,
    )
    services.asset_update(
        asset=asset,
        name="示例房产",
        division_code="360113",
        address=asset.address,
        features={"area_m2": "98.5", "rooms": "3", "floor": "5", "year_built": "2008"},
        reason="现场核实",
        actor=judge,
    )
    (row,) = history_rows(AuditEntry.objects.filter(action="asset.updated"))
    assert "{" not in row["summary"] and "area_m2" not in row["summary"]
    assert "江西省南昌市红谷滩区" in row["summary"] and "建筑面积" in row["summary"]


def test_a_reference_whose_key_is_not_an_id_is_named_without_a_link(judge):
    d = describe("case:x-1/asset:browser-1/pricing:browser-1", judge)
    assert d.url is None and "pricing" not in d.text


def test_references_inside_free_text_are_given_in_words_other_colons_are_kept(court):
    """A ledger memo or an account's name carries a reference: shown in words (issue 13)."""
    from core.refs import in_text

    auction = AuctionFactory.create(court=court, title="小型普通客车 赣A·D0001")
    text = in_text(f"成交价款转入案款账户 auction:{auction.pk}/sale（买受人：周某）10:05")
    assert "auction:" not in text and "/sale" not in text
    assert text.startswith("成交价款转入案款账户 小型普通客车 赣A·D0001（一拍） · 成交")
    assert text.endswith("（买受人：周某）10:05")  # a time, and the full-width colon, untouched
    assert in_text("mystery:3 与 http://example.com") == "mystery:3 与 http://example.com"
    assert in_text("") == ""


def test_the_case_history_names_fields_of_other_apps_and_hides_machine_keys(court, judge):
    """An entry written by another app reads with its model's field names and value labels;
    flags, counts and aliases only the machine reads are not shown (no raw keys, issue 13),
    and the punctuation follows the reader's language (issue 17)."""
    from django.utils import translation

    from cases.audit_labels import history_rows
    from core.models import AuditEntry

    case = CaseFactory.create(court=court, judge=judge)
    entry = AuditEntry(
        action="auction.decision_recorded",
        stream=f"case:{case.pk}",
        after={"topic": "priority_purchasers", "prc13_closed": 1, "alias": "L4A2"},
    )
    (row,) = history_rows([entry])
    assert row["summary"] == "事项：优先购买权人资格及顺序"
    with translation.override("en"):
        (row,) = history_rows([entry])
    assert "prc13_closed" not in row["summary"] and "alias" not in row["summary"]
    assert "：" not in row["summary"] and ": " in row["summary"]


def test_a_key_several_models_name_reads_with_the_name_of_the_entrys_own_model(court, judge):
    """``place`` is a viewing slot's meeting point (集合地点) and a payment arrival's place
    of collection (收取地点): the entry's subject says which model wrote it, and a subject
    whose model has no such field reads the neutral 地点, not another model's name."""
    from django.utils import translation

    from cases.audit_labels import history_rows
    from core.models import AuditEntry

    case = CaseFactory.create(court=court, judge=judge)

    def entry(subject: str) -> AuditEntry:
        return AuditEntry(
            action="x.recorded",
            stream=f"case:{case.pk}",
            subject=subject,
            after={"place": "东门", "capacity": 5},
        )

    viewing = entry(f"case:{case.pk}/lot:1/viewing_slot:4")
    arrival = entry(f"case:{case.pk}/arrival:7")
    inspection = entry(f"case:{case.pk}/commission:3")
    rows = history_rows([viewing, arrival, inspection])
    assert rows[0]["summary"].startswith("集合地点：东门")
    assert rows[1]["summary"].startswith("收取地点：东门")
    assert rows[2]["summary"].startswith("地点：东门")
    with translation.override("en"):
        rows = history_rows([viewing, inspection])
    assert rows[0]["summary"].startswith("Meeting point: 东门")
    assert rows[1]["summary"].startswith("Place: 东门")
