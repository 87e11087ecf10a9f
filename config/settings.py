"""Gavel settings: every knob is declared here, read from the environment with django-environ.

No environment: SQLite, the in-memory channel layer and ``DEBUG`` off. ``manage.py demo`` and
the test run turn ``DEBUG`` on (see ``DEBUG`` below). With ``DATABASE_URL`` / ``REDIS_URL``:
PostgreSQL with pooled connections and the Redis channel layer. docs/configuration.md lists
every knob with its environment variable, default and meaning; code reads ``settings.X``,
never ``getattr(settings, "X", default)``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# django-environ reads a value that starts with "$" as the name of another variable; a value
# that really starts with "$" (a generated secret key can) is written "\$…".
env.escape_proxy = True


# SQLite (the demo, the tests without DATABASE_URL): a write waits up to 20 s for another
# connection's; and every transaction takes the write lock at BEGIN. A transaction that reads
# first and writes later (sign-up, a bid password, a deposit) otherwise fails at once with
# "database is locked" whenever another connection (a second browser window, the demo's
# clock or worker) began writing in between: SQLite cannot upgrade its read lock then and
# does not wait.
SQLITE_OPTIONS: dict[str, Any] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}


def database_from_url(url: str) -> dict[str, Any]:
    """``DATABASES["default"]`` from ``DATABASE_URL`` (parsed by django-environ).

    ``postgres://user:pass@host:port/name?pool_max=20&sslmode=require``: PostgreSQL through
    Django's psycopg pool (``pool_max``, default 10, sizes it; the other query parameters are
    connection options). ``sqlite:///path``: that SQLite file (its test database beside it).
    Empty: the SQLite file ``SQLITE_PATH`` (default ``var/gavel.sqlite3``), whose test database
    is a per-process file, not ``:memory:``, so the browser tests' server process can share it.
    """
    if not url:
        (BASE_DIR / "var").mkdir(exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "gavel.sqlite3")),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")},
        }
    parsed: dict[str, Any] = environ.Env.db_url_config(url)
    engine = parsed.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = "" if parsed["NAME"] == ":memory:" else str(parsed["NAME"])
        return {
            "ENGINE": engine,
            "NAME": name or str(BASE_DIR / "var" / "gavel.sqlite3"),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": name + ".test" if name else None},
        }
    if engine != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"unsupported DATABASE_URL scheme: {url.partition(':')[0]!r}")
    # PostgreSQL's JIT compiles a statement the planner costs high (over jit_above_cost) for
    # 35–45 ms before running it: on the listing table at 1,000,000 rows, a keyword's counts
    # paid that on every request (EXPLAIN ANALYZE, docs/performance.md). Web requests are
    # short statements, so it is off unless the URL's own ``options=`` says otherwise.
    options = {"options": "-c jit=off"}
    options.update({key: str(value) for key, value in parsed.get("OPTIONS", {}).items()})
    pool_max = int(options.pop("pool_max", "10"))
    return {
        "ENGINE": engine,
        "NAME": parsed["NAME"] or "gavel",
        "USER": parsed["USER"],
        "PASSWORD": parsed["PASSWORD"],
        "HOST": parsed["HOST"],
        "PORT": str(parsed["PORT"] or ""),
        "CONN_MAX_AGE": 0,  # the pool keeps the connections
        "OPTIONS": {"pool": {"min_size": 1, "max_size": pool_max, "timeout": 10}, **options},
    }


# --- the switch and the secret ------------------------------------------------------------

# Off unless the environment turns it on. The two places that do: ``manage.py demo`` sets
# DEBUG=true before loading these settings (manage.py), and a pytest session, which pytest
# marks with PYTEST_VERSION (pytest-django still runs each test with DEBUG off; the switch
# here only picks the demo's defaults below: its key, no second factor, static files served).
DEBUG: bool = env.bool("DEBUG", default="PYTEST_VERSION" in os.environ)
# The demo's public key signs only while DEBUG is on. With DEBUG off SECRET_KEY must come
# from the environment: Django refuses an empty key where it signs, the web process
# (config/asgi.py) at start, and the demo's key is refused here.
_DEMO_SECRET_KEY = "gavel-demo-insecure-key-change-me-in-production"
SECRET_KEY: str = env.str("SECRET_KEY", default=_DEMO_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY == _DEMO_SECRET_KEY:
    raise ImproperlyConfigured("set SECRET_KEY in the environment when DEBUG is off")
# The audit chain's key (core.audit, REC-06): HMAC-SHA256 over every entry and stream head,
# kept outside the database, so a database writer cannot forge or recompute the chain.
# GAVEL_AUDIT_KEY_ID is stored with each entry; after a rotation the old keys stay readable
# for verification in GAVEL_AUDIT_RETIRED_KEYS ("id=key,id=key"). The demo's key (public) is
# used only while DEBUG is on; with DEBUG off a key of 32+ characters must be set.
_DEMO_AUDIT_KEY = "gavel-demo-audit-key-public-never-use-in-production"
GAVEL_AUDIT_KEY: str = env.str("GAVEL_AUDIT_KEY", default=_DEMO_AUDIT_KEY if DEBUG else "")
GAVEL_AUDIT_KEY_ID: str = env.str(
    "GAVEL_AUDIT_KEY_ID", default="demo" if GAVEL_AUDIT_KEY == _DEMO_AUDIT_KEY else "k1"
)
GAVEL_AUDIT_RETIRED_KEYS: dict[str, str] = {
    k.strip(): v.strip()
    for k, _sep, v in (
        item.partition("=") for item in env.list("GAVEL_AUDIT_RETIRED_KEYS", default=[]) if item
    )
}
# Like SECRET_KEY: the web process and the worker refuse to start with DEBUG off and no key
# of 32+ characters (core.audit.require_key); the demo's key is refused here.
if not DEBUG and (GAVEL_AUDIT_KEY == _DEMO_AUDIT_KEY or GAVEL_AUDIT_KEY_ID == "demo"):
    raise ImproperlyConfigured("the demo's audit key is public: set GAVEL_AUDIT_KEY and _ID")
# Where the daily anchor of every stream head is written to be published (core.audit).
GAVEL_AUDIT_ANCHOR_DIR = Path(
    env.str("GAVEL_AUDIT_ANCHOR_DIR", default=str(BASE_DIR / "var" / "audit-anchors"))
)
GAVEL_AUDIT_ANCHOR_EVERY_HOURS: float = env.float("GAVEL_AUDIT_ANCHOR_EVERY_HOURS", default=24.0)
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", cast=str.strip, default=["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = [
    o for o in env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[]) if o
]

# Gavel, in layer order: each imports only the ones before it. The one list of the apps:
# core.apps.app_modules() finds their urls, api, routing and demo modules from it.
GAVEL_APPS = ["core", "cases", "settlement", "appraisers", "pricing", "bidding", "marketplace"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "health_check",  # /health/ (core.health, docs/deployment.md)
    "django_prometheus",  # metrics on GAVEL_METRICS_PORT (docs/deployment.md)
    *GAVEL_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.InputGuardMiddleware",
    "core.middleware.DomainErrorPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# --- metrics (issue 18, docs/deployment.md) -------------------------------------------------
# Each process (web, worker, clock) serves its Prometheus metrics (django-prometheus) on its
# own port, GAVEL_METRICS_PORT, bound to GAVEL_METRICS_ADDRESS (loopback by default: only the
# host's Prometheus scrapes it; it is never routed through HAProxy). Unset: no metrics server.
GAVEL_METRICS_PORT: int | None = env.int("GAVEL_METRICS_PORT", default=None)
GAVEL_METRICS_ADDRESS: str = env.str("GAVEL_METRICS_ADDRESS", default="127.0.0.1")
if GAVEL_METRICS_PORT:
    PROMETHEUS_METRICS_EXPORT_PORT = GAVEL_METRICS_PORT
    PROMETHEUS_METRICS_EXPORT_ADDRESS = GAVEL_METRICS_ADDRESS
    # request counts and latencies by view, only where metrics are served
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.gavel",
            ],
        },
    }
]

# --- database, channel layer, cache -------------------------------------------------------

DATABASE_URL: str = env.str("DATABASE_URL", default="").strip()
# Production runs as two PostgreSQL roles (docs/configuration.md "Database roles"): the
# application's (DATABASE_URL: SELECT/INSERT/UPDATE/DELETE, never TRUNCATE, ALTER or DROP,
# and only SELECT/INSERT on append-only tables) and the schema owner's, which only
# ``manage.py migrate`` (and ``db_roles``) use. Empty: migrations run as DATABASE_URL.
DATABASE_MIGRATE_URL: str = env.str("DATABASE_MIGRATE_URL", default="").strip()
_OWNER_COMMANDS = {"migrate", "db_roles", "createcachetable"}
GAVEL_DB_AS_OWNER: bool = bool(DATABASE_MIGRATE_URL) and (
    len(sys.argv) > 1 and sys.argv[1] in _OWNER_COMMANDS
)
DATABASES = {
    "default": database_from_url(DATABASE_MIGRATE_URL if GAVEL_DB_AS_OWNER else DATABASE_URL)
}
# Public reads (listings, search, results and their API) from a PostgreSQL streaming replica
# (core/replica.py, docs/deployment.md "Read replica"): a ``replica`` alias and its router.
# Empty: no alias, every read on DATABASE_URL. A replica more than GAVEL_REPLICA_MAX_LAG_SECONDS
# behind (checked at most every GAVEL_REPLICA_LAG_CHECK_SECONDS per process) or unreachable is
# skipped. In a test run the alias mirrors the test database (TEST MIRROR).
GAVEL_REPLICA_DATABASE_URL: str = env.str("GAVEL_REPLICA_DATABASE_URL", default="").strip()
GAVEL_REPLICA_MAX_LAG_SECONDS: float = env.float("GAVEL_REPLICA_MAX_LAG_SECONDS", default=5.0)
GAVEL_REPLICA_LAG_CHECK_SECONDS: float = env.float("GAVEL_REPLICA_LAG_CHECK_SECONDS", default=1.0)
DATABASE_ROUTERS: list[str] = []
# The listing page's counts per filter option (marketplace.listings.facet_counts): a time
# budget for their one statement on PostgreSQL (0: none); past it the page shows no counts.
GAVEL_FACET_BUDGET_MS: int = env.int("GAVEL_FACET_BUDGET_MS", default=300)
if GAVEL_REPLICA_DATABASE_URL and not GAVEL_DB_AS_OWNER:
    DATABASES["replica"] = {
        **database_from_url(GAVEL_REPLICA_DATABASE_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]

# Redis for the channel layer, the cache (rate limits) and the live watcher counts.
REDIS_URL: str = env.str("REDIS_URL", default="").strip()
if REDIS_URL:
    # redis-py >= 5 sets a socket timeout that kills idle consumers (channels_redis #422).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- people and sessions ------------------------------------------------------------------

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Verification only (never used to hash): the browser tests' server reads passwords the
    # test process hashed quickly. Never set in production.
    *env.list("GAVEL_EXTRA_PASSWORD_HASHERS", default=[]),
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# REC-14: level-3 protection basics.
SESSION_COOKIE_AGE: int = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# HTTPS, on by default with DEBUG off (`manage.py check --deploy` passes); the demo and the
# tests run over plain HTTP. Session and CSRF cookies only over HTTPS:
SESSION_COOKIE_SECURE: bool = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Redirect every plain-HTTP request to HTTPS.
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Strict-Transport-Security: seconds browsers remember to use HTTPS only (0: no header), for
# subdomains too; "preload" asks browsers to ship the host in their HSTS list (hard to undo,
# so off unless the court has submitted the domain to hstspreload.org).
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a TLS-terminating proxy: the header that proxy sets and the value meaning HTTPS,
# e.g. "HTTP_X_FORWARDED_PROTO,https" (empty: trust no header; request.is_secure() then
# sees plain HTTP and SECURE_SSL_REDIRECT would loop). Set it only if the proxy always
# sets or strips that header.
_proxy_ssl_header: list[str] = env.list("SECURE_PROXY_SSL_HEADER", cast=str.strip, default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if _proxy_ssl_header else None
)
# security.W021 (no HSTS preload) is silenced while preload is off: a deliberate choice above.
SILENCED_SYSTEM_CHECKS: list[str] = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.5  # hours
# One list inside the list: a lockout is for this username *from this IP* together, so five
# bad passwords on one account never lock another account behind the same IP (REC-14).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Staff (judges, officers, finance) must pass TOTP; off only for the local demo and tests.
GAVEL_STAFF_2FA_REQUIRED: bool = env.bool("GAVEL_STAFF_2FA_REQUIRED", default=not DEBUG)
# Sign-up (docs/core.md "Sign-up"): a one-time code to a mobile number or e-mail address.
# Minutes a code stays valid; wrong codes before it is spent; requests per address and per
# IP address within an hour; seconds before the same address may ask again.
GAVEL_SIGNUP_CODE_MINUTES: int = env.int("GAVEL_SIGNUP_CODE_MINUTES", default=10)
GAVEL_SIGNUP_CODE_ATTEMPTS: int = env.int("GAVEL_SIGNUP_CODE_ATTEMPTS", default=5)
GAVEL_SIGNUP_CODES_PER_ADDRESS_HOUR: int = env.int("GAVEL_SIGNUP_CODES_PER_ADDRESS_HOUR", default=5)
GAVEL_SIGNUP_CODES_PER_IP_HOUR: int = env.int("GAVEL_SIGNUP_CODES_PER_IP_HOUR", default=20)
GAVEL_SIGNUP_RESEND_SECONDS: int = env.int("GAVEL_SIGNUP_RESEND_SECONDS", default=60)
# Show the demo's SMS/e-mail on the sign-up page (the demo sends nothing out); never in
# production: on only with the bank simulator (demo and tests).
GAVEL_SIGNUP_SHOW_DEMO_MESSAGES: bool = env.bool("GAVEL_SIGNUP_SHOW_DEMO_MESSAGES", default=DEBUG)
# Hours an enrolment link (new staff: password and second factor) stays valid; wrong
# authenticator codes before the link is spent.
GAVEL_ENROLMENT_LINK_HOURS: int = env.int("GAVEL_ENROLMENT_LINK_HOURS", default=72)
GAVEL_ENROLMENT_ATTEMPTS: int = env.int("GAVEL_ENROLMENT_ATTEMPTS", default=5)
# Per-user limit on writes (django-ratelimit rate, e.g. "120/m"); the tests switch it off.
RATELIMIT_ENABLE: bool = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_WRITE: str = env.str("RATELIMIT_WRITE", default="120/m")
# 拍品咨询 (issue 17): questions one person may post in a window (on top of the services'
# own limits: 3 unanswered per lot, 10 a day).
GAVEL_QUESTION_RATE: str = env.str("GAVEL_QUESTION_RATE", default="5/10m")
# Public statistics (issue 17): seconds each answer stays cached per period (0: no cache).
GAVEL_PUBLIC_STATS_CACHE_SECONDS: int = env.int("GAVEL_PUBLIC_STATS_CACHE_SECONDS", default=600)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# The ASGI app serves static files itself in the demo and browser tests; production uses
# collectstatic behind a proxy (config/asgi.py).
GAVEL_SERVE_STATIC: bool = env.bool("GAVEL_SERVE_STATIC", default=DEBUG)
# Uploaded files are never public: MEDIA_URL is the guarded route (core.files.serve), which
# checks who may read a file and hands it to django-sendfile2. Production: the nginx backend
# (X-Accel-Redirect to SENDFILE_URL, an ``internal`` nginx location aliased to MEDIA_ROOT);
# the demo and tests: the simple backend (the application streams the file). docs/core.md.
MEDIA_URL = "/files/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
SENDFILE_ROOT = str(MEDIA_ROOT)
SENDFILE_BACKEND: str = env.str(
    "SENDFILE_BACKEND",
    default="django_sendfile.backends.simple" if DEBUG else "django_sendfile.backends.nginx",
)
SENDFILE_URL: str = env.str("SENDFILE_URL", default="/protected-media")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest multipart (file upload) request, in bytes; larger is 413 before it is read
# (core.middleware.InputGuardMiddleware). Forms and JSON stop at DATA_UPLOAD_MAX_MEMORY_SIZE.
# Default: a 200 MB asset video (cases) and its form.
# Practice auctions (bidding.services.practice) one person may have not yet ended at once.
GAVEL_PRACTICE_MAX_ACTIVE: int = env.int("GAVEL_PRACTICE_MAX_ACTIVE", default=3)
GAVEL_MAX_UPLOAD_BYTES: int = env.int("GAVEL_MAX_UPLOAD_BYTES", default=210 * 1024 * 1024)

# --- time ---------------------------------------------------------------------------------

# A file where a browser test writes the frozen time or offset for its server process
# (core.clock, tests/browser/conftest.py). Empty in production: the server's own clock.
GAVEL_CLOCK_FILE: str = env.str("GAVEL_CLOCK_FILE", default="")

# --- court documents (issue 16, core.documents) ---------------------------------------------

# The platform CA that certifies each court's seal (PEM), its key (only where court
# certificates are issued: with it, a court without a certificate gets one on first use),
# the revocation list it signs, and the directory of the courts' keys and certificates.
# ``manage.py documents_ca init`` makes a demo/test CA at these paths.
_DOCS = BASE_DIR / "var" / "documents"
GAVEL_DOCUMENTS_CA_CERT: str = env.str(
    "GAVEL_DOCUMENTS_CA_CERT", default=str(_DOCS / "ca.cert.pem")
)
GAVEL_DOCUMENTS_CA_KEY: str = env.str("GAVEL_DOCUMENTS_CA_KEY", default=str(_DOCS / "ca.key.pem"))
GAVEL_DOCUMENTS_CRL: str = env.str("GAVEL_DOCUMENTS_CRL", default=str(_DOCS / "ca.crl.pem"))
GAVEL_DOCUMENTS_KEY_DIR: str = env.str("GAVEL_DOCUMENTS_KEY_DIR", default=str(_DOCS / "courts"))
# The address printed in a document's QR code when GAVEL_SITE_URL is empty.
GAVEL_DOCUMENTS_SITE_FALLBACK: str = env.str(
    "GAVEL_DOCUMENTS_SITE_FALLBACK", default="http://127.0.0.1:8000"
).rstrip("/")

# --- messages -----------------------------------------------------------------------------

# Outside adapters (see docs/): console implementations by default.
GAVEL_SMS_BACKEND: str = env.str(
    "GAVEL_SMS_BACKEND", default="core.notifications.channels.ConsoleSMS"
)
GAVEL_EMAIL_BACKEND: str = env.str(
    "GAVEL_EMAIL_BACKEND", default="core.notifications.channels.ConsoleEmail"
)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Absolute base for links in SMS and e-mail (unsubscribe, auction pages), e.g.
# https://gavel.court.example; empty: relative links (the demo fills in its own address).
GAVEL_SITE_URL: str = env.str("GAVEL_SITE_URL", default="").rstrip("/")
# REC-05: messages on these topics (prefixes) tell who bids in which auction. The admin's
# outbox and inbox pages never show their recipient or text, for any auction, open or closed
# (a message's time set against the public bid history would tie a person to a bidder code).
GAVEL_CONFIDENTIAL_TOPICS = (
    "auction.",
    "bidding.",
    "marketplace.",
    "settlement.deposit",
    "account.",  # sign-up codes and enrolment links: secrets in the text
)

# --- identity (cases) ---------------------------------------------------------------------

# Dotted path of the IdentityVerifier that checks a real name against its number (cases/
# verifier.py); the simulator accepts every well-formed number not scripted to fail.
GAVEL_IDENTITY_VERIFIER: str = env.str(
    "GAVEL_IDENTITY_VERIFIER", default="cases.verifier.SimulatorVerifier"
)

# --- payments (settlement) ----------------------------------------------------------------

# The local bank simulator (its cashier page, statement and gateway) exists only in the demo
# and the tests: off with DEBUG off, where its pages answer 404 and it cannot be the gateway.
GAVEL_SIMULATOR_ENABLED: bool = env.bool("GAVEL_SIMULATOR_ENABLED", default=DEBUG)
# "simulator" (the local bank simulator; the default while it is enabled) or "adyen"
# (docs/settlement.md; the default otherwise). Production cannot select the simulator.
GAVEL_PAYMENT_GATEWAY: str = env.str(
    "GAVEL_PAYMENT_GATEWAY", default="simulator" if GAVEL_SIMULATOR_ENABLED else "adyen"
)
if GAVEL_PAYMENT_GATEWAY == "simulator" and not GAVEL_SIMULATOR_ENABLED:
    raise ImproperlyConfigured(
        "GAVEL_PAYMENT_GATEWAY=simulator needs GAVEL_SIMULATOR_ENABLED (on only with DEBUG: the"
        " bank simulator is for the demo and the tests); set GAVEL_PAYMENT_GATEWAY=adyen"
    )
ADYEN_API_KEY: str = env.str("ADYEN_API_KEY", default="")
ADYEN_MERCHANT_ACCOUNT: str = env.str("ADYEN_MERCHANT_ACCOUNT", default="")
ADYEN_HMAC_KEY: str = env.str("ADYEN_HMAC_KEY", default="")  # webhook signatures
ADYEN_PLATFORM: str = env.str("ADYEN_PLATFORM", default="test")  # "test" or "live"
ADYEN_LIVE_ENDPOINT_PREFIX: str = env.str("ADYEN_LIVE_ENDPOINT_PREFIX", default="")
# Balance Platform: the court's balance account, and the splits of incoming payments:
# "none", "court" (into that account) or "per_case" (into the case account's own balance
# account where it has one).
ADYEN_BALANCE_ACCOUNT_ID: str = env.str("ADYEN_BALANCE_ACCOUNT_ID", default="")
ADYEN_SPLIT_MODE: str = env.str("ADYEN_SPLIT_MODE", default="none")
# Where the payer's browser returns after Adyen's page when the paying page gave no
# absolute address of its own.
ADYEN_RETURN_URL: str = env.str("ADYEN_RETURN_URL", default="")
# The bank simulator: its webhook key (empty: derived from SECRET_KEY), the share of
# payments it refuses (0–1), "instant" or "delayed" settlement with its delay, and where it
# posts its webhooks (empty: handed to this process's webhook receiver directly).
GAVEL_SIMULATOR_HMAC_KEY: str = env.str("GAVEL_SIMULATOR_HMAC_KEY", default="")
GAVEL_SIMULATOR_FAILURE_RATE: float = env.float("GAVEL_SIMULATOR_FAILURE_RATE", default=0.0)
GAVEL_SIMULATOR_SETTLEMENT: str = env.str("GAVEL_SIMULATOR_SETTLEMENT", default="instant")
GAVEL_SIMULATOR_DELAY_SECONDS: float = env.float("GAVEL_SIMULATOR_DELAY_SECONDS", default=30.0)
GAVEL_SIMULATOR_WEBHOOK_URL: str = env.str("GAVEL_SIMULATOR_WEBHOOK_URL", default="")
# Days before the balance (尾款) deadline when the buyer is reminded (AUC-31; worker task
# settlement.balance_reminders, one message per balance and day), and the page that pays it.
GAVEL_BALANCE_REMINDER_DAYS: list[int] = [
    int(d) for d in env.list("GAVEL_BALANCE_REMINDER_DAYS", default=["3", "1"])
]
GAVEL_BALANCE_PAY_PAGE: str = env.str("GAVEL_BALANCE_PAY_PAGE", default="marketplace:account")

# --- valuation (pricing) ------------------------------------------------------------------

# Where trained valuation models are stored.
GAVEL_MODEL_DIR = Path(env.str("GAVEL_MODEL_DIR", default=str(BASE_DIR / "var" / "models")))
# OpenMP threads for fitting and predicting: 1, because on a shared, loaded machine the
# OpenMP pool oversubscribes the cores and gradient boosting runs 20x slower (measured).
GAVEL_VALUATION_THREADS: int = env.int("GAVEL_VALUATION_THREADS", default=1)

# --- live bidding (bidding) ---------------------------------------------------------------

# Per websocket connection: token buckets (rate per second, burst) for messages and bids.
GAVEL_LIVE_MESSAGE_RATE: tuple[float, float] = env.tuple(
    "GAVEL_LIVE_MESSAGE_RATE", cast=float, default=(20.0, 40.0)
)
GAVEL_LIVE_BID_RATE: tuple[float, float] = env.tuple(
    "GAVEL_LIVE_BID_RATE", cast=float, default=(5.0, 10.0)
)
# Longest websocket message accepted, in characters.
GAVEL_LIVE_MAX_MESSAGE_CHARS: int = env.int("GAVEL_LIVE_MAX_MESSAGE_CHARS", default=2048)
# Database threads for bids per process; 0: 4 on PostgreSQL, 1 on SQLite (one writer).
GAVEL_LIVE_BID_THREADS: int = env.int("GAVEL_LIVE_BID_THREADS", default=0)
# AUC-24: how long after an auction's end the close waits for bids the server received before
# the end but that still wait for the auction's row lock (milliseconds); also how far before
# the lock a bid's receipt time is trusted.
GAVEL_BID_RECEIPT_GRACE_MS: int = env.int("GAVEL_BID_RECEIPT_GRACE_MS", default=1000)
#: Issue 18: due auctions closed per clock transaction (one locking query, set-based writes
#: and one commit for the batch on PostgreSQL; one by one in savepoints if that fails).
GAVEL_CLOSE_BATCH: int = env.int("GAVEL_CLOSE_BATCH", default=100)
#: Issue 18: at most this many closes per clock tick (a tick that reaches it starts the next at
#: once, without the clock's pause, so a backlog drains at full speed).
GAVEL_CLOSE_TICK_LIMIT: int = env.int("GAVEL_CLOSE_TICK_LIMIT", default=500)
# Fan-out pacing (docs/websocket.md): the share of a process's time one auction's fan-out
# may take under load; optional fixed caps of deliveries per second per auction and of
# updates per second per watcher (0: none).
GAVEL_LIVE_FANOUT_SHARE: float = env.float("GAVEL_LIVE_FANOUT_SHARE", default=0.5)
GAVEL_LIVE_FANOUT_BUDGET: float = env.float("GAVEL_LIVE_FANOUT_BUDGET", default=0.0)
GAVEL_LIVE_MAX_UPDATES_PER_SECOND: float = env.float(
    "GAVEL_LIVE_MAX_UPDATES_PER_SECOND", default=0.0
)
# Issue 18: how long a server process hands the same public snapshot to arriving watchers of
# an auction (any update ends it at once; docs/websocket.md). 0: one database read each.
GAVEL_LIVE_SNAPSHOT_SHARE_SECONDS: float = env.float(
    "GAVEL_LIVE_SNAPSHOT_SHARE_SECONDS", default=1.0
)
# Seconds between the watcher/registrant counts pushed to an auction's watchers.
GAVEL_LIVE_COUNTS_SECONDS: float = env.float("GAVEL_LIVE_COUNTS_SECONDS", default=5.0)
# Bidding password (AUC-17): wrong passwords allowed per registration within the lock window
# before full checks are refused for the rest of it (each check costs a sign-in's hashing).
GAVEL_BIDDING_PASSWORD_FAILURES: int = env.int("GAVEL_BIDDING_PASSWORD_FAILURES", default=5)
GAVEL_BIDDING_PASSWORD_LOCK_SECONDS: int = env.int(
    "GAVEL_BIDDING_PASSWORD_LOCK_SECONDS", default=900
)
# Channel-layer group membership (docs/websocket.md "Surviving a Redis restart"): how often
# each hub checks that Redis still holds its memberships (a restart or flush loses them) and
# how often it re-joins anyway (channels-redis expires members after a day).
GAVEL_LIVE_GROUP_CHECK_SECONDS: float = env.float("GAVEL_LIVE_GROUP_CHECK_SECONDS", default=1.0)
GAVEL_LIVE_GROUP_REFRESH_SECONDS: float = env.float(
    "GAVEL_LIVE_GROUP_REFRESH_SECONDS", default=300.0
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"gavel": {"level": env.str("GAVEL_LOG_LEVEL", default="INFO")}},
}
