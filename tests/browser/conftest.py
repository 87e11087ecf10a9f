"""The browser test harness: Playwright (sync API) driving Debian's Chromium against a real
daphne server that serves pages and websockets from the test database.

Fixtures (see docs/DEVELOPING.md, "Browser tests"):

- ``channels_live_server``: daphne in a subprocess on the test database (SQLite file or
  PostgreSQL) and the same Redis; ``.url``, ``.ws_url``, and ``.set_time(dt)`` /
  ``.advance(delta)`` / ``.reset_time()`` to move the server's ``core.clock`` and this
  process's together. Tests that use it see committed data only (``transactional_db``).
- ``page``: a fresh Chromium page (zh-CN, Asia/Shanghai) whose ``base_url`` is the server, so
  ``page.goto("/")`` works; ``page_errors`` lists JavaScript errors seen on it.
- ``sign_in(page, user, password=PASSWORD)``: signs in through the login page.
- ``screenshot(page, name)``: saves ``var/screenshots/<test>-<name>.png`` (a failing test
  saves one by itself).

Browser tests skip with the reason when Chromium or Playwright is missing, and fail instead
when ``GAVEL_REQUIRE_BROWSER=1`` (CI). Playwright's sync API keeps an event loop running in
this thread, which Django would refuse for database calls: ``DJANGO_ALLOW_ASYNC_UNSAFE`` is
set while the browser runs, here only, and the browser is closed when the browser tests end
so no other test runs beside that loop.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from core import clock
from tests.conftest import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]
VAR = BASE_DIR / "var"
SCREENSHOTS = VAR / "screenshots"
CHROMIUM = os.environ.get("GAVEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 60


def _unavailable() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("GAVEL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (GAVEL_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(f"browser test skipped: {reason}")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            # The server runs on the real clock unless the test sets the time.
            item.add_marker(pytest.mark.real_clock)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.gavel_call_failed = report.failed
    return report


# --- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the browser test server needs a file database, not :memory:")
        return {"SQLITE_PATH": name, "DATABASE_URL": ""}
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return {"DATABASE_URL": f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'])}"}


class ChannelsLiveServer:
    """daphne serving ``config.asgi:application`` from the test database, in a subprocess."""

    def __init__(self, *, settings_dict: dict[str, Any], env: dict[str, str] | None = None) -> None:
        """``env``: extra environment for the server (the fault tests give each its Redis)."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        VAR.mkdir(exist_ok=True)
        self.clock_file = VAR / f"browser-clock-{os.getpid()}-{self.port}.json"
        self.log_file = VAR / f"browser-server-{os.getpid()}-{self.port}.log"
        self.write_clock()
        env = {
            **os.environ,
            **_database_env(settings_dict),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "GAVEL_SERVE_STATIC": "true",
            "GAVEL_STAFF_2FA_REQUIRED": os.environ.get("GAVEL_STAFF_2FA_REQUIRED", "false"),
            "GAVEL_CLOCK_FILE": str(self.clock_file),
            "GAVEL_EXTRA_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
            "RATELIMIT_ENABLE": "false",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        if not env["DATABASE_URL"]:
            env.pop("DATABASE_URL")
        cmd = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "config.asgi:application",
        ]
        self._log = open(self.log_file, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"the test server exited:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the test server did not listen within {SERVER_START_SECONDS} s")

    def log(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8")[-4000:]
        except OSError:
            return ""

    def write_clock(self) -> None:
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(clock.state()), encoding="utf-8")
        tmp.replace(self.clock_file)  # atomic: the server never reads half a file

    def set_time(self, when: dt.datetime) -> dt.datetime:
        """Freeze ``core.clock`` at ``when`` here and in the server."""
        clock.set_time(when)
        self.write_clock()
        return clock.now()

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the (frozen or running) clock forward here and in the server."""
        result = clock.advance(delta)
        self.write_clock()
        return result

    def reset_time(self) -> None:
        clock.reset()
        self.write_clock()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        for path in (self.clock_file, self.clock_file.with_suffix(".tmp")):
            path.unlink(missing_ok=True)


@pytest.fixture(scope="package")
def _gavel_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ChannelsLiveServer]:
    from django.db import connection

    reason = _unavailable()
    if reason:
        _skip_or_fail(reason)
    with django_db_blocker.unblock():
        settings_dict = dict(connection.settings_dict)
    server = ChannelsLiveServer(settings_dict=settings_dict)
    yield server
    server.stop()


@pytest.fixture
def channels_live_server(
    _gavel_server: ChannelsLiveServer, transactional_db: Any
) -> Iterator[ChannelsLiveServer]:
    """The running server; each test starts with the real time, and its rows are committed."""
    _gavel_server.reset_time()
    yield _gavel_server
    _gavel_server.reset_time()


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="package")
def _chromium() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        _skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


@pytest.fixture
def page_errors() -> list[str]:
    """JavaScript errors and failed console messages seen by ``page``."""
    return []


@pytest.fixture
def page(
    request: Any, _chromium: Any, channels_live_server: ChannelsLiveServer, page_errors: list[str]
) -> Iterator[Any]:
    context = _chromium.new_context(
        base_url=channels_live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: page_errors.append(f"pageerror: {exc}"))
    pg.on(
        "console",
        lambda msg: (
            page_errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    yield pg
    if getattr(request.node, "gavel_call_failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(
            path=str(SCREENSHOTS / f"{_slug(request.node.name)}-FAILED.png"), full_page=True
        )
    context.close()


@pytest.fixture
def screenshot(request: Any) -> Callable[[Any, str], Path]:
    def take(pg: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_slug(request.node.name)}-{_slug(name)}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(page, user, password=PASSWORD)``: through the login page; returns the page."""

    def do(pg: Any, user: Any, password: str = PASSWORD) -> Any:
        pg.goto("/accounts/login/")
        pg.fill("#id_username", user.username)
        pg.fill("#id_password", password)
        with pg.expect_navigation():
            pg.click("button[type=submit]")
        return pg

    return do
