"""Create one bench auction with registered, deposit-confirmed bidders, through the services.

Run inside Django (``python bench/bidding/setup_data.py N TITLE``); prints JSON: the auction's
id, price grid and, per bidder, a signed-in session cookie and the bidding password.

A practice auction (``practice_auction_start``) is used because it needs no case, panel
decisions or announcement lead time; its bids go through exactly the same ``bid_place``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bidding.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from bidding import services  # noqa: E402
from core.models import User  # noqa: E402

PASSWORD = "bench-bid-2026"
START = 10_000_000  # 100,000.00 yuan
INC = 10_000  # 100.00 yuan


def user(name: str) -> User:
    u, created = User.objects.get_or_create(
        username=name, defaults={"role": "bidder", "display_name": name, "phone": "13900000000"}
    )
    if created:
        u.set_unusable_password()
        u.save()
    return u


def session_for(u: User) -> str:
    s = SessionStore()
    s[SESSION_KEY] = str(u.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = u.get_session_auth_hash()
    s.create()
    return s.session_key


def main(n: int, title: str) -> dict:
    # An owner per auction: a person may run only a few practice auctions at once, and a
    # bench database keeps every earlier run's auctions.
    owner = user(f"bench-owner-{time.time_ns()}")
    auction = services.practice_auction_start(
        user=owner,
        title=title,
        starting_price_fen=START,
        increment_fen=INC,
        deposit_fen=1_000_000,
        duration_minutes=24 * 60,
    )
    bidders = []
    for i in range(n):
        u = user(f"bench-bidder-{i:03d}")
        reg = services.registration_create(auction_id=auction.pk, user=u, accept_terms=True)
        services.registration_pay_deposit(registration_id=reg.pk, user=u)
        services.registration_set_password(registration_id=reg.pk, user=u, password=PASSWORD)
        reg.refresh_from_db()
        bidders.append(
            {"cookie": f"sessionid={session_for(u)}", "password": PASSWORD, "code": reg.bidder_code}
        )
    return {"auction_id": auction.pk, "start": START, "inc": INC, "bidders": bidders}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), sys.argv[2])))
