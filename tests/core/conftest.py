"""Fixtures shared by tests/core."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo's sample data (``core.demo.seed``) at the tests' frozen time, once per test
    module, rolled back after it."""
    from django.db import transaction

    from core import clock
    from core.demo import seed
    from tests.conftest import TEST_NOW

    with django_db_blocker.unblock(), transaction.atomic():
        clock.set_time(TEST_NOW)
        try:
            seed()
            yield
        finally:
            clock.reset()
            transaction.set_rollback(True)
