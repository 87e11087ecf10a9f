"""Shared fixtures: the controllable clock, a court with staff of every role, helpers, and what
keeps parallel workers (pytest-xdist) apart."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from core import clock
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from pytest_django import DjangoDbBlocker, Settings

    from core.models import Court, User

__all__ = ["PASSWORD", "is_postgres", "make_court", "make_user"]


# --- parallel workers ---------------------------------------------------------------------


def worker_index() -> int:
    """0 for ``gw0`` (and without xdist), 1 for ``gw1``, …"""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else 0


def worker_redis_url(url: str, index: int) -> str:
    """The Redis URL of worker ``index``: the same server, database number ``base + index``."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + index}"))


def _replace_strings(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _replace_strings(item, old, new)
    elif isinstance(value, list):
        value[:] = [_replace_strings(item, old, new) for item in value]
    return value


def pytest_configure(config: pytest.Config) -> None:
    """The test databases skip durable writes and the flush after transactional tests is made
    cheap (``tests/dbsetup.py``).

    Each xdist worker has its own test database (pytest-django adds ``_gw<n>``) and gets
    its own Redis database here: auction ids repeat across the workers' databases, so one
    shared Redis would mix their channel-layer groups, cache keys and live watcher counts.
    ``os.environ`` carries it to the daphne processes the tests start."""
    from django.conf import settings

    from tests.dbsetup import install_fast_flush, skip_durable_writes

    install_fast_flush()
    skip_durable_writes()
    url = getattr(settings, "REDIS_URL", "")
    index = worker_index()
    if not url or index == 0:
        return
    mine = worker_redis_url(url, index)
    os.environ["REDIS_URL"] = mine
    settings.REDIS_URL = mine
    _replace_strings(settings.CHANNEL_LAYERS, url, mine)
    _replace_strings(settings.CACHES, url, mine)


# --- every test -----------------------------------------------------------------------------


# The moment every test starts at: a working-day morning (Monday 2026-11-02 09:00 CST).
TEST_NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


class RealClockRead(AssertionError):
    """A test let domain code read the real time through ``core.clock``."""


class _GuardedTimezone:
    """Stands in for ``django.utils.timezone`` inside ``core.clock`` during a test: the clock
    may format and convert, but reading the real time fails the test (``real_clock`` marks
    the tests that mean to, the browser tests among them)."""

    def __getattr__(self, name: str) -> Any:
        from django.utils import timezone

        return getattr(timezone, name)

    def now(self) -> dt.datetime:
        raise RealClockRead(
            "core.clock read the real time in a test: tests start frozen at TEST_NOW; move "
            "time with clock.set_time/advance, or mark the test @pytest.mark.real_clock"
        )


@pytest.fixture(autouse=True)
def _frozen_clock(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test starts with ``core.clock`` frozen at ``TEST_NOW`` and may not read the real
    time, unless marked ``real_clock`` (then it starts on the real, running clock)."""
    clock.reset()
    if request.node.get_closest_marker("real_clock") is None:
        clock.set_time(TEST_NOW)
        monkeypatch.setattr(clock, "timezone", _GuardedTimezone())
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Every test starts and ends in the site's language (Chinese): a request with the English
    cookie activates English in the thread (``ChosenLanguageMiddleware``), and without this the
    next test on that thread would read English messages (issue 17's English runs)."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_frozen_heap() -> Iterator[None]:
    """A test that runs a process's start in this one (``run_clock``'s warm-up) freezes the
    heap out of the garbage collector (core.warmup.settle); the next test starts unfrozen."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(autouse=True)
def _no_ratelimit(settings: Settings) -> None:
    settings.RATELIMIT_ENABLE = False


@pytest.fixture(autouse=True)
def _no_receipt_grace(settings: Settings) -> None:
    """AUC-24: the close waits ``GAVEL_BID_RECEIPT_GRACE_MS`` after the end for bids received
    before it; with the frozen clock tests close at the end itself, so the grace is 0 unless a
    test of the receipt time (tests/bidding/test_rules_receipt_time_auc24.py) sets it."""
    settings.GAVEL_BID_RECEIPT_GRACE_MS = 0


@pytest.fixture(autouse=True)
def _no_facet_budget(settings: Settings) -> None:
    """The listing counts' time budget (``GAVEL_FACET_BUDGET_MS``) is off: a loaded test
    machine must not drop the counts a test asserts; the budget's own test sets it."""
    settings.GAVEL_FACET_BUDGET_MS = 0


@pytest.fixture(autouse=True)
def _own_media_and_anchors(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files and audit anchor files of a test stay in its own folders, never in the
    worktree's var/ (a demo's anchors there would not match the test database)."""
    base = tmp_path_factory.mktemp("gavel")
    settings.GAVEL_AUDIT_ANCHOR_DIR = base / "audit-anchors"
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(base / "media")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Settings) -> None:
    """PBKDF2 costs ~0.3 s per user; tests hash with MD5 (the live test server accepts it)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


def documents_paths(settings: Settings, base: Path) -> None:
    """Point core.documents' CA, CRL and court keys at ``base`` (issue 16)."""
    settings.GAVEL_DOCUMENTS_CA_CERT = str(base / "ca.cert.pem")
    settings.GAVEL_DOCUMENTS_CA_KEY = str(base / "ca.key.pem")
    settings.GAVEL_DOCUMENTS_CRL = str(base / "ca.crl.pem")
    settings.GAVEL_DOCUMENTS_KEY_DIR = str(base / "courts")


@pytest.fixture(autouse=True)
def _no_documents_ca(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test writes the demo CA under var/: without ``documents_ca`` there is none."""
    documents_paths(settings, tmp_path_factory.getbasetemp() / "no-documents-ca")


@pytest.fixture
def documents_ca(settings: Settings, tmp_path: Path) -> Path:
    """A CA of the test's own (temp dir) that certifies the courts' seals (issue 16)."""
    from core.documents.seal import ca_create

    documents_paths(settings, tmp_path / "documents")
    return ca_create()


@pytest.fixture
def frozen_now() -> dt.datetime:
    """Freeze the clock at ``TEST_NOW`` (2026-11-02 09:00 CST, a Monday) and return it."""
    clock.set_time(TEST_NOW)
    return clock.now()


# --- people and courts (tests/factories.py builds them) -------------------------------------


def make_court(code: str | None = None, **kw: Any) -> Court:
    """A court (``CourtFactory``); ``code`` and any other field may be given."""
    from tests.factories import CourtFactory

    if code is not None:
        kw["code"] = code
    return CourtFactory.create(**kw)


def make_user(
    role: str, court: Court | None = None, username: str | None = None, **kw: Any
) -> User:
    """A person of ``role`` (``UserFactory``) whose password is ``PASSWORD``."""
    from tests.factories import UserFactory

    if username is not None:
        kw["username"] = username
    return UserFactory.create(role=role, court=court, **kw)


@pytest.fixture
def court(db: None) -> Court:
    return make_court()


@pytest.fixture
def other_court(db: None) -> Court:
    return make_court()


@pytest.fixture
def judge(court: Court) -> User:
    return make_user("judge", court)


@pytest.fixture
def officer(court: Court) -> User:
    return make_user("officer", court)


@pytest.fixture
def bureau_head(court: Court) -> User:
    return make_user("bureau_head", court)


@pytest.fixture
def finance(court: Court) -> User:
    return make_user("finance", court)


@pytest.fixture
def bidder(db: None) -> User:
    return make_user("bidder")


@pytest.fixture
def party_user(db: None) -> User:
    return make_user("party")


@pytest.fixture
def appraiser_user(db: None) -> User:
    return make_user("appraiser")


@pytest.fixture
def platform_operator(db: None) -> User:
    """The platform operator (平台运营人员): a superuser of the Django admin."""
    return make_user("operator", is_staff=True, is_superuser=True)


# --- databases --------------------------------------------------------------------------------


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _check_rule_marks(items: list[pytest.Item]) -> None:
    """`@pytest.mark.rule("AUC-16", entry="api")` is read by core/rulesdoc.py from the source;
    a mark written otherwise would count for nothing, so it stops the run here."""
    from core.rulesdoc import ENTRIES, RULE_ID

    for item in items:
        for mark in item.iter_markers("rule"):
            rule = mark.args[0] if len(mark.args) == 1 else None
            if (
                not isinstance(rule, str)
                or not RULE_ID.fullmatch(rule)
                or set(mark.kwargs) != {"entry"}
                or mark.kwargs["entry"] not in ENTRIES
            ):
                raise pytest.UsageError(
                    f'{item.nodeid}: write the mark as @pytest.mark.rule("AUC-16", '
                    f'entry="api") with entry one of {", ".join(ENTRIES)}'
                )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the PostgreSQL-only tests on SQLite. Under xdist, the browser tests come first:
    xdist deals the first tests out one by one, so each worker runs its share of them in one
    stretch (one daphne and one Chromium per worker, started once), and the long tests are not
    left for the end while the other worker idles."""
    _check_rule_marks(items)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("browser") is None)
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks / triggers); set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: DjangoDbBlocker,
    django_db_use_migrations: bool,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's test databases; under xdist, migrated once and cloned per worker
    (``tests/dbsetup.py``) unless ``--reuse-db``, ``--create-db`` or ``--nomigrations``."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    verbosity = request.config.option.verbose
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and django_db_use_migrations and not (django_db_keepdb or django_db_createdb):
        from tests.dbsetup import worker_database

        with django_db_blocker.unblock():
            databases = worker_database(worker, verbosity)
            databases.__enter__()
        yield
        with django_db_blocker.unblock():
            databases.__exit__(None, None, None)
        return
    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases=cast("Any", aliases),  # django-stubs types it as a mapping
            serialized_aliases=serialized_aliases,
            keepdb=django_db_keepdb and not django_db_createdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=verbosity)


@pytest.fixture(scope="session", autouse=True)
def _close_pools_before_db_teardown(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[None]:
    """Close thread-held and pooled connections before pytest-django drops the test database.

    Depends on ``django_db_setup`` so it is torn down first. Live-layer tests hand bids to a
    small thread pool whose connections would otherwise keep the PostgreSQL test DB busy.
    """
    yield
    import gc

    from django.db import connections

    try:
        from bidding import consumers

        executors: dict[Any, Any] = getattr(consumers, "_bid_executors", {})
        for executor in list(executors.values()):
            for _ in range(getattr(executor, "_max_workers", 1)):
                executor.submit(connections.close_all)
            executor.shutdown(wait=True)
        executors.clear()
    except ImportError:
        pass
    gc.collect()
    with django_db_blocker.unblock():
        for conn in connections.all(initialized_only=True):
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                with contextlib.suppress(Exception):
                    close_pool()
            conn.close()
