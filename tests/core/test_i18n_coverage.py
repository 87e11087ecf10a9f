"""Issue 17: every refusal and every template string a person can see goes through gettext.

Two checks, both static (no database):

* **Domain errors.** Every ``.py`` of the project outside ``tests/`` and ``migrations/`` is
  parsed with :mod:`ast`. A call of ``DomainError``, ``NotFound``, ``PermissionDenied``,
  ``Conflict`` or of any class derived from them (found in the same parse) fails the check
  when its message argument is a ``str`` literal, an f-string, or a literal combined with
  ``%``/``+``/``.format`` — that is, text that can never be English. A message must be a
  gettext call (``_``, ``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext``,
  ``format_lazy`` …), with values put in *after* translation:
  ``_("参数 %(key)s 不得低于 %(low)s") % {...}`` or ``_("…{x}…").format(x=...)``. A message
  held in a variable is not judged (the variable's origin is checked where it is a literal).

* **Templates.** Every ``templates/**/*.html`` and ``<app>/templates/**/*.html``: after removing ``{% translate %}``,
  ``{% blocktranslate %}…{% endblocktranslate %}``, ``{% comment %}`` blocks, ``{# #}``,
  ``{{ … }}``, ``{% … %}``, HTML comments, ``<script>``/``<style>`` bodies and the tags
  themselves (attribute values included, see below), no CJK character may remain. Not
  checked, on purpose: ``…/documents/`` templates (court instruments — rulings, notices,
  receipts — which the court issues in Chinese whatever the reader's language), the
  language switcher's own name for Chinese (``中文``), and ``templates/500.html``, static and
  bilingual by design (it must render when the template machinery itself is failing).

**Honest state.** The conversion is not finished. ``PENDING_PY`` and ``PENDING_TEMPLATES``
list, per file, how many untranslated messages are still known there. The check fails when a
file not in the lists has one, and when a listed file has *more* than its count; it also fails
when a listed file has *fewer* (so the count is lowered in the same commit: the lists only
shrink).

* **Attributes.** ``placeholder``, ``title``, ``aria-label``, ``alt``, ``value`` (a button's
  caption) of every tag in those templates: no CJK outside ``{% translate %}``/``{{ … }}``.

* **Scripts.** The project's own ``<app>/static/**/*.js`` (not vendored, not minified): no
  string literal with a CJK letter outside ``gettext("…")`` (Django's JavaScript catalogue,
  ``/jsi18n/``; the scripts alias it ``t``). Comments and regular-expression character classes
  (input parsing, ``/[，元]/``) are not text people read.

Error *helpers* count too: a function that builds a ``DomainError`` from a message it is given
(``_bad(code, message, field)``) is judged at its callers (``error_factories``).

Stored text (notifications, audit entries, ledger names) is written in the language of the
moment it was made; where code stores a fixed Chinese label (a ground, a deadline's start event),
the label is marked ``gettext_noop`` and shown through ``gettext`` (``|stored`` in templates).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ERROR_BASES = {"DomainError", "NotFound", "PermissionDenied", "Conflict"}
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "format_lazy",
}
SKIP_DIRS = {".venv", "tests", "migrations", "node_modules", ".git", "static", "staticfiles"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
CJK_LETTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Files whose refusals are not yet translated: path → number still plain. Only shrinks.
PENDING_PY: dict[str, int] = {}

# Notifications (inbox, SMS, e-mail) whose subject or body is still plain Chinese, or translated
# eagerly (``_("…")`` with ``gettext as _``: the actor's language): path → count.
# A notification is written in its *recipient's* language (``User.language``): a subject or
# body is a lazy msgid, or ``text(gettext_lazy("…%(x)s…"), x=…)`` (``core.notifications.text``),
# which ``notify`` renders under the recipient's language — never an eager ``_()`` (that is
# the actor's language). ``text("中文")`` with a plain literal counts as plain. Only shrinks.
PENDING_NOTIFY: dict[str, int] = {}
NOTIFY_NAMES = {"notify", "notify_many", "notify_address"}

# Templates with visible Chinese outside {% translate %}: path → number of text runs. Only shrinks.
PENDING_TEMPLATES: dict[str, int] = {}

# Not translated on purpose (see the module doc).
TEMPLATE_EXEMPT_FILES = {"templates/500.html"}
TEMPLATE_EXEMPT_RUNS = {"中文"}


def project_py_files() -> list[Path]:
    out = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS for part in rel.parts):
            continue
        out.append(path)
    return sorted(out)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_classes(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Error class name → position of its message argument (1 for ``(code, message)``)."""
    classes = dict.fromkeys(ERROR_BASES, 1)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in classes:
                    continue
                bases = [_name(b) for b in node.bases]
                parent = next((b for b in bases if b in classes), None)
                if parent is None:
                    continue
                pos = classes[parent]
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        params = [a.arg for a in item.args.args][1:]
                        pos = params.index("message") if "message" in params else -1
                classes[node.name] = pos
                changed = True
    return classes


