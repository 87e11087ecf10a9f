"""Demo data for cases (honest sample data, every name marked 示例). Idempotent: safe at every start.

Puts into ``ctx``: ``cases`` (list of Case), ``assets`` (dict: flat, shop, car, equity → Asset),
``lots`` (dict, same keys → Lot). Uses ``ctx["court"]`` and ``ctx["users"]`` from core's seed.
Identity numbers below are made up with a valid check character; they are sample numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cases.identity import resident_id_check_char, uscc_check_char
from cases.models import Asset, Case, Disclosure, Lot, Party
from cases.selectors import current_disclosures, verified_identity_for
from cases.services import (
    asset_register,
    case_create,
    disclosure_record,
    identity_submit,
    lot_create,
    party_add,
    seizure_record,
)
from core import clock
from core.models import ServiceRecord, User

MARK = "（示例）"


def _id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def _uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def _case(ctx: dict[str, Any], *, sequence: int, title: str, claim_fen: int, days_ago: int) -> Case:
    """Find the demo case by court, type and sequence (year-independent), or create it."""
    court, users = ctx["court"], ctx["users"]
    existing = Case.objects.filter(
        court=court, case_type="执", sequence=sequence, title=title + MARK
    ).first()
    if existing is not None:
        return existing
    filed_on = clock.today() - dt.timedelta(days=days_ago)
    return case_create(
        court=court,
        number=f"（{filed_on.year}）{court.code}执{sequence}号",
        claim_fen=claim_fen,
        filed_on=filed_on,
        judge=users["judge"],
        officer=users["officer"],
        title=title + MARK,
        title_document=f"（{filed_on.year - 1}）{court.code}民初{sequence - 900}号民事判决书{MARK}",
        actor=users["judge"],
    )


def _party(case: Case, *, name: str, **kw: Any) -> Party:
    existing = Party.objects.filter(case=case, name=name, role=kw["role"]).first()
    if existing is not None:
        return existing
    return party_add(case=case, name=name, **kw)


def _asset(case: Case, *, name: str, **kw: Any) -> Asset:
    existing = Asset.objects.filter(case=case, name=name).first()
    if existing is not None:
        return existing
    return asset_register(case=case, name=name, **kw)


def _seize(asset: Asset, *, kind: str, days_ago: int, document: str, judge: User) -> None:
    if asset.seizures.exists():
        return
    seized_on = max(clock.today() - dt.timedelta(days=days_ago), asset.case.filed_on)
    seizure_record(asset=asset, kind=kind, seized_on=seized_on, document=document, actor=judge)


def _lot(asset: Asset, *, title: str, judge: User) -> Lot:
    existing = asset.lots.first()
    if existing is not None:
        return existing
    return lot_create(case=asset.case, assets=[asset], title=title, actor=judge)


FLAT_DISCLOSURES = {
    Disclosure.Topic.TITLE: "不动产权证书登记于被执行人名下，单独所有；经查询不动产登记簿核实。（示例）",
    Disclosure.Topic.ENCUMBRANCES: "设有抵押权一项，抵押权人为示例银行股份有限公司南昌分行；另有本院首封、他院轮候查封一项。"
    "未发现其他优先受偿权。（示例）",
    Disclosure.Topic.POSSESSION: "由被执行人及其家属居住，未发现租赁；法院负责腾退后交付。（示例）",
    Disclosure.Topic.DEFECTS: "卫生间顶棚有渗水痕迹；无其他已知瑕疵。按现状拍卖。（示例）",
    Disclosure.Topic.ARREARS: "欠缴物业费约3,200元、水电费约460元，由买受人自行核实并承担。（示例）",
    Disclosure.Topic.TAXES: "过户税费按照法律规定由买卖双方各自负担。（示例）",
}


def seed(ctx: dict[str, Any]) -> None:
    users = ctx["users"]
    judge = users["judge"]

    # Verified real-name identities for the demo bidders (sample numbers, valid check characters).
    for key, first17, name in (
        ("bidder1", "36010219850612301", "示例竞买人甲"),
        ("bidder2", "36010319920315402", "示例竞买人乙"),
    ):
        if verified_identity_for(users[key]) is None:
            identity_submit(user=users[key], kind="resident_id", number=_id(first17), name=name)

    # Case 1: a bank against a person; a flat (full disclosures) and a shop.
    case1 = _case(ctx, sequence=1001, title="金融借款合同纠纷", claim_fen=1_286_500_00, days_ago=40)
    creditor = _party(
        case1,
        role="creditor",
        kind="organisation",
        name="示例银行股份有限公司南昌分行",
        identity_kind="uscc",
        identity_number=_uscc("91360102MA3800001"),
        user=users["creditor"],
        phone="0791-80000000",
        address="江西省南昌市东湖区示例大道1号（示例）",
        priority=1,
        claim_fen=1_286_500_00,
        actor=judge,
    )
    debtor = _party(
        case1,
        role="debtor",
        kind="person",
        name="示例张某",
        identity_kind="resident_id",
        identity_number=_id("36010219780304551"),
        user=users["debtor"],
        phone="13800000002",
        address="江西省南昌市东湖区示例路8号（示例）",
        actor=judge,
    )
    flat = _asset(
        case1,
        kind="residential",
        name="东湖区示例路8号3栋2单元502室（示例）",
        division_code="360102",
        address="江西省南昌市东湖区示例路8号3栋2单元502室（示例）",
        latitude="28.683",
        longitude="115.905",
        features={
            "area_m2": "118.46",
            "rooms": 3,
            "floor": 5,
            "total_floors": 7,
            "year_built": 2008,
            "usage": "住宅",
            "certificate_no": "赣（2019）南昌市不动产权第0000001号（示例）",
        },
        description="三室两厅一厨两卫，南北通透（示例）",
        purchase_restricted=False,
        actor=judge,
    )
    current = current_disclosures(flat)
    for topic, text in FLAT_DISCLOSURES.items():
        if topic not in current:
            disclosure_record(asset=flat, topic=topic, text=text, actor=judge)
    shop = _asset(
        case1,
        kind="commercial",
        name="东湖区示例街12号临街商铺（示例）",
        division_code="360102",
        address="江西省南昌市东湖区示例街12号1层（示例）",
        features={
            "area_m2": "56.30",
            "floor": 1,
            "total_floors": 6,
            "year_built": 2012,
            "usage": "商业",
        },
        actor=judge,
    )
    _seize(
        flat, kind="seal", days_ago=3, document=f"{case1.number}之一执行裁定书{MARK}", judge=judge
    )
    _seize(
        shop, kind="seal", days_ago=12, document=f"{case1.number}之二执行裁定书{MARK}", judge=judge
    )
    for party in (creditor, debtor):
        if not ServiceRecord.objects.filter(
            subject=case1.ref, recipient_ref=party.ref, document__startswith="执行通知书"
        ).exists():
            from core.service import service_record

            service_record(
                court=case1.court,
                subject=case1.ref,
                document=f"执行通知书{MARK}",
                document_kind="enforcement_notice",
                recipient_ref=party.ref,
                recipient_name=party.name,
                recipient_user=party.user,
                method=ServiceRecord.Method.ELECTRONIC,
                sent_at=clock.now() - dt.timedelta(days=35),
                received_at=clock.now() - dt.timedelta(days=34),
                proof="电子送达平台回执（示例）",
                actor=judge,
            )

    # Case 2: a car detained from a company debtor.
    case2 = _case(ctx, sequence=1002, title="买卖合同纠纷", claim_fen=236_000_00, days_ago=30)
    _party(
        case2,
        role="creditor",
        kind="person",
        name="示例李某",
        identity_kind="resident_id",
        identity_number=_id("36010419830921112"),
        claim_fen=236_000_00,
        actor=judge,
    )
    _party(
        case2,
        role="debtor",
        kind="organisation",
        name="示例商贸有限公司",
        identity_kind="uscc",
        identity_number=_uscc("91360102MA3800002"),
        actor=judge,
    )
    car = _asset(
        case2,
        kind="vehicle",
        name="小型普通客车 赣A·D0000（示例）",
        division_code="360102",
        address="南昌市东湖区示例停车场（示例）",
        features={
            "make": "示例品牌",
            "model": "示例轿车 2.0L",
            "year": 2019,
            "mileage_km": 68500,
            "plate": "赣A·D0000（示例）",
        },
        actor=judge,
    )
    _seize(
        car, kind="detain", days_ago=26, document=f"{case2.number}之一执行裁定书{MARK}", judge=judge
    )

    # Case 3: frozen equity (its PRC-01 deadline already overdue, to show the yellow flag).
    case3 = _case(ctx, sequence=1003, title="民间借贷纠纷", claim_fen=500_000_00, days_ago=50)
    _party(
        case3,
        role="creditor",
        kind="person",
        name="示例王某",
        identity_kind="resident_id",
        identity_number=_id("36010219700101341"),
        claim_fen=500_000_00,
        actor=judge,
    )
    _party(
        case3,
        role="debtor",
        kind="person",
        name="示例赵某",
        identity_kind="resident_id",
        identity_number=_id("36010219750505221"),
        actor=judge,
    )
    equity = _asset(
        case3,
        kind="equity",
        name="示例科技有限公司30%股权（示例）",
        division_code="360102",
        features={
            "company": "示例科技有限公司",
            "share_pct": "30",
            "company_uscc": _uscc("91360102MA3800003"),
            "registered_capital_fen": 300_000_00,
        },
        actor=judge,
    )
    _seize(
        equity,
        kind="freeze",
        days_ago=45,
        document=f"{case3.number}之一执行裁定书{MARK}",
        judge=judge,
    )

    assets = {"flat": flat, "shop": shop, "car": car, "equity": equity}
    ctx["cases"] = [case1, case2, case3]
    ctx["assets"] = assets
    ctx["lots"] = {key: _lot(asset, title=asset.name, judge=judge) for key, asset in assets.items()}
