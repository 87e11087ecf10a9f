"""Journeys (issue 13): the browser harness of tests/browser (daphne, Playwright, screenshots,
the clock file), registered once for the package."""

from __future__ import annotations

from tests.browser.conftest import (  # noqa: F401  (fixtures re-used as they are)
    _chromium,
    _gavel_server,
    channels_live_server,
    page,
    page_errors,
    pytest_runtest_makereport,
    screenshot,
)
