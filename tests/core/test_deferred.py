"""core.deferred: work collected in a block is flushed once at its end (issue 18)."""

from __future__ import annotations

import pytest

from core.deferred import collect, deferred


def test_outside_a_block_the_work_is_done_at_once():
    done: list[list[int]] = []
    collect("k", 1, done.append)
    collect("k", 2, done.append)
    assert done == [[1], [2]]


def test_inside_a_block_each_key_is_flushed_once_with_its_items_in_order():
    done: list[tuple[str, list[int]]] = []
    with deferred():
        for item in (3, 1, 3, 2):
            collect("a", item, lambda items: done.append(("a", items)))
        collect("b", 9, lambda items: done.append(("b", items)))
        with deferred():  # nested blocks join the outer one
            collect("a", 4, lambda items: done.append(("a", items)))
        assert done == []
    assert done == [("a", [3, 1, 2, 4]), ("b", [9])]


def test_work_collected_by_a_flush_is_flushed_too():
    done: list[list[int]] = []

    def first(items: list[int]) -> None:
        done.append(items)
        collect("second", 7, done.append)

    with deferred():
        collect("first", 1, first)
    assert done == [[1], [7]]


def test_nothing_is_flushed_when_the_block_raises():
    done: list[list[int]] = []
    with pytest.raises(RuntimeError), deferred():
        collect("k", 1, done.append)
        raise RuntimeError("boom")
    assert done == []
    collect("k", 2, done.append)  # and the next call outside a block is immediate again
    assert done == [[2]]


def test_a_separate_block_flushes_at_its_own_end_inside_the_outer_one():
    done: list[tuple[str, list[int]]] = []
    with deferred():
        collect("outer", 1, lambda items: done.append(("outer", items)))
        with deferred(separate=True):
            collect("inner", 2, lambda items: done.append(("inner", items)))
            collect("outer", 3, lambda items: done.append(("outer", items)))
            assert done == []
        # the separate block flushed its own items (its "outer" key too), the outer kept its own
        assert done == [("inner", [2]), ("outer", [3])]
        collect("outer", 4, lambda items: done.append(("outer", items)))
    assert done == [("inner", [2]), ("outer", [3]), ("outer", [1, 4])]
    collect("k", 5, lambda items: done.append(("k", items)))  # outside: at once again
    assert done[-1] == ("k", [5])
