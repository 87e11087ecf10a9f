"""Deadline titles in the reader's language (REC-13): the stored ``title`` stays Chinese (the
court's record); a fixed title is a msgid translated when shown, a title with values inside
keeps its msgid and values in ``title_params``; rows older than ``title_params`` show their
stored title."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_noop

from core import calendar, clock
from core.calendar import CST
from core.deadlines import deadline_open, deadline_title, deadlines_sweep, title_word
from core.models import Deadline
from core.notifications import deliver_pending

pytestmark = pytest.mark.django_db

MONDAY_9 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=CST)


def _open(court, title, owner=None):
    return deadline_open(
        rule_id="AUC-33",
        title=title,
        subject="case:1/auction:2",
        start_event="auction.unsold",
        started_at=MONDAY_9,
        period=10,
        court=court,
        owner=owner,
    )


def _in(language, d):
    with translation.override(language):
        return d.display_title


def test_fixed_title_is_stored_chinese_and_shown_in_english(court):
    """REC-13: a fixed title is stored as its Chinese msgid and read in English in English."""
    d = _open(court, gettext_noop("流拍后三十日内再次拍卖"))
    d.refresh_from_db()
    assert d.title == "流拍后三十日内再次拍卖" and d.title_params is None
    assert _in("en", d) == "Re-auction within 30 days of the failed auction"
    assert _in("zh-hans", d) == "流拍后三十日内再次拍卖"


def test_title_with_a_name_inside_keeps_the_name_and_translates_the_words(court):
    """REC-13: ``出具评估报告（<firm>）`` is stored in Chinese with the firm's name; an English
    reader sees the English words around the same name."""
    d = _open(court, deadline_title(gettext_noop("出具评估报告（%(firm)s）"), firm="洪城评估"))
    d.refresh_from_db()
    assert d.title == "出具评估报告（洪城评估）"
    assert d.title_params == {"msgid": "出具评估报告（%(firm)s）", "params": {"firm": "洪城评估"}}
    assert _in("en", d) == "Issue the appraisal report (洪城评估)"
    assert _in("zh-hans", d) == "出具评估报告（洪城评估）"


def test_interface_word_inside_a_title_is_translated_too(court):
    """REC-13: a word that is itself interface text (a report kind, an objection's ground)
    is stored as its msgid and translated with the title; nested titles render in turn."""
    d = _open(
        court,
        deadline_title(
            gettext_noop("%(step)s（%(what)s）"),
            step=title_word(gettext_noop("审查案外人异议")),
            what=deadline_title(gettext_noop("询价结果异议：%(party)s"), party="张三"),
        ),
    )
    d.refresh_from_db()
    assert d.title == "审查案外人异议（询价结果异议：张三）"
    assert (
        _in("en", d) == "Review the third-party objection (Objection to the inquiry result: 张三)"
    )


def test_old_row_without_params_shows_its_stored_title(court):
    """Rows written before ``title_params``: a title with a name inside is no msgid, so it is
    shown as stored in every language; an old fixed title is still translated."""
    old = Deadline.objects.create(
        court=court,
        rule_id="APR-05",
        title="接受委托（洪城评估）",
        subject="case:1/commission:3",
        start_event="commission.offered",
        started_at=MONDAY_9,
        unit=Deadline.Unit.FIXED,
        due_at=MONDAY_9 + dt.timedelta(days=3),
    )
    assert old.title_params is None
    assert _in("en", old) == "接受委托（洪城评估）"
    old_fixed = Deadline.objects.create(
        court=court,
        rule_id="FND-10",
        title="执行款到账后发放",
        subject="case:1/payout:4",
        start_event="payout_created",
        started_at=MONDAY_9,
        unit=Deadline.Unit.FIXED,
        due_at=MONDAY_9 + dt.timedelta(days=3),
    )
    assert _in("en", old_fixed) == "Pay out once the enforcement money has arrived"


def test_params_that_do_not_fit_the_catalogue_fall_back_to_the_stored_title(court):
    """A damaged ``title_params`` (a value missing) never breaks a page: the stored title."""
    d = _open(court, deadline_title(gettext_noop("接受委托（%(firm)s）"), firm="洪城评估"))
    d.title_params = {"msgid": "接受委托（%(firm)s）", "params": {"other": "x"}}
    assert _in("en", d) == "接受委托（洪城评估）"


def test_deadline_list_page_shows_the_english_title(court):
    """The deadline lists (core/deadlines.html, and the same ``display_title`` in the case,
    pricing, payout, appraiser and workbench templates) show the title in English."""
    d = _open(court, deadline_title(gettext_noop("接受委托（%(firm)s）"), firm="洪城评估"))
    with translation.override("en"):
        html = render_to_string("core/deadlines.html", {"deadlines": [d]})
    assert "Accept the commission (洪城评估)" in html
    assert "接受委托" not in html


def test_overdue_notice_names_the_deadline_in_the_recipients_language(court, judge):
    """REC-13: the overdue notice renders the title in the recipient's language."""
    judge.language = "en"
    judge.save(update_fields=["language"])
    _open(court, gettext_noop("流拍后三十日内再次拍卖"), owner=judge)
    clock.set_time(calendar.end_of_day(dt.date(2026, 11, 12)) + dt.timedelta(seconds=1))
    assert deadlines_sweep()["yellow"] == 1
    deliver_pending()
    (message,) = judge.inbox.all()
    assert "Re-auction within 30 days of the failed auction" in message.subject


def test_history_names_an_amount_shown_in_yuan_without_the_fen_unit():
    """The case history shows ``*_fen`` amounts as ¥ yuan, so a field's name loses its "(fen)"
    (``已缴余款（分）`` read as "Balance paid (fen)" beside a yuan figure)."""
    from cases.audit_labels import _key_label

    with translation.override("en"):
        assert _key_label("paid_fen", "balancedue") == "Balance paid"
    with translation.override("zh-hans"):
        assert _key_label("paid_fen", "balancedue") == "已缴余款"


def test_reference_price_step_result_reads_in_english():
    """A price fixed by a step (PRC-09) is stored as "确定为 1,234.00 元" and read in English;
    another stored reason that is a msgid is translated, typed text is shown as it is."""
    from pricing.models import PricingStep

    step = PricingStep(outcome_reason="确定为 1,234.00 元")
    with translation.override("en"):
        assert step.outcome_reason_display == "Fixed at ¥1,234.00"
    with translation.override("zh-hans"):
        assert step.outcome_reason_display == "确定为 1,234.00 元"
    with translation.override("en"):
        assert PricingStep(outcome_reason="某人写的理由").outcome_reason_display == "某人写的理由"


def test_plan_line_payout_purpose_reads_in_english():
    """A distribution plan line's payout (FND-10) keeps its Chinese purpose and is read in
    English with the line's kind translated; an older free purpose is shown as stored."""
    from settlement.models import DistributionLine, Payout

    line = DistributionLine(plan_id=7, seq=2, kind=DistributionLine.Kind.CREDITOR)
    payout = Payout(purpose="分配方案 #7 第 2 项：债权", line=line)
    with translation.override("en"):
        assert payout.purpose_display == "Distribution plan #7, item 2: Claim"
    with translation.override("zh-hans"):
        assert payout.purpose_display == "分配方案 #7 第 2 项：债权"
    with translation.override("en"):
        assert Payout(purpose="退还多缴款项给张三").purpose_display == "退还多缴款项给张三"
