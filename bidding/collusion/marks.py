"""Keyed hashes of client facts, and the one write at registration (never per bid)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings

from core import clock

if TYPE_CHECKING:
    from django.http import HttpRequest

    from bidding.models import Registration


def mark(kind: str, value: str) -> str:
    """A keyed hash of ``value`` (empty for an empty value): equal values, equal marks."""
    value = (value or "").strip().lower()
    if not value:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def subnet_of(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address, or '' for a bad one."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    bits = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def client_marks(ip: str, user_agent: str) -> tuple[str, str, str]:
    """(network, subnet, device) marks of one client: device = address + browser."""
    return mark("ip", ip), mark("subnet", subnet_of(ip)), mark("device", f"{ip}|{user_agent}")


def note_registration_client(registration: Registration, request: HttpRequest) -> None:
    """Record the hashed client of a registration once (the bid path never writes this)."""
    from bidding.collusion.models import ClientMark

    ip = str(request.META.get("REMOTE_ADDR") or "")
    ua = str(request.META.get("HTTP_USER_AGENT") or "")[:500]
    network, subnet, device = client_marks(ip, ua)
    ClientMark.objects.get_or_create(
        registration=registration,
        defaults={
            "network_hash": network,
            "subnet_hash": subnet,
            "device_hash": device,
            "recorded_at": clock.now(),
        },
    )
