"""A platform that cannot answer says so once, in words a judge understands, is retried with
backoff, and is sent the corrected facts when the court fixes the asset."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import services as case_services
from core import clock
from core.models import AuditEntry
from pricing.models import InquiryPlatform, InquiryRequest
from pricing.reference_platform import ReferencePlatform
from pricing.services import inquiry_dispatch, inquiry_send, platform_admit
from pricing.services.inquiry import pricing_sweep, retry_delay
from tests.pricing.conftest import check

pytestmark = pytest.mark.django_db
FLAT = {"area_m2": "96.2", "rooms": "3", "floor": "5", "year_built": "2008"}


def admit_dead():
    platform_admit(
        code="dead",
        name="离线平台",
        adapter="http",
        config={"url": "http://127.0.0.1:9", "timeout": 2},
        secret="s",
        price_data_kinds=["a", "b", "c"],
        retention_years=10,
    )


def errors(proc):
    return AuditEntry.objects.filter(
        stream__startswith=f"case:{proc.case_id}", action="pricing.platform_error"
    )


def test_backoff_doubles_from_a_minute_to_at_most_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


def test_an_unreachable_platform_is_told_in_words_once_and_retried_with_backoff(
    procedure, judge, now
):
    admit_dead()
    inquiry = inquiry_send(procedure=check(procedure, judge), joint_request=True, actor=judge)
    inquiry_dispatch(inquiry=inquiry)
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert "暂时无法连接该询价平台" in req.last_error and "Errno" not in req.last_error
    assert req.failures == 1 and req.next_attempt_at == now + dt.timedelta(minutes=1)
    # before the backoff ends the sweep does not call it again
    clock.advance(dt.timedelta(seconds=30))
    assert inquiry_dispatch(inquiry=inquiry)["error"] == 0
    # after it, it does: a second failure, the wait doubles, still one history entry
    clock.advance(dt.timedelta(seconds=31))
    pricing_sweep()
    req.refresh_from_db()
    assert req.failures == 2
    assert req.next_attempt_at == clock.now() + dt.timedelta(minutes=2)
    assert errors(procedure).count() == 1


def test_a_platform_that_answers_again_is_recorded_as_recovered_once(procedure, judge, now):
    srv = ReferencePlatform(secret="s", amount_fen=1_000_000_00)
    admit_dead()
    inquiry = inquiry_send(procedure=check(procedure, judge), joint_request=True, actor=judge)
    inquiry_dispatch(inquiry=inquiry)
    srv.start()
    try:
        # the platform comes back (set-up: its roster entry now points at a live server)
        InquiryPlatform.objects.filter(code="dead").update(config={"url": srv.url})
        clock.advance(dt.timedelta(minutes=2))
        assert inquiry_dispatch(inquiry=inquiry)["reported"] == 1
    finally:
        srv.stop()
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.failures == 0 and req.last_error == "" and req.next_attempt_at is None
    assert AuditEntry.objects.filter(action="pricing.platform_recovered").count() == 1


@pytest.mark.rule("PRC-06", entry="event")
def test_correcting_the_asset_sends_the_new_facts_to_platforms_still_to_answer(
    procedure, judge, now, django_capture_on_commit_callbacks
):
    """PRC-06: the mandate states the item; the court's correction of the asset (the cases
    app's ``AssetUpdated``, published on commit) reaches pricing's handler, which puts the
    corrected facts in the mandate of every platform still to answer."""
    admit_dead()
    inquiry = inquiry_send(procedure=check(procedure, judge), joint_request=True, actor=judge)
    inquiry_dispatch(inquiry=inquiry)
    asset = procedure.asset
    with django_capture_on_commit_callbacks(execute=True):
        case_services.asset_update(
            asset=asset,
            name=asset.name,
            division_code="360113",
            address=asset.address,
            features=FLAT,
            reason="区划更正",
            actor=judge,
        )
    inquiry.refresh_from_db()
    assert inquiry.mandate["item"]["division_code"] == "360113"
    assert AuditEntry.objects.filter(action="pricing.mandate_refreshed").count() == 1
    # the platform was called again at once, not after its backoff
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.failures == 2
