"""core.warmup: what a process loads before its first job (issue 18)."""

from __future__ import annotations

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
    warmup.warm_up()
    assert ran == ["ok"]
    assert "warm-up step" in caplog.text


def test_the_listing_dictionary_is_a_step():
    from marketplace import search_index

    assert search_index._ensure_dictionary in warmup._steps
