"""Work a long-running process does once, before its first job (issue 18).

A higher app registers what it loads lazily on first use (``register(fn)``, in its
``AppConfig.ready``): the listing index's word dictionary, say, takes seconds to load. A
process whose first job has a deadline (the clock: its first batch of closes) calls
``warm_up()`` when it starts, so that cost is not paid inside the first batch; so does a web
process (config/asgi.py, with ``DEBUG`` off), so that no visitor's first search pays it.

Then ``warm_up`` freezes what the process holds (``gc.freeze()``): the modules, the word
dictionary and the rest loaded at start stay for the process's life, and Python's full
garbage collection no longer walks them. Measured in a web process (bench/scale/listings.py
names the collector's share of each slow request): a full collection took 170–200 ms before,
4 ms after, and it had made one listing request in 40 take 406 ms (352 of them collecting).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("gavel.warmup")

_steps: list[Callable[[], object]] = []


def register(step: Callable[[], object]) -> None:
    """Add ``step`` (idempotent: a step is kept once)."""
    if step not in _steps:
        _steps.append(step)


def warm_up(*, freeze: bool = True) -> None:
    """Run every registered step; a failing step is logged (it will run on first use). Then,
    with ``freeze``, ``settle()``."""
    for step in _steps:
        try:
            step()
        except Exception:
            log.exception("warm-up step %r failed", step)
    if freeze:
        settle()


def load_views_and_templates() -> None:
    """The URLconf with every view module it names, and the project's own templates compiled
    (the cached template loader keeps them): what a web process otherwise builds during its
    first requests, and would then hold outside the frozen start-up (``settle``)."""
    from django.apps import apps
    from django.conf import settings
    from django.template import TemplateSyntaxError
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018  (imports every view module, builds the index)
    base = Path(settings.BASE_DIR)
    roots = [base / "templates"] + [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base)
    ]
    for root in roots:
        for path in sorted(root.rglob("*.html")) if root.is_dir() else []:
            try:
                get_template(path.relative_to(root).as_posix())
            except TemplateSyntaxError:
                log.exception("template %s does not compile", path)


def settle() -> None:
    """Collect what start-up left behind, then move every object that remains out of the
    garbage collector's generations (``gc.freeze()``): later full collections walk only what
    the process made since. Call it once, after start-up and before the first job."""
    gc.collect()
    gc.freeze()
