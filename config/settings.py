"""Gavel settings, read from the environment.

No environment: SQLite + in-memory channel layer (the embedded demo). With DATABASE_URL /
REDIS_URL: PostgreSQL with pooled connections + the Redis channel layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def database_from_url(url: str) -> dict:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into DATABASES['default']."""
    parsed = urlparse(url)
    if parsed.scheme in {"sqlite", "sqlite3"}:
        name = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or str(BASE_DIR / "var" / "gavel.sqlite3"),
            "TEST": {"NAME": name + ".test" if name else None},
        }
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"unsupported DATABASE_URL scheme: {parsed.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    pool_max = int(query.pop("pool_max", "10"))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "gavel",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": pool_max, "timeout": 10}, **query},
    }


_DEMO_SECRET_KEY = "gavel-demo-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEMO_SECRET_KEY)
DEBUG = _env_bool("DEBUG", True)
if not DEBUG and SECRET_KEY == _DEMO_SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("set SECRET_KEY in the environment when DEBUG is off")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

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
    # Gavel, in layer order: each imports only the ones above it.
    "core",
    "cases",
    "settlement",
    "appraisers",
    "pricing",
    "bidding",
    "marketplace",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
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

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "gavel.sqlite3")),
            "OPTIONS": {"timeout": 20},
            # A file, not :memory:, so ChannelsLiveServerTestCase can share it with daphne.
            "TEST": {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")},
        }
    }

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
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
    *[h for h in os.environ.get("GAVEL_EXTRA_PASSWORD_HASHERS", "").split(",") if h],
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
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Staff (judges, officers, finance) must pass TOTP; off only for the local demo and tests.
GAVEL_STAFF_2FA_REQUIRED = _env_bool("GAVEL_STAFF_2FA_REQUIRED", not DEBUG)
RATELIMIT_ENABLE = _env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_WRITE = os.environ.get("RATELIMIT_WRITE", "120/m")

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
GAVEL_SERVE_STATIC = _env_bool("GAVEL_SERVE_STATIC", DEBUG)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Outside adapters (see docs/): console implementations by default.
GAVEL_SMS_BACKEND = os.environ.get("GAVEL_SMS_BACKEND", "core.notifications.channels.ConsoleSMS")
GAVEL_EMAIL_BACKEND = os.environ.get(
    "GAVEL_EMAIL_BACKEND", "core.notifications.channels.ConsoleEmail"
)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Absolute base for links in SMS and e-mail (unsubscribe, auction pages), e.g. https://gavel.court.example
GAVEL_SITE_URL = os.environ.get("GAVEL_SITE_URL", "").rstrip("/")
# REC-05: messages on these topics (prefixes) tell who bids in which auction. The admin's
# outbox and inbox pages never show their recipient or text, for any auction, open or closed
# (a message's time set against the public bid history would tie a person to a bidder code).
GAVEL_CONFIDENTIAL_TOPICS = ("auction.", "bidding.", "marketplace.", "settlement.deposit")
GAVEL_PAYMENT_GATEWAY = os.environ.get("GAVEL_PAYMENT_GATEWAY", "simulator")
ADYEN_API_KEY = os.environ.get("ADYEN_API_KEY", "")
ADYEN_MERCHANT_ACCOUNT = os.environ.get("ADYEN_MERCHANT_ACCOUNT", "")
ADYEN_HMAC_KEY = os.environ.get("ADYEN_HMAC_KEY", "")
ADYEN_PLATFORM = os.environ.get("ADYEN_PLATFORM", "test")
ADYEN_LIVE_ENDPOINT_PREFIX = os.environ.get("ADYEN_LIVE_ENDPOINT_PREFIX", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"gavel": {"level": os.environ.get("GAVEL_LOG_LEVEL", "INFO")}},
}
