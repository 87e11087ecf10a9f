"""References turned into what people recognise: "case:2/auction:3/handover" →
"（2026）赣0102执1001号 · 东湖区示例路8号…（一拍） · 交付", with a link to the page the viewer
may open.

Services, deadlines and audit entries keep opaque references (``case:12``,
``case:12/auction:7/registration:3``, ``payout:c4830a7b32f3``); pages never show them. Each
app says how to name its kinds in its ``refs.py`` (collected like ``rules.py``), with
``register(kind, label=…, url=…, visible=…)``; a bare word in a reference ("handover") is
named with ``register_word``. ``describe(ref, viewer)`` / ``describe_many`` give
``Described(text, url)``: the link is the most specific part the viewer may open (``None``
when none). Templates: ``{% load gavel %}{{ d.subject|ref_text }}`` and
``{% ref_link d.subject %}``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch
from django.utils.translation import gettext as _

Labeller = Callable[[list[str]], dict[str, str]]
Linker = Callable[[str, dict[str, str]], str | None]
Visible = Callable[[Any, str, dict[str, str]], bool]


@dataclass(frozen=True)
class RefKind:
    noun: Any  # lazily translated: what one of these is called ("付款", "拍卖")
    label: Labeller | None  # ids → names, in one query
    url: Linker | None  # (id, the other ids of the reference) → page
    visible: Visible | None  # (viewer, id, the other ids) → may open the page


@dataclass(frozen=True)
class Described:
    text: str
    url: str | None


_KINDS: dict[str, RefKind] = {}
_WORDS: dict[str, Any] = {}


def register(
    kind: str,
    *,
    noun: Any,
    label: Labeller | None = None,
    url: Linker | None = None,
    visible: Visible | None = None,
) -> None:
    _KINDS[kind] = RefKind(noun, label, url, visible)


def register_word(word: str, text: Any) -> None:
    """A bare part of a reference ("handover", "inquiry") and its name ("交付")."""
    _WORDS[word] = text


def parse(ref: str) -> list[tuple[str, str]]:
    """ "case:2/auction:3/handover" → [("case","2"), ("auction","3"), ("handover","")]."""
    parts: list[tuple[str, str]] = []
    for piece in (ref or "").split("/"):
        if not piece:
            continue
        kind, _sep, key = piece.partition(":")
        parts.append((kind, key))
    return parts


def _labels(refs: Iterable[str]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        for kind, key in parse(ref):
            if key and kind in _KINDS and _KINDS[kind].label is not None:
                wanted[kind].add(key)
    out: dict[tuple[str, str], str] = {}
    for kind, keys in wanted.items():
        labeller = _KINDS[kind].label
        assert labeller is not None
        for key, text in labeller(sorted(keys)).items():
            out[(kind, key)] = text
    return out


def _part_text(kind: str, key: str, labels: dict[tuple[str, str], str]) -> str:
    if (kind, key) in labels:
        return labels[(kind, key)]
    if kind in _KINDS:
        noun = str(_KINDS[kind].noun)
        return noun if not key else _("%(noun)s（已不存在）") % {"noun": noun}
    if not key and kind in _WORDS:
        return str(_WORDS[kind])
    return _("其他事项")


_loaded = False


def _discover() -> None:
    """Import every app's ``refs.py`` once (they call ``register``)."""
    global _loaded
    if not _loaded:
        from core.apps import app_modules

        app_modules("refs")
        _loaded = True


def describe_many(refs: Iterable[str], viewer: Any = None) -> dict[str, Described]:
    _discover()
    refs = [r for r in dict.fromkeys(refs) if r]
    labels = _labels(refs)
    out: dict[str, Described] = {}
    for ref in refs:
        parts = parse(ref)
        text = " · ".join(_part_text(kind, key, labels) for kind, key in parts)
        ids = {kind: key for kind, key in parts if key}
        url = None
        for kind, key in reversed(parts):
            spec = _KINDS.get(kind)
            if not key or spec is None or spec.url is None:
                continue
            try:
                hidden = viewer is not None and spec.visible is not None
                if hidden and not spec.visible(viewer, key, ids):  # type: ignore[misc]
                    continue
                url = spec.url(key, ids)
            except (ValueError, KeyError, NoReverseMatch):  # a key that is no id: no link
                continue
            if url:
                break
        out[ref] = Described(text or ref, url)
    return out


def describe(ref: str, viewer: Any = None) -> Described:
    return describe_many([ref], viewer).get(ref, Described(ref or "", None))


_IN_TEXT = re.compile(r"(?<![\w/:])([a-z][a-z_-]*:[\w-]+(?:/[a-z][a-z_-]*(?::[\w-]+)?)*)")


def in_text(text: str) -> str:
    """Free text that carries references (a ledger memo "竞买保证金到账 case:2/registration:5",
    an account's name) with each reference that names a registered kind replaced by its names;
    other words that merely look like one ("10:05", "mystery:3") are left alone."""
    _discover()
    found = [
        m for m in _IN_TEXT.findall(text or "") if any(kind in _KINDS for kind, _key in parse(m))
    ]
    names = describe_many(found) if found else {}
    # The words around the references were stored in Chinese ("竞买保证金到账"): a stored word
    # that is an interface word is shown in the reader's language (issue 17).
    pieces = _IN_TEXT.split(text or "")
    for i, piece in enumerate(pieces):
        if i % 2:
            pieces[i] = names[piece].text if piece in names else piece
        elif piece.strip():
            pieces[i] = piece.replace(piece.strip(), _(piece.strip()))
    return "".join(pieces)


def int_keys(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit()]


# ---- core's own kinds -----------------------------------------------------------------
def _courts(keys: list[str]) -> dict[str, str]:
    from core.models import Court

    return {
        str(pk): name
        for pk, name in Court.objects.filter(pk__in=int_keys(keys)).values_list("pk", "name")
    }


def _users(keys: list[str]) -> dict[str, str]:
    from core.models import User

    return {str(u.pk): str(u) for u in User.objects.filter(pk__in=int_keys(keys))}


def _register_core() -> None:
    from django.utils.translation import gettext_lazy

    register("court", noun=gettext_lazy("法院"), label=_courts)
    register("user", noun=gettext_lazy("用户"), label=_users)
    register("system", noun=gettext_lazy("系统"))
    for word, text in {
        "handover": gettext_lazy("交付"),
        "ruling": gettext_lazy("裁定"),
        "balance": gettext_lazy("尾款"),
        "deposit": gettext_lazy("保证金"),
        "settlement": gettext_lazy("结算"),
        "calendar": gettext_lazy("节假日安排"),
        "settings": gettext_lazy("规则参数"),
        "national": gettext_lazy("全国"),
        "agreement": gettext_lazy("协商选定"),
        "inspection": gettext_lazy("现场勘验"),
        "result": gettext_lazy("结果"),
        "sale": gettext_lazy("成交"),
    }.items():
        register_word(word, text)


_register_core()
