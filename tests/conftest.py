"""Shared fixtures: the controllable clock, a court with staff of every role, helpers."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from django.db import connection

from core import clock

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _no_ratelimit(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs ~0.3 s per user; tests hash with MD5 (the live test server accepts it)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def frozen_now():
    """Freeze the clock at a fixed working-day morning (2026-11-02 09:00 CST, a Monday)."""
    when = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    clock.set_time(when)
    return clock.now()


def make_court(code: str | None = None, **kw):
    from core.models import Court

    n = next(_counter)
    code = code or f"测{n:04d}"
    return Court.objects.create(
        name=kw.pop("name", f"测试法院{n}"),
        code=code,
        division_code=kw.pop("division_code", "360102"),
        master_account_no=kw.pop("master_account_no", f"36010200000{n:05d}"),
        master_account_bank="测试银行",
        master_account_name=f"测试法院{n}执行款专户",
        **kw,
    )


def make_user(role: str, court=None, username: str | None = None, **kw):
    from core.models import User

    n = next(_counter)
    user = User.objects.create(
        username=username or f"{role}{n}",
        role=role,
        court=court,
        display_name=kw.pop("display_name", f"{role}-{n}"),
        phone=kw.pop("phone", "13900000000"),
        **kw,
    )
    user.set_password("pw-for-tests-2026")
    user.save()
    return user


@pytest.fixture
def court(db):
    return make_court()


@pytest.fixture
def other_court(db):
    return make_court()


@pytest.fixture
def judge(court):
    return make_user("judge", court)


@pytest.fixture
def officer(court):
    return make_user("officer", court)


@pytest.fixture
def bureau_head(court):
    return make_user("bureau_head", court)


@pytest.fixture
def finance(court):
    return make_user("finance", court)


@pytest.fixture
def bidder(db):
    return make_user("bidder")


@pytest.fixture
def party_user(db):
    return make_user("party")


@pytest.fixture
def appraiser_user(db):
    return make_user("appraiser")


@pytest.fixture
def platform_operator(db):
    """The platform operator (平台运营人员): a superuser of the Django admin."""
    return make_user("operator", is_staff=True, is_superuser=True)


PASSWORD = "pw-for-tests-2026"  # every make_user() person's password


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks / triggers); set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _close_pools_before_db_teardown(request, django_db_setup, django_db_blocker):
    """Close thread-held and pooled connections before pytest-django drops the test database.

    Depends on ``django_db_setup`` so it is torn down first. Live-layer tests hand bids to a
    small thread pool whose connections would otherwise keep the PostgreSQL test DB busy.
    """
    yield
    import gc

    from django.db import connections

    try:
        from bidding import consumers

        for executor in list(getattr(consumers, "_bid_executors", {}).values()):
            for _ in range(getattr(executor, "_max_workers", 1)):
                executor.submit(connections.close_all)
            executor.shutdown(wait=True)
        getattr(consumers, "_bid_executors", {}).clear()
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
