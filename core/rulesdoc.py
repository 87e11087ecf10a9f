"""docs/rules.md, generated: each rule in the project's words (docs/rules.toml), with the code
that enforces it and the tests that prove it, found in the source so the table cannot drift.

``python manage.py rules_doc`` writes the file; ``--check`` (and ``tests/test_rules_doc.py``)
fails when the committed file differs from what the code says now.

A rule's ID is *cited* by a function when it appears in that function's source (its code, a
string such as ``rule="AUC-16"``, a comment or its docstring), and by a test when it appears
in the test function (its name as ``auc_16``, docstring, comments or body). A function that
passes the ID on in a string (an error's rule, an audit entry's rules, a setting's rule) is
listed under "enforced in"; one that only names it in prose is listed under "described in".

A test *proves a rule through an entry* when it carries ``@pytest.mark.rule("AUC-16",
entry="api")`` (on the function, its class, or the module's ``pytestmark``), read here from the
source by AST like the citations. ``docs/rules.toml`` lists, for each firm rule, the entries
that reach it (``entries = ["service", "api", "page"]``); the doc shows which of them a marked
test proves. The service entry also counts every test that cites the rule without a ``rule``
mark for it (the existing tests, service tests mostly).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "docs" / "rules.toml"
OUTPUT = ROOT / "docs" / "rules.md"
RULE_ID = re.compile(r"(?<![A-Za-z0-9])(AUC|PRC|APR|FND|REC)[-_]?(\d{2})(?!\d)", re.IGNORECASE)
SHOWN = 4  # names listed per rule and column; the rest are counted
# The ways a person or process reaches a rule (the `rule` marker's `entry`): the service itself,
# the JSON API (and the websocket protocol, docs/websocket.md), a page (a court action form or a
# view), the Django admin where it can write, a worker task, a management command, an event
# handler.
ENTRIES = ("service", "api", "page", "admin", "worker", "command", "event")


@dataclass
class Citations:
    enforced: set[str] = field(default_factory=set)
    described: set[str] = field(default_factory=set)
    tests: set[str] = field(default_factory=set)
    # entry → the tests marked `@pytest.mark.rule(<this rule>, entry=<entry>)`
    marked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def proving(self, entry: str) -> set[str]:
        """The tests that prove the rule through ``entry``. Every entry goes through the
        service, so the service entry counts every test that cites the rule."""
        if entry == "service":
            return set(self.tests)
        return set(self.marked.get(entry, set()))


@dataclass(frozen=True)
class RuleMark:
    """One ``@pytest.mark.rule(rule, entry=...)`` as written in a test file."""

    rule: str
    entry: str
    test: str  # "<file>::<test>"
    line: int


def _ids(text: str) -> set[str]:
    return {f"{a.upper()}-{n}" for a, n in RULE_ID.findall(text)}


def _functions(tree: ast.Module) -> list[tuple[int, int, str, ast.AST]]:
    """(first line, last line, qualified name, node) of every function and method."""
    found: list[tuple[int, int, str, ast.AST]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                first = min([d.lineno for d in child.decorator_list] + [child.lineno])
                found.append((first, child.end_lineno or child.lineno, name, child))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _rule_mark(node: ast.expr) -> tuple[str, str] | None:
    """("AUC-16", "api") for ``pytest.mark.rule("AUC-16", entry="api")``; ("", "") for a
    `rule` mark written some other way (reported by the test as malformed)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    func = node.func
    if not (func.attr == "rule" and isinstance(func.value, ast.Attribute)):
        return None
    if func.value.attr != "mark":
        return None
    args = [a.value for a in node.args if isinstance(a, ast.Constant)]
    kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
    if len(node.args) != 1 or len(args) != 1 or set(kw) != {"entry"} or len(node.keywords) != 1:
        return ("", "")
    rule, entry = args[0], kw["entry"]
    if not (isinstance(rule, str) and isinstance(entry, str)):
        return ("", "")
    return (rule, entry)


def _marks_in(nodes: list[ast.expr]) -> list[tuple[str, str, int]]:
    """The `rule` marks in decorators or a ``pytestmark`` value: direct, in a list, or on a
    parameter (``pytest.param(..., marks=pytest.mark.rule(...))`` of a parametrize)."""
    found: list[tuple[str, str, int]] = []
    for node in nodes:
        for item in ast.walk(node):
            if isinstance(item, ast.expr):
                mark = _rule_mark(item)
                if mark is not None:
                    found.append((*mark, item.lineno))
    return found


