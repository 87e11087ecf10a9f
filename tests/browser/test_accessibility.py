"""Accessibility of every public and bidder page (issue 17, proof), checked in Chromium with
axe-core (axe-playwright-python) at a phone's width (390 px) and a desktop's (1366 px):

- axe: zero serious or critical violations (colour contrast ≥ 4.5:1 and labelled inputs are
  among them), and none of ``heading-order`` / ``page-has-heading-one`` at any impact;
- every visible input, select and textarea has a label (``<label>``, aria-label or
  aria-labelledby), checked by hand besides axe's ``label`` rule;
- a ``:focus-visible`` style exists, and the first element Tab reaches shows an outline;
- at 390 px: no horizontal scroll, and the main controls (buttons, button-styled links, the
  menu button) are at least 44 px high: a thumb's tap target.

Staff pages (workbench, case, auction court page, settlement account, distribution plan,
pricing procedure, appraisal pages) are checked at 390 px for no horizontal scroll (wide tables
scroll inside their wrapper) and labelled inputs.

The world is the demo (``core.demo.seed``: auctions announced, live, sold and unsold, a case
with its parties, a settlement account, a plan, a pricing procedure, appraisal requests).
Screenshots of every page: ``var/screenshots/test_*_pages_*-<page>-<width>.png``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from core.models import User
from tests.conftest import make_user
from tests.factories import IdentityFactory

BLOCKING_IMPACTS = {"serious", "critical"}
ALWAYS_RULES = {"heading-order", "page-has-heading-one"}
MIN_TAP = 44

NO_HSCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"

# Visible form fields without a name a screen reader can read.
UNLABELLED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const named = (el.labels && el.labels.length > 0)
      || (el.getAttribute('aria-label') || '').trim()
      || el.getAttribute('aria-labelledby')
      || (el.getAttribute('title') || '').trim();
    if (!named) out.push(el.outerHTML.slice(0, 160));
  }
  return out;
}"""

# Main controls smaller than a thumb: buttons, button-styled links, the menu button. Links in
# running text and table cells are not controls of this kind.
SMALL_TARGETS = """(min) => {
  const out = [];
  const sel = 'main button, main [role=button], main input[type=submit], main input[type=button],'
    + ' main a.button, main a.btn, main .actions a, #menu-btn, .bottom-bar a, .bottom-bar button';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    if (r.height < min - 0.5) {
      out.push(`${Math.round(r.width)}×${Math.round(r.height)} ${el.outerHTML.slice(0, 140)}`);
    }
  }
  return out;
}"""

HAS_FOCUS_VISIBLE = """() => {
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch (e) { continue; }
    for (const rule of rules) {
      if (rule.selectorText && rule.selectorText.includes(':focus-visible')) return true;
    }
  }
  return false;
}"""

FOCUSED_OUTLINE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing focused';
  const st = getComputedStyle(el);
  const w = parseFloat(st.outlineWidth) || 0;
  if (st.outlineStyle !== 'none' && w >= 2) return '';
  if (st.boxShadow && st.boxShadow !== 'none') return '';
  return 'no visible focus on ' + el.outerHTML.slice(0, 120);
}"""

_axe = Axe()


@pytest.fixture(autouse=True)
def _server_media(settings: Any) -> None:
    """The demo's photos are written where the test server serves files from."""
    root = os.environ.get("MEDIA_ROOT") or str(Path(settings.BASE_DIR) / "var" / "media")
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = root


def _demo() -> dict[str, Any]:
    from core.demo import seed

    return seed()


def _axe_problems(page: Any) -> list[str]:
    results = _axe.run(page)
    out = []
    for v in results.response["violations"]:
        if v["impact"] in BLOCKING_IMPACTS or v["id"] in ALWAYS_RULES:
            for node in v["nodes"][:5]:
                out.append(
                    f"axe {v['id']} ({v['impact']}): {node['target']} {node['html'][:140]}"
                    + (f" — {node['failureSummary'][:200]}" if node.get("failureSummary") else "")
                )
    return out


def _slug(url: str) -> str:
    return url.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"


