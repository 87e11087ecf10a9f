"""Valuation errors: a DomainError with a stable code and a message a judge can act on."""

from core.errors import DomainError


class ValuationError(DomainError):
    pass