def error_factories(trees: dict[Path, ast.Module], classes: dict[str, int]) -> dict[str, int]:
    """Helpers that build an error from a message they are given (``_bad(code, message, …)``,
    ``_refuse(…)``): function name → position of that message among its call arguments. Their
    callers' literals are judged like a direct ``DomainError(…)``'s."""
    known = dict(classes)
    found: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name in known:
                    continue
                params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                if params and params[0] in ("self", "cls"):
                    params = params[1:]
                for node in ast.walk(fn):
                    if not isinstance(node, ast.Call) or _name(node.func) not in known:
                        continue
                    pos = known[_name(node.func) or ""]
                    msg = next((k.value for k in node.keywords if k.arg == "message"), None)
                    if msg is None and 0 <= pos < len(node.args):
                        msg = node.args[pos]
                    if isinstance(msg, ast.Name) and msg.id in params:
                        known[fn.name] = found[fn.name] = params.index(msg.id)
                        changed = True
                        break
    return found


def _is_gettext(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) in GETTEXT_NAMES


def _is_plain_text(node: ast.expr) -> bool:
    """A message that can never be translated: a literal, an f-string, or built from one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if _is_gettext(node):  # _(f"…") looks up a msgid that never exists
        assert isinstance(node, ast.Call)
        return bool(node.args) and isinstance(node.args[0], ast.JoinedStr)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        if _is_gettext(node.left) and isinstance(node.op, ast.Mod):
            return False
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return _is_plain_text(node.func.value)
    if isinstance(node, ast.IfExp):
        return _is_plain_text(node.body) or _is_plain_text(node.orelse)
    return False


def untranslated_errors() -> list[tuple[str, int, str]]:
    trees = {}
    for path in project_py_files():
        trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = error_classes(trees)
    classes.update(error_factories(trees, classes))
    found = []
    for path, tree in trees.items():
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in classes:
                continue
            pos = classes[_name(node.func) or ""]
            msg = next((k.value for k in node.keywords if k.arg == "message"), None)
            if msg is None and 0 <= pos < len(node.args):
                msg = node.args[pos]
            if msg is not None and _is_plain_text(msg):
                found.append((rel, node.lineno, ast.unparse(msg)[:80]))
    return found


_TEMPLATE_STRIP = [
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{%\s*blocktrans(late)?\b.*?{%\s*endblocktrans(late)?\s*%}", re.S),
    re.compile(r"<script\b.*?</script>", re.S | re.I),
    re.compile(r"<style\b.*?</style>", re.S | re.I),
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"{{.*?}}", re.S),
    re.compile(r"{%.*?%}", re.S),
    re.compile(r"<[^>]*>", re.S),
]


def visible_chinese(text: str) -> list[str]:
    for pattern in _TEMPLATE_STRIP:
        text = pattern.sub("\n", text)
    return [line.strip() for line in text.splitlines() if CJK_LETTER.search(line)]


def untranslated_template_text() -> dict[str, list[str]]:
    out = {}
    paths = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    for path in sorted(paths):
        rel = path.relative_to(ROOT)
        if "documents" in rel.parts or str(rel) in TEMPLATE_EXEMPT_FILES:
            continue
        runs = [
            r
            for r in visible_chinese(path.read_text(encoding="utf-8"))
            if r not in TEMPLATE_EXEMPT_RUNS
        ]
        if runs:
            out[str(rel)] = runs
    return out


def _compare(found: Counter[str], pending: dict[str, int], what: str) -> list[str]:
    problems = []
    for rel, n in sorted(found.items()):
        allowed = pending.get(rel, 0)
        if n > allowed:
            problems.append(f"{rel}: {n} {what} outside gettext (allowed {allowed})")
    for rel, allowed in sorted(pending.items()):
        if found.get(rel, 0) < allowed:
            problems.append(
                f"{rel}: only {found.get(rel, 0)} left, lower PENDING to it (was {allowed})"
            )
    return problems


def test_the_scanner_sees_a_plain_refusal_and_passes_a_translated_one():
    bad = ast.parse('raise DomainError("x", "不行")').body[0]
    good = ast.parse('raise DomainError("x", _("不行 %(a)s") % {"a": 1})').body[0]
    fstr = ast.parse('raise NotFound("x", f"无 {a}")').body[0]
    assert isinstance(bad, ast.Raise) and isinstance(bad.exc, ast.Call)
    assert _is_plain_text(bad.exc.args[1])
    assert isinstance(good, ast.Raise) and isinstance(good.exc, ast.Call)
    assert not _is_plain_text(good.exc.args[1])
    assert isinstance(fstr, ast.Raise) and isinstance(fstr.exc, ast.Call)
    assert _is_plain_text(fstr.exc.args[1])
    fmsgid = ast.parse('raise Conflict("x", _(f"无 {a}"))').body[0]
    assert isinstance(fmsgid, ast.Raise) and isinstance(fmsgid.exc, ast.Call)
    assert _is_plain_text(fmsgid.exc.args[1])
    assert visible_chinese('<p>{% translate "好" %}</p><b title="x">坏</b>{{ a }}') == ["坏"]


def notify_helpers(trees: dict[Path, ast.Module]) -> set[str]:
    """``notify`` and the helpers that hand it a ``subject``/``body`` they were given."""
    known = set(NOTIFY_NAMES)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or fn.name in known:
                    continue
                params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
                for node in ast.walk(fn):
                    if isinstance(node, ast.Call) and _name(node.func) in known:
                        passed = {
                            k.value.id
                            for k in node.keywords
                            if k.arg in ("subject", "body") and isinstance(k.value, ast.Name)
                        }
                        if passed & params:
                            known.add(fn.name)
                            changed = True
                            break
    return known


def _is_plain_notification(node: ast.expr) -> bool:
    """Plain text, or a ``text(…)``/``joined(…)`` (``core.notifications.text``) built from some."""
    if (
        isinstance(node, ast.Call)
        and _name(node.func) in ("text", "joined")
        and any(_is_plain_notification(a) for a in node.args)
    ):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_plain_notification(node.left) or _is_plain_notification(node.right)
    return _is_plain_text(node)


def _eager_gettext_names(tree: ast.Module) -> set[str]:
    """The names this module gives Django's *eager* gettext (``gettext as _``, ``ngettext``…)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in ("gettext", "ngettext", "pgettext", "npgettext"):
                    out.add(alias.asname or alias.name)
    return out