def _check_page(
    page: Any,
    url: str,
    width: int,
    screenshot: Callable[[Any, str], Path],
    *,
    name: str = "",
    axe: bool = True,
    targets: bool = True,
) -> list[str]:
    """Open ``url`` at ``width`` and check it (``_check_here``)."""
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    response = page.goto(url)
    if response is None or response.status >= 400:
        return [f"{url} @{width}: HTTP {response.status if response else '?'}"]
    return _check_here(page, width, screenshot, name=name, axe=axe, targets=targets)


def _check_here(
    page: Any,
    width: int,
    screenshot: Callable[[Any, str], Path],
    *,
    name: str = "",
    axe: bool = True,
    targets: bool = True,
) -> list[str]:
    """The page as it is now: screenshot, axe, labels; at a phone's width no horizontal
    scroll and tap targets; a :focus-visible style and a visible focus on the first Tab."""
    page.wait_for_load_state("networkidle")
    url = page.url.split("/", 3)[-1]
    screenshot(page, f"{name or _slug(url)}-{width}")
    problems: list[str] = []
    if axe:
        problems += _axe_problems(page)
    problems += [f"unlabelled field: {html}" for html in page.evaluate(UNLABELLED)]
    if width < 800:
        if not page.evaluate(NO_HSCROLL):
            sizes = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            problems.append(f"horizontal scroll at {width} px: {sizes}")
        if targets:
            problems += [
                f"tap target < {MIN_TAP} px: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TAP)
            ]
    if axe:
        if not page.evaluate(HAS_FOCUS_VISIBLE):
            problems.append("no :focus-visible style")
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED_OUTLINE)
        if focus:
            problems.append(focus)
    return [f"/{url} @{width}: {p}" for p in problems]


def _public_urls(ctx: dict[str, Any]) -> dict[str, str]:
    """Screenshot name → URL of every public page."""
    auctions = ctx["bidding"]
    listings = reverse("marketplace:listings")
    return {
        "home": reverse("core:home"),
        "listing": listings,
        "listing-filtered": listings + "?kind=residential&region=36&state=live&sort=ending",
        "search": listings + "?q=住宅",
        "calendar": reverse("marketplace:calendar"),
        "results": reverse("marketplace:results"),
        "practice": reverse("marketplace:practice"),
        "transparency": reverse("marketplace:transparency", args=[ctx["cases"][0].pk]),
        "lot-viewings": reverse("marketplace:lot_viewings", args=[ctx["lots"]["flat"].pk]),
        "notices": reverse("core:published_notices"),
        "document-verify": reverse("core:document_verify"),
        "terms": reverse("core:terms"),
        "statistics": reverse("marketplace:public_statistics"),
        "sign-in": reverse("core:login"),
        "sign-up": reverse("core:signup"),
        **{
            f"auction-{state}": reverse("bidding:auction", args=[auctions[state]])
            for state in ("scheduled", "live", "sold", "unsold")
        },
    }


def _bidder_urls(ctx: dict[str, Any]) -> dict[str, str]:
    """Screenshot name → URL of the signed-in bidder's pages (the demo's bidder1, who bids on
    the live auction)."""
    auctions = ctx["bidding"]
    return {
        "account": reverse("marketplace:account"),
        "watchlist": reverse("marketplace:watchlist"),
        "my-viewings": reverse("marketplace:my_viewings"),
        "inbox": reverse("core:inbox"),
        "identity": reverse("cases:identity"),
        "auction-scheduled": reverse("bidding:auction", args=[auctions["scheduled"]]),
        "auction-live": reverse("bidding:auction", args=[auctions["live"]]),
    }


