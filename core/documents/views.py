"""Pages: the public verification page, the document download (permission-checked)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.documents import seal as seals
from core.documents.rules import may_read
from core.documents.services import normalise_code
from core.documents.verify import Verdict, verify_pdf
from core.models import Document
from core.ratelimit import write_rate_limited

MAX_UPLOAD = 20 * 1024 * 1024


@write_rate_limited("documents_verify")
def verify_page(request: HttpRequest) -> HttpResponse:
    """Anyone: type the short code (GET ``?code=``) or upload the PDF (POST)."""
    if request.method == "GET" and request.GET.get("code"):
        code = normalise_code(request.GET["code"])
        return redirect("core:document_verify_code", code=code or "-")
    verdict: Verdict | None = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要核验的 PDF 文件")
        elif upload.size is not None and upload.size > MAX_UPLOAD:
            error = _("文件过大")
        else:
            verdict = verify_pdf(upload.read())
    return render(
        request,
        "core/documents/verify.html",
        {"verdict": verdict, "error": error, "can_read": _can_read(request, verdict)},
        status=400 if error else 200,
    )


def _can_read(request: HttpRequest, verdict: Verdict | None) -> bool:
    doc = verdict.document if verdict is not None else None
    return doc is not None and may_read(request.user, doc)


def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The page a document's QR code opens: what the register holds under that code."""
    doc = (
        Document.objects.select_related("court")
        .defer("pdf")
        .filter(code=normalise_code(code))
        .first()
    )
    newer = None
    if doc is not None:
        newer = (
            Document.objects.filter(
                court=doc.court, doc_type=doc.doc_type, year=doc.year, seq=doc.seq
            )
            .defer("pdf")
            .order_by("-version")
            .first()
        )
    return render(
        request,
        "core/documents/verify_code.html",
        {
            "doc": doc,
            "code": code,
            "newer": newer
            if newer is not None and doc is not None and newer.pk != doc.pk
            else None,
            "can_read": doc is not None and may_read(request.user, doc),
        },
        status=200 if doc is not None else 404,
    )


def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The sealed PDF, to those who may read it (public documents: anyone)."""
    doc = get_object_or_404(Document.objects.select_related("court"), pk=pk)
    if not may_read(request.user, doc):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        return render(
            request, "core/documents/forbidden.html", {"message": _("无权查看该文书")}, status=403
        )
    response = HttpResponse(bytes(doc.pdf), content_type="application/pdf")
    name = f"{doc.title}-{doc.code}.pdf"
    disposition = "inline" if request.GET.get("inline") else "attachment"
    from urllib.parse import quote

    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The platform CA (PEM), for a registry that checks documents offline."""
    from cryptography.hazmat.primitives import serialization

    pem = seals.ca_certificate().public_bytes(serialization.Encoding.PEM)
    return HttpResponse(pem, content_type="application/x-pem-file")


def crl(request: HttpRequest) -> HttpResponse:
    """The current revocation list (PEM)."""
    from cryptography.hazmat.primitives import serialization

    current = seals.crl_load()
    if current is None:
        return HttpResponse(status=404)
    return HttpResponse(
        current.public_bytes(serialization.Encoding.PEM), content_type="application/pkix-crl"
    )
