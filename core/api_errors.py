"""Uniform API errors: every failure is ``{"code", "message"[, "rule", "data"]}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django_fsm import TransitionNotAllowed
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from core.errors import DomainError
from core.validation import check_payload, check_querydict, request_too_large_error


class GuardedParser(Parser):
    """The API's parser: JSON bodies, query strings and form fields are checked before any
    schema or service sees them (``core.validation``: no NUL, no lone surrogate, integers
    within ``bigint``). A refusal is the ``DomainError`` behind ninja's 400."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        check_payload(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        check_querydict((k, [v for v in vs if isinstance(v, str)]) for k, vs in data.lists())
        return super().parse_querydict(data, list_fields, request)


#: ninja's own ``HttpError``s (an unreadable body, a failed CSRF check of a session call).
_HTTP_ERRORS = {
    400: ("bad_request", "请求无法解析"),
    403: ("forbidden", "无权访问（请求未通过 CSRF 校验）"),
}


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

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps what its parser raised ("Cannot parse request body"): our own refusal
        # keeps its code; anything else is an unreadable body.
        cause = exc.__cause__
        if isinstance(cause, DomainError):
            return api.create_response(request, cause.as_dict(), status=cause.status)
        if isinstance(cause, RequestDataTooBig):
            err = request_too_large_error()
            return api.create_response(request, err.as_dict(), status=err.status)
        code, message = _HTTP_ERRORS.get(exc.status_code, (f"http_{exc.status_code}", str(exc)))
        return api.create_response(
            request, {"code": code, "message": message}, status=exc.status_code
        )

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        err = request_too_large_error()
        return api.create_response(request, err.as_dict(), status=err.status)

    @api.exception_handler(ObjectDoesNotExist)
    def _no_row(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The floor under services that look an object up by an id from the request.
        return api.create_response(request, {"code": "not_found", "message": "未找到"}, status=404)

    @api.exception_handler(TransitionNotAllowed)
    def _transition(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Services map refused moves to their own Conflict; this is the floor, never a 500.
        return api.create_response(
            request,
            {"code": "state_conflict", "message": "当前状态下不能进行此操作"},
            status=409,
        )


#: Every error the API answers (``install_error_handlers``), as the OpenAPI document says.
API_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ApiError",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "稳定的错误代码"},
        "message": {"type": "string", "description": "说明（用户的语言）"},
        "rule": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "规则编号"},
        "data": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    },
}


class GavelAPI(NinjaAPI):
    """The project's ``NinjaAPI``: its OpenAPI document names the error body every operation
    may answer with a 4xx (``ApiError``), so a client (and schemathesis) can rely on it."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = API_ERROR_SCHEMA
        error = {
            "description": "请求被拒绝：{code, message, rule}",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("4XX", error)
        return schema
