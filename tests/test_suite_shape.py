"""The suite's own rules, checked on its source: every test asserts something."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Calls that fail a test by themselves: pytest.raises/warns/fail, Playwright's expect.
ASSERTING_CALLS = {"raises", "warns", "fail", "expect"}


def _calls(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name):
                names.add(n.func.id)
            elif isinstance(n.func, ast.Attribute):
                names.add(n.func.attr)
    return names


def _asserts(node: ast.AST, helpers: set[str]) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node)) or bool(
        _calls(node) & (ASSERTING_CALLS | helpers)
    )


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_every_test_asserts_something() -> None:
    """A test passes only by checking something: an ``assert``, ``pytest.raises``, Playwright's
    ``expect``, or a helper of the suite that does one of these (``refused(...)``)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in TESTS.rglob("*.py")}
    helpers: set[str] = set()
    grew = True
    while grew:  # helpers that assert, and helpers that call those
        grew = False
        for tree in trees.values():
            for fn in _functions(tree):
                is_helper = not fn.name.startswith("test_") and fn.name not in helpers
                if is_helper and _asserts(fn, helpers):
                    helpers.add(fn.name)
                    grew = True
    silent = [
        f"{path.relative_to(TESTS.parent)}:{fn.lineno} {fn.name}"
        for path, tree in sorted(trees.items())
        for fn in _functions(tree)
        if fn.name.startswith("test_") and not _asserts(fn, helpers)
    ]
    assert silent == []
