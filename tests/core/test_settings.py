"""Settings come from the environment: DEBUG off unless said, the demo's key only with DEBUG on,
DATABASE_URL parsed by django-environ into the pooled PostgreSQL or SQLite configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config.settings import BASE_DIR, database_from_url

# Every variable config/settings.py reads, cleared for the child processes below.
_READ = (
    "DEBUG",
    "SECRET_KEY",
    "PYTEST_VERSION",
    "GAVEL_STAFF_2FA_REQUIRED",
    "GAVEL_SERVE_STATIC",
    "ALLOWED_HOSTS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "GAVEL_SIMULATOR_ENABLED",
    "GAVEL_PAYMENT_GATEWAY",
    "GAVEL_AUDIT_KEY",
    "GAVEL_AUDIT_KEY_ID",
    "GAVEL_AUDIT_RETIRED_KEYS",
    "DATABASE_MIGRATE_URL",
)
# A production-like environment: DEBUG off, a real key (50+ characters), a host name.
_PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "pX7-k2Qv9Lr4Zt8Wn1Bc6Hy3Jd0Fs5Gm-Ua2Ee7Ri4To9Yp1Sl6",
    "ALLOWED_HOSTS": "gavel.court.example",
}
_HTTPS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "GAVEL_SIMULATOR_ENABLED",
    "GAVEL_PAYMENT_GATEWAY",
)


def _settings_in_child(**environ: str) -> dict[str, Any]:
    """Import config.settings in a fresh interpreter with exactly this Gavel environment."""
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    env.update(environ)
    code = (
        "import json, config.settings as s; print(json.dumps({'debug': s.DEBUG, "
        "'key': s.SECRET_KEY, '2fa': s.GAVEL_STAFF_2FA_REQUIRED, "
        "'static': s.GAVEL_SERVE_STATIC}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_with_no_environment_debug_is_off_and_there_is_no_key() -> None:
    got = _settings_in_child()
    assert got == {"debug": False, "key": "", "2fa": True, "static": False}


def test_debug_on_gives_the_demo_key_no_second_factor_and_static_files() -> None:
    got = _settings_in_child(DEBUG="true")
    assert got["debug"] is True and got["2fa"] is False and got["static"] is True
    assert got["key"].startswith("gavel-demo-")


def test_a_pytest_session_runs_with_the_demo_defaults() -> None:
    got = _settings_in_child(PYTEST_VERSION="9.0")
    assert got["debug"] is True and got["key"].startswith("gavel-demo-")


def test_the_demo_key_is_refused_with_debug_off() -> None:
    got = _settings_in_child(SECRET_KEY="gavel-demo-insecure-key-change-me-in-production")
    assert "set SECRET_KEY" in got["error"]


def test_a_key_that_starts_with_a_dollar_is_written_escaped() -> None:
    got = _settings_in_child(SECRET_KEY="\\$real-key")
    assert got["key"] == "$real-key" and got["debug"] is False


def test_manage_py_demo_turns_debug_on_before_the_settings_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import django.core.management

    import manage

    seen: list[str | None] = []
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["manage.py", "demo"])
    monkeypatch.setattr(
        django.core.management,
        "execute_from_command_line",
        lambda argv: seen.append(os.environ.get("DEBUG")),
    )
    manage.main()
    assert seen == ["true"]
    monkeypatch.delenv("DEBUG")
    monkeypatch.setattr(sys, "argv", ["manage.py", "migrate"])
    manage.main()
    assert seen == ["true", None]


def test_postgres_url_gives_the_pool_sized_by_pool_max() -> None:
    db = database_from_url("postgres://u:p%40ss@db.example:6543/gv?pool_max=20&sslmode=require")
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "gv",
        "USER": "u",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
        "PORT": "6543",
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "pool": {"min_size": 1, "max_size": 20, "timeout": 10},
            "options": "-c jit=off",
            "sslmode": "require",
        },
    }


def test_postgres_url_defaults() -> None:
    db = database_from_url("postgresql://127.0.0.1/")
    assert db["NAME"] == "gavel" and db["PORT"] == ""
    assert db["OPTIONS"] == {
        "pool": {"min_size": 1, "max_size": 10, "timeout": 10},
        "options": "-c jit=off",  # short web statements: no JIT compile (docs/performance.md)
    }
    own = database_from_url("postgresql://127.0.0.1/?options=-c%20work_mem%3D64MB")
    assert own["OPTIONS"]["options"] == "-c work_mem=64MB"  # the URL's own options win


def test_sqlite_url_keeps_its_test_database_beside_it() -> None:
    assert database_from_url("sqlite:////tmp/x.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/tmp/x.sqlite3",
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        "TEST": {"NAME": "/tmp/x.sqlite3.test"},
    }
    bare = database_from_url("sqlite://")
    assert bare["NAME"] == str(BASE_DIR / "var" / "gavel.sqlite3") and bare["TEST"] == {
        "NAME": None
    }


def test_no_url_is_the_sqlite_file_with_a_per_process_test_database() -> None:
    db = database_from_url("")
    assert db["NAME"] == os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "gavel.sqlite3"))
    assert db["OPTIONS"] == {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    assert Path(db["TEST"]["NAME"]).name == f"test-{os.getpid()}.sqlite3"


def test_other_databases_are_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://u@h/db")


def test_starting_the_site_imports_neither_pandas_nor_scikit_learn() -> None:
    """Loading the URLconf and the ASGI app stays light: the statistics and the valuation
    models import pandas and scikit-learn when they compute (3.9 s of a 9.3 s start)."""
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    code = (
        "import django, sys; django.setup(); import config.urls, config.asgi; "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_the_web_process_refuses_to_start_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    out = subprocess.run(
        [sys.executable, "-c", "import config.asgi"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in out.stderr


def _values_in_child(names: tuple[str, ...], **environ: str) -> dict[str, Any]:
    """These settings, read by a fresh interpreter with exactly this Gavel environment."""
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    env.update(environ)
    code = f"import json, config.settings as s; print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_debug_off_means_https_only_and_no_bank_simulator() -> None:
    assert _values_in_child(_HTTPS, **_PRODUCTION) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "GAVEL_SIMULATOR_ENABLED": False,
        "GAVEL_PAYMENT_GATEWAY": "adyen",
    }


def test_debug_on_keeps_plain_http_and_the_simulator() -> None:
    got = _values_in_child(_HTTPS, DEBUG="true")
    assert got["SESSION_COOKIE_SECURE"] is False and got["CSRF_COOKIE_SECURE"] is False
    assert got["SECURE_SSL_REDIRECT"] is False and got["SECURE_HSTS_SECONDS"] == 0
    assert got["GAVEL_SIMULATOR_ENABLED"] is True and got["GAVEL_PAYMENT_GATEWAY"] == "simulator"


def test_each_https_default_is_overridable_and_the_proxy_header_configurable() -> None:
    got = _values_in_child(
        _HTTPS,
        **_PRODUCTION,
        SECURE_COOKIES="false",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    assert got["SESSION_COOKIE_SECURE"] is False and got["CSRF_COOKIE_SECURE"] is False
    assert got["SECURE_SSL_REDIRECT"] is False and got["SECURE_HSTS_SECONDS"] == 0
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    bad = _values_in_child(_HTTPS, **_PRODUCTION, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    assert "SECURE_PROXY_SSL_HEADER" in bad["error"]


def test_a_production_config_that_selects_the_simulator_refuses_to_start() -> None:
    got = _values_in_child(_HTTPS, **_PRODUCTION, GAVEL_PAYMENT_GATEWAY="simulator")
    assert got["error"].startswith("django.core.exceptions.ImproperlyConfigured")
    assert "GAVEL_PAYMENT_GATEWAY=simulator needs GAVEL_SIMULATOR_ENABLED" in got["error"]


def test_the_deploy_check_passes_in_production() -> None:
    """``check --deploy`` at WARNING: the one warning silenced is security.W021 (no HSTS
    preload), deliberately off by default (config/settings.py, SECURE_HSTS_PRELOAD)."""
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**env, **_PRODUCTION},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "System check identified no issues (1 silenced)." in out.stdout


def test_the_web_process_refuses_to_start_without_an_audit_key() -> None:
    """Issue 15: the audit chain's key comes from outside the database; with DEBUG off and
    no key (or a short one) the web process does not start, and the demo's key is refused."""
    env = {k: v for k, v in os.environ.items() if k not in _READ}
    env.update(_PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings")
    for extra, message in (
        ({}, "set GAVEL_AUDIT_KEY"),
        ({"GAVEL_AUDIT_KEY": "too-short"}, "set GAVEL_AUDIT_KEY"),
        (
            {"GAVEL_AUDIT_KEY": "gavel-demo-audit-key-public-never-use-in-production"},
            "the demo's audit key is public",
        ),
    ):
        out = subprocess.run(
            [sys.executable, "-c", "import config.asgi"],
            cwd=BASE_DIR,
            env={**env, **extra},
            capture_output=True,
            text=True,
        )
        assert out.returncode != 0 and message in out.stderr, (extra, out.stderr[-300:])
    ok = subprocess.run(
        [sys.executable, "-c", "import config.asgi"],
        cwd=BASE_DIR,
        env={**env, "GAVEL_AUDIT_KEY": "k" * 40, "GAVEL_AUDIT_KEY_ID": "2026"},
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr[-300:]
