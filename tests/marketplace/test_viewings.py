"""Viewing appointments (看样): the court offers slots, bidders ask, the court confirms or declines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import clock
from core.errors import DomainError
from core.models import AuditEntry, InboxMessage, NotificationOptOut, OutboxMessage
from core.notifications import deliver_pending
from marketplace.models import ViewingAppointment
from marketplace.notices import read_unsubscribe_token
from marketplace.services import (
    viewing_cancel,
    viewing_confirm,
    viewing_decline,
    viewing_request,
    viewing_slot_cancel,
    viewing_slot_create,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot(frozen_now, lot, officer):
    start = clock.now() + dt.timedelta(days=3)
    return viewing_slot_create(
        lot_id=lot.pk,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        place="小区南门",
        capacity=2,
        actor=officer,
    )


def test_a_bidder_requests_a_slot_and_the_court_confirms_it(slot, bidder, officer):
    appt = viewing_request(slot_id=slot.pk, user=bidder, note="想看看采光")
    assert appt.status == "requested"
    viewing_confirm(appointment_id=appt.pk, actor=officer)
    appt.refresh_from_db()
    assert appt.status == "confirmed" and appt.decided_by == officer
    deliver_pending()
    subjects = list(InboxMessage.objects.filter(recipient=bidder).values_list("subject", flat=True))
    assert subjects == ["看样预约已确认"]
    # The case's officer learnt of the request (without the requester's name).
    staff_msg = InboxMessage.objects.get(recipient=officer, topic="marketplace.viewing_request")
    assert bidder.display_name not in staff_msg.body
    actions = list(
        AuditEntry.objects.filter(stream=f"case:{slot.lot.case_id}").values_list(
            "action", flat=True
        )
    )
    assert actions == ["viewing.slot_created", "viewing.requested", "viewing.confirmed"]


def test_the_court_declines_with_a_reason_and_the_bidder_is_told(slot, bidder, officer):
    appt = viewing_request(slot_id=slot.pk, user=bidder)
    with pytest.raises(DomainError) as err:
        viewing_decline(appointment_id=appt.pk, actor=officer, reason=" ")
    assert err.value.code == "viewing_reason_required"
    viewing_decline(appointment_id=appt.pk, actor=officer, reason="当日钥匙未到位")
    deliver_pending()
    msg = InboxMessage.objects.get(recipient=bidder)
    assert msg.subject == "看样预约未获确认" and "当日钥匙未到位" in msg.body


def test_a_full_slot_refuses_more_requests(slot):
    viewing_request(slot_id=slot.pk, user=make_user("bidder"))
    viewing_request(slot_id=slot.pk, user=make_user("bidder"))
    with pytest.raises(DomainError) as err:
        viewing_request(slot_id=slot.pk, user=make_user("bidder"))
    assert err.value.code == "viewing_slot_full"


def test_one_live_request_per_person_per_slot_but_a_cancelled_one_may_be_renewed(slot, bidder):
    appt = viewing_request(slot_id=slot.pk, user=bidder)
    with pytest.raises(DomainError) as err:
        viewing_request(slot_id=slot.pk, user=bidder)
    assert err.value.code == "viewing_already_requested"
    viewing_cancel(appointment_id=appt.pk, user=bidder)
    again = viewing_request(slot_id=slot.pk, user=bidder)
    assert again.pk != appt.pk and again.status == "requested"


def test_a_past_or_cancelled_slot_takes_no_request(slot, bidder, officer):
    clock.advance(dt.timedelta(days=4))
    with pytest.raises(DomainError) as err:
        viewing_request(slot_id=slot.pk, user=bidder)
    assert err.value.code == "viewing_slot_past"


def test_cancelling_a_slot_tells_everyone_who_asked(slot, bidder, officer):
    viewing_request(slot_id=slot.pk, user=bidder)
    viewing_slot_cancel(slot_id=slot.pk, actor=officer, reason="标的物临时查封变更")
    assert ViewingAppointment.objects.get(user=bidder).status == "cancelled"
    with pytest.raises(DomainError) as err:
        viewing_request(slot_id=slot.pk, user=make_user("bidder"))
    assert err.value.code == "viewing_slot_cancelled"
    deliver_pending()
    assert "标的物临时查封变更" in InboxMessage.objects.get(recipient=bidder).body


def test_only_staff_of_the_lots_court_manage_its_viewings(frozen_now, lot, other_court, bidder):
    start = clock.now() + dt.timedelta(days=2)
    for actor in (make_user("judge", other_court), bidder, make_user("finance", lot.case.court)):
        with pytest.raises(DomainError) as err:
            viewing_slot_create(
                lot_id=lot.pk,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1),
                place="门口",
                actor=actor,
            )
        assert err.value.code == "forbidden"


def test_court_staff_cannot_book_a_viewing(slot, judge):
    with pytest.raises(DomainError) as err:
        viewing_request(slot_id=slot.pk, user=judge)
    assert err.value.code == "staff_cannot_request"


def test_slot_times_are_checked(frozen_now, lot, officer):
    now = clock.now()
    cases = [
        (now - dt.timedelta(hours=1), now + dt.timedelta(hours=1), "viewing_slot_in_past"),
        (now + dt.timedelta(days=1), now + dt.timedelta(days=1), "viewing_slot_bad_times"),
    ]
    for start, end, code in cases:
        with pytest.raises(DomainError) as err:
            viewing_slot_create(
                lot_id=lot.pk, starts_at=start, ends_at=end, place="门口", actor=officer
            )
        assert err.value.code == code


def test_every_viewing_message_carries_a_working_unsubscribe_link(client, slot, bidder, officer):
    appt = viewing_request(slot_id=slot.pk, user=bidder)
    viewing_confirm(appointment_id=appt.pk, actor=officer)
    msg = OutboxMessage.objects.get(recipient=bidder, channel="inbox")
    path = msg.body.split("退订此类提醒：")[1].strip()
    token = path.rstrip("/").split("/")[-1]
    assert read_unsubscribe_token(token) == (bidder.pk, "marketplace.viewing")
    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.content.decode()
    assert client.post(path).status_code == 200
    assert set(
        NotificationOptOut.objects.filter(user=bidder).values_list("channel", flat=True)
    ) == {"inbox", "sms", "email"}
    # The next viewing message on that topic is not queued.
    viewing_decline(appointment_id=appt.pk, actor=officer, reason="改期")
    assert (
        OutboxMessage.objects.filter(recipient=bidder).count() == 2
    )  # the earlier inbox + sms only


def test_a_forged_unsubscribe_link_is_refused(client, bidder):
    resp = client.get(reverse("marketplace:unsubscribe", args=["not-a-token"]))
    assert resp.status_code == 400


def test_the_viewing_pages_work_for_bidder_and_court(client, slot, bidder, officer):
    client.force_login(bidder)
    page = client.get(reverse("marketplace:lot_viewings", args=[slot.lot_id]))
    assert page.status_code == 200 and "小区南门" in page.content.decode()
    resp = client.post(
        reverse("marketplace:viewing_request", args=[slot.pk]), {"note": "周末可以吗"}
    )
    assert resp.status_code == 302
    assert ViewingAppointment.objects.get(user=bidder).note == "周末可以吗"
    assert "待确认" in client.get(reverse("marketplace:my_viewings")).content.decode()
    client.force_login(officer)
    page = client.get(reverse("marketplace:court_viewings"))
    assert "周末可以吗" in page.content.decode()
    appt = ViewingAppointment.objects.get(user=bidder)
    client.post(reverse("marketplace:court_viewing_decide", args=[appt.pk]), {"action": "confirm"})
    appt.refresh_from_db()
    assert appt.status == "confirmed"


def test_a_bad_slot_form_shows_chinese_errors(client, frozen_now, lot, officer):
    client.force_login(officer)
    resp = client.post(
        reverse("marketplace:court_viewings"), {"lot": lot.pk, "starts_at": "明天", "place": ""}
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "时间格式不正确" in html and "请填写集合地点" in html
