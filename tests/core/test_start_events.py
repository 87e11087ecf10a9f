"""Every start event a deadline stores has a name people read (core.deadlines): the workbench
shows "查封 2026-12-05", never "seizure:5" or "commission.offered" (issue 13, readable
everywhere). The scan reads every ``start_event=`` the apps write, so a new code without its
name fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from core.deadlines import (
    ENFORCEMENT_ACT,
    THIRD_PARTY,
    registered_start_events,
    start_event_label,
)

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "cases", "settlement", "appraisers", "pricing", "bidding", "marketplace")
CODE = re.compile(r"""start_event"?\s*[=:]\s*(f?)"([^"]+)\"""")


def _codes() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for is_f, value in CODE.findall(path.read_text(encoding="utf-8")):
                if re.search(r"[\u4e00-\u9fff]", value):
                    continue  # a Chinese label stored with gettext_noop, translated when shown
                if is_f and value.startswith("{track}"):
                    found |= {value.replace("{track}", t) for t in (ENFORCEMENT_ACT, THIRD_PARTY)}
                elif is_f:
                    found.add(value.split(":{")[0])  # "seizure:{seizure.pk}" → "seizure"
                else:
                    found.add(value)
    return found


def test_every_stored_start_event_code_has_a_name() -> None:
    codes = _codes()
    assert len(codes) > 20  # the scan finds the apps' codes
    assert codes - registered_start_events() == set()


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("seizure:5", "查封", "Seizure"),
        ("commission.offered", "评估委托送达", "Appraisal commission served"),
        ("third_party_objection.filed", "提出案外人异议", "Third-party objection filed"),
        ("一拍流拍", "一拍流拍", "Unsold at first auction"),
    ],
)
def test_a_start_event_reads_as_words_in_either_language(code: str, zh: str, en: str) -> None:
    with translation.override("zh-hans"):
        assert start_event_label(code) == zh
    with translation.override("en"):
        assert start_event_label(code) == en
