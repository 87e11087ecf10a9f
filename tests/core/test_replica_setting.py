"""The replica setting (issue 18, core/replica.py): without ``GAVEL_REPLICA_DATABASE_URL``
there is no ``replica`` alias and no router (every read stays on ``DATABASE_URL``); with it,
settings add the alias as a test mirror of ``default`` and the router. Settings are read at
import, so each case imports them in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import router

from bidding.models import Auction
from core import replica

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
    "'replica': s.DATABASES.get('replica', {})}, default=str))"
)


def _settings_with(**env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GAVEL_REPLICA")}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50, **env})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_without_the_setting_there_is_no_replica_and_reads_stay_on_default() -> None:
    got = _settings_with()
    assert got["aliases"] == ["default"]
    assert got["routers"] == []
    # This test run has no replica either: a public read is a read of the default database.
    assert not replica.configured()
    with replica.public_reads() as on_replica:
        assert on_replica is False
        assert router.db_for_read(Auction) == "default"


@pytest.mark.parametrize("url", ["postgres://reader@10.0.0.2:5432/gavel?pool_max=20"])
def test_the_setting_adds_a_replica_alias_mirroring_default_and_the_router(url: str) -> None:
    got = _settings_with(GAVEL_REPLICA_DATABASE_URL=url)
    assert got["aliases"] == ["default", "replica"]
    assert got["routers"] == ["core.replica.ReplicaRouter"]
    assert got["replica"]["HOST"] == "10.0.0.2"
    assert got["replica"]["USER"] == "reader"
    assert got["replica"]["TEST"]["MIRROR"] == "default"
