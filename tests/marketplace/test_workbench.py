"""The staff workbench shows exactly the user's open deadlines, most urgent first (issue 8, REC-13)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core import clock
from core.deadlines import deadline_close, deadline_open, deadlines_sweep
from core.models import Court, Deadline, User
from marketplace.workbench import LATER, RED, SOON, YELLOW, workbench_items
from tests.conftest import make_user
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def open_deadline(
    title: str,
    *,
    court: Court,
    days: int,
    owner: User | None = None,
    owner_role: str = "",
    subject: str | None = None,
    rule: str = "PRC-01",
) -> Deadline:
    return deadline_open(
        rule_id=rule,
        title=title,
        subject=subject or f"case:999/{title}",
        start_event="测试",
        started_at=clock.now(),
        period=days,
        court=court,
        owner=owner,
        owner_role=owner_role,
    )


@pytest.fixture
def world(frozen_now, court, other_court, judge):
    officer = make_user("officer", court)
    other_judge = make_user("judge", court)
    foreign_judge = make_user("judge", other_court)
    mine = open_deadline("本人-30日", court=court, days=30, owner=judge)
    role = open_deadline("法官角色-10日", court=court, days=10, owner_role="judge")
    soon = open_deadline("本人-2日", court=court, days=2, owner=judge)
    overdue = open_deadline("本人-1日即超期", court=court, days=1, owner=judge)
    # Not the judge's:
    open_deadline("他人", court=court, days=5, owner=other_judge)
    open_deadline("执行员角色", court=court, days=5, owner_role="officer")
    open_deadline("他院法官角色", court=other_court, days=5, owner_role="judge")
    open_deadline("指派给他人的法官事项", court=court, days=5, owner=officer, owner_role="judge")
    done = open_deadline("本人-已完成", court=court, days=3, owner=judge)
    deadline_close(subject=done.subject)
    return {
        "mine": mine,
        "role": role,
        "soon": soon,
        "overdue": overdue,
        "foreign_judge": foreign_judge,
        "officer": officer,
    }


def test_the_workbench_lists_exactly_the_users_open_deadlines(world, judge):
    titles = {it.deadline.title for it in workbench_items(judge)}
    assert titles == {"本人-30日", "法官角色-10日", "本人-2日", "本人-1日即超期"}


def test_the_queue_is_sorted_by_urgency_and_coloured_by_flag(world, judge):
    clock.advance(dt.timedelta(days=2, hours=1))  # the 1-day one is now overdue
    deadlines_sweep()
    items = workbench_items(judge)
    assert [it.deadline.title for it in items] == [
        "本人-1日即超期",
        "本人-2日",
        "法官角色-10日",
        "本人-30日",
    ]
    assert [it.urgency for it in items] == [YELLOW, SOON, LATER, LATER]
    assert items[0].deadline.flag == Deadline.Flag.YELLOW
    # Escalated (red) goes to the very top.
    Deadline.objects.filter(pk=world["role"].pk).update(flag=Deadline.Flag.RED, due_at=clock.now())
    assert workbench_items(judge)[0].deadline.title == "法官角色-10日"
    assert workbench_items(judge)[0].urgency == RED


def test_a_past_due_deadline_not_yet_swept_already_shows_as_overdue(world, judge):
    clock.advance(dt.timedelta(days=3))
    top = workbench_items(judge)[0]
    assert top.deadline.flag == Deadline.Flag.GREEN  # the sweep has not run
    assert top.urgency == YELLOW


def test_a_judge_of_another_court_sees_only_their_courts_role_duties(world):
    assert [it.deadline.title for it in workbench_items(world["foreign_judge"])] == ["他院法官角色"]


def test_the_workbench_page_shows_the_queue_to_staff(client, world, judge):
    client.force_login(judge)
    resp = client.get(reverse("marketplace:workbench"))
    assert resp.status_code == 200
    html = resp.content.decode()
    for title in ("本人-30日", "法官角色-10日", "本人-2日", "本人-1日即超期"):
        assert title in html
    for title in ("他人", "执行员角色", "他院法官角色", "本人-已完成"):
        assert title not in html
    assert "工作台" in html


def test_the_workbench_shows_no_court_deadline_to_a_bidder_and_needs_a_sign_in(
    client, world, bidder
):
    """Issue 13: every role has a workbench (its own duties); court deadlines stay the court's."""
    client.force_login(bidder)
    resp = client.get(reverse("marketplace:workbench"))
    html = resp.content.decode()
    assert resp.status_code == 200 and 'id="workbench"' not in html
    for title in ("本人-30日", "法官角色-10日", "他人"):
        assert title not in html
    client.logout()
    resp = client.get(reverse("marketplace:workbench"))
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_a_case_deadline_shows_the_case_number(frozen_now, court, judge):
    from cases.models import Case

    case = Case.objects.create(
        court=court,
        number="（2026）测0102执1号",
        year=2026,
        court_code="测0102",
        case_type="执",
        sequence=1,
        claim_fen=100,
        filed_on=dt.date(2026, 1, 5),
        created_at=clock.now(),
    )
    asset = AssetFactory.create(case=case, name="东湖区示例路8号502室")
    open_deadline(
        "启动定价", court=court, days=30, owner=judge, subject=f"case:{case.pk}/asset:{asset.pk}"
    )
    (item,) = workbench_items(judge)
    # names, never references (core.refs): the case number and the asset's name, linked
    assert item.subject_label == "（2026）测0102执1号 · 东湖区示例路8号502室"
    assert item.link == f"/cases/{case.pk}/assets/{asset.pk}/"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("case:{case}/auction:{auction}/ruling", "/bidding/court/auctions/{auction}/"),
        ("case:{case}/asset:{asset}", "/cases/{case}/assets/{asset}/"),
        ("case:{case}/payout:7", "/cases/{case}/"),
        ("court:1/receipt:3", None),
    ],
)
def test_a_deadline_links_to_its_subjects_page(frozen_now, court, subject, expected):
    from marketplace.workbench import subject_link

    ids = {"case": 12, "asset": 34, "auction": 56}
    got = subject_link(subject.format(**ids))
    assert got == (expected.format(**ids) if expected else None)


