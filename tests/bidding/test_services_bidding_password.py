"""The bidding password (AUC-17) at the strength of account passwords, verified once when the
bidder unlocks bidding, and guessing kept slow (issue 15)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password

from bidding import services
from bidding.models import Registration
from core.errors import DomainError

from .engine_factories import PASSWORD, YUAN, make_case, make_live_auction, register_active

pytestmark = pytest.mark.django_db

START = 100_000 * YUAN
INC = 1_000 * YUAN
ACCOUNT_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@pytest.fixture
def auction(court, judge, frozen_now):
    return make_live_auction(court, make_case(court, judge=judge)[1], start=START, increment=INC)


@pytest.fixture
def fresh_cache(settings):
    """Failure counters of this test only (the cache may be the shared Redis db)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"bidding-password-{uuid.uuid4().hex}",
        }
    }


def _work(encoded: str) -> tuple[str, str]:
    """(algorithm, work factor) of an encoded hash."""
    algorithm, iterations, *_ = encoded.split("$")
    return algorithm, iterations


def test_the_bidding_password_is_hashed_like_an_account_password_auc17(auction, settings):
    settings.PASSWORD_HASHERS = ACCOUNT_HASHERS  # the project's order: PBKDF2 first
    reg = register_active(auction)
    stored = Registration.objects.get(pk=reg.pk).password_hash
    assert identify_hasher(stored).algorithm == "pbkdf2_sha256"
    # The same work as the account password the bidder signs in with (was a tenth of it).
    assert _work(stored) == _work(make_password("any-account-password"))
    assert int(_work(stored)[1]) >= 1_000_000


def test_a_weaker_stored_hash_is_upgraded_when_it_verifies(auction, settings):
    reg = register_active(auction)
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    weak = hasher.encode(PASSWORD, hasher.salt(), 120_000)  # the old tenth-strength hash
    Registration.objects.filter(pk=reg.pk).update(password_hash=weak)
    settings.PASSWORD_HASHERS = ACCOUNT_HASHERS
    services.registration_unlock(auction_id=auction.pk, user=reg.user, password=PASSWORD)
    upgraded = Registration.objects.get(pk=reg.pk).password_hash
    assert upgraded != weak and _work(upgraded) == _work(make_password("x"))


def test_unlocking_verifies_once_and_the_token_stands_for_the_password(auction, fresh_cache):
    a, b = register_active(auction), register_active(auction)
    with pytest.raises(DomainError) as wrong:
        services.registration_unlock(auction_id=auction.pk, user=a.user, password="not-it")
    assert (wrong.value.code, wrong.value.rule) == ("bad_password", "AUC-17")
    token = services.registration_unlock(auction_id=auction.pk, user=a.user, password=PASSWORD)
    placed = services.bid_place(
        auction_id=auction.pk, user=a.user, amount_fen=START, unlock_token=token
    )
    assert placed.seq == 1
    # A token proves one registration's password only: not another bidder's.
    with pytest.raises(DomainError) as foreign:
        services.bid_place(
            auction_id=auction.pk, user=b.user, amount_fen=START + INC, unlock_token=token
        )
    assert foreign.value.code == "bad_password"
    # A new password locks what the old one unlocked.
    services.registration_set_password(registration_id=a.pk, user=a.user, password="new-pass-1")
    services.bid_place(
        auction_id=auction.pk, user=b.user, amount_fen=START + INC, password=PASSWORD
    )
    with pytest.raises(DomainError) as stale:
        services.bid_place(
            auction_id=auction.pk, user=a.user, amount_fen=START + 2 * INC, unlock_token=token
        )
    assert stale.value.code == "bad_password"


def test_wrong_passwords_are_limited_per_registration(auction, settings, fresh_cache):
    settings.GAVEL_BIDDING_PASSWORD_FAILURES = 3
    a, b = register_active(auction), register_active(auction)
    for _ in range(3):
        with pytest.raises(DomainError) as wrong:
            services.registration_unlock(auction_id=auction.pk, user=a.user, password="guess")
        assert wrong.value.code == "bad_password"
    # Locked for the window, even with the right password (no more full checks to spend).
    for attempt in (
        lambda: services.registration_unlock(auction_id=auction.pk, user=a.user, password=PASSWORD),
        lambda: services.bid_place(
            auction_id=auction.pk, user=a.user, amount_fen=START, password=PASSWORD
        ),
    ):
        with pytest.raises(DomainError) as locked:
            attempt()
        assert (locked.value.code, locked.value.status) == ("password_attempts_exceeded", 429)
        assert "分钟后再试" in str(locked.value.message)
    # Another bidder is not affected.
    assert (
        services.bid_place(
            auction_id=auction.pk, user=b.user, amount_fen=START, password=PASSWORD
        ).seq
        == 1
    )
