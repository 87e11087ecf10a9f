"""The ``IdentityVerifier`` port: checks that a real-name identity exists and matches the name.

Production plugs in the court's channel (e.g. the public-security citizen-identity service
or the market-regulation register for organisations) by dotted path in the setting
``GAVEL_IDENTITY_VERIFIER``. The default, ``SimulatorVerifier``, runs here with no outside
service: it accepts every number that passes the format and check-character rules, except
numbers listed in ``SimulatedRejection`` (a real table: tests and demo operators script
failures by adding rows, through the admin or ``simulator_reject``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core import clock

DEFAULT_VERIFIER = "cases.verifier.SimulatorVerifier"


@dataclass(frozen=True)
class VerificationResult:
    """``ok`` True (verified), False (refused, with ``reason``), None (pending, asynchronous)."""

    ok: bool | None
    reason: str = ""
    reference: str = ""


class IdentityVerifier(Protocol):
    name: str

    def verify(self, *, kind: str, number: str, name: str) -> VerificationResult: ...


class SimulatorVerifier:
    """Accepts well-formed numbers; refuses the numbers registered in ``SimulatedRejection``."""

    name = "simulator"

    def verify(self, *, kind: str, number: str, name: str) -> VerificationResult:
        from cases.identity import check_identity
        from cases.models import SimulatedRejection
        from core.errors import DomainError

        try:
            check_identity(kind, number)
        except DomainError as exc:
            return VerificationResult(ok=False, reason=str(exc.message))
        rejection = SimulatedRejection.objects.filter(kind=kind, number=number).first()
        if rejection is not None:
            return VerificationResult(ok=False, reason=rejection.reason)
        return VerificationResult(ok=True, reference=f"sim-{clock.now():%Y%m%d%H%M%S}")


@lru_cache(maxsize=8)
def _load(path: str) -> IdentityVerifier:
    return import_string(path)()


def get_verifier() -> IdentityVerifier:
    return _load(settings.GAVEL_IDENTITY_VERIFIER or DEFAULT_VERIFIER)


def simulator_reject(*, kind: str, number: str, reason: str = "姓名与证件号码不一致") -> None:
    """Script the simulator to refuse ``number`` (tests, demo). Idempotent."""
    from cases.identity import check_identity
    from cases.models import SimulatedRejection

    number = check_identity(kind, number)
    SimulatedRejection.objects.update_or_create(
        kind=kind, number=number, defaults={"reason": reason, "created_at": clock.now()}
    )
