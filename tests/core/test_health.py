"""The health pages of the production layout (issue 18, docs/deployment.md)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.health import alive, heartbeat

pytestmark = pytest.mark.django_db


def test_web_health_checks_the_database_and_the_cache(client, settings):
    response = client.get(reverse("core:health"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    names = " ".join(response.json())
    assert "Database" in names and "Cache" in names
    if settings.REDIS_URL:
        assert "Redis" in names


def test_web_health_is_503_when_the_cache_fails(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get(reverse("core:health"), HTTP_ACCEPT="application/json")
    assert response.status_code == 503


def test_processes_health_needs_a_worker_and_a_clock_beat(client):
    cache.delete_many(["gavel:heartbeat:worker", "gavel:heartbeat:clock"])
    url = reverse("core:health_processes")
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 503
    heartbeat("worker")
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 503  # no clock yet
    heartbeat("clock")
    assert alive("clock")
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200
