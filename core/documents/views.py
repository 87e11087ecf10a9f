"""Pages: the public verification page, the document download (permission-checked)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.court_actions import CourtAction, CourtActions
from core.documents import seal as seals
from core.documents.rules import may_read
from core.documents.selectors import document_current_version
from core.documents.services import document_reissue, normalise_code
from core.documents.verify import Verdict, verify_pdf
from core.forms import Form, TextField
from core.models import Document
from core.permissions import can
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
    newer = document_current_version(doc) if doc is not None else None
    return render(
        request,
        "core/documents/verify_code.html",
        {
            "doc": doc,
            "code": code,
            "newer": newer,
            "can_read": doc is not None and may_read(request.user, doc),
            "can_reissue": doc is not None
            and newer is None
            and can(request.user, "core.reissue_document", doc),
        },
        status=200 if doc is not None else 404,
    )


def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The sealed PDF, to those who may read it (public documents: anyone)."""
    doc = get_object_or_404(Document.objects.select_related("court"), pk=pk)
    if not may_read(request.user, doc):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        return render(
            request, "core/documents/forbidden.html", {"message": _("无权查看该文书")}, status=403
        )
    # FileResponse streams the bytes in blocks with Content-Length, and writes the
    # Content-Disposition: an ASCII name, or RFC 5987 ``filename*=utf-8''…`` for a Chinese one.
    response = FileResponse(
        io.BytesIO(bytes(doc.pdf)),
        content_type="application/pdf",
        as_attachment=not request.GET.get("inline"),
        filename=f"{doc.title}-{doc.number}-{doc.code}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class ReissueForm(Form):
    reason = TextField(label=gettext_lazy("更正原因"), max_length=300)


def _verify_code_page(doc: Document) -> str:
    return reverse("core:document_verify_code", args=[doc.code])


REISSUE_ACTIONS: CourtActions[Document] = CourtActions(
    {
        "reissue": CourtAction(
            call=lambda s: document_reissue(
                document=s.target, reason=s.data["reason"], actor=s.actor
            ),
            form=ReissueForm,
            perm="core.reissue_document",
            done=lambda s, new: (
                _("已重新出具更正后的文书：%(number)s 第%(version)s版")
                % {"number": new.number, "version": new.version}
            ),
            then=lambda doc, new: _verify_code_page(new),
        )
    },
    page=_verify_code_page,
    subject=str,
)


@login_required
@require_POST
def reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """Court staff of the issuing court: re-issue a corrected version, with the reason."""
    doc = get_object_or_404(Document.objects.select_related("court").defer("pdf"), pk=pk)
    outcome = REISSUE_ACTIONS.run(request, "reissue", doc)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(outcome.next_url)


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
