"""Core's own pages: the inbox, my deadlines, sign-out; the worker command; the demo data."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from core import calendar, clock
from core.calendar import CST
from core.deadlines import deadline_open, deadlines_sweep
from core.models import InboxMessage, OutboxMessage
from core.notifications import deliver_pending, notify

pytestmark = pytest.mark.django_db


def test_inbox_lists_messages_and_marks_them_read(client, bidder, frozen_now):
    notify(
        user=bidder, topic="t", subject="保证金已冻结", body="竞买号 A1", key="k1", link="/inbox/"
    )
    notify(user=bidder, topic="t", subject="外链", body="x", key="k2", link="https://evil.example/")
    deliver_pending()
    client.force_login(bidder)
    body = client.get("/inbox/").content.decode()
    assert "保证金已冻结" in body and "竞买号 A1" in body
    assert '<b class="badge">2</b>' in body
    local = InboxMessage.objects.get(subject="保证金已冻结")
    resp = client.post(f"/inbox/{local.pk}/read/")
    assert resp.status_code == 302 and resp.url == "/inbox/"
    local.refresh_from_db()
    assert local.read_at == clock.now()
    foreign = InboxMessage.objects.get(subject="外链")
    resp = client.post(f"/inbox/{foreign.pk}/read/")
    assert resp.url == "/inbox/"  # never an open redirect to another site


def test_nobody_reads_another_persons_inbox(client, bidder, party_user, frozen_now):
    notify(user=bidder, topic="t", subject="私信", body="x", key="k")
    deliver_pending()
    client.force_login(party_user)
    assert "私信" not in client.get("/inbox/").content.decode()
    msg = InboxMessage.objects.get()
    assert client.post(f"/inbox/{msg.pk}/read/").status_code == 404


def test_my_deadlines_page_shows_the_overdue_flag(client, court, judge):
    deadline_open(
        rule_id="AUC-32",
        title="送达成交裁定",
        subject="case:1/auction:2",
        start_event="balance_paid",
        started_at=dt.datetime(2026, 11, 2, 9, tzinfo=CST),
        period=10,
        court=court,
        owner=judge,
    )
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 12)) + dt.timedelta(minutes=1))
    deadlines_sweep()
    client.force_login(judge)
    body = client.get("/staff/deadlines/").content.decode()
    assert "送达成交裁定" in body and "AUC-32" in body
    assert 'class="flag-yellow">已超期<' in body
    assert "2026-11-12 23:59" in body  # shown in Beijing time


def test_sign_out_needs_post_and_says_so_in_chinese(client, bidder):
    client.force_login(bidder)
    assert client.get("/accounts/logout/").status_code == 405
    resp = client.post("/accounts/logout/", follow=True)
    assert "您已安全退出" in resp.content.decode()
    assert not resp.context["user"].is_authenticated


@pytest.mark.django_db(transaction=True)
def test_run_worker_once_delivers_the_outbox(bidder):
    notify(user=bidder, topic="t", subject="到账通知", body="x", key="k", channels=["inbox"])
    out = io.StringIO()
    call_command("run_worker", "--once", "--only", "core.outbox", stdout=out)
    assert "core.outbox" in out.getvalue()
    assert OutboxMessage.objects.get().status == "sent"
    assert bidder.inbox.get().subject == "到账通知"


def test_core_demo_data_is_marked_and_loads_twice(db):
    from core.demo import seed_core
    from core.models import Court, User

    ctx: dict = {}
    seed_core(ctx)
    seed_core(ctx)
    assert Court.objects.count() == 1 and "示例" in Court.objects.get().name
    assert ctx["users"]["judge"].court == ctx["court"]
    assert User.objects.filter(username="operator", is_superuser=True).exists()
    assert all("示例" in u.display_name for u in User.objects.all())


def _topbar(html: str) -> str:
    return html.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


def _links(bar: str) -> list[str]:
    import re

    return re.findall(r'<a [^>]*href="([^"]+)"', bar)


def test_the_top_bar_is_the_same_on_every_apps_pages(client, judge, frozen_now):
    """A judge on a case page, an appraisal page or a pricing page still reaches the court's
    auctions and cases from the top bar (an app's own links go under it, not instead of it)."""
    client.force_login(judge)
    bars = [
        _topbar(client.get(url).content.decode()) for url in ("/", "/cases/", "/appraisers/court/")
    ]
    for bar in bars:
        assert 'href="/cases/"' in bar and 'href="/bidding/court/"' in bar
        assert 'href="/appraisers/court/"' in bar
    assert _links(bars[0]) == _links(bars[1]) == _links(bars[2])


@pytest.mark.parametrize(
    ("role", "url", "label"),
    [
        ("appraiser", "/appraisers/firm/", "机构工作台"),
        ("party", "/appraisers/mine/", "我的评估事项"),
        ("judge", "/appraisers/court/", "委托评估"),
    ],
)
def test_each_person_finds_their_work_from_the_home_page(client, court, role, url, label):
    from tests.conftest import make_user

    client.force_login(make_user(role, court if role == "judge" else None))
    html = client.get("/").content.decode()
    assert f'href="{url}"' in _topbar(html)
    assert label in html.split("<main>", 1)[1]  # the home page's card too


def test_the_demo_links_messages_to_its_own_address_unless_one_is_configured(settings):
    """An SMS from the demo carries a link a phone can open (not a bare path)."""
    from core.management.commands.demo import use_demo_site_url

    settings.GAVEL_SITE_URL = ""
    assert use_demo_site_url("127.0.0.1", 8790) == "http://127.0.0.1:8790"
    settings.GAVEL_SITE_URL = "https://gavel.court.example"
    assert use_demo_site_url("127.0.0.1", 8790) == "https://gavel.court.example"
