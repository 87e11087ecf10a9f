"""Fault tests: the system under injected failures (issue 15), on real processes.

- ``redis_server``: a redis-server of the test's own on a free port and a temporary
  directory (never the shared Redis), which the test may ``kill()`` and ``start()`` again on
  the same port; no persistence, so a restart forgets every key as a crash without
  persistence does.
- ``daphne``: ``daphne(redis_url)`` starts one more daphne server on the test database
  (``tests.browser.conftest.ChannelsLiveServer``) with that Redis as its channel layer; every
  server started is stopped at the end.

Every test here runs on PostgreSQL (two processes writing one SQLite file would only test
SQLite's locking, and SQLite has no backends to terminate); those with servers run on the real
clock (the servers do).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ChannelsLiveServer, _free_port

REDIS_START_SECONDS = 10


class RedisServer:
    """One redis-server process on ``port`` (restartable on the same port)."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=0.5)
        deadline = time.monotonic() + REDIS_START_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown work."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def daphne(transactional_db: Any) -> Iterator[Callable[..., ChannelsLiveServer]]:
    from django.db import connection

    started: list[ChannelsLiveServer] = []

    def start(redis_url: str, **env: str) -> ChannelsLiveServer:
        server = ChannelsLiveServer(
            settings_dict=dict(connection.settings_dict), env={"REDIS_URL": redis_url, **env}
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.postgres)
            if "daphne" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.real_clock)  # the servers run on the real time
