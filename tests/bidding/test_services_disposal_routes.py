"""Other disposal routes: AUC-01 (a recorded reason for anything but online auction) and AUC-44
(the debtor sells the lot itself at a supervised price within a fixed period)."""

import datetime as dt

import pytest

from bidding import services
from bidding.models import DisposalRoute
from core import clock
from core.errors import DomainError
from core.models import AuditEntry, Deadline
from tests.bidding.engine_factories import publishable_draft
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(frozen_now, court, judge):
    return publishable_draft(court, judge)


def test_auc01_another_route_than_online_auction_is_refused_without_a_reason(draft):
    judge = draft.case.judge
    with pytest.raises(DomainError) as exc:
        services.disposal_offline_record(
            lot_id=draft.lot_id, ground="unsuitable", reason="  ", actor=judge
        )
    assert exc.value.rule == "AUC-01"
    with pytest.raises(DomainError) as exc:
        services.disposal_offline_record(
            lot_id=draft.lot_id, ground="cheaper", reason="理由", actor=judge
        )
    assert exc.value.code == "offline_ground_invalid"
    assert not DisposalRoute.objects.exists()


def test_auc01_a_recorded_offline_route_is_audited_and_blocks_online_publication(draft):
    judge = draft.case.judge
    services.disposal_offline_record(
        lot_id=draft.lot_id, ground="required_by_law", reason="依法须由产权交易所处置", actor=judge
    )
    entry = AuditEntry.objects.filter(
        stream=f"case:{draft.case_id}", action="disposal.offline"
    ).get()
    assert entry.after is not None
    assert entry.after["ground"] == "required_by_law"
    codes = {p.code for p in services.auction_publish_problems(draft)}
    assert "offline_route_decided" in codes


def test_auc01_staff_of_another_court_cannot_record_a_route(draft, other_court):
    stranger = make_user("judge", other_court)
    with pytest.raises(DomainError) as exc:
        services.disposal_offline_record(
            lot_id=draft.lot_id, ground="unsuitable", reason="不宜网拍", actor=stranger
        )
    assert exc.value.status == 403


def test_auc44_self_sale_period_is_capped_by_the_setting_and_opens_a_deadline(draft):
    judge = draft.case.judge
    with pytest.raises(DomainError) as exc:
        services.self_sale_authorize(
            lot_id=draft.lot_id,
            supervised_price_fen=100_000_00,
            days=61,
            reason="被执行人申请",
            actor=judge,
        )
    assert exc.value.rule == "AUC-44"
    route = services.self_sale_authorize(
        lot_id=draft.lot_id,
        supervised_price_fen=100_000_00,
        days=60,
        reason="被执行人申请",
        actor=judge,
    )
    assert route.period_end_at is not None
    assert route.period_end_at > clock.now() + dt.timedelta(days=59)
    deadline = Deadline.objects.get(rule_id="AUC-44")
    assert deadline.due_at == route.period_end_at
    # While the debtor may sell, no online auction of the lot may be published.
    assert "self_sale_in_progress" in {p.code for p in services.auction_publish_problems(draft)}
    # Once the period has passed unused, the court may auction it again.
    clock.advance(dt.timedelta(days=62))
    assert "self_sale_in_progress" not in {p.code for p in services.auction_publish_problems(draft)}


def test_auc44_the_sale_completes_only_with_proceeds_in_the_case_account_at_the_supervised_price(
    draft,
):
    from core.rulesettings import setting_set
    from settlement.services.receipts import receipt_record

    judge = draft.case.judge
    setting_set(
        key="strict_three_way_match",
        value=False,
        court=draft.case.court,
        actor=judge,
        reason="测试：按案号匹配",
    )
    route = services.self_sale_authorize(
        lot_id=draft.lot_id,
        supervised_price_fen=50_000_00,
        days=30,
        reason="被执行人申请",
        actor=judge,
    )
    unmatched = receipt_record(
        court_id=draft.case.court_id,
        amount_fen=60_000_00,
        bank_reference="SELF-0",
        received_at=clock.now(),
        payer_name="买受人",
        memo="无案号的款项",
    )
    with pytest.raises(DomainError) as exc:
        services.self_sale_complete(route_id=route.pk, receipt_id=unmatched.pk, actor=judge)
    assert exc.value.code == "proceeds_not_in_case_account"
    short = receipt_record(
        court_id=draft.case.court_id,
        amount_fen=40_000_00,
        bank_reference="SELF-1",
        received_at=clock.now(),
        payer_name="买受人",
        memo=f"{draft.case.number} 自行处置款",
    )
    with pytest.raises(DomainError) as exc:
        services.self_sale_complete(route_id=route.pk, receipt_id=short.pk, actor=judge)
    assert exc.value.code == "below_supervised_price"
    full = receipt_record(
        court_id=draft.case.court_id,
        amount_fen=52_000_00,
        bank_reference="SELF-2",
        received_at=clock.now(),
        payer_name="买受人",
        memo=f"{draft.case.number} 自行处置款",
    )
    done = services.self_sale_complete(route_id=route.pk, receipt_id=full.pk, actor=judge)
    assert done.status == DisposalRoute.Status.COMPLETED and done.proceeds_fen == 52_000_00
    assert Deadline.objects.get(rule_id="AUC-44").status == Deadline.Status.MET
