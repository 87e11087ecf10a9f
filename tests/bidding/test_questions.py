"""拍品咨询 (issue 17): asking, answering, declining, publishing; anonymity, limits, notices.

The asker's name, username and bidder code never appear on the public page or in the public
API (REC-05); limits on asking are the services' (3 unanswered per lot, 10 a day) and the
request rate (REC-14).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from bidding import services
from bidding.models import AuctionState, LotQuestion
from bidding.services.questions import asker_alias
from core import clock
from core.errors import DomainError
from core.models import AuditEntry, InboxMessage, OutboxMessage
from core.notifications import deliver_pending
from tests.conftest import make_court, make_user

from .engine_factories import make_case, make_identity, make_live_auction, register_active

pytestmark = pytest.mark.django_db

NAME = "张三丰隐名"


@pytest.fixture
def asker():
    user = make_user("bidder", username="asker-zsf", display_name=NAME, phone="13900000001")
    make_identity(user)
    return user


@pytest.fixture
def lot(court, judge, frozen_now):
    return make_case(court, judge=judge)[1]


@pytest.fixture
def auction(court, lot):
    return make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(days=3)
    )


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def ask(auction, user, text="请问房屋是否有租户？能否预约看样？"):
    return services.question_ask(auction_id=auction.pk, user=user, text=text)


# ---- service rules -----------------------------------------------------------------------------


def test_only_signed_in_people_ask_and_never_court_staff(auction, judge):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(DomainError) as exc:
        services.question_ask(auction_id=auction.pk, user=AnonymousUser(), text="请问可以贷款吗？")
    assert exc.value.code == "login_required" and exc.value.status == 401
    with pytest.raises(DomainError) as exc:
        ask(auction, judge)
    assert exc.value.code == "staff_cannot_ask"
    assert not LotQuestion.objects.exists()


def test_length_limits_with_clear_messages(auction, asker):
    with pytest.raises(DomainError) as exc:
        ask(auction, asker, "  请问  ")
    assert exc.value.code == "question_too_short" and "至少 5 个字" in str(exc.value.message)
    with pytest.raises(DomainError) as exc:
        ask(auction, asker, "问" * 501)
    assert exc.value.code == "question_too_long"
    assert "最多 500 个字（现有 501 个字）" in str(exc.value.message)
    for bad in ("请问\x00有无租户", "请问\ud800有无租户"):  # NUL, a lone surrogate
        with pytest.raises(DomainError) as exc:
            ask(auction, asker, bad)
        assert exc.value.code == "invalid_text"
    assert ask(auction, asker, "问" * 500).text == "问" * 500


def test_length_message_in_english(auction, asker):
    from django.utils import translation

    with translation.override("en"), pytest.raises(DomainError) as exc:
        ask(auction, asker, "问" * 501)
    assert "at most 500 characters" in str(exc.value.message)


def test_no_questions_once_the_auction_ended(court, lot, asker):
    ended = make_live_auction(court, lot, state=AuctionState.UNSOLD)
    with pytest.raises(DomainError) as exc:
        ask(ended, asker)
    assert exc.value.code == "questions_closed"


@pytest.mark.rule("REC-14", entry="service")
def test_rate_limits_in_the_service(court, judge, auction, asker):
    """REC-14: at most 3 unanswered questions per person and lot; 10 questions a day."""
    for i in range(3):
        ask(auction, asker, f"第{i}个问题：请问房屋面积？")
    with pytest.raises(DomainError) as exc:
        ask(auction, asker)
    assert exc.value.code == "too_many_pending" and exc.value.status == 429
    # Another person is not held back.
    ask(auction, make_user("bidder"))
    # An answer frees a place on that lot.
    first = LotQuestion.objects.filter(asker=asker).first()
    assert first is not None
    services.question_answer(question_id=first.pk, actor=judge, answer="建筑面积 89 平方米。")
    ask(auction, asker)
    # The daily limit counts every lot: 4 so far, 6 more on other lots, then refused.
    for _ in range(3):
        other = make_live_auction(
            court, make_case(court, judge=judge)[1], state=AuctionState.BIDDING
        )
        ask(other, asker)
        ask(other, asker, "请问税费由谁承担？")
    with pytest.raises(DomainError) as exc:
        ask(make_live_auction(court, make_case(court, judge=judge)[1]), asker)
    assert exc.value.code == "too_many_questions"
    # 24 hours later the person may ask again.
    clock.advance(dt.timedelta(hours=24, seconds=1))
    ask(make_live_auction(court, make_case(court, judge=judge)[1]), asker)


@pytest.mark.rule("REC-14", entry="api")
def test_request_rate_limit_on_the_api(settings, auction, asker):
    """REC-14: a burst of posts hits ``GAVEL_QUESTION_RATE`` (429 with the stable code)."""
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_CACHE_PREFIX = f"rl:test-{uuid.uuid4().hex}:"
    settings.GAVEL_QUESTION_RATE = "2/m"
    c = client_for(asker)
    url = f"/api/bidding/auctions/{auction.pk}/questions"
    codes = [
        c.post(url, {"text": f"问题{i}：请问是否含车位？"}, content_type="application/json")
        for i in range(3)
    ]
    statuses = [r.status_code for r in codes]
    assert 201 in statuses and statuses[-1] == 429
    assert codes[-1].json()["code"] == "rate_limited"


def test_only_the_lots_court_answers(auction, asker, other_court):
    q = ask(auction, asker)
    outsider = make_user("judge", other_court)
    finance = make_user("finance", auction.court)
    for person in (outsider, finance, asker):
        with pytest.raises(DomainError) as exc:
            services.question_answer(question_id=q.pk, actor=person, answer="可以。")
        assert exc.value.code == "forbidden"
    q.refresh_from_db()
    assert q.status == LotQuestion.Status.PENDING


def test_answer_publishes_and_is_audited_and_notified(auction, asker, officer):
    q = ask(auction, asker)
    from bidding.selectors import questions_public

    assert questions_public(auction.lot_id) == []  # not public before the answer
    services.question_answer(question_id=q.pk, actor=officer, answer="无租户，可预约周六看样。")
    public = questions_public(auction.lot_id)
    assert [p["answer"] for p in public] == ["无租户，可预约周六看样。"]
    assert public[0]["asker"] == f"竞买人{q.asker_alias}"
    entry = AuditEntry.objects.get(stream=f"case:{auction.case_id}", action="question.answered")
    assert entry.subject == f"auction:{auction.pk}/question:{q.pk}"
    assert AuditEntry.objects.filter(action="question.asked", subject=q.ref).exists()
    with pytest.raises(DomainError) as exc:  # decided once
        services.question_answer(question_id=q.pk, actor=officer, answer="再答一次。")
    assert exc.value.code == "question_decided"


def test_the_asker_is_told_through_the_notification_channels(auction, asker, judge):
    q = ask(auction, asker)
    services.question_answer(question_id=q.pk, actor=judge, answer="可以办理贷款。")
    rows = OutboxMessage.objects.filter(recipient=asker, topic="bidding.question")
    assert {r.channel for r in rows} == {"inbox", "sms"}  # the asker has a phone
    assert all(r.link == f"/bidding/auctions/{auction.pk}/#questions" for r in rows)
    assert "可以办理贷款。" in rows.get(channel="inbox").body
    deliver_pending(now=clock.now())
    inbox = InboxMessage.objects.get(recipient=asker, topic="bidding.question")
    assert "已答复" in inbox.subject
    # Idempotent: the same notice is never queued twice.
    assert rows.count() == 2


def test_moderation_keeps_it_private_with_a_reason(auction, asker, judge):
    q = ask(auction, asker, "法官是不是收了钱？？？")
    with pytest.raises(DomainError) as exc:
        services.question_reject(question_id=q.pk, actor=judge, reason="rude")
    assert exc.value.code == "invalid_reason"
    with pytest.raises(DomainError) as exc:
        services.question_reject(question_id=q.pk, actor=judge, reason="abusive", note="x" * 201)
    assert exc.value.code == "note_too_long"
    services.question_reject(question_id=q.pk, actor=judge, reason="abusive", note="请文明提问")
    q.refresh_from_db()
    assert q.status == "rejected" and q.decided_by == judge
    from bidding.selectors import questions_public

    assert questions_public(auction.lot_id) == []
    entry = AuditEntry.objects.get(action="question.rejected", subject=q.ref)
    assert entry.reason == "请文明提问"
    notice = OutboxMessage.objects.get(recipient=asker, topic="bidding.question", channel="inbox")
    assert "含不当言论" in notice.body and "请文明提问" in notice.body


@pytest.mark.rule("REC-05", entry="service")
def test_alias_is_per_person_and_lot_and_never_the_bidder_code(court, judge, auction, asker):
    """REC-05: the public code links nothing: stable on one lot, different on another, and not
    the person's bidder code on that auction."""
    reg = register_active(auction, asker)
    q1, q2 = ask(auction, asker), ask(auction, asker, "请问钥匙何时交付？")
    assert q1.asker_alias == q2.asker_alias == asker_alias(user_id=asker.pk, lot_id=auction.lot_id)
    assert q1.asker_alias != reg.bidder_code
    other_lot = make_case(court, judge=judge)[1]
    assert asker_alias(user_id=asker.pk, lot_id=other_lot.pk) != q1.asker_alias
    assert len(q1.asker_alias) == 4
    entry = AuditEntry.objects.get(action="question.asked", subject=q1.ref)
    assert entry.actor_id is None and NAME not in json.dumps(entry.after, ensure_ascii=False)


