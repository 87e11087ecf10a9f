"""The notification outbox (REC-11): written with the change, delivered by the worker through
its channel, retried with backoff after a failure, never delivered twice."""

import datetime as dt

import pytest
from django.db import transaction

from core import clock
from core.models import InboxMessage, OutboxMessage
from core.notifications import MAX_ATTEMPTS, backoff, deliver_pending, notify, unsubscribe
from core.notifications.channels import ChannelError, ConsoleSMS, override_channel
from core.rulesettings import setting_set
from tests import race

pytestmark = pytest.mark.django_db


class FlakySMS:
    """A real channel object: fails the first ``failures`` sends, then delivers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[tuple[str, str]] = []
        self.attempts = 0

    def send(self, message) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ChannelError("短信网关超时")
        self.delivered.append((message.recipient.phone, message.subject))


@pytest.fixture
def flaky():
    channels = []

    def make(failures):
        ch = FlakySMS(failures)
        override_channel("sms", ch)
        channels.append(ch)
        return ch

    yield make
    override_channel("sms", None)


def _notify(user, key="n1", **kw):
    return notify(
        user=user, topic="auction.result", subject="拍卖结果", body="已成交", key=key, **kw
    )


def test_message_goes_to_inbox_and_sms_by_default(bidder, frozen_now):
    """REC-11: the site inbox always; SMS per ``notify_channels`` when the person has a phone."""
    msgs = _notify(bidder)
    assert sorted(m.channel for m in msgs) == ["inbox", "sms"]
    sent_before = len(ConsoleSMS.sent)
    assert deliver_pending() == {"sent": 2, "retry": 0, "failed": 0}
    assert InboxMessage.objects.get(recipient=bidder).subject == "拍卖结果"
    assert ConsoleSMS.sent[sent_before:] == [(bidder.phone, "【Gavel】拍卖结果：已成交")]


def test_no_phone_no_sms_and_court_setting_decides_channels(court, frozen_now):
    from tests.conftest import make_user

    nophone = make_user("bidder", phone="")
    assert [m.channel for m in _notify(nophone, key="a")] == ["inbox"]
    setting_set(key="notify_channels", value=["inbox"], court=court, reason="本院仅站内信")
    user = make_user("party")
    assert [m.channel for m in _notify(user, key="b", court=court)] == ["inbox"]


def test_same_key_is_queued_once(bidder, frozen_now):
    assert len(_notify(bidder)) == 2
    assert _notify(bidder) == []
    assert OutboxMessage.objects.count() == 2


def test_rolled_back_change_sends_nothing(bidder, frozen_now):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(bidder)
        raise RuntimeError
    assert deliver_pending()["sent"] == 0
    assert OutboxMessage.objects.count() == 0


def test_failed_sms_is_retried_with_backoff_then_delivered_exactly_once(bidder, flaky, frozen_now):
    """A channel failure keeps the message pending; the next try waits 30 s, then 60 s…"""
    sms = flaky(failures=2)
    _notify(bidder, channels=["sms"])
    assert deliver_pending() == {"sent": 1, "retry": 1, "failed": 0}  # inbox sent, SMS failed
    msg = OutboxMessage.objects.get(channel="sms")
    assert msg.status == "pending" and msg.attempts == 1 and "超时" in msg.last_error
    assert msg.next_attempt_at == clock.now() + dt.timedelta(seconds=30)

    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    clock.advance(dt.timedelta(seconds=30))
    assert deliver_pending()["retry"] == 1
    msg.refresh_from_db()
    assert msg.next_attempt_at == clock.now() + dt.timedelta(seconds=60)
    clock.advance(dt.timedelta(seconds=60))
    assert deliver_pending() == {"sent": 1, "retry": 0, "failed": 0}
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.sent_at == clock.now() and msg.attempts == 3

    clock.advance(dt.timedelta(days=1))
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}
    assert sms.delivered == [(bidder.phone, "拍卖结果")]


def test_unexpected_channel_error_is_retried_not_fatal(bidder, frozen_now):
    class Broken:
        def send(self, message):
            raise KeyError("bug in an adapter")

    override_channel("sms", Broken())
    try:
        _notify(bidder, channels=["sms"])
        assert deliver_pending() == {"sent": 1, "retry": 1, "failed": 0}
    finally:
        override_channel("sms", None)
    assert "KeyError" in OutboxMessage.objects.get(channel="sms").last_error


def test_message_is_marked_failed_after_max_attempts(bidder, flaky, frozen_now):
    flaky(failures=100)
    _notify(bidder, channels=["sms"])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliver_pending()
        clock.advance(backoff(attempt))
    msg = OutboxMessage.objects.get(channel="sms")
    assert msg.status == "failed" and msg.attempts == MAX_ATTEMPTS
    assert backoff(20) == dt.timedelta(hours=1)  # capped


def test_opt_out_is_honoured_except_for_legal_notices(bidder, frozen_now):
    unsubscribe(user=bidder, topic="auction.result", channel="sms")
    assert [m.channel for m in _notify(bidder, key="x")] == ["inbox"]
    assert sorted(m.channel for m in _notify(bidder, key="y", legal=True)) == ["inbox", "sms"]


class RecordingSMS:
    """An SMS gateway that records what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_never_deliver_the_same_message_twice(bidder, frozen_now):
    """While worker A is inside the SMS gateway call, worker B runs: it skips the locked
    message instead of sending it again; afterwards nobody sends it again."""
    sms = RecordingSMS()
    override_channel("sms", sms)
    results = {}

    def worker_b_runs(*_args):  # A is inside the gateway call, holding the SMS row
        results["b"] = race.in_thread(deliver_pending)

    try:
        _notify(bidder, channels=["sms"])
        with race.run_before(f"{__name__}.RecordingSMS.send", worker_b_runs):
            results["a"] = race.in_thread(deliver_pending)
        results["c"] = deliver_pending()
    finally:
        override_channel("sms", None)
    assert results["b"] == {"sent": 0, "retry": 0, "failed": 0}
    assert results["a"]["sent"] == 2  # inbox + SMS
    assert results["c"]["sent"] == 0
    assert len(sms.sent) == 1
    assert OutboxMessage.objects.get(channel="sms").status == "sent"


def test_notify_many_gives_each_person_their_own_key_and_ignores_opt_outs(
    bidder, party_user, frozen_now
):
    """The same message to several people: one key per person; a procedure's step (legal)
    reaches even a person who unsubscribed from the topic."""
    from core.notifications import notify_many

    unsubscribe(user=party_user, topic="auction.result", channel="sms")
    msgs = notify_many(
        [bidder, party_user], topic="auction.result", subject="拍卖结果", body="已成交", key="r7"
    )
    assert {(m.recipient_id, m.key) for m in msgs if m.channel == "inbox"} == {
        (bidder.pk, f"r7:u{bidder.pk}:inbox"),
        (party_user.pk, f"r7:u{party_user.pk}:inbox"),
    }
    assert OutboxMessage.objects.filter(recipient=party_user, channel="sms").exists()
    assert (
        notify_many([bidder], topic="auction.result", subject="拍卖结果", body="x", key="r7") == []
    )