def test_marks(tree: ast.Module, label: str) -> list[RuleMark]:
    """Every `rule` mark of a test module, on its tests (a class's and the module's
    ``pytestmark`` marks apply to each test under them)."""
    marks: list[RuleMark] = []
    module_marks: list[tuple[str, str, int]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            module_marks += _marks_in([node.value])

    def walk(node: ast.AST, prefix: str, inherited: list[tuple[str, str, int]]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                own = _marks_in(child.decorator_list)
                for stmt in child.body:
                    if isinstance(stmt, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
                    ):
                        own += _marks_in([stmt.value])
                walk(child, f"{prefix}{child.name}.", inherited + own)
            elif isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef
            ) and child.name.startswith("test"):
                test = f"{label}::{prefix}{child.name}"
                for rule, entry, line in inherited + _marks_in(child.decorator_list):
                    marks.append(RuleMark(rule, entry, test, line))

    walk(tree, "", module_marks)
    return marks


def scan_marks() -> list[RuleMark]:
    """Every `rule` mark in tests/ (also the malformed ones: rule "" and entry "")."""
    marks: list[RuleMark] = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        if "mark.rule" not in source:
            continue
        marks += test_marks(ast.parse(source), path.relative_to(ROOT).as_posix())
    return marks


def _scan_file(path: Path, label: str, cites: dict[str, Citations], *, tests: bool) -> None:
    source = path.read_text(encoding="utf-8")
    if not RULE_ID.search(source):
        return
    tree = ast.parse(source)
    lines = source.splitlines()
    functions = _functions(tree)
    docstrings = _docstrings(tree)
    code_lines: dict[int, set[str]] = defaultdict(set)  # line → IDs passed on in strings
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            for rid in _ids(node.value):
                code_lines[node.lineno].add(rid)

    def owner(line: int) -> str | None:
        inner = [f for f in functions if f[0] <= line <= f[1]]
        return min(inner, key=lambda f: f[1] - f[0])[2] if inner else None

    for number, text in enumerate(lines, start=1):
        ids = _ids(text)
        if not ids:
            continue
        name = owner(number)
        if tests:
            if name and ".test" in f".{name}":
                test = name.split(".")
                # a helper nested in a test belongs to the test
                top = next(p for p in test if p.startswith("test"))
                qual = ".".join(test[: test.index(top) + 1])
                for rid in ids:
                    cites[rid].tests.add(f"{label}::{qual}")
            continue
        where = f"{label}.{name}" if name else label
        for rid in ids:
            if rid in code_lines.get(number, set()):
                cites[rid].enforced.add(where)
            else:
                cites[rid].described.add(where)


def scan() -> dict[str, Citations]:
    cites: dict[str, Citations] = defaultdict(Citations)
    for app in settings.GAVEL_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "rulesdoc.py":
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            _scan_file(path, module.removesuffix(".__init__"), cites, tests=False)
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name == "test_rules_doc.py":  # names rules only to talk about the check
            continue
        _scan_file(path, path.relative_to(ROOT).as_posix(), cites, tests=True)
    for mark in scan_marks():
        if mark.rule:
            cites[mark.rule].marked[mark.entry].add(mark.test)
            cites[mark.rule].tests.add(mark.test)
    return cites


def catalogue() -> dict[str, Any]:
    with CATALOGUE.open("rb") as f:
        return tomllib.load(f)


def _names(names: set[str]) -> str:
    if not names:
        return "—"
    shown = sorted(names)[:SHOWN]
    rest = len(names) - len(shown)
    text = ", ".join(f"`{n}`" for n in shown)
    return text + (f" and {rest} more" if rest else "")


def _settings_rows() -> list[str]:
    from core.rulesettings import SPECS

    tags = {"F": "firm", "P": "practice", "A": "assumption"}
    rows = ["| setting | default | tag | rules |", "|---|---|---|---|"]
    for key in sorted(SPECS):
        s = SPECS[key]
        default = "`None`" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{key}` | {default} | {tags.get(s.tag, s.tag)} | {', '.join(s.rules)} |")
    return rows


def entries_proven(rule: dict[str, Any], c: Citations) -> list[tuple[str, bool]]:
    """(entry, proven) for each entry the catalogue lists for the rule, in ENTRIES order."""
    listed = set(rule.get("entries", []))
    return [(e, bool(c.proving(e))) for e in ENTRIES if e in listed]


def unproven(data: dict[str, Any], cites: dict[str, Citations]) -> dict[str, list[str]]:
    """Firm rule → the entries it lists that no marked test proves yet."""
    found: dict[str, list[str]] = {}
    for r in data["rule"]:
        if "firm" in r["tags"]:
            missing = [e for e, ok in entries_proven(r, cites[r["id"]]) if not ok]
            if missing:
                found[r["id"]] = missing
    return found


def render(cites: dict[str, Citations] | None = None) -> str:
    data = catalogue()
    cites = scan() if cites is None else cites
    rules = data["rule"]
    firm = [r for r in rules if "firm" in r["tags"]]
    untested = [r["id"] for r in firm if not cites[r["id"]].tests]
    pairs = [(r["id"], e) for r in firm for e, _ok in entries_proven(r, cites[r["id"]])]
    missing = unproven(data, cites)
    out = [
        "# The rules Gavel enforces",
        "",
        "<!-- Generated by `python manage.py rules_doc` from docs/rules.toml and the code; "
        "do not edit by hand. -->",
        "",
        "Each rule of the law and of court practice that Gavel follows, in the project's own "
        "words, with its legal source, the code that enforces it and the tests that prove it. "
        "The rule texts and sources are kept in `docs/rules.toml`; the last two columns are "
        "found in the source code by `core/rulesdoc.py` (a test fails when this file is out of "
        "date), so they cannot drift from the code.",
        "",
        "- **firm**: read in the primary text; hard-coded. A setting may only make it stricter.",
        "- **practice** / **assumption**: from local rules, platform practice or an engine "
        "convention; a setting with the stated default (see *Rule settings* below).",
        "- *Enforced in*: functions that pass the rule's ID on (a refusal's rule, an audit "
        "entry's rules, a setting). *Described in*: functions that name it in prose. *Tests*: "
        "test functions that cite it.",
        "- *Entries proven* (firm rules): the ways a person or process reaches the rule "
        "(`docs/rules.toml`'s `entries`: service, api, page, admin, worker, command, event) "
        'and whether a test marked `@pytest.mark.rule("<ID>", entry="<entry>")` proves '
        "the refusal or the effect through it (✓) or not yet (✗). Every entry goes through "
        "the service, so the service entry counts every test that cites the rule.",
        "",
        f"{len(rules)} rules, {len(firm)} of them firm; "
        f"{len(firm) - len(untested)} firm rules cited by at least one test; "
        f"{len(pairs) - sum(map(len, missing.values()))} of the {len(pairs)} entries that "
        "reach a firm rule proven by a marked test.",
        "",
        "## Sources",
        "",
        "| short | text | status |",
        "|---|---|---|",
    ]
    out += [f"| {s['short']} | {s['text']} | {s['status']} |" for s in data["source"]]
    section = group = None
    for r in rules:
        if r["section"] != section:
            section, group = r["section"], None
            out += ["", f"## {section}"]
        if r.get("group", "") != (group or "") and r.get("group"):
            group = r["group"]
            out += ["", f"### {group}"]
        c = cites[r["id"]]
        out += [
            "",
            f"**{r['id']}** · {' / '.join(r['tags']) or '—'}  ",
            f"{r['text']}  ",
            f"*Source:* {r['basis']}  ",
            f"*Enforced in:* {_names(c.enforced)}  ",
        ]
        if c.described - c.enforced:
            out.append(f"*Described in:* {_names(c.described - c.enforced)}  ")
        out.append(f"*Tests ({len(c.tests)}):* {_names(c.tests)}")
        shown = entries_proven(r, c)
        if shown:
            out[-1] += "  "
            proof = " · ".join(f"{e} {'✓' if ok else '✗'}" for e, ok in shown)
            out.append(f"*Entries proven:* {proof}")
    out += ["", "## Rule settings", "", "Generated from `core.rulesettings.SPECS`.", ""]
    out += _settings_rows()
    if untested:
        out += ["", "## Firm rules no test cites yet", "", ", ".join(untested)]
    if missing:
        out += ["", "## Entries of firm rules no marked test proves yet", ""]
        out += [f"- {rid}: {', '.join(entries)}" for rid, entries in missing.items()]
    return "\n".join(out) + "\n"
