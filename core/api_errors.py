"""Uniform API errors: every failure is ``{"code", "message"[, "rule", "data"]}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django_fsm import TransitionNotAllowed
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from core.errors import DomainError


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = []
        for err in exc.errors:
            loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "payload"))
            fields.append({"field": loc, "error": err.get("msg", ""), "type": err.get("type", "")})
        body = {
            "code": "invalid_input",
            "message": "输入有误，请检查后重试",
            "data": {"fields": fields},
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"code": "not_authenticated", "message": "请先登录"}, status=401
        )

    @api.exception_handler(DjangoPermissionDenied)
    def _denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"code": "forbidden", "message": "无权访问"}, status=403
        )

    @api.exception_handler(Http404)
    def _missing(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"code": "not_found", "message": "未找到"}, status=404)

    @api.exception_handler(TransitionNotAllowed)
    def _transition(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Services map refused moves to their own Conflict; this is the floor, never a 500.
        return api.create_response(
            request,
            {"code": "state_conflict", "message": "当前状态下不能进行此操作"},
            status=409,
        )
