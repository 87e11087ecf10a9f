"""Races on purpose, the one way tests make them.

- ``together(*calls)``: start each call in its own thread and release them all at the same
  instant (a barrier); each returns its result or the exception it raised, in order. Every
  thread closes its database connection when done (back to the pool on PostgreSQL), so the
  test database can be dropped.
- ``in_thread(fn, ...)``: run one call in a plain thread of its own (its own connection) and
  wait for it: the other side of a race, or work that must not run on this thread's event
  loop (Playwright's).
- ``run_before(target, callback)`` / ``run_after(target, callback)``: Saleor's
  ``RunBefore``/``RunAfter``: while the context is open, every call of ``target`` (a dotted
  path, as for ``unittest.mock.patch``) runs ``callback`` with the same arguments just before
  (after) itself, so the competing action happens exactly at the racy point, without timing
  luck (``target`` is a function or an instance method). Run the competitor with ``in_thread`` when it needs its own connection (a row lock
  held by this thread's transaction then makes it wait or skip).

Races that rely on row locks need PostgreSQL: mark them ``@pytest.mark.postgres`` and
``@pytest.mark.django_db(transaction=True)`` (SQLite serialises writers).
"""

from __future__ import annotations

import functools
import pkgutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar, cast, overload
from unittest import mock

from django.db import connection

T = TypeVar("T")

__all__ = ["codes", "in_thread", "run_after", "run_before", "together"]


@overload
def together(*calls: Callable[[], T], timeout: float = 300, reraise: Literal[True]) -> list[T]: ...


@overload
def together(
    *calls: Callable[[], T], timeout: float = 300, reraise: bool = False
) -> list[T | BaseException]: ...


def together(
    *calls: Callable[[], T], timeout: float = 300, reraise: bool = False
) -> list[T] | list[T | BaseException]:
    """Run ``calls`` at the same instant, one thread each; their results (or the exception each
    raised) in the order given. ``reraise=True`` raises the first exception instead, so the
    results are all plain values (typed ``list[T]``)."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException | None] = [None] * len(calls)

    def run(i: int, fn: Callable[[], T]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as exc:  # handed back to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, fn), name=f"race-{i}", daemon=True)
        for i, fn in enumerate(calls)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        raise AssertionError(f"race threads still running after {timeout} s: {stuck}")
    done = cast("list[T | BaseException]", results)
    if not reraise:
        return done
    values: list[T] = []
    for r in done:
        if isinstance(r, BaseException):
            raise r
        values.append(r)
    return values


def in_thread(fn: Callable[..., T], *args: Any, timeout: float = 300, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a thread of its own (own connection, no event loop); its
    result, or its exception re-raised here."""
    (result,) = together(functools.partial(fn, *args, **kwargs), timeout=timeout, reraise=True)
    return result


def codes(results: list[Any], ok: str = "ok") -> list[str]:
    """Sorted outcome labels: a ``DomainError``'s code, another exception's class name, and
    ``ok`` for a call that returned."""
    from core.errors import DomainError

    def label(r: Any) -> str:
        if isinstance(r, DomainError):
            return r.code
        if isinstance(r, BaseException):
            return type(r).__name__
        return ok

    return sorted(label(r) for r in results)


@contextmanager
def run_before(target: str, callback: Callable[..., object]) -> Iterator[None]:
    """While open, each call of ``target`` first runs ``callback(*args, **kwargs)``."""
    original = pkgutil.resolve_name(target)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        callback(*args, **kwargs)
        return original(*args, **kwargs)

    with mock.patch(target, wrapper):
        yield


@contextmanager
def run_after(target: str, callback: Callable[..., object]) -> Iterator[None]:
    """While open, each call of ``target`` runs ``callback(*args, **kwargs)`` when it returns."""
    original = pkgutil.resolve_name(target)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        callback(*args, **kwargs)
        return result

    with mock.patch(target, wrapper):
        yield
