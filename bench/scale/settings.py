"""Settings of the scale benches: the project's settings, with a fast password hasher for the
generated bidders only (setting 2 × N bidding passwords through PBKDF2 would take minutes on a
shared 2-core machine; the close path never hashes a password)."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
