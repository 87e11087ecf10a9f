"""PAdES sealing of a rendered PDF with the court's key (pyHanko)."""

from __future__ import annotations

import io

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.documents._sync import off_loop
from core.documents.seal import CourtSeal

FIELD_NAME = "CourtSeal"


def asn1_cert(cert: object) -> asn1_x509.Certificate:
    from cryptography import x509

    assert isinstance(cert, x509.Certificate)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def seal_pdf(pdf: bytes, seal: CourtSeal, *, reason: str, location: str) -> bytes:
    """Certify ``pdf`` with the court's seal: PAdES B-B, no later change allowed (DocMDP 1)."""
    key = serialization.load_pem_private_key(seal.key_pem, password=None)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert(seal.cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert(seal.ca)]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )

    def sign() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return bytes(signers.sign_pdf(writer, meta, signer=signer).getvalue())

    return off_loop(sign)