# ---- pages ------------------------------------------------------------------------------------


@pytest.mark.rule("REC-05", entry="page")
def test_page_shows_answered_questions_anonymously(client, auction, asker, judge):
    """REC-05: the public page shows 竞买人 + code, never the asker's name or username."""
    reg = register_active(auction, asker)
    waiting = ask(auction, asker, "请问有没有欠缴物业费？")
    answered = ask(auction, asker, "请问房屋是否有租户？")
    services.question_answer(question_id=answered.pk, actor=judge, answer="经查无租户。")
    html = client.get(reverse("bidding:auction", args=[auction.pk])).content.decode()
    assert 'id="questions"' in html and "拍品咨询 (1)" in html
    assert "经查无租户。" in html and f"竞买人{answered.asker_alias}" in html
    assert waiting.text not in html  # not public before the answer
    for secret in (NAME, asker.username, str(reg.bidder_code)):
        assert secret not in html
    assert "登录后提问" in html
    # The asker sees their own waiting question; still no name.
    mine = client_for(asker).get(reverse("bidding:auction", args=[auction.pk])).content.decode()
    panel = mine[
        mine.index('id="questions"') : mine.index("</section>", mine.index('id="questions"'))
    ]
    assert waiting.text in panel and "待答复" in panel
    assert NAME not in panel and asker.username not in panel


