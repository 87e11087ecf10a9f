"""Domain errors: a stable code for the API, a message in the user's language, the rule cited.

Services raise ``DomainError``; views show ``message`` (Chinese first), the API returns
``{"code", "message", "rule"}`` with status 400 (or the error's own ``status``).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: Any,
        rule: str | None = None,
        *,
        status: int | None = None,
        **data: Any,
    ) -> None:
        # ``rule`` may also come by position: DomainError("code", "说明", "AUC-16").
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.rule = rule
        self.data = data
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.rule:
            out["rule"] = self.rule
        if self.data:
            out["data"] = self.data
        return out


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
