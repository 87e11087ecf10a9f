"""The registration form on the auction page: joint bidders with shares (共同竞买) and an agent
(委托代理) the court confirms before bidding opens (AUC-14); what the registrant and the agent
see afterwards; the agent bidding for the registrant; and the deposit's way back from the
payment page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from bidding import services
from bidding.models import AuctionState, Registration
from core import clock
from core.errors import DomainError
from settlement.models import PaymentIntent, SimPayment

from .engine_factories import (
    PASSWORD,
    bidder_user,
    make_case,
    make_live_auction,
    register_active,
)

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def scheduled(court, judge, frozen_now):
    """An announced auction that opens in two hours (agents can still be confirmed)."""
    _case, lot, *_ = make_case(court, judge=judge)
    return make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=2)
    )


def _id(user) -> str:
    return user.identities.get().number


def _register(client, auction, **fields):
    data = {"accept_terms": "on", **fields}
    return client.post(reverse("bidding:register", args=[auction.pk]), data)


def _page(client, auction) -> str:
    return client.get(reverse("bidding:auction", args=[auction.pk])).content.decode()


def _input_value(html: str, name: str) -> str | None:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return m.group(1) if m else None


# --- joint bidders -------------------------------------------------------------------------------


def test_joint_bidders_are_named_by_account_and_id_number_with_shares(client, scheduled):
    me, co1, co2 = bidder_user(), bidder_user(), bidder_user()
    client.force_login(me, backend=BACKEND)
    r = _register(
        client,
        scheduled,
        joint_1_username=co1.username,
        joint_1_id_number=_id(co1).lower(),  # the check letter may be typed in lower case
        joint_1_share="30",
        joint_2_username=co2.username,
        joint_2_id_number=" " + _id(co2) + " ",
        joint_2_share="25.5%",
    )
    assert r.status_code == 302
    reg = Registration.objects.get(auction=scheduled, user=me)
    shares = {m.user_id: m.share_percent for m in reg.members.all()}
    assert shares == {co1.pk: Decimal("30"), co2.pk: Decimal("25.5")}
    assert {m.identity_id for m in reg.members.all()} == {
        co1.identities.get().pk,
        co2.identities.get().pk,
    }

    html = _page(client, scheduled)
    facts = html[html.index('id="reg-facts"') :]
    assert "共同竞买" in facts and "您本人：44.5%" in facts
    assert f"{co1.username}：30%" in facts and f"{co2.username}：25.5%" in facts
    # Nothing about the co-bidders beyond what the registrant typed (REC-05).
    for co in (co1, co2):
        assert co.identities.get().name not in html and co.display_name not in html


def test_a_co_bidder_who_does_not_match_is_refused_in_chinese_and_nothing_typed_is_lost(
    client, scheduled
):
    me, co = bidder_user(), bidder_user()
    client.force_login(me, backend=BACKEND)
    wrong_number = "36010219900101999X"
    r = _register(
        client,
        scheduled,
        joint_1_username=co.username,
        joint_1_id_number=wrong_number,
        joint_1_share="40",
        agent_username="nobody-here",
        agent_id_number="360102199001010011",
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert f"未找到登录账号为“{co.username}”且证件号码相符的已实名认证用户" in html
    assert "未找到登录账号为“nobody-here”且证件号码相符的已实名认证用户" in html
    # Everything typed is still there, the sections open, the terms still ticked.
    assert _input_value(html, "joint_1_username") == co.username
    assert _input_value(html, "joint_1_id_number") == wrong_number
    assert _input_value(html, "joint_1_share") == "40"
    assert _input_value(html, "agent_username") == "nobody-here"
    assert re.search(r'<details class="reg-extra" id="reg-joint" open>', html)
    assert re.search(r'<details class="reg-extra" id="reg-agent" open>', html)
    assert re.search(r'name="accept_terms" checked', html)
    # The person behind the account is not revealed by the refusal (REC-05).
    assert co.identities.get().name not in html and _id(co) not in html
    assert not Registration.objects.filter(auction=scheduled).exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"joint_1_share": "60", "joint_2_share": "40"}, "共同竞买人份额合计须小于 100%"),
        ({"joint_1_share": "0"}, "份额须为大于 0、小于 100 的百分数"),
        ({"joint_1_share": "33.333"}, "份额须为大于 0、小于 100 的百分数"),
        ({"joint_1_share": "三十"}, "份额须为大于 0、小于 100 的百分数"),
    ],
)
def test_shares_must_be_percentages_that_leave_the_registrant_a_share(
    client, scheduled, rows, message
):
    me, co1, co2 = bidder_user(), bidder_user(), bidder_user()
    client.force_login(me, backend=BACKEND)
    data: dict[str, str] = {}
    for i, co in ((1, co1), (2, co2)):
        if f"joint_{i}_share" in rows:
            data |= {
                f"joint_{i}_username": co.username,
                f"joint_{i}_id_number": _id(co),
                f"joint_{i}_share": rows[f"joint_{i}_share"],
            }
    r = _register(client, scheduled, **data)
    assert r.status_code == 200 and message in r.content.decode()
    assert not Registration.objects.filter(auction=scheduled).exists()


def test_a_half_filled_row_and_oneself_are_refused(client, scheduled):
    me, co = bidder_user(), bidder_user()
    client.force_login(me, backend=BACKEND)
    r = _register(client, scheduled, joint_1_username=co.username, joint_1_share="10")
    assert "请填写共同竞买人的证件号码" in r.content.decode()
    r = _register(
        client,
        scheduled,
        joint_1_username=me.username,
        joint_1_id_number=_id(me),
        joint_1_share="10",
        agent_username=me.username,
        agent_id_number=_id(me),
    )
    html = r.content.decode()
    assert "共同竞买人不能是您本人" in html and "代理人不能是您本人" in html
    assert not Registration.objects.filter(auction=scheduled).exists()


def test_an_unverified_co_bidder_cannot_be_named_auc17(client, scheduled):
    from tests.bidding.engine_factories import make_identity
    from tests.conftest import make_user

    me, pending = bidder_user(), make_user("bidder")
    ident = make_identity(pending, verified=False)
    client.force_login(me, backend=BACKEND)
    r = _register(
        client,
        scheduled,
        joint_1_username=pending.username,
        joint_1_id_number=ident.number,
        joint_1_share="50",
    )
    assert r.status_code == 200 and "已实名认证用户" in r.content.decode()


def test_the_engine_refuses_oneself_or_the_same_person_twice_as_co_bidder(scheduled):
    me, co = bidder_user(), bidder_user()
    for members in ([{"user": me, "share": "10"}], [{"user": co, "share": "10"}] * 2):
        with pytest.raises(DomainError) as err:
            services.registration_create(
                auction_id=scheduled.pk, user=me, accept_terms=True, joint_bidders=members
            )
        assert err.value.code == "invalid_joint_bidder"


# --- the agent (AUC-14) --------------------------------------------------------------------------


@pytest.mark.rule("AUC-14", entry="page")
def test_registrant_names_an_agent_who_waits_for_the_court_then_bids_for_them_auc14(
    client, scheduled, judge
):
    me, agent = bidder_user(), bidder_user()
    client.force_login(me, backend=BACKEND)
    r = _register(client, scheduled, agent_username=agent.username, agent_id_number=_id(agent))
    assert r.status_code == 302
    reg = Registration.objects.get(auction=scheduled, user=me)
    assert reg.agent_user_id == agent.pk and reg.agent_identity_id == agent.identities.get().pk

    html = client.get(r["Location"]).content.decode()
    assert "委托代理须在竞价开始前经法院确认" in html  # the success message
    facts = html[html.index('id="reg-facts"') :]
    assert f"代理人 {agent.username}" in facts and "待法院确认" in facts

    # The agent's own page: no bid form, no deposit or password forms, the reason instead.
    client.force_login(agent, backend=BACKEND)
    html = _page(client, scheduled)
    assert "您受委托代为竞买" in html and "法院确认前，您不能代为出价" in html
    assert 'id="bid-form"' not in html and "交纳保证金</button>" not in html
    assert me.identities.get().name not in html and me.username not in html
    # The agent cannot pay or set the password for the registrant.
    r = client.post(reverse("bidding:deposit", args=[scheduled.pk]), follow=True)
    assert "保证金由委托人本人交纳" in r.content.decode()
    assert not PaymentIntent.objects.exists()

    services.registration_confirm_agent(registration_id=reg.pk, actor=judge)
    html = _page(client, scheduled)
    assert "委托人交纳保证金并取得竞买号后，您可代为出价" in html and "法院已确认" in html

    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    reg.refresh_from_db()
    html = _page(client, scheduled)
    assert reg.bidder_code is not None
    assert reg.bidder_code in html and "委托人设置竞价密码后，您可代为出价" in html
    r = client.post(
        reverse("bidding:password", args=[scheduled.pk]),
        {"password": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert "竞价密码由委托人本人设置" in r.content.decode()
    services.registration_set_password(registration_id=reg.pk, user=me, password=PASSWORD)

    # Bidding opens: the agent bids under the registrant's code.
    clock.advance(dt.timedelta(hours=2))
    html = _page(client, scheduled)
    assert 'id="bid-form"' in html and "您代为出价的竞买号" in html
    bid = services.bid_place(
        auction_id=scheduled.pk,
        user=agent,
        amount_fen=scheduled.starting_price_fen,
        password=PASSWORD,
    )
    assert bid.registration_id == reg.pk and bid.bidder_code == reg.bidder_code
    # The registrant finds the bid made for them in "my account", linked to the auction.
    client.force_login(me, backend=BACKEND)
    html = client.get(reverse("marketplace:account")).content.decode()
    bids = html[html.index('id="bids"') :]
    auction_url = reverse("bidding:auction", args=[scheduled.pk])
    assert f'<a href="{auction_url}">{scheduled.title}</a>' in bids and "100,000.00" in bids


def test_an_agent_not_confirmed_before_the_start_is_told_they_cannot_bid_auc14(client, scheduled):
    me, agent = bidder_user(), bidder_user()
    reg = services.registration_create(
        auction_id=scheduled.pk, user=me, accept_terms=True, agent=agent
    )
    services.registration_deposit_confirmed(
        registration_id=reg.pk, amount_fen=reg.deposit_required_fen
    )
    services.registration_set_password(registration_id=reg.pk, user=me, password=PASSWORD)
    clock.advance(dt.timedelta(hours=2, seconds=1))
    client.force_login(agent, backend=BACKEND)
    html = _page(client, scheduled)
    assert "委托代理未在竞价开始前经法院确认，您不能代为出价" in html
    assert 'id="bid-form"' not in html
    with pytest.raises(DomainError) as err:
        services.bid_place(
            auction_id=scheduled.pk,
            user=agent,
            amount_fen=scheduled.starting_price_fen,
            password=PASSWORD,
        )
    assert err.value.code == "agent_not_confirmed" and err.value.rule == "AUC-14"
    client.force_login(me, backend=BACKEND)
    assert "未在竞价开始前经法院确认，代理人不能出价" in _page(client, scheduled)


def test_one_person_is_one_bidder_per_auction_agent_or_registrant_auc14(scheduled):
    """The bid path finds the registration by bidder or agent: it must be exactly one."""
    a, b, agent = bidder_user(), bidder_user(), bidder_user()
    services.registration_create(auction_id=scheduled.pk, user=a, accept_terms=True, agent=agent)
    with pytest.raises(DomainError) as err:  # an agent for a second registrant
        services.registration_create(
            auction_id=scheduled.pk, user=b, accept_terms=True, agent=agent
        )
    assert err.value.code == "agent_unavailable" and err.value.rule == "AUC-14"
    with pytest.raises(DomainError) as err:  # the agent registering for themself
        services.registration_create(auction_id=scheduled.pk, user=agent, accept_terms=True)
    assert err.value.code == "agent_registered"
    with pytest.raises(DomainError) as err:  # a registrant named as someone's agent
        services.registration_create(auction_id=scheduled.pk, user=b, accept_terms=True, agent=a)
    assert err.value.code == "agent_unavailable"


# --- the bid box while bids are not taken (AUC-03, AUC-40) ----------------------------------------


def _bid_box(html: str) -> str:
    return html[html.index('id="bid"') : html.index('id="chart-h"')]


@pytest.mark.rule("AUC-40", entry="page")
def test_bid_form_is_disabled_with_the_reason_while_suspended_or_halted_auc40(
    client, court, judge, frozen_now
):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    me = bidder_user()
    client.force_login(me, backend=BACKEND)
    _register(client, auction)
    cashier = client.post(reverse("bidding:deposit", args=[auction.pk]))["Location"]
    client.post(cashier, {"action": "pay"})  # the deposit is held through settlement
    reg = Registration.objects.get(auction=auction, user=me)
    services.registration_set_password(registration_id=reg.pk, user=me, password=PASSWORD)
    box = _bid_box(_page(client, auction))
    assert 'id="bid-form"' in box and "<fieldset data-live-form>" in box
    assert 'data-live="action_note" role="status" aria-live="polite" hidden>' in box

    services.auction_suspend(auction_id=auction.pk, actor=judge, reason="案外人提出异议，暂缓拍卖")
    box = _bid_box(_page(client, auction))
    assert "拍卖已暂缓，暂停出价" in box and "<fieldset data-live-form disabled>" in box

    services.auction_halt(auction_id=auction.pk, actor=judge, reason="中止拍卖")
    box = _bid_box(_page(client, auction))
    assert "拍卖已中止，暂停出价" in box and "<fieldset data-live-form disabled>" in box

    # The halt refunds the deposit (AUC-41): after the resume the bidder pays again.
    from settlement.worker import drain

    drain()
    reg.refresh_from_db()
    assert reg.status == Registration.Status.RELEASED
    now = clock.now()
    services.auction_resume(
        auction_id=auction.pk,
        actor=judge,
        reason="异议已审查，恢复拍卖",
        start_at=now + dt.timedelta(hours=1),
        end_at=now + dt.timedelta(hours=26),
    )
    box = _bid_box(_page(client, auction))
    assert "请重新交纳保证金" in box and "交纳保证金</button>" in box
    assert "<fieldset data-live-form>" in box  # paying is allowed again


def test_bid_form_waits_for_the_start_and_closes_at_the_end(client, court, judge, frozen_now):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(
        court, lot, state=AuctionState.SCHEDULED, starts_in=dt.timedelta(hours=1), hours=24
    )
    reg = register_active(auction)
    client.force_login(reg.user, backend=BACKEND)
    box = _bid_box(_page(client, auction))
    assert "竞价尚未开始，开始后方可出价" in box and "<fieldset data-live-form disabled>" in box
    clock.advance(dt.timedelta(hours=1))  # the start has passed: the first bid opens it
    box = _bid_box(_page(client, auction))
    assert "<fieldset data-live-form>" in box and "竞价尚未开始" not in box
    clock.advance(dt.timedelta(hours=24, seconds=1))
    services.auction_close_due()
    box = _bid_box(_page(client, auction))
    assert "本场拍卖竞价已结束，不再接受出价" in box


def test_visitor_of_a_suspended_auction_is_told_why_it_cannot_register_auc40(
    client, court, judge, frozen_now
):
    _case, lot, *_ = make_case(court, judge=judge)
    auction = make_live_auction(court, lot)
    services.auction_suspend(auction_id=auction.pk, actor=judge, reason="暂缓")
    client.force_login(bidder_user(), backend=BACKEND)
    box = _bid_box(_page(client, auction))
    assert "拍卖已暂缓" in box and "法院恢复拍卖后可报名竞买" in box
    assert "报名竞买</button>" not in box


def test_the_page_passes_the_reasons_to_the_script_for_live_state_changes(client, scheduled):
    html = _page(client, scheduled)
    m = re.search(r'<script id="auction-config" type="application/json">(.*?)</script>', html, re.S)
    assert m
    import json

    labels = json.loads(m.group(1))["labels"]
    assert labels["state_notes"]["suspended"].startswith("拍卖已暂缓，暂停出价")
    assert labels["state_notes"]["halted"].startswith("拍卖已中止，暂停出价")
    assert labels["note_scheduled"] and labels["note_closed"]


# --- the deposit's way back from the payment page -----------------------------------------------


def test_the_cashier_names_the_auction_and_leads_back_to_it(client, scheduled):
    me = bidder_user()
    client.force_login(me, backend=BACKEND)
    _register(client, scheduled)
    r = client.post(reverse("bidding:deposit", args=[scheduled.pk]))
    assert r.status_code == 302 and r["Location"].startswith("/settlement/simulator/pay/")
    intent = PaymentIntent.objects.get()
    auction_url = reverse("bidding:auction", args=[scheduled.pk])
    assert intent.return_url == f"http://testserver{auction_url}#bid"

    html = client.get(r["Location"]).content.decode()
    assert f"竞买保证金：{scheduled.title}" in html
    assert "registration:" not in html  # no internal reference on the payer's page
    assert f'href="http://testserver{auction_url}#bid"' in html and "返回，暂不支付" in html

    html = client.post(r["Location"], {"action": "pay"}).content.decode()
    assert SimPayment.objects.get().status == "authorised"
    assert "返回拍卖页面" in html and f'href="http://testserver{auction_url}#bid"' in html
    reg = Registration.objects.get(auction=scheduled, user=me)
    assert reg.bidder_code  # the deposit is held: back on the page the next step is the password
    assert "设置竞价密码" in _page(client, scheduled)

    # "My account": the deposit line names the auction and links to it, never the reference.
    html = client.get(reverse("marketplace:account")).content.decode()
    section = html[html.index('id="registrations"') : html.index('id="bids"')]
    assert f'<a href="{auction_url}">{scheduled.title}</a>' in section
    assert "已缴纳" in section and reg.ref not in html and "registration:" not in html


def test_the_cashier_never_leads_to_another_site(client, scheduled):
    me = bidder_user()
    client.force_login(me, backend=BACKEND)
    _register(client, scheduled)
    r = client.post(reverse("bidding:deposit", args=[scheduled.pk]))
    PaymentIntent.objects.update(return_url="https://evil.example/phish")
    html = client.get(r["Location"]).content.decode()
    assert "evil.example" not in html and 'id="sim-return"' not in html
