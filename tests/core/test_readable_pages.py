"""Issue 13, "readable everywhere": with the demo's data, every page a person reaches from the
navigation and the workbench names things the way people know them (case numbers, auction
titles and rounds, payees) and never shows an internal reference (``case:2/auction:3``,
``payout:c4830a7b32f3``), a raw JSON dict or a Python repr.

The crawl signs in as each demo person and follows the site's own links breadth-first (two
clicks deep from the home page and the workbench, a bounded number of pages per person)."""

from __future__ import annotations

import html as htmllib
import re
from collections import deque
from collections.abc import Iterator

import pytest
from django.test import Client

from core.models import User

PEOPLE = (
    "judge",
    "officer",
    "head",
    "finance",
    "operator",
    "appraiser",
    "creditor",
    "debtor",
    "bidder1",
)
#: Internal references and raw data that a page's text must never show.
LEAKS = [
    re.compile(
        r"(?<![\w/.:-])(?:case|auction|court|payout|receipt|plan|registration|commission|"
        r"appraisal|pricing|lot|asset|party|user|inquiry|draw|arrival|fee_advance|document|"
        r"appraisal_firm|in_lieu_draw|collusion_flag|hold|balance|notice):[0-9a-f]+\b"
    ),
    re.compile(r"\{\s*['\"][a-z_0-9]+['\"]\s*:"),  # {"area_m2": …} / {'k': …}
    re.compile(r"<(?:QuerySet|[A-Z]\w+ object)\b|object at 0x[0-9a-f]+"),
]
SKIP = re.compile(
    r"^/(?:static|media|admin|api|ws|files)/|logout|/i18n/|\.(?:pdf|csv|json|zip|png|jpg|svg)$"
    r"|/download|/export|/record\.json|/simulator/"
)
pytestmark = pytest.mark.django_db
MAX_PAGES = 70
DEPTH = 2


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return htmllib.unescape(page)


def links(page: str) -> list[str]:
    out = []
    for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', page):
        href = htmllib.unescape(href)
        if href.startswith("/") and not href.startswith("//") and not SKIP.search(href):
            out.append(href)
    return out


def crawl(client: Client, starts: list[str]) -> Iterator[tuple[str, int, str]]:
    seen: set[str] = set()
    queue: deque[tuple[str, int]] = deque((s, 0) for s in starts)
    while queue and len(seen) < MAX_PAGES:
        url, depth = queue.popleft()
        key = url.split("?")[0] if "page=" in url or "sort=" in url else url
        if key in seen:
            continue
        seen.add(key)
        resp = client.get(url)
        if "text/html" not in resp.get("Content-Type", ""):
            continue
        page = resp.content.decode()
        yield url, resp.status_code, page
        if resp.status_code == 200 and depth < DEPTH:
            queue.extend((link, depth + 1) for link in links(page))


@pytest.mark.parametrize("username", PEOPLE)
def test_no_page_shows_an_internal_reference(demo: None, username: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username=username))
    found: list[str] = []
    errors: list[str] = []
    pages = 0
    for url, status, page in crawl(client, ["/", "/marketplace/court/workbench/"]):
        pages += 1
        if status >= 500:
            errors.append(f"{url}: {status}")
        text = visible_text(page)
        for leak in LEAKS:
            for m in leak.finditer(text):
                context = text[max(0, m.start() - 40) : m.end() + 20].split()
                found.append(f"{url}: {m.group(0)!r} in …{' '.join(context)}…")
    import os

    if os.environ.get("GAVEL_CRAWL_REPORT"):
        with open(os.environ["GAVEL_CRAWL_REPORT"], "a", encoding="utf-8") as fh:
            fh.write(f"== {username} ({pages} pages)\n" + "\n".join(found + errors) + "\n")
    assert pages > 5, "the crawl reached the person's pages"
    assert errors == []
    assert found == []


@pytest.mark.parametrize("username", ["finance", "appraiser", "bidder1"])
def test_a_refused_page_is_the_sites_page_saying_why(demo: None, username: str) -> None:
    """403 and 404 use the site's layout and language and say why (finance following a case
    link, a firm user or a bidder opening a court page)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    for url in ("/settlement/plans/999999/", "/cases/999999/", "/bidding/court/"):
        resp = client.get(url)
        assert resp.status_code in (403, 404), url
        text = visible_text(resp.content.decode())
        assert "Gavel" in resp.content.decode() and ("无权" in text or "不存在" in text), url
        assert "Forbidden" not in text and "Not Found" not in text, url
