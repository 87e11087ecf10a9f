"""docs/rules.md states every rule with the code and tests that cite it, and cannot drift."""

from __future__ import annotations

import pytest

from core.rulesdoc import OUTPUT, catalogue, render, scan


@pytest.fixture(scope="module")
def cites():
    return scan()


@pytest.fixture(scope="module")
def rules():
    return {r["id"]: r for r in catalogue()["rule"]}


def test_rules_doc_is_generated_from_the_current_code(cites):
    """Run `python manage.py rules_doc` after changing a rule's code, tests or text."""
    assert OUTPUT.read_text(encoding="utf-8") == render(cites), (
        "docs/rules.md is out of date: run `python manage.py rules_doc`"
    )


def test_catalogue_states_every_rule_once_with_text_source_and_tag(rules):
    entries = catalogue()["rule"]
    assert len(entries) == len(rules)  # no ID twice
    for r in entries:
        assert r["text"] and r["basis"] and set(r["tags"]) <= {"firm", "practice", "assumption"}
        assert r["tags"], r["id"]


def test_code_and_tests_cite_only_rules_that_exist(cites, rules):
    """A mistyped rule ID in a refusal would point a reader at nothing."""
    unknown = {
        rid: sorted(c.enforced | c.described | c.tests)[:3]
        for rid, c in cites.items()
        if rid not in rules
    }
    assert unknown == {}


def test_every_firm_rule_is_enforced_in_code(cites, rules):
    firm = [rid for rid, r in rules.items() if "firm" in r["tags"]]
    assert [rid for rid in firm if not cites[rid].enforced] == []


@pytest.mark.xfail(strict=True, reason="PRC-17 has no code yet (issue 14, closing)")
def test_every_firm_rule_is_cited_by_a_test(cites, rules):
    firm = [rid for rid, r in rules.items() if "firm" in r["tags"]]
    assert [rid for rid in firm if not cites[rid].tests] == []
