"""Journeys (issue 13): the browser harness of tests/browser (daphne, Playwright, screenshots,
the clock file), here with the staff second factor REQUIRED as in production: every staff
member signs in with a TOTP code computed from the secret their enrolment page showed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (  # noqa: F401  (fixtures re-used as they are)
    ChannelsLiveServer,
    _chromium,
    _skip_or_fail,
    _unavailable,
    channels_live_server,
    page,
    page_errors,
    pytest_runtest_makereport,
    screenshot,
)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.real_clock)


@pytest.fixture(scope="package")
def _gavel_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ChannelsLiveServer]:
    from django.db import connection

    reason = _unavailable()
    if reason:
        _skip_or_fail(reason)
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    server = ChannelsLiveServer(
        settings_dict=settings_dict, env={"GAVEL_STAFF_2FA_REQUIRED": "true"}
    )
    yield server
    server.stop()
