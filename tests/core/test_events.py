"""Domain events (ARCHITECTURE.md): handlers of ``publish`` run inside the publisher's
transaction and roll back with it; ``publish_on_commit`` handlers run only after commit."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from core import events
from core.audit import audit_record
from core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class LotSold(events.Event):
    lot_id: int


@dataclass(frozen=True)
class PremiumLotSold(LotSold):
    premium: bool = True


@pytest.fixture
def subscribed():
    seen: list = []

    def record_in_db(event):
        # What a higher app does atomically: write its own row in the same transaction.
        audit_record(stream=f"case:{event.lot_id}", action="handler.ran")
        seen.append(("db", event))

    def inform(event):
        seen.append(("after_commit", event))

    events.subscribe(LotSold, record_in_db)
    events.subscribe(LotSold, record_in_db)  # subscribing twice keeps one handler
    yield seen, record_in_db, inform
    events.unsubscribe(LotSold, record_in_db)
    events.unsubscribe(LotSold, inform)


def test_handler_writes_commit_with_the_publisher(subscribed):
    seen, _, _ = subscribed
    with transaction.atomic():
        events.publish(LotSold(lot_id=1))
    assert seen == [("db", LotSold(1))]
    assert AuditEntry.objects.filter(stream="case:1", action="handler.ran").count() == 1


def test_handler_writes_roll_back_with_the_publisher(subscribed):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(LotSold(lot_id=2))
        raise RuntimeError("the publisher fails after publishing")
    assert not AuditEntry.objects.filter(stream="case:2").exists()


def test_failing_handler_rolls_back_the_publisher():
    def refuse(event):
        raise ValueError("the subscriber refuses")

    events.subscribe(LotSold, refuse)
    try:
        with pytest.raises(ValueError), transaction.atomic():
            audit_record(stream="case:3", action="publisher.change")
            events.publish(LotSold(lot_id=3))
    finally:
        events.unsubscribe(LotSold, refuse)
    assert not AuditEntry.objects.filter(stream="case:3").exists()


def test_on_commit_handlers_run_after_commit_and_never_after_rollback(subscribed):
    seen, _, inform = subscribed
    events.unsubscribe(LotSold, subscribed[1])
    events.subscribe(LotSold, inform)
    with transaction.atomic():
        events.publish_on_commit(LotSold(lot_id=4))
        assert seen == []  # not inside the transaction
    assert seen == [("after_commit", LotSold(4))]
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish_on_commit(LotSold(lot_id=5))
        raise RuntimeError
    assert seen == [("after_commit", LotSold(4))]


def test_on_commit_handler_error_does_not_break_the_publisher(subscribed):
    def broken(event):
        raise ValueError("push service down")

    events.subscribe(LotSold, broken)
    try:
        with transaction.atomic():
            audit_record(stream="case:6", action="publisher.change")
            events.publish_on_commit(LotSold(lot_id=6))
    finally:
        events.unsubscribe(LotSold, broken)
    assert AuditEntry.objects.filter(stream="case:6").exists()


def test_subscribers_of_a_base_event_receive_subclass_events(subscribed):
    seen, _, _ = subscribed
    with transaction.atomic():
        events.publish(PremiumLotSold(lot_id=7))
    assert seen == [("db", PremiumLotSold(7))]
