"""core.warmup: what a process loads before its first job (issue 18)."""

from __future__ import annotations

import gc

from core import warmup


def test_steps_run_once_each_and_a_failing_step_is_only_logged(monkeypatch, caplog):
    monkeypatch.setattr(warmup, "_steps", [])
    ran: list[str] = []

    def ok() -> None:
        ran.append("ok")

    def bad() -> None:
        raise RuntimeError("boom")

    warmup.register(ok)
    warmup.register(bad)
    warmup.register(ok)  # kept once
    warmup.warm_up(freeze=False)
    assert ran == ["ok"]
    assert "warm-up step" in caplog.text


def test_the_listing_dictionary_is_a_step():
    from marketplace import search_index

    assert search_index._ensure_dictionary in warmup._steps


def test_warm_up_then_freezes_what_start_up_left_out_of_later_collections(monkeypatch):
    """After the steps, what the process holds moves to the collector's permanent generation
    (a full collection no longer walks it, issue 18); objects made later are collected as
    before."""
    monkeypatch.setattr(warmup, "_steps", [])
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        warmup.warm_up()
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # the modules, Django, the apps
        later: list[list[int]] = [[] for _ in range(100)]
        assert gc.get_freeze_count() == frozen and gc.is_tracked(later)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