def test_asking_through_the_page(auction, asker):
    c = client_for(asker)
    url = reverse("bidding:question_ask", args=[auction.pk])
    r = c.post(url, {"text": "请问可否贷款？"})
    assert r.status_code == 302 and r["Location"].endswith("#questions")
    assert LotQuestion.objects.filter(asker=asker, lot_id=auction.lot_id).count() == 1
    r = c.post(url, {"text": "短"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'role="alert"' in html and "至少 5 个字" in html and "短</textarea>" in html
    # A visitor who is not signed in goes to the sign-in page.
    r = Client().post(url, {"text": "请问可否贷款？"})
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_staff_answer_and_reject_on_the_court_pages(auction, asker, judge, officer):
    q1 = ask(auction, asker, "请问车位是否一并拍卖？")
    q2 = ask(auction, asker, "广告：低价代办贷款")
    c = client_for(judge)
    detail = c.get(reverse("bidding:court_auction", args=[auction.pk])).content.decode()
    assert f'id="question-{q1.pk}"' in detail and NAME not in detail
    queue = c.get(reverse("bidding:court_questions")).content.decode()
    assert q1.text in queue and q2.text in queue
    wb = client_for(officer).get(reverse("marketplace:workbench")).content.decode()
    assert "待答复的拍品咨询" in wb and f"#question-{q1.pk}" in wb
    r = c.post(
        reverse("bidding:court_question_decide", args=[q1.pk, "answer"]),
        {"answer": "车位不在本次拍卖范围内。", "next": reverse("bidding:court_questions")},
    )
    assert r.status_code == 302 and r["Location"] == reverse("bidding:court_questions")
    r = c.post(
        reverse("bidding:court_question_decide", args=[q2.pk, "reject"]), {"reason": "off_topic"}
    )
    assert r.status_code == 302
    q1.refresh_from_db()
    q2.refresh_from_db()
    assert (q1.status, q2.status, q2.reject_reason) == ("answered", "rejected", "off_topic")
    # An empty answer is refused with the reason, the question stays pending.
    q3 = ask(auction, make_user("bidder"), "请问何时可以看样？")
    r = c.post(
        reverse("bidding:court_question_decide", args=[q3.pk, "answer"]),
        {"answer": ""},
        follow=True,
    )
    assert "答复内容至少 2 个字" in r.content.decode()
    # Another court's judge may not.
    outsider = make_user("judge", make_court())
    r = client_for(outsider).post(
        reverse("bidding:court_question_decide", args=[q3.pk, "answer"]), {"answer": "可以。"}
    )
    assert r.status_code == 403


def test_a_refused_answer_or_decline_keeps_what_was_typed(auction, asker, judge):
    """Bad input loses nothing: the page the refusal returns to shows the typed text again."""
    q = ask(auction, asker, "请问房屋内的家具是否一并拍卖？")
    c = client_for(judge)
    detail = reverse("bidding:court_auction", args=[auction.pk])
    long_answer = "家具不在拍卖范围内，" * 250  # 2,500 characters: over the 2,000 limit
    r = c.post(
        reverse("bidding:court_question_decide", args=[q.pk, "answer"]),
        {"answer": long_answer, "next": detail},
        follow=True,
    )
    page = r.content.decode()
    assert r.redirect_chain[-1][0] == detail
    assert "答复内容" in page and f">{long_answer}</textarea>" in page
    # Read once: the next visit shows an empty form again.
    again = c.get(detail).content.decode()
    assert long_answer not in again
    # A decline without a valid reason keeps its note and is refused in words.
    r = c.post(
        reverse("bidding:court_question_decide", args=[q.pk, "reject"]),
        {
            "reason": "no-such-reason",
            "note": "与拍品无关",
            "next": reverse("bidding:court_questions"),
        },
        follow=True,
    )
    page = r.content.decode()
    assert "请选择不予公开的理由" in page and 'value="与拍品无关"' in page
    q.refresh_from_db()
    assert q.status == "pending"


# ---- API --------------------------------------------------------------------------------------


@pytest.mark.rule("REC-05", entry="api")
def test_api_public_list_ask_and_court_answer(auction, asker, judge):
    """REC-05: the public list carries the anonymous label, never a name, id or bidder code."""
    reg = register_active(auction, asker)
    anon = Client()
    r = anon.post(
        f"/api/bidding/auctions/{auction.pk}/questions",
        {"text": "请问可否贷款？"},
        content_type="application/json",
    )
    assert r.status_code == 401
    c = client_for(asker)
    r = c.post(
        f"/api/bidding/auctions/{auction.pk}/questions",
        {"text": "请问可否贷款？"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    qid = r.json()["id"]
    r = c.post(
        f"/api/bidding/auctions/{auction.pk}/questions",
        {"text": "问" * 501},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "question_too_long"
    assert anon.get(f"/api/bidding/auctions/{auction.pk}/questions").json() == []
    j = client_for(judge)
    pending = j.get("/api/bidding/court/questions").json()
    assert [p["id"] for p in pending] == [qid]
    assert client_for(asker).get("/api/bidding/court/questions").status_code == 403
    r = j.post(
        f"/api/bidding/court/questions/{qid}/answer",
        {"answer": "可以，详见竞买须知。"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    body = anon.get(f"/api/bidding/auctions/{auction.pk}/questions")
    data = body.json()
    assert data[0]["answer"] == "可以，详见竞买须知。" and data[0]["asker"].startswith("竞买人")
    text = body.content.decode()
    for secret in (NAME, asker.username, str(reg.bidder_code), '"asker_id"'):
        assert secret not in text
    r = j.post(
        f"/api/bidding/court/questions/{qid}/reject",
        {"reason": "abusive"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "question_decided"


def test_openapi_documents_the_question_endpoints(client):
    doc = client.get("/api/openapi.json").json()
    for path in (
        "/api/bidding/auctions/{auction_id}/questions",
        "/api/bidding/court/questions",
        "/api/bidding/court/questions/{question_id}/answer",
        "/api/bidding/court/questions/{question_id}/reject",
    ):
        assert path in doc["paths"], path
    assert "LotQuestionPublicOut" in doc["components"]["schemas"]


def test_page_in_english(auction, asker, judge):
    q = ask(auction, asker)
    services.question_answer(question_id=q.pk, actor=judge, answer="经查无租户。")
    c = Client()
    c.cookies["django_language"] = "en"
    html = c.get(reverse("bidding:auction", args=[auction.pk])).content.decode()
    assert "Questions (1)" in html and f"Bidder {q.asker_alias}" in html
    assert "Sign in to ask" in html and "No answered questions yet." not in html
