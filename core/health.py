"""Health checks and process heartbeats for the production layout (issue 18, docs/deployment.md).

``/health/`` (``core:health``) is what HAProxy asks every web process: the database and the
cache (Redis when ``REDIS_URL`` is set) through django-health-check, plus a ping of the
channel layer's Redis. It answers 200 when all pass, 503 otherwise (django-health-check's 500, made 503:
the service is unavailable, nothing crashed), so HAProxy takes a web
process whose database or Redis is gone out of the rotation.

``/health/processes/`` (``core:health_processes``) reports the processes without an HTTP port
of their own: the worker and the auction clocks write a heartbeat to the cache on every tick
(``heartbeat``); the check fails when no process of a kind has beaten within
``HEARTBEAT_STALE_SECONDS``. It is kept off HAProxy's check so a dead clock does not take the
web processes out of the rotation; monitoring asks it.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

#: A process of a kind is alive when it beat within this many seconds (real time: liveness
#: of processes, not domain time, so not ``core.clock``).
HEARTBEAT_STALE_SECONDS = 15
HEARTBEAT_KINDS = ("worker", "clock")


def _key(kind: str) -> str:
    return f"gavel:heartbeat:{kind}"


def heartbeat(kind: str) -> None:
    """Record that this process (``kind`` ``worker`` or ``clock``) is alive now."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    beats: dict[str, float] = cache.get(_key(kind)) or {}
    now = time.time()
    beats = {k: v for k, v in beats.items() if now - v < HEARTBEAT_STALE_SECONDS * 4}
    beats[me] = now
    cache.set(_key(kind), beats, timeout=HEARTBEAT_STALE_SECONDS * 8)


def alive(kind: str) -> list[str]:
    """The processes of ``kind`` that beat recently."""
    beats: dict[str, float] = cache.get(_key(kind)) or {}
    now = time.time()
    return sorted(k for k, v in beats.items() if now - v < HEARTBEAT_STALE_SECONDS)


@dataclasses.dataclass
class Heartbeats(HealthCheck):
    """At least one live process of ``kind``."""

    kind: str = "worker"

    def run(self) -> None:
        if not alive(self.kind):
            raise ServiceUnavailable(f"no {self.kind} beat in {HEARTBEAT_STALE_SECONDS} s")


def _checks() -> list[Any]:
    checks: list[Any] = ["health_check.checks.Database", "health_check.checks.Cache"]
    if settings.REDIS_URL:
        url = settings.REDIS_URL
        from redis.asyncio import Redis as RedisClient

        checks.append(
            (
                "health_check.contrib.redis.Redis",
                {"client_factory": lambda: RedisClient.from_url(url)},
            )
        )
    return checks


class _Health(HealthCheckView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


class WebHealthView(_Health):
    """The web process's own health: database, cache, Redis."""

    def get_checks(self) -> Any:
        self.checks = _checks()
        return super().get_checks()


class ProcessesHealthView(_Health):
    """The worker's and the clocks' heartbeats."""

    def get_checks(self) -> Any:
        self.checks = [(Heartbeats, {"kind": kind}) for kind in HEARTBEAT_KINDS]
        return super().get_checks()
