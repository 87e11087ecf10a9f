"""Shared by the appraisal pages: the report's form fields (APR-04) and the 403 page.

Each page's actions are a table of ``core.court_actions``; their forms use ``core.forms``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.errors import PermissionDenied as DomainPermissionDenied
from core.forms import DateField, Form, TextField, WordListField, YuanField
from core.ratelimit import RateLimited

#: The report fields of a form (APR-04), as the service takes them (``amount_yuan`` is posted).
REPORT_FIELDS = (
    "amount_yuan",
    "value_date",
    "valid_until",
    "facts",
    "method",
    "standards",
    "signing_firm_name",
    "signing_firm_licence",
    "signer_licences",
)


class ReportForm(Form):
    """A report's figures and signatures (APR-04); the PDF comes as the file ``file``.

    ``report_needs_file``: the fields are read only when a file is uploaded (an answer may
    be a written explanation alone)."""

    report_needs_file = False

    amount_yuan = YuanField(label=_("评估结果（元）"))
    value_date = DateField(label=_("评估基准日"))
    valid_until = DateField(label=_("有效期至"))
    facts = TextField()
    method = TextField()
    standards = TextField()
    signing_firm_name = TextField()
    signing_firm_licence = TextField()
    signer_licences = WordListField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.report_needs_file and not self.files.get("file"):
            for name in REPORT_FIELDS:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = dict(super().clean() or {})
        if "amount_yuan" in self.fields:
            data["amount_fen"] = data.pop("amount_yuan", None)
        return data

    @staticmethod
    def report_kwargs(data: dict[str, Any], files: Any) -> dict[str, Any]:
        """The service's report arguments: the upload and the fields (none without a file)."""
        names = {*REPORT_FIELDS, "amount_fen"} - {"amount_yuan"}
        report = {k: v for k, v in data.items() if k in names}
        return {"upload": files.get("file"), **report} if report else {}


def forbidden(request: HttpRequest, message: str = "无权访问该页面") -> HttpResponse:
    return render(request, "appraisers/forbidden.html", {"message": message}, status=403)


def guarded(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Turn a permission refusal raised anywhere in the view into a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied as exc:
            return forbidden(request, str(exc.message))
        except RateLimited as exc:
            return render(
                request, "appraisers/forbidden.html", {"message": str(exc.message)}, status=429
            )

    return wrapper