@pytest.mark.parametrize("width", [390, 1366])
def test_public_and_bidder_pages_are_accessible(page, sign_in, screenshot, width):
    from core.demo import DEMO_PASSWORD

    ctx = _demo()
    for state in ("scheduled", "live", "sold", "unsold"):
        assert state in ctx["bidding"], f"the demo made no {state} auction"
    problems: list[str] = []
    for name, url in _public_urls(ctx).items():
        problems += _check_page(page, url, width, screenshot, name=f"anon-{name}")
    sign_in(page, User.objects.get(username="bidder1"), DEMO_PASSWORD)
    for name, url in _bidder_urls(ctx).items():
        problems += _check_page(page, url, width, screenshot, name=f"bidder-{name}")

    # A new bidder registers for the announced auction and pays the deposit: the register
    # form (with its joint-bidding and agent parts open), then the deposit step.
    page.context.clear_cookies()
    newcomer = make_user("bidder", username="a11y-newcomer", display_name="无障碍测试竞买人")
    IdentityFactory.create(user=newcomer, name="实名无障碍测试")
    sign_in(page, newcomer)
    announced = reverse("bidding:auction", args=[ctx["bidding"]["scheduled"]])
    page.set_viewport_size({"width": width, "height": 844 if width < 800 else 900})
    page.goto(announced)
    for details in page.locator("details.reg-extra").all():
        details.evaluate("el => { el.open = true; }")
    problems += _check_here(page, width, screenshot, name="register-form")
    page.check("input[name=accept_terms]")
    if page.locator("input[name=eligibility_declared]").count():
        page.check("input[name=eligibility_declared]")
    page.get_by_role("button", name="报名竞买").click()
    expect(page.get_by_role("button", name="交纳保证金")).to_be_visible()
    problems += _check_here(page, width, screenshot, name="deposit-step")
    assert problems == [], "\n".join(problems)


def _staff_urls(ctx: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Staff user → screenshot name → URL of their main pages."""
    from appraisers.models import AppraisalRequest, Commission
    from settlement.models import DistributionPlan

    case = ctx["cases"][0]
    asset = ctx["assets"]["flat"]
    auctions = ctx["bidding"]
    plan = DistributionPlan.objects.order_by("pk").first()
    request = AppraisalRequest.objects.order_by("pk").first()
    commission = Commission.objects.order_by("pk").first()
    assert plan and request and commission, "the demo made no plan, appraisal request or commission"
    return {
        "judge": {
            "workbench": reverse("marketplace:workbench"),
            "my-cases": reverse("cases:my_cases"),
            "case": reverse("cases:case", args=[case.pk]),
            "asset": reverse("cases:asset", args=[case.pk, asset.pk]),
            "court-auctions": reverse("bidding:court_auctions"),
            "court-auction-live": reverse("bidding:court_auction", args=[auctions["live"]]),
            "court-auction-sold": reverse("bidding:court_auction", args=[auctions["sold"]]),
            "pricing-list": reverse("pricing:court_list"),
            "pricing-procedure": reverse(
                "pricing:procedure", args=[ctx["pricing"]["flat_procedure"]]
            ),
            "appraisal-requests": reverse("appraisers:court_requests"),
            "appraisal-request": reverse("appraisers:court_request", args=[request.pk]),
            "court-viewings": reverse("marketplace:court_viewings"),
            "statistics": reverse("marketplace:statistics"),
        },
        "officer": {
            "case-officer": reverse("cases:case", args=[case.pk]),
            "deadlines": reverse("core:my_deadlines"),
        },
        "finance": {
            "settlement": reverse("settlement:dashboard"),
            "settlement-account": reverse("settlement:account_detail", args=[case.pk]),
            "arrivals": reverse("settlement:arrivals", args=[case.pk]),
            "reconcile": reverse("settlement:reconcile"),
            "plan": reverse("settlement:plan_detail", args=[plan.pk]),
        },
        "appraiser": {
            "firm-portal": reverse("appraisers:firm_portal"),
            "firm-fees": reverse("appraisers:firm_fees"),
            "firm-commission": reverse("appraisers:firm_commission", args=[commission.pk]),
        },
    }


def test_staff_pages_on_a_phone(page, sign_in, screenshot):
    """Staff pages at 390 px: no horizontal scroll (wide tables scroll in their wrapper, not
    the page) and every field labelled."""
    from core.demo import DEMO_PASSWORD

    ctx = _demo()
    problems: list[str] = []
    for username, urls in _staff_urls(ctx).items():
        page.context.clear_cookies()
        sign_in(page, User.objects.get(username=username), DEMO_PASSWORD)
        for name, url in urls.items():
            problems += [
                f"{username} {p}"
                for p in _check_page(
                    page, url, 390, screenshot, name=name, axe=False, targets=False
                )
            ]
    assert problems == [], "\n".join(problems)
