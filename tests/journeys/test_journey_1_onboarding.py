"""Journey 1 (issue 13), from an empty database with only the first operator made by the
documented command (README, "First operator on a fresh installation"): the operator enrols,
onboards a court with its judge, enforcement officer, bureau head and finance officer, and an
appraisal firm with its user; each of them enrols through their one-time link (password and
authenticator, REC-14) and signs in with the second factor. Every step is a page a person
clicks. Screenshots at 390 and 1366 px: var/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.models import User
from tests.journeys.pages import (
    COURT,
    FIRM,
    STAFF,
    add_firm_user,
    add_staff,
    both_widths,
    create_first_operator,
    enrol,
    new_court,
    new_firm,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.browser

WHO = {
    "judge": "王审判（法官）",
    "officer": "李执行（执行员）",
    "bureau_head": "赵局长（执行局长/院领导）",
    "finance": "钱财务（财务人员）",
}


def test_journey_1_operator_onboards_a_court_and_a_firm_and_everyone_enrols(
    page, channels_live_server, screenshot, page_errors
):
    assert not User.objects.exists()  # an empty database
    operator, link = create_first_operator()
    enrol(page, link, operator, sets_password=False)
    both_widths(page, screenshot, "01-operator-enrolled")
    sign_out(page)
    sign_in(page, operator)

    new_court(page)
    both_widths(page, screenshot, "02-court")
    links = {}
    people = {}
    for role in STAFF:
        people[role], links[role] = add_staff(page, role)
    both_widths(page, screenshot, "03-court-staff")

    new_firm(page)
    expect(page.locator("h1")).to_contain_text(FIRM)
    people["appraiser"], links["appraiser"] = add_firm_user(page)
    both_widths(page, screenshot, "04-firm-user-link")
    sign_out(page)

    for role, person in people.items():
        enrol(page, links[role], person)
        if role in WHO:
            expect(page.locator(".who")).to_have_text(WHO[role])
        if role in ("judge", "appraiser"):
            both_widths(page, screenshot, f"05-enrolled-{role}")
        sign_out(page)
        # The link is spent; the person signs in with password and authenticator code.
        page.goto(links[role])
        expect(page.locator("#enrol-refused")).to_contain_text("已使用过")
        sign_in(page, person)
        sign_out(page)

    # The operator sees everyone enrolled, by name, in the court they belong to.
    sign_in(page, operator)
    page.goto("/")
    page.get_by_role("link", name="平台运营").first.click()
    page.get_by_role("link", name="人员与启用链接").click()
    rows = page.locator("#people")
    for _username, name, _phone in STAFF.values():
        expect(rows).to_contain_text(name)
    expect(rows).to_contain_text(COURT)
    rows.get_by_role("link", name="王审判").click()
    expect(page.locator("#enrol-status")).to_contain_text("已启用")
    both_widths(page, screenshot, "06-operator-sees-enrolled")
    assert [e for e in page_errors if "410" not in e] == []