def _is_eager(node: ast.expr, eager: set[str]) -> bool:
    """Text translated *now*, in the actor's language (``_("…") % {...}`` with an eager ``_``):
    a notification must be translated for its recipient instead (``text(gettext_lazy(…))``)."""
    if isinstance(node, ast.Call) and _name(node.func) in eager:
        return True
    if isinstance(node, ast.BinOp):
        return _is_eager(node.left, eager) or _is_eager(node.right, eager)
    if isinstance(node, ast.IfExp):
        return _is_eager(node.body, eager) or _is_eager(node.orelse, eager)
    return False


def untranslated_notifications() -> list[tuple[str, int, str]]:
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in project_py_files()}
    names = notify_helpers(trees)
    # A helper's ``subject``/``body`` given by position (``_notify_action(a, "…", "…", key)``).
    positions: dict[str, dict[int, str]] = {}
    for tree in trees.values():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and fn.name in names:
                params = [a.arg for a in fn.args.args]
                positions[fn.name] = {
                    i: arg for i, arg in enumerate(params) if arg in ("subject", "body")
                }
    found = []
    for path, tree in trees.items():
        eager = _eager_gettext_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in names:
                given = [(k.arg, k.value) for k in node.keywords]
                given += [
                    (arg, node.args[i])
                    for i, arg in positions.get(_name(node.func) or "", {}).items()
                    if i < len(node.args)
                ]
                for arg, value in given:
                    if arg in ("subject", "body") and (
                        _is_plain_notification(value) or _is_eager(value, eager)
                    ):
                        found.append((str(path.relative_to(ROOT)), node.lineno, arg))
    return found


