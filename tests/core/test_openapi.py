"""The OpenAPI document describes what the server takes (issue 15, item 8).

django-ninja files every schema class under its bare class name in
``components/schemas``; two classes of the same name in different apps overwrite each other
and the document then shows one app's body for the other app's endpoint. These tests walk
every operation of ``config.api.api`` and keep names unique and bodies true.
"""

from __future__ import annotations

import re
import typing
from collections import defaultdict
from typing import Any

from ninja.operation import Operation
from pydantic import BaseModel

from cases.api import IdentityRevealIn
from config.api import api


def _operations() -> list[tuple[str, Operation]]:
    """Every operation with its path as the document spells it without the ``/api`` prefix."""
    found: list[tuple[str, Operation]] = []
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"/{router.prefix}/{path}")
            full = re.sub(r"{[^}:]+:", "{", full)
            found.extend((full, op) for op in path_view.operations)
    return found


def _own(cls: type[BaseModel]) -> bool:
    """A class written in the project, not one django-ninja builds around the parameters."""
    return not hasattr(cls, "__ninja_param_source__") and cls.__name__ != "NinjaResponseSchema"


def _collect(tp: object, into: set[type[BaseModel]]) -> None:
    """Every pydantic model reachable from the annotation ``tp`` (fields, lists, unions)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in into:
            return
        into.add(tp)
        for field in tp.model_fields.values():
            _collect(field.annotation, into)
        return
    for arg in typing.get_args(tp):
        _collect(arg, into)


def _schema_classes() -> set[type[BaseModel]]:
    models: set[type[BaseModel]] = set()
    for _path, op in _operations():
        for model in op.models:
            _collect(model, models)
        for response in op.response_models.values():
            _collect(response, models)
    return {m for m in models if _own(m)}


def _body_model(op: Operation) -> type[BaseModel] | None:
    """The schema class of the JSON body the view takes (``payload: XxxIn``), if any."""
    for model in op.models:
        if getattr(model, "__ninja_param_source__", None) != "body":
            continue
        fields = list(model.model_fields.values())
        if len(fields) == 1:
            annotation = fields[0].annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                return annotation
    return None


def _documented_body(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    body = doc["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]
    schema: dict[str, Any] = body["schema"]
    ref = schema.get("$ref")
    if ref is None:
        return schema
    component: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return component


def _accepted(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_no_two_schema_classes_share_a_component_name() -> None:
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _schema_classes():
        by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert clashes == {}
    assert len(by_name) > 50  # the walk really saw the routers


def test_every_json_body_is_documented_as_the_server_takes_it() -> None:
    doc = api.get_openapi_schema(path_prefix="")
    checked = 0
    for path, op in _operations():
        model = _body_model(op)
        if model is None:
            continue
        for method in op.methods:
            documented = _documented_body(doc, path, method)
            assert set(documented["properties"]) == _accepted(model), (method, path)
            checked += 1
    assert checked > 30


def test_identity_reveal_documents_the_purpose_it_requires() -> None:
    doc = api.get_openapi_schema(path_prefix="")
    url = "/cases/{case_id}/parties/{party_id}/identity/reveal"
    documented = _documented_body(doc, url, "POST")
    assert set(documented["properties"]) == {"purpose"} == _accepted(IdentityRevealIn)
    assert documented["required"] == ["purpose"]