def test_payouts_waiting_for_a_signature_show_on_the_signers_workbench(
    client, frozen_now, court, officer, judge, bureau_head, finance
):
    """Issue 13 / FND-12: officer submits → the bureau head's workbench shows the payout
    awaiting their approval; once the head signs, it waits for finance (not for the head any
    more); the submitter never sees it as theirs to sign."""
    from settlement.services import payout_approve, payout_create
    from tests.settlement.conftest import fund, make_case

    case = make_case(court, officer=officer, judge=judge)
    fund(case, 500_000)
    payout = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=100_000,
        purpose="发放执行款",
        idempotency_key="wb-payout",
        actor=officer,
    )
    subject = f"case:{case.pk}/payout:{payout.pk}"

    def waiting(user: User) -> list[str]:
        return [it.deadline.subject for it in workbench_items(user) if it.awaits_signature]

    assert waiting(bureau_head) == [subject]
    assert waiting(finance) == []  # not yet finance's turn (FND-12 order)
    assert waiting(officer) == []
    client.force_login(bureau_head)
    page = client.get(reverse("marketplace:workbench")).content.decode()
    assert "待您审批" in page and "发放执行款：申请人甲" in page

    payout_approve(payout_id=payout.pk, actor=bureau_head)
    assert waiting(bureau_head) == []
    assert waiting(finance) == [subject]
    client.force_login(finance)
    page = client.get(reverse("marketplace:workbench")).content.decode()
    assert "待您审批" in page


def test_a_payout_of_the_judges_tier_waits_for_the_judge_and_not_for_another_court(
    frozen_now, court, other_court, officer, judge
):
    """FND-12 tiers: a payout whose leader is the judge shows on the judge's workbench;
    staff of another court never see it."""
    from core.rulesettings import setting_set
    from settlement.services import payout_create
    from tests.settlement.conftest import fund, make_case

    setting_set(
        key="approval_tiers",
        value=[{"up_to_fen": 1_000_000, "role": "judge"}],
        court=court,
        reason="测试",
    )
    case = make_case(court, officer=officer, judge=judge)
    fund(case, 500_000)
    payout = payout_create(
        case_id=case.pk,
        payee_kind="creditor",
        payee_ref="party:1",
        payee_name="申请人甲",
        amount_fen=100_000,
        purpose="发放执行款",
        idempotency_key="wb-payout-judge",
        actor=officer,
    )
    assert payout.leader_role == "judge"
    subject = f"case:{case.pk}/payout:{payout.pk}"
    assert [it.deadline.subject for it in workbench_items(judge) if it.awaits_signature] == [
        subject
    ]
    foreign_head = make_user("bureau_head", other_court)
    assert workbench_items(foreign_head) == []


def test_the_engines_next_round_draft_waits_on_the_workbench_auc35(
    client, frozen_now, court, judge
):
    """Issue 13: every duty that waits for a person is on their workbench: the next round the
    engine drafted after an unsold round (AUC-35) for the case's judge and the court's officers,
    not for another judge of the court, and not once it is published."""
    from bidding import services
    from tests.bidding.engine_factories import make_case, make_live_auction

    _case, lot, *_ = make_case(court, judge=judge)
    live = make_live_auction(court, lot)
    assert live.end_at is not None
    clock.set_time(live.end_at)
    services.auction_close_due()
    draft = services.auction_next_round_create(auction_id=live.pk, actor=judge)
    url = reverse("bidding:court_auction", args=[draft.pk])
    for person, sees in (
        (judge, True),
        (make_user("officer", court), True),
        (make_user("judge", court), False),
    ):
        client.force_login(person)
        html = client.get(reverse("marketplace:workbench")).content.decode()
        assert (url in html) is sees, person.role
    draft.state = "scheduled"
    draft.save(update_fields=["state"])
    client.force_login(judge)
    assert url not in client.get(reverse("marketplace:workbench")).content.decode()