def test_notification_texts_only_shrink():
    """Subjects and bodies of notifications: the plain ones are listed (``PENDING_NOTIFY``)."""
    found = untranslated_notifications()
    counts = Counter(rel for rel, _line, _arg in found)
    pending = PENDING_NOTIFY
    problems = _compare(counts, pending, "notification text(s)")
    detail = [f"  {rel}:{line}: {arg}" for rel, line, arg in found if rel not in pending]
    assert not problems, "\n".join(problems + detail[:60])


LABEL_KEYWORDS = ("verbose_name", "verbose_name_plural", "help_text", "label", "empty_label")


def untranslated_labels() -> list[tuple[str, int, str]]:
    """Model and field names, help texts, form labels and admin column titles: a plain Chinese
    ``verbose_name=``/``help_text=``/``label=``, a field's first argument, or a class-level
    ``verbose_name``/``short_description`` (the admin shows them all)."""
    found = []
    for path in project_py_files():
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                values = [(k.arg, k.value) for k in node.keywords if k.arg in LABEL_KEYWORDS]
                if (_name(node.func) or "").endswith("Field") and node.args:
                    values.append(("field", node.args[0]))
                if _name(node.func) == "display":  # @admin.display(description=…)
                    values += [(k.arg, k.value) for k in node.keywords if k.arg == "description"]
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                names = ("verbose_name", "verbose_name_plural", "short_description")
                if not (isinstance(target, ast.Name | ast.Attribute) and _name(target) in names):
                    continue
                values = [(_name(target) or "", node.value)]
            else:
                continue
            for what, value in values:
                if _is_plain_text(value) and CJK_LETTER.search(ast.unparse(value)):
                    found.append((rel, node.lineno, what))
    return found


def test_model_field_form_and_admin_labels_go_through_gettext():
    found = untranslated_labels()
    assert not found, "\n".join(f"  {rel}:{line}: {what}" for rel, line, what in found)


def test_every_domain_error_message_goes_through_gettext():
    found = untranslated_errors()
    counts = Counter(rel for rel, _line, _msg in found)
    problems = _compare(counts, PENDING_PY, "domain error message(s)")
    detail = [f"  {rel}:{line}: {msg}" for rel, line, msg in found if rel not in PENDING_PY]
    assert not problems, "\n".join(problems + detail[:60])


#: Attributes a person sees or hears (a tooltip, a placeholder, a screen reader's label, an
#: image's text, a button's caption).
SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "value", "aria-description")
_ATTR = re.compile(r"\b(" + "|".join(SEEN_ATTRIBUTES) + r""")\s*=\s*("([^"]*)"|'([^']*)')""", re.I)
_TAG = re.compile(r"<[a-zA-Z](?:[^>{]|{{.*?}}|{%.*?%})*>", re.S)


def visible_chinese_attributes(text: str) -> list[str]:
    """Attribute values with Chinese outside ``{% translate %}`` / ``{{ … }}``."""
    for pattern in _TEMPLATE_STRIP[:6]:  # comments, blocktranslate, scripts, styles
        text = pattern.sub("\n", text)
    out = []
    for tag in _TAG.finditer(text):
        for m in _ATTR.finditer(tag.group(0)):
            value = m.group(3) if m.group(3) is not None else m.group(4)
            if CJK_LETTER.search(re.sub(r"{{.*?}}|{%.*?%}", "", value)):
                out.append(f"{m.group(1)}={value}")
    return out


