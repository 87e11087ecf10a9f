"""The court's viewings page through the API (issue 13): offer a slot, confirm or decline a
booking, cancel a slot; court staff only, the page's services."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from core import calendar, clock
from marketplace.models import ViewingAppointment, ViewingSlot
from marketplace.services import viewing_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.GAVEL_STAFF_2FA_REQUIRED = False


def post(user, url: str, body: dict) -> tuple[int, dict]:
    c = Client()
    c.force_login(user)
    r = c.post(url, json.dumps(body), content_type="application/json")
    return r.status_code, r.json()


def test_the_court_offers_a_slot_and_decides_bookings_through_the_api(
    frozen_now, lot, officer, bidder
):
    start = (clock.now() + dt.timedelta(days=3)).astimezone(calendar.CST)
    slot_in = {
        "lot_id": lot.pk,
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",  # Beijing time, as the page's form
        "ends_at": f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "place": "小区南门",
        "capacity": 2,
    }
    status, body = post(bidder, "/api/marketplace/court/viewing-slots", slot_in)
    assert status == 403 and not ViewingSlot.objects.exists()
    status, body = post(officer, "/api/marketplace/court/viewing-slots", {**slot_in, "place": " "})
    assert status == 400 and body["code"] == "viewing_place_required"
    status, body = post(officer, "/api/marketplace/court/viewing-slots", slot_in)
    assert status == 200, body
    slot = ViewingSlot.objects.get(pk=body["id"])
    assert slot.starts_at == start.replace(second=0, microsecond=0)
    appt = viewing_request(slot_id=slot.pk, user=bidder, note="想看看采光")
    url = f"/api/marketplace/court/viewings/{appt.pk}"
    status, body = post(officer, f"{url}/confirm", {})
    assert (status, body["status"]) == (200, "confirmed")
    status, body = post(officer, f"/api/marketplace/court/viewing-slots/{slot.pk}/cancel", {})
    assert status == 400 and body["code"] == "viewing_reason_required"
    status, body = post(
        officer, f"/api/marketplace/court/viewing-slots/{slot.pk}/cancel", {"reason": "房屋漏水"}
    )
    assert status == 200, body
    appt.refresh_from_db()
    assert appt.status != ViewingAppointment.Status.CONFIRMED
