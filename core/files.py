"""Uploaded files behind permissions (REC-14): one guarded route serves every stored file.

Every ``FileField`` of every Gavel app is registered here with the permission that reads it
(``protect(Model, "field", "app.perm")`` in the app's ``ready()``); ``tests/core/test_files.py``
fails for a file field nobody registered. ``MEDIA_URL`` is the guarded route
(``/files/<name>``), so ``field_file.url`` keeps working in templates; the view finds the row
that owns the stored name, asks ``core.permissions.can(user, perm, row)`` and hands the file to
django-sendfile2: in production its nginx backend answers with ``X-Accel-Redirect`` to an
``internal`` location (nginx sends the bytes, the application only decides), in the demo and
the tests its simple backend streams the file itself. There is no public media route.

New uploads get an unguessable name (``UploadTo("assets")`` → ``assets/<32 hex>.pdf``): a
name is not a secret (the permission is), but it no longer tells the next one.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.deconstruct import deconstructible
from django_sendfile import sendfile

from core.permissions import can


@deconstructible
class UploadTo:
    """``upload_to`` giving ``<prefix>/<random hex><extension>``: the uploader's file name
    (which may carry a name or an ID number) is not kept, nor is anything guessable."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        ext = os.path.splitext(filename)[1].lower()
        if not ext[1:].isalnum() or len(ext) > 10:
            ext = ""
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadTo) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


@dataclass(frozen=True)
class Protected:
    model: type[models.Model]
    field: str
    perm: str
    public: str = ""
    attachment: bool = False


_registry: dict[tuple[str, str], Protected] = {}


def protect(
    model: type[models.Model],
    field: str,
    perm: str,
    *,
    public: str = "",
    attachment: bool = False,
) -> None:
    """Serve ``model.field``'s files to those for whom ``can(user, perm, row)`` holds, and to
    everyone, signed in or not, when the ``rules`` rule ``public`` holds for the row (a lot's
    photos once announced). Called from the owning app's ``AppConfig.ready()``; idempotent."""
    _registry[(model._meta.label_lower, field)] = Protected(model, field, perm, public, attachment)


def may_read(user: Any, entry: Protected, row: models.Model) -> bool:
    if entry.public and rules.test_rule(entry.public, user, row):
        return True
    return can(user, entry.perm, row)


def protected_fields() -> list[Protected]:
    return list(_registry.values())


def owner_of(name: str) -> tuple[Protected, models.Model] | None:
    """The registered field and row that store ``name``, or None."""
    for entry in _registry.values():
        row = entry.model._default_manager.filter(**{entry.field: name}).first()
        if row is not None:
            return entry, row
    return None


def send(
    request: HttpRequest,
    field_file: Any,
    *,
    filename: str | None = None,
    attachment: bool = False,
    content_type: str | None = None,
) -> HttpResponseBase:
    """The stored file through django-sendfile2 (``SENDFILE_BACKEND``): call only after the
    permission check. A file missing on disk is a 404."""
    if not field_file:
        raise Http404
    path = os.path.join(settings.SENDFILE_ROOT, field_file.name)
    response: HttpResponseBase = sendfile(
        request,
        path,
        attachment=attachment,
        attachment_filename=filename or PurePosixPath(field_file.name).name,
        mimetype=content_type,
    )
    # The bytes are private: no shared cache keeps them, nor sniffs them into a script.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve(request: HttpRequest, name: str) -> HttpResponseBase:
    """``GET /files/<name>``: the file if the signed-in (or anonymous) person may read its row.

    Anonymous and unknown names: 404 (nothing tells that a file exists); signed in without the
    permission: 403."""
    name = str(PurePosixPath(name))
    if name.startswith(("/", "..")) or "/../" in f"/{name}/":
        raise Http404
    found = owner_of(name)
    if found is None:
        raise Http404
    entry, row = found
    if not may_read(request.user, entry, row):
        if not request.user.is_authenticated:
            raise Http404
        raise PermissionDenied
    return send(request, getattr(row, entry.field), attachment=entry.attachment)
