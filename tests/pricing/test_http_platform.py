"""The external HTTP platform contract over a real socket: good, late, malformed, bad signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from core import clock
from pricing.models import InquiryRequest, PlatformLateness
from pricing.platforms import HttpAdapter, sign, verify
from pricing.reference_platform import ReferencePlatform
from pricing.services import inquiry_dispatch, inquiry_send, platform_admit
from tests.pricing.conftest import check

SECRET = "shared-secret-for-tests"


@pytest.fixture
def server():
    srv = ReferencePlatform(secret=SECRET, amount_fen=1_234_567_89).start()
    yield srv
    srv.stop()


def admit(server, code="ref"):
    return platform_admit(
        code=code,
        name="参考平台",
        adapter="http",
        config={"url": server.url},
        secret=SECRET,
        price_data_kinds=["成交价", "挂牌价", "评估价"],
        retention_years=10,
    )


def start_inquiry(procedure, judge):
    return inquiry_send(procedure=check(procedure, judge), joint_request=True, actor=judge)


def test_signature_is_hmac_sha256_over_the_raw_body():
    body = b'{"a":1}'
    # The documented header value, computed the way a platform in any language would.
    assert sign("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert verify("k", body, sign("k", body))
    assert not verify("k", body + b" ", sign("k", body))
    assert not verify("other", body, sign("k", body))
    assert not verify("k", body, None)


def test_good_report_is_recorded_on_time(server, procedure, judge, now):
    """A signed request, a signed report at once → the report is on time, with its interval."""
    admit(server)
    inquiry = start_inquiry(procedure, judge)
    assert inquiry_dispatch(inquiry=inquiry) == {"reported": 1, "accepted": 0, "error": 0}
    req = InquiryRequest.objects.get(inquiry=inquiry)
    rep = req.reports.get()
    assert (req.status, rep.on_time, rep.amount_fen) == ("reported", True, 1_234_567_89)
    assert (rep.interval_low_fen, rep.interval_high_fen) == (
        int(1_234_567_89 * 0.9),
        int(1_234_567_89 * 1.1),
    )
    sent = server.received[0]
    assert sent["path"] == "/valuations"
    assert sent["payload"]["mandate"]["item"]["name"] == procedure.asset.name
    assert {"item", "quantity", "purpose", "deadline"} <= set(sent["payload"]["mandate"])


def test_deferred_report_after_the_deadline_counts_late(server, procedure, judge, now):
    """202 first; the report fetched after the 3 days is late (PRC-07) and counted (PRC-18)."""
    server.mode = "deferred"
    platform = admit(server)
    inquiry = start_inquiry(procedure, judge)
    assert inquiry_dispatch(inquiry=inquiry)["accepted"] == 1
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert (req.status, req.remote_id) == ("accepted", "ref-1")
    server.mode = "good"
    clock.advance(dt.timedelta(days=5))
    assert inquiry_dispatch(inquiry=inquiry)["reported"] == 1
    req.refresh_from_db()
    assert req.status == "late"
    assert req.reports.get().on_time is False
    assert server.received[-1]["path"] == "/valuations/ref-1/status"
    assert PlatformLateness.objects.filter(platform=platform, excused=False).count() == 1


def test_deferred_report_within_the_deadline_is_on_time(server, procedure, judge, now):
    server.mode = "deferred"
    admit(server)
    inquiry = start_inquiry(procedure, judge)
    inquiry_dispatch(inquiry=inquiry)
    server.mode = "good"
    clock.advance(dt.timedelta(days=1))
    inquiry_dispatch(inquiry=inquiry)
    assert InquiryRequest.objects.get(inquiry=inquiry).status == "reported"


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("malformed", "格式错误"),
        ("bad_signature", "签名无效"),
        ("not_json", "无法识别"),
    ],
)
def test_bad_answers_are_refused_and_the_request_stays_due(
    server, procedure, judge, now, mode, words
):
    server.mode = mode
    admit(server)
    inquiry = start_inquiry(procedure, judge)
    assert inquiry_dispatch(inquiry=inquiry)["error"] == 1
    req = InquiryRequest.objects.get(inquiry=inquiry)
    assert req.status == "pending"
    assert words in req.last_error
    for technical in ("JSON", "status", "remote_id", "amount_fen"):  # words a judge reads
        assert technical not in req.last_error
    assert not req.reports.exists()


def test_platform_refuses_our_request_with_a_wrong_secret(server, procedure, judge, now):
    """The platform checks our signature too: a wrong shared secret gets a 401, recorded as an error."""
    platform_admit(
        code="ref",
        name="参考平台",
        adapter="http",
        config={"url": server.url},
        secret="wrong",
        price_data_kinds=["a", "b", "c"],
        retention_years=10,
    )
    inquiry = start_inquiry(procedure, judge)
    inquiry_dispatch(inquiry=inquiry)
    assert server.rejected_signatures == 1
    assert "401" in InquiryRequest.objects.get(inquiry=inquiry).last_error


def test_unreachable_platform_is_an_error_not_a_crash(procedure, judge, now):
    platform_admit(
        code="dead",
        name="离线平台",
        adapter="http",
        config={"url": "http://127.0.0.1:9", "timeout": 2},
        secret="x",
        price_data_kinds=["a", "b", "c"],
        retention_years=10,
    )
    inquiry = start_inquiry(procedure, judge)
    assert inquiry_dispatch(inquiry=inquiry)["error"] == 1
    assert "无法连接" in InquiryRequest.objects.get(inquiry=inquiry).last_error


def test_adapter_request_body_is_signed_json(server):
    """The body on the wire is the exact bytes signed (no re-serialisation on either side)."""
    sub = HttpAdapter(url=server.url, secret=SECRET).submit(
        request_ref="r/1", kind="original", mandate={"item": {"name": "甲"}}
    )
    assert sub.status == "report"
    payload = server.received[0]["payload"]
    assert payload["contract"] == "gavel-inquiry/1"
    assert json.loads(json.dumps(payload))["mandate"]["item"]["name"] == "甲"
