"""Issue 17, proof: an English run of the main pages shows no Chinese outside data.

The demo world (``core.demo.seed``, the same world as ``test_role_urls``) is asked in English
(Django's language cookie, which the language switch sets; ``ChosenLanguageMiddleware``
reads it) by a visitor, a bidder, a judge, a finance officer and an appraiser: every page the
role-URL table gives that role (status 2xx, GET), plus the Django admin for the operator.
Each page's visible text (text nodes outside ``<script>``/``<style>``, and the attributes a
person sees or hears: ``title``, ``placeholder``, ``aria-label``, ``alt``, a button's
``value``) may hold a CJK character only inside **data**:

* a value stored in the database (names, addresses, case numbers, titles, announcements…)
  — every text value of every row the demo wrote, except values that are themselves
  interface words (a msgid of the catalogue: those must be shown translated) unless the
  field holds names or free text people typed (``ALWAYS_DATA``: a party may be called
  "申请执行人"); a run of six or more characters found inside a stored value (a title cut
  short) counts as that value;
* a case number or a court code as the courts write them (``（2026）赣0102执1号``, ``赣01``,
  ``民初1号``: the examples of the number fields);
* a region name of the shipped GB/T 2260 table (a place name);
* a quoted legal title, ``《…》``;
* the language switch's own name for Chinese, ``中文``;
* the case-type characters of a case number (``执``, ``执恢``…: ``cases.numbers.CASE_TYPES``);
* stored messages (inbox, outbox): written in the language of the moment they were queued.

Everything else with a CJK letter fails, listed per page with its text, so a leak names itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse

from core import clock
from tests.core.test_role_urls import (
    ROLES,
    TABLE,
    _build_world,
    _clients,
    _page_url,
    _pages,
    clock_start,
)

DUMP = os.environ.get("GAVEL_ENGLISH_DUMP", "")
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CJK_LETTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: A run of Chinese text: letters with the punctuation between them.
_CJK_RUN = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\w]*"
)
ASKED_ROLES = ("anonymous", "bidder", "judge", "finance", "appraiser")
SEEN_ATTRS = {"title", "placeholder", "aria-label", "alt"}
QUOTED_TITLE = re.compile(r"《[^》]*》")
#: Case numbers and court codes (GB/T province abbreviation + digits), as the courts write them.
CASE_NUMBER = re.compile(
    r"[（(]\s*\d{4}\s*[）)]\s*[\u4e00-\u9fff]*\d*[\u4e00-\u9fff]*\d+号"
    r"|[\u4e00-\u9fff]{1,3}\d+号"
    r"|(?<![\u4e00-\u9fff])[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\d{0,4}(?![\u4e00-\u9fff])"
)
#: Fields that hold names or text people typed: stored values are data even when they happen
#: to be an interface word too. ``features``: an asset's facts as entered (its "usage": "住宅").
ALWAYS_DATA = {
    "name",
    "display_name",
    "title",
    "actor_label",
    "payer_name",
    "payee_name",
    "address",
    "location",
    "features",
    "purpose",
    "note",
    "text",
    "reason",
}
#: Pages not asked, with the reason.
NOT_PAGES = {
    "core:regions": "JSON of place names (GB/T 2260), data",
    "appraisers:draw_record_json": "JSON record of a draw, data",
    "bidding:auction_snapshot": "JSON snapshot, data",
    "api:openapi-json": "the API document",
}


class _Visible(HTMLParser):
    """Text a person sees: text nodes outside script/style, and the attributes read aloud."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        attr = dict(attrs)
        for name in SEEN_ATTRS:
            if attr.get(name):
                self.parts.append(str(attr[name]))
        if tag == "input" and attr.get("type") in ("submit", "button") and attr.get("value"):
            self.parts.append(str(attr["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def _msgids() -> set[str]:
    """The interface words: every msgid of the English catalogues."""
    out: set[str] = set()
    paths = [Path(settings.BASE_DIR) / "locale/en/LC_MESSAGES/django.po"]
    paths += list(Path(settings.BASE_DIR).glob("*/locale/en/LC_MESSAGES/django.po"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'^msgid ((?:".*"\n)+)', text, re.M):
            out.add("".join(re.findall(r'"(.*)"', m.group(1))).replace('\\"', '"'))
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def data_values() -> list[str]:
    """Every stored text value with a CJK letter (longest first), interface words excluded."""
    ui = _msgids()
    found: set[str] = set()
    stored_messages = {"core.inboxmessage", "core.outboxmessage"}
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        always = model._meta.label_lower in stored_messages
        for row in model._default_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                for s in _strings(value):
                    s = s.strip()
                    if CJK_LETTER.search(s) and (s not in ui or always or name in ALWAYS_DATA):
                        found.add(s)
                        # a long text shows line by line
                        found.update(line.strip() for line in s.splitlines() if line.strip())
    from core import regions

    for code, region in regions._tree()[0].items():  # place names are data
        found.add(region.name)
        found.add(regions.full_name(code))
    from cases.numbers import CASE_TYPES

    found = {s for s in found if len(s) >= 2}
    found.update(f"（{code}）" for code in CASE_TYPES)
    found.update(CASE_TYPES)
    found.add("中文")
    return sorted(found, key=len, reverse=True)


#: Chinese (fullwidth) punctuation: in English it is data's own, or a leak.
FULLWIDTH_PUNCT = re.compile(r"[：（），。；]")


def _stray_punctuation(line: str) -> bool:
    """Fullwidth punctuation beside English words and not beside any Chinese letter: an
    interface colon or bracket left untranslated ("Reason：", "（First round）")."""
    for m in FULLWIDTH_PUNCT.finditer(line):
        left = line[: m.start()].rstrip()[-1:]
        right = line[m.end() :].lstrip()[:1]
        if CJK_LETTER.match(left or " ") or CJK_LETTER.match(right or " "):
            continue
        if any(c.isascii() and c.isalpha() for c in (left, right)):
            return True
    return False


def leaks(parts: list[str], data: list[str]) -> list[str]:
    """The pieces of text with a CJK letter left once data values are taken out, and those
    with Chinese punctuation beside English words (issue 17: English reads as English)."""
    text = "\n".join(QUOTED_TITLE.sub(" ", p) for p in parts)
    if not CJK_LETTER.search(text) and not FULLWIDTH_PUNCT.search(text):
        return []
    for value in data:
        if not CJK_LETTER.search(text):
            break
        if value in text:
            text = text.replace(value, " ")
    text = CASE_NUMBER.sub(" ", text)
    stored = "\n".join(data)
    out = []
    for line in text.splitlines():
        runs = [r for r in _CJK_RUN.findall(line) if len(r) < 6 or r not in stored]
        if runs or _stray_punctuation(line):
            out.append(line.strip())
    return out


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        clock.set_time(clock_start())
        try:
            world = _build_world()
            world["data"] = data_values()
            yield world
        finally:
            clock.reset()
            transaction.set_rollback(True)


def test_the_check_sees_a_leak_and_passes_data():
    html = (
        '<p>Case <b>张三</b> 第2轮</p><input title="请选择" value="x">'
        "<script>var a = '中文字';</script><p>依据《民事诉讼法》</p>"
    )
    parts = visible_text(html)
    assert leaks(parts, ["张三"]) == ["第2轮", "请选择", "依据"]
    assert leaks(["Case 张三", "《民事诉讼法》"], ["张三"]) == []
    assert leaks(["Case （2026）赣0102执1号, court 赣01", "e.g. 民初1号"], []) == []
    assert leaks(["Title：南昌市东湖区某路", "住宅"], ["南昌市东湖区某路8号（示例）"]) == ["住宅"]
    # Chinese punctuation is a leak beside English words, not inside data or a case number.
    assert leaks(["Reason：off topic", "Lot 3（First round）", "a, b"], []) == [
        "Reason：off topic",
        "Lot 3（First round）",
    ]
    assert (
        leaks(["Title: 南昌住宅（示例）", "Case （2026）赣0102执1号"], ["南昌住宅（示例）"]) == []
    )


def _pages_of(role: str) -> list[tuple[str, str]]:
    i = ROLES.index(role)
    out = []
    for name, route in sorted(_pages().items()):
        row = TABLE.get(name)
        if row is None or route.startswith("admin/") or name in NOT_PAGES:
            continue
        method, *codes = row.split()
        if method == "GET" and codes[i] == "2":
            out.append((name, route))
    return out


@pytest.mark.parametrize("role", ASKED_ROLES)
def test_an_english_run_shows_no_chinese_outside_data(world, settings, role):
    settings.GAVEL_STAFF_2FA_REQUIRED = False
    client = (
        _english(_clients({role: world["people"]["own"][role]})[role])
        if role != "anonymous"
        else _english(Client(raise_request_exception=False))
    )
    pages = _pages_of(role)
    assert len(pages) >= 8, pages
    found = []
    for name, route in pages:
        url = _page_url(name, route, world["objects"])
        resp = client.get(url)
        assert resp.status_code == 200, (name, url, resp.status_code)
        assert resp.headers.get("Content-Language") == "en", (name, url)
        if "html" not in resp.headers.get("Content-Type", ""):
            continue
        found += _leaks_of(resp, name, url, role, world)
    if role == "anonymous":  # every public auction in each state, the listing filtered
        from bidding.models import Auction

        urls = [
            ("bidding:auction", reverse("bidding:auction", args=[a.pk]))
            for a in Auction.objects.filter(is_practice=False).exclude(state="draft")
        ]
        listing = reverse("marketplace:listings")
        urls += [
            ("marketplace:listings", f"{listing}?{q}")
            for q in ("state=ended", "state=upcoming", "round=2", "kind=residential&sort=price_asc")
        ]
        for name, url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, (name, url, resp.status_code)
            found += _leaks_of(resp, name, url, role, world)
    assert not found, f"{len(found)} Chinese text run(s) in English:\n" + "\n".join(found)


def _leaks_of(resp: Any, name: str, url: str, role: str, world: dict[str, Any]) -> list[str]:
    if True:
        html = resp.content.decode()
        if DUMP:  # GAVEL_ENGLISH_DUMP=<dir>: keep the pages to read a leak in context
            slug = re.sub(r"\W+", "-", f"{role}-{name}-{url}")
            Path(DUMP, f"{slug}.html").write_text(html, encoding="utf-8")
        left = leaks(visible_text(html), world["data"])
        return [f"{name} {url}: {line[:120]}" for line in left]


def test_the_admin_in_english_shows_no_chinese_outside_data(world, settings):
    """The operator's admin: index, every model list and the change form of its first row
    (field labels and help texts)."""
    from django.contrib import admin

    settings.GAVEL_STAFF_2FA_REQUIRED = False
    client = _english(_clients({"operator": world["people"]["own"]["operator"]})["operator"])
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
    found = []
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        if DUMP:
            name = url.strip("/").replace("/", "-")
            Path(DUMP, f"admin-{name}.html").write_text(resp.content.decode(), encoding="utf-8")
        left = leaks(visible_text(resp.content.decode()), world["data"])
        found += [f"{url}: {line[:120]}" for line in left]
    assert not found, f"{len(found)} Chinese text run(s) in the English admin:\n" + "\n".join(found)


def test_the_scripts_catalogue_answers_in_the_chosen_language():
    """The charts and the live draw take their words from /jsi18n/ (djangojs.po)."""
    english = _english(Client()).get(reverse("javascript-catalog"))
    assert english.status_code == 200
    text = english.content.decode()
    assert "Comparable sales" in text and "Premium over reference price" in text
    chinese = Client().get(reverse("javascript-catalog")).content.decode()
    assert "Comparable sales" not in chinese
