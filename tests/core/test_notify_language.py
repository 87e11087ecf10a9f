"""Issue 17: every notification is written in its recipient's language, not the actor's.

A person's language (``User.language``) is set at sign-up and by the language switch (and on
the account page); ``notify`` renders each subject and body under it and stores the words
actually sent, with the language, in the outbox and the site inbox.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry, InboxMessage, OutboxMessage, User
from core.notifications import deliver_pending, joined, notify, text
from core.notifications.channels import ConsoleSMS
from marketplace.alerts import outbid_alerts_send
from tests.marketplace.conftest import (
    YUAN,
    make_auction,
    make_case,
    make_lot,
    place_bid,
    register_active,
)

H = dt.timedelta(hours=1)


def _speaks(user: User, language: str) -> User:
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user


@pytest.fixture
def live(frozen_now, court, judge, officer):
    lot = make_lot(make_case(court, judge=judge, officer=officer))
    return make_auction(
        lot, state="bidding", start_in=-H, hours=24, start=100_000 * YUAN, increment=1_000 * YUAN
    )


@pytest.mark.django_db(transaction=True)
def test_a_chinese_and_an_english_bidder_outbid_by_the_same_english_actor_each_read_their_own(
    live,
):
    chinese, english, actor = register_active(live), register_active(live), register_active(live)
    _speaks(english.user, "en")
    _speaks(actor.user, "en")
    with translation.override("en"):  # everything below happens in the actor's English
        place_bid(live, chinese, 100_000 * YUAN)
        place_bid(live, english, 101_000 * YUAN)  # outbids the Chinese bidder
        place_bid(live, actor, 102_000 * YUAN)  # outbids the English bidder
        assert outbid_alerts_send() == 2
        deliver_pending()
    zh_msg = InboxMessage.objects.get(recipient=chinese.user, topic="marketplace.outbid")
    en_msg = InboxMessage.objects.get(recipient=english.user, topic="marketplace.outbid")
    assert zh_msg.subject == "您的出价已被超越"
    assert "有新的出价 101,000.00 元，您已不再领先" in zh_msg.body
    assert "退订此类提醒" in zh_msg.body
    assert en_msg.subject == "You have been outbid"
    assert "has a new bid of CNY 102,000.00; you no longer lead." in en_msg.body
    assert "Unsubscribe from these alerts" in en_msg.body
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en_msg.subject)
    # The end time in each reader's way of writing a date (court time).
    end = live.end_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert end.strftime("%Y-%m-%d %H:%M") in zh_msg.body
    assert f"{end.day} {end:%b} {end.year}, {end:%H:%M}" in en_msg.body
    # The outbox keeps what was sent, in which language.
    languages = dict(
        OutboxMessage.objects.filter(topic="marketplace.outbid", channel="inbox").values_list(
            "recipient_id", "language"
        )
    )
    assert languages == {chinese.user.pk: "zh-hans", english.user.pk: "en"}


@pytest.mark.django_db
def test_the_site_inbox_shows_the_stored_text_whatever_the_page_language(bidder, frozen_now):
    _speaks(bidder, "en")
    with translation.override("zh-hans"):  # a Chinese judge's action
        notify(
            user=bidder,
            topic="auction.result",
            subject=_("【拍卖结果】已成交"),
            body=text(
                _("%(title)s 已于竞价结束时成交，成交价 %(price)s 元，成交确认书已公示。"),
                title="某房产",
                price="1,000.00",
            ),
            key="t:lang:inbox",
            channels=["inbox"],
        )
    deliver_pending()
    stored = InboxMessage.objects.get(recipient=bidder)
    assert stored.subject == "[Auction result] Sold"
    client = Client()
    client.force_login(bidder)
    page = client.get("/inbox/").content.decode()  # the page itself in Chinese (no cookie)
    assert "[Auction result] Sold" in page
    assert "某房产 was sold when bidding closed, at CNY 1,000.00" in page


@pytest.mark.django_db
def test_sms_is_written_in_the_recipient_language_prefix_included(bidder, frozen_now):
    _speaks(bidder, "en")
    before = len(ConsoleSMS.sent)
    notify(
        user=bidder,
        topic="auction.result",
        subject=_("【保证金退还】"),
        body=joined(
            text(_("%(title)s 竞价已结束，您的保证金将在 24 小时内退还（AUC-30）。"), title="X")
        ),
        key="t:lang:sms",
        channels=["sms"],
    )
    deliver_pending()
    (sent,) = ConsoleSMS.sent[before:]
    assert sent == (
        bidder.phone,
        "[Gavel] [Deposit refund]: Bidding on X has closed; "
        "your deposit will be refunded within 24 hours (AUC-30).",
    )


@pytest.mark.django_db
def test_dates_and_nested_texts_render_in_the_reader_language(bidder, frozen_now):
    when = dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)  # 14:30 in Beijing
    body = text(_("竞价结束时间 %(when)s（以页面为准）。"), when=when)
    with translation.override("zh-hans"):
        assert str(body) == "竞价结束时间 2026-12-07 14:30（以页面为准）。"
    with translation.override("en"):
        assert (
            str(body) == " Bidding closes at 7 Dec 2026, 14:30 (the auction page is authoritative)."
        )
    # A plain str stays as given (a name, or a text already written).
    assert str(text("%(x)s", x="某人")) == "某人"


@pytest.mark.django_db
def test_the_language_switch_stores_a_signed_in_person_choice(bidder):
    client = Client()
    client.force_login(bidder)
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302
    bidder.refresh_from_db()
    assert bidder.language == "en"
    entry = AuditEntry.objects.get(stream="system:accounts", action="account.language_changed")
    assert entry.after == {"language": "en"} and entry.before == {"language": "zh-hans"}
    # An unknown language changes nothing; a visitor's switch stores nothing (and works).
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    bidder.refresh_from_db()
    assert bidder.language == "en"
    assert Client().post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    # Back to Chinese from the account page's form.
    page = client.get("/marketplace/account/").content.decode()
    assert 'id="account-language"' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/marketplace/account/"})
    bidder.refresh_from_db()
    assert bidder.language == "zh-hans"


@pytest.mark.django_db
def test_sign_up_keeps_the_language_it_was_done_in(frozen_now):
    from core.signup import normalise_address, signup_create_account

    with transaction.atomic(), translation.override("en"):
        user = signup_create_account(
            address=normalise_address("13800009999"),
            password="Correct-Horse-9",
            password2="Correct-Horse-9",
            accept_terms=True,
        )
    assert user.language == "en"


def test_signing_in_on_a_new_device_speaks_the_language_chosen_before(bidder):
    """The choice follows the person: a fresh browser (no language cookie) that signs in gets
    the site in the stored language; a browser where a language was already picked keeps it
    (issue 17)."""
    from django.conf import settings

    from tests.conftest import PASSWORD

    User.objects.filter(pk=bidder.pk).update(language="en")
    fresh = Client()
    r = fresh.post("/accounts/login/", {"username": bidder.username, "password": PASSWORD})
    assert r.status_code == 302
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = fresh.get("/").content.decode()
    assert 'lang="en"' in page
    picked = Client()
    picked.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    r = picked.post("/accounts/login/", {"username": bidder.username, "password": PASSWORD})
    assert r.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in r.cookies
    assert 'lang="zh-hans"' in picked.get("/").content.decode()
