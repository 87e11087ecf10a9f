"""docs/rules.md, generated: each rule in the project's words (docs/rules.toml), with the code
that enforces it and the tests that prove it, found in the source so the table cannot drift.

``python manage.py rules_doc`` writes the file; ``--check`` (and ``tests/test_rules_doc.py``)
fails when the committed file differs from what the code says now.

A rule's ID is *cited* by a function when it appears in that function's source (its code, a
string such as ``rule="AUC-16"``, a comment or its docstring), and by a test when it appears
in the test function (its name as ``auc_16``, docstring, comments or body). A function that
passes the ID on in a string (an error's rule, an audit entry's rules, a setting's rule) is
listed under "enforced in"; one that only names it in prose is listed under "described in".
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


@dataclass
class Citations:
    enforced: set[str] = field(default_factory=set)
    described: set[str] = field(default_factory=set)
    tests: set[str] = field(default_factory=set)


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


def render(cites: dict[str, Citations] | None = None) -> str:
    data = catalogue()
    cites = scan() if cites is None else cites
    rules = data["rule"]
    firm = [r for r in rules if "firm" in r["tags"]]
    untested = [r["id"] for r in firm if not cites[r["id"]].tests]
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
        "",
        f"{len(rules)} rules, {len(firm)} of them firm; "
        f"{len(firm) - len(untested)} firm rules cited by at least one test.",
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
    out += ["", "## Rule settings", "", "Generated from `core.rulesettings.SPECS`.", ""]
    out += _settings_rows()
    if untested:
        out += ["", "## Firm rules no test cites yet", "", ", ".join(untested)]
    return "\n".join(out) + "\n"
