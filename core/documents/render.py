"""HTML + print CSS → PDF with WeasyPrint; the PDF is then sealed (``core.documents.sign``)."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.template.loader import render_to_string, select_template
from django.urls import reverse


def site_base() -> str:
    return settings.GAVEL_SITE_URL or settings.GAVEL_DOCUMENTS_SITE_FALLBACK


def verify_url(code: str) -> str:
    return site_base() + reverse("core:document_verify_code", args=[code])


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (vector: sharp on paper at any size)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=1)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def court_header_template(court_id: int) -> str:
    """A court's own header (``documents/courts/<court id>/header.html``) or the default."""
    return select_template(
        [f"documents/courts/{court_id}/header.html", "core/documents/_header.html"]
    ).template.name


def render_html(template: str, context: dict[str, Any]) -> str:
    return render_to_string(template, context)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: pulls in pango through cffi

    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