def untranslated_template_attributes() -> dict[str, list[str]]:
    out = {}
    paths = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    for path in sorted(paths):
        rel = path.relative_to(ROOT)
        if "documents" in rel.parts or str(rel) in TEMPLATE_EXEMPT_FILES:
            continue
        found = visible_chinese_attributes(path.read_text(encoding="utf-8"))
        if found:
            out[str(rel)] = found
    return out


#: Scripts of the project (not vendored libraries): a Chinese word in a string must go through
#: the JavaScript catalogue (``gettext("…")`` / ``t("…")``, django.views.i18n.JavaScriptCatalog).
_JS_GETTEXT = re.compile(
    r"""\b(?:gettext|ngettext|pgettext|t)\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
)
_JS_COMMENTS = re.compile(r"/\*.*?\*/|(?<![:\\])//[^\n]*", re.S)
_JS_STRING = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")
_JS_CHAR_CLASS = re.compile(
    r"\[[^\]\n]*\]"
)  # a regular expression's character class: input parsing


def project_scripts() -> list[Path]:
    return sorted(
        p
        for p in ROOT.glob("*/static/**/*.js")
        if "vendor" not in p.parts
        and not p.name.endswith(".min.js")
        and not any(part in SKIP_DIRS - {"static"} for part in p.relative_to(ROOT).parts)
    )


def untranslated_script_strings() -> dict[str, list[str]]:
    out = {}
    for path in project_scripts():
        text = _JS_COMMENTS.sub("", path.read_text(encoding="utf-8"))
        text = _JS_GETTEXT.sub("", text)
        text = _JS_CHAR_CLASS.sub("", text)
        found = [m.group(0) for m in _JS_STRING.finditer(text) if CJK_LETTER.search(m.group(0))]
        if found:
            out[str(path.relative_to(ROOT))] = found
    return out


def test_every_visible_attribute_goes_through_gettext():
    """``placeholder``, ``title``, ``aria-label``, ``alt``, a button's ``value``…"""
    found = untranslated_template_attributes()
    assert not found, "\n".join(f"  {rel}: {runs[:3]}" for rel, runs in found.items())


def test_every_script_string_goes_through_the_javascript_catalogue():
    found = untranslated_script_strings()
    assert not found, "\n".join(f"  {rel}: {runs[:3]}" for rel, runs in found.items())


def test_the_attribute_and_script_scanners_see_chinese():
    assert visible_chinese_attributes(
        '<input placeholder="请输入" title="{% translate \'好\' %}">'
    ) == ["placeholder=请输入"]
    assert visible_chinese_attributes('<img alt="{{ a.name }}" aria-label="x">') == []
    js = 'var a = t("好"); var b = "坏"; // 注释\nvar r = /[，元]/;'
    text = _JS_CHAR_CLASS.sub("", _JS_GETTEXT.sub("", _JS_COMMENTS.sub("", js)))
    assert [m.group(0) for m in _JS_STRING.finditer(text) if CJK_LETTER.search(m.group(0))] == [
        '"坏"'
    ]


def test_every_visible_template_string_goes_through_gettext():
    found = untranslated_template_text()
    counts = Counter({rel: len(runs) for rel, runs in found.items()})
    problems = _compare(counts, PENDING_TEMPLATES, "Chinese text run(s)")
    detail = [f"  {rel}: {runs[:3]}" for rel, runs in found.items() if rel not in PENDING_TEMPLATES]
    assert not problems, "\n".join(problems + detail[:60])


def test_the_notification_scanner_sees_an_eager_translation_and_a_plain_text():
    tree = ast.parse(
        "from django.utils.translation import gettext as _\n"
        'notify(subject=_("x"), body=text(gettext_lazy("y")), key=text("中文"))'
    )
    eager = _eager_gettext_names(tree)
    stmt = tree.body[1]
    assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
    subject, body, key = (k.value for k in stmt.value.keywords)
    assert _is_eager(subject, eager) and not _is_eager(body, eager)
    assert not _is_plain_notification(body) and _is_plain_notification(key)
