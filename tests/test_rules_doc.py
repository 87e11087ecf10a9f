"""docs/rules.md states every rule with the code and tests that cite it, and cannot drift; each
entry that reaches a firm rule has a test marked `@pytest.mark.rule(ID, entry=...)`."""

from __future__ import annotations

import pytest

from core.rulesdoc import ENTRIES, OUTPUT, catalogue, render, scan, scan_marks, unproven


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


def test_every_firm_rule_is_cited_by_a_test(cites, rules):
    firm = [rid for rid, r in rules.items() if "firm" in r["tags"]]
    assert [rid for rid in firm if not cites[rid].tests] == []


# --- per-entry proof (issue 14) ---------------------------------------------------------------

# Entries of firm rules that docs/rules.toml lists but no marked test proves yet. The list only
# shrinks: a pair proven by a marked test must leave it (the last test below fails otherwise),
# and a new rule or entry must come with its test. docs/rules.md prints the same pairs under
# "Entries of firm rules no marked test proves yet".
PENDING: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def marks():
    return scan_marks()


def test_every_firm_rule_lists_the_entries_that_reach_it(rules):
    """Each firm rule names its entries: at least the service, only known kinds, no repeats."""
    wrong = {}
    for rid, r in rules.items():
        if "firm" not in r["tags"]:
            continue
        entries = r.get("entries", [])
        if (
            "service" not in entries
            or set(entries) - set(ENTRIES)
            or len(set(entries)) != len(entries)
        ):
            wrong[rid] = entries
    assert wrong == {}


def test_rule_marks_name_a_rule_and_an_entry_that_exist(marks, rules):
    """`@pytest.mark.rule("AUC-16", entry="api")`: one positional rule ID, one `entry`."""
    bad = [
        (m.test, m.rule, m.entry) for m in marks if m.rule not in rules or m.entry not in ENTRIES
    ]
    assert bad == []


def test_a_marked_entry_is_one_the_catalogue_lists(marks, rules):
    """A test marked for an entry the catalogue does not list for a firm rule means one of the
    two is wrong: list the entry in docs/rules.toml, or fix the mark."""
    stray = sorted(
        (m.rule, m.entry, m.test)
        for m in marks
        if m.rule in rules
        and "firm" in rules[m.rule]["tags"]
        and m.entry not in rules[m.rule].get("entries", [])
    )
    assert stray == []


def test_every_listed_entry_of_a_firm_rule_has_a_marked_test(cites):
    """One test per entry that reaches a firm rule, marked `@pytest.mark.rule(ID, entry=...)`,
    except the pairs still PENDING above."""
    missing = unproven(catalogue(), cites)
    not_pending = {
        rid: sorted(set(entries) - PENDING.get(rid, set()))
        for rid, entries in missing.items()
        if set(entries) - PENDING.get(rid, set())
    }
    assert not_pending == {}, "write the entry's test, marked with its rule and entry"
    proven_now = {
        rid: sorted(entries - set(missing.get(rid, [])))
        for rid, entries in PENDING.items()
        if entries - set(missing.get(rid, []))
    }
    assert proven_now == {}, "proven now: remove these pairs from PENDING"
