"""Is this PDF a genuine Gavel document? The one check behind the page and the command.

Genuine means every check holds: the file is in the register (its SHA-256 is a document's),
it carries exactly one seal, the seal is intact and covers the whole file, its certificate
chains to the configured CA, is not on the CRL, and is the one the register recorded for
that document's court.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _

from core.documents import seal as seals
from core.documents._sync import off_loop
from core.models import Document


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str = ""


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)
    document: Document | None = None
    claimed: Document | None = None  # the document a non-matching file claims to be
    superseded_by: Document | None = None  # a genuine file whose number was re-issued since
    signer: str = ""
    signed_at: str = ""

    @property
    def genuine(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[str]:
        return [f"{c.label}：{c.detail}" if c.detail else c.label for c in self.checks if not c.ok]

    def add(self, label: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(label, ok, detail))


def _claimed_code(reader: object) -> str:
    try:
        info = reader.trailer["/Info"]  # type: ignore[attr-defined]  # pyHanko reader, untyped
        keywords = str(info.get("/Keywords", ""))
    except Exception:
        return ""
    for word in keywords.replace(",", " ").split():
        if word.startswith("gavel-code:"):
            return word.split(":", 1)[1]
    return ""


def _issued_by(cert_der: bytes, ca: x509.Certificate) -> bool:
    try:
        x509.load_der_x509_certificate(cert_der).verify_directly_issued_by(ca)
    except Exception:
        return False
    return True


def verify_pdf(data: bytes) -> Verdict:
    """Check an uploaded or offline file; never raises on a bad file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from core.documents.sign import asn1_cert

    verdict = Verdict()
    digest = hashlib.sha256(data).hexdigest()
    doc = Document.objects.select_related("court").filter(sha256=digest).first()
    verdict.document = doc
    if doc is not None:
        from core.documents.selectors import document_current_version

        verdict.superseded_by = document_current_version(doc)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        verdict.add(_("文件格式"), False, _("不是有效的 PDF 文件"))
        return verdict
    if doc is None:
        code = _claimed_code(reader)
        verdict.claimed = (
            Document.objects.select_related("court").filter(code=code).first() if code else None
        )
        detail = (
            _("文件内容与登记的文书（%(number)s）不一致，已被改动")
            % {"number": verdict.claimed.number}
            if verdict.claimed is not None
            else _("平台未出具过内容完全相同的文书")
        )
        verdict.add(_("登记核对（SHA-256）"), False, detail)
    else:
        verdict.add(_("登记核对（SHA-256）"), True, digest)
    if len(signatures) != 1:
        verdict.add(
            _("电子签章"),
            False,
            _("没有电子签章") if not signatures else _("含有多个签章，文书出具后被再次签署"),
        )
        return verdict
    sig = signatures[0]
    try:
        ca = seals.ca_certificate()
        crl = seals.crl_load()
    except Exception as exc:
        verdict.add(_("根证书"), False, str(exc))
        return verdict
    crls = [crl.public_bytes(serialization.Encoding.DER)] if crl is not None else []
    context = ValidationContext(
        trust_roots=[asn1_cert(ca)],
        crls=crls,
        allow_fetching=False,
        revocation_mode="hard-fail" if crls else "soft-fail",
    )
    try:
        status = off_loop(lambda: validate_pdf_signature(sig, context))
    except Exception as exc:
        verdict.add(
            _("电子签章"), False, _("签章无法解析：%(error)s") % {"error": type(exc).__name__}
        )
        return verdict
    cert = sig.signer_cert
    verdict.signer = cert.subject.human_friendly
    signed = sig.self_reported_timestamp
    verdict.signed_at = signed.isoformat() if signed else ""
    verdict.add(
        _("签章完整"),
        bool(status.intact and status.valid),
        "" if status.intact and status.valid else _("签章所覆盖的内容已被改动，或签名值不符"),
    )
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    verdict.add(_("覆盖全文"), whole, "" if whole else _("签章之后文件又被追加或修改"))
    revoked = status.revoked or cert.serial_number in seals.revoked_serials()
    chained = bool(status.trusted) or (revoked and _issued_by(cert.dump(), ca))
    verdict.add(_("证书链"), chained, "" if chained else _("签章证书不是平台根证书签发的"))
    verdict.add(_("证书未吊销"), not revoked, _("签章证书已被吊销") if revoked else "")
    if doc is not None:
        same = format(cert.serial_number, "x") == doc.cert_serial
        verdict.add(
            _("签章法院"),
            same,
            doc.court.name if same else _("签章证书不是登记时该法院使用的证书"),
        )
    return verdict
