"""REC-09: the reason a person could not be served is published on the platform with the
notice (publication service, REC-10), on a public page; personal service is not published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import clock
from core.service import published_notices, service_record

pytestmark = pytest.mark.django_db
REASON = "被执行人下落不明，邮寄送达被退回"


def _record(court, method, **kw):
    return service_record(
        court=court,
        subject="case:1/auction:1",
        document="拍卖公告通知书",
        document_kind="auction_notice",
        recipient_ref="party:1",
        recipient_name="张某某",
        method=method,
        **kw,
    )


@pytest.mark.rule("REC-09", entry="page")
def test_rec09_a_publication_is_listed_with_its_unreachable_reason(client, court):
    rec = _record(court, "platform_publication", unreachable_reason=REASON)
    assert list(published_notices()) == [rec]
    resp = client.get(reverse("core:published_notices"))  # public: no sign-in
    body = resp.content.decode()
    assert resp.status_code == 200
    assert REASON in body and "张某某" in body and "拍卖公告通知书" in body
    assert "case:1" not in body  # people see names, never internal references


@pytest.mark.rule("REC-09", entry="page")
def test_rec09_personal_service_is_not_published(client, court):
    _record(court, "electronic", received_at=clock.now())
    assert not published_notices().exists()
    assert "张某某" not in client.get(reverse("core:published_notices")).content.decode()


def test_rec09_a_publication_appears_at_its_publication_time_not_before(court):
    at = clock.now() + dt.timedelta(hours=1)
    clock.set_time(at)  # recorded when it is published (AUC-10: never dated ahead of the record)
    rec = _record(court, "info_publication", unreachable_reason=REASON, published_at=at)
    assert not published_notices(at=at - dt.timedelta(seconds=1)).exists()
    assert list(published_notices(at=at)) == [rec]


def test_rec09_no_publication_without_a_reason(court):
    from core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        _record(court, "platform_publication", unreachable_reason="  ")
    assert exc.value.code == "unreachable_reason_required"


def test_rec09_the_footer_links_the_notices(client):
    assert reverse("core:published_notices") in client.get("/").content.decode()
