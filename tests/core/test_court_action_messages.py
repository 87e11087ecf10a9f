"""Issue 13: every court action ends on the object it made or changed with a message naming
what happened, never the generic "操作已完成。"."""

from __future__ import annotations

import sys

import pytest
from django.contrib.messages import get_messages
from django.urls import get_resolver, reverse

from core.court_actions import DONE, CourtActions
from tests.factories import CaseFactory

#: Rows whose page itself shows what happened (and so need no message).
PAGE_SHOWS_RESULT = {("bidding.court_views", "REVEAL_ACTIONS", "reveal")}
#: Messages that say something was done without saying what.
GENERIC = {str(DONE), "已办理。", "操作成功", "已完成", "已记录", "已提交"}


def _tables() -> list[tuple[str, str, CourtActions[object]]]:
    get_resolver().url_patterns  # noqa: B018 (loads every app's views)
    out = []
    for mname, mod in list(sys.modules.items()):
        if mod is None or mname.split(".")[0] not in {
            "core",
            "cases",
            "settlement",
            "appraisers",
            "pricing",
            "bidding",
            "marketplace",
        }:
            continue
        for attr, value in list(vars(mod).items()):
            if isinstance(value, CourtActions) and getattr(mod, "__name__", "") == mname:
                out.append((mname, attr, value))
    return out


def test_every_court_action_table_row_names_what_happened_to_which_thing():
    tables = _tables()
    assert len(tables) >= 25, [t[:2] for t in tables]  # every app's tables were found
    unnamed = []
    for mname, attr, table in tables:
        for name, action in table.actions.items():
            where = (mname, attr, name)
            if action.done is DONE or str(action.done) in GENERIC:
                unnamed.append((*where, "generic message"))
            elif action.done is None and where not in PAGE_SHOWS_RESULT:
                unnamed.append((*where, "no message"))
            elif action.done is not None and not callable(action.done) and table.subject is None:
                unnamed.append((*where, "a fixed message naming nothing"))
    assert unnamed == []


@pytest.mark.django_db
def test_a_case_action_ends_on_the_case_with_its_number_in_the_message(client, judge):
    case = CaseFactory.create(court=judge.court, judge=judge)
    client.force_login(judge)
    resp = client.post(
        reverse("cases:case_action", args=[case.pk, "claim"]),
        {"claim-claim_fen": "12.00", "claim-reason": "更正"},
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("cases:case", args=[case.pk])
    texts = [str(m) for m in get_messages(resp.wsgi_request)]
    assert texts == [f"{case.number}：已更正申请执行标的"]


@pytest.mark.django_db
def test_the_message_names_the_thing_in_english_too(client, judge):
    case = CaseFactory.create(court=judge.court, judge=judge)
    client.force_login(judge)
    client.cookies["django_language"] = "en"
    resp = client.post(
        reverse("cases:case_action", args=[case.pk, "claim"]),
        {"claim-claim_fen": "12.00", "claim-reason": "更正"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    texts = [str(m) for m in get_messages(resp.wsgi_request)]
    assert len(texts) == 1 and texts[0].startswith(f"{case.number}: ")
    assert "已" not in texts[0]


def test_a_refusal_cites_its_rule_in_the_readers_brackets():
    """Found in the demo: "Not permitted: Approve this payout（FND-12）" on an English page."""
    from django.utils import translation

    from core.court_actions import refusal_text
    from core.errors import PermissionDenied

    exc = PermissionDenied("forbidden", "无权审批该笔发放", rule="FND-12")
    with translation.override("zh-hans"):
        assert refusal_text(exc) == "无权审批该笔发放（FND-12）"
    with translation.override("en"):
        assert refusal_text(exc) == "无权审批该笔发放 (FND-12)"
    assert refusal_text(PermissionDenied("forbidden", "x")) == "x"
