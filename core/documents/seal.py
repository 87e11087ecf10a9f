"""The courts' electronic seals: a platform CA, one key and certificate per court, the CRL.

The platform operator configures the CA (``GAVEL_DOCUMENTS_CA_CERT`` / ``_CA_KEY``), the
revocation list (``GAVEL_DOCUMENTS_CRL``) and where the courts' keys live
(``GAVEL_DOCUMENTS_KEY_DIR``). ``manage.py documents_ca`` creates a demo/test CA, issues
and revokes court certificates. Keys and certificates are made with ``cryptography``;
signing (PAdES) and validation are pyHanko's (``core.documents.sign``/``verify``).

Keys are ECDSA P-256 (fast to sign; PAdES baseline accepts them). The national SM2 seal
scheme (GB/T 38540) is not available in pyHanko; a court needing it swaps this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils.translation import gettext

from core import clock
from core.errors import DomainError
from core.models import Court

CA_YEARS = 20
COURT_YEARS = 5
CRL_DAYS = 400  # the operator re-signs the list (``documents_ca crl``) well before this


def _paths() -> tuple[Path, Path, Path, Path]:
    return (
        Path(settings.GAVEL_DOCUMENTS_CA_CERT),
        Path(settings.GAVEL_DOCUMENTS_CA_KEY),
        Path(settings.GAVEL_DOCUMENTS_CRL),
        Path(settings.GAVEL_DOCUMENTS_KEY_DIR),
    )


def _start() -> dt.datetime:
    # A day back: the clock of a test or the demo may stand behind the machine's.
    return clock.now() - dt.timedelta(days=1)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ca_create(*, name: str = "Gavel 演示电子印章根证书", force: bool = False) -> Path:
    """A self-signed CA at the configured paths and an empty CRL (demo and tests only)."""
    cert_path, key_path, crl_path, _ = _paths()
    if cert_path.exists() and not force:
        return cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gavel"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = _start()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    crl_path.unlink(missing_ok=True)
    crl_write(revoked=[])
    _court_cache.clear()
    return cert_path


def ca_certificate() -> x509.Certificate:
    cert_path = _paths()[0]
    if not cert_path.exists():
        raise DomainError(
            "documents_no_ca",
            gettext("未配置电子印章根证书（GAVEL_DOCUMENTS_CA_CERT）"),
        )
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def _ca_key() -> ec.EllipticCurvePrivateKey | None:
    key_path = _paths()[1]
    if not key_path.exists():
        return None
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def crl_load() -> x509.CertificateRevocationList | None:
    crl_path = _paths()[2]
    if not crl_path.exists():
        return None
    return x509.load_pem_x509_crl(crl_path.read_bytes())


def crl_write(*, revoked: list[tuple[int, dt.datetime]]) -> Path:
    """Sign a CRL listing ``(serial, revoked at)`` with the CA key."""
    _, _, crl_path, _ = _paths()
    key = _ca_key()
    if key is None:
        raise DomainError("documents_no_ca_key", gettext("没有根证书私钥，无法签发吊销列表"))
    ca = ca_certificate()
    now = clock.now() - dt.timedelta(minutes=1)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=CRL_DAYS))
    )
    for serial, at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
        )
    crl = builder.sign(key, hashes.SHA256())
    _write(crl_path, crl.public_bytes(serialization.Encoding.PEM))
    return crl_path


def revoked_serials() -> set[int]:
    crl = crl_load()
    return {r.serial_number for r in crl} if crl is not None else set()


def _court_files(court_id: int) -> tuple[Path, Path]:
    key_dir = _paths()[3]
    return key_dir / f"court-{court_id}.key.pem", key_dir / f"court-{court_id}.cert.pem"


def court_cert_issue(court: Court) -> x509.Certificate:
    """A new key and certificate for ``court``'s seal, signed by the CA (replaces the old)."""
    ca_key = _ca_key()
    if ca_key is None:
        raise DomainError(
            "documents_no_ca_key",
            gettext("法院电子印章证书尚未签发，且未配置根证书私钥（manage.py documents_ca court）"),
        )
    ca = ca_certificate()
    key = ec.generate_private_key(ec.SECP256R1())
    start = _start()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, court.name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, court.code or str(court.pk)),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{court.name}电子印章"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(min(start + dt.timedelta(days=365 * COURT_YEARS), ca.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),  # type: ignore[arg-type]  # the CA key is EC
            critical=False,
        )
    )
    cert = builder.sign(ca_key, hashes.SHA256())
    key_path, cert_path = _court_files(court.pk)
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    _court_cache.pop(court.pk, None)
    return cert


def court_cert_revoke(court: Court) -> int:
    """Put the court's current certificate on the CRL; returns its serial."""
    _, cert_path = _court_files(court.pk)
    if not cert_path.exists():
        raise DomainError("documents_no_court_cert", gettext("该法院没有电子印章证书"))
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    crl = crl_load()
    revoked = [(r.serial_number, r.revocation_date_utc) for r in crl] if crl is not None else []
    if cert.serial_number not in {s for s, _ in revoked}:
        revoked.append((cert.serial_number, clock.now() - dt.timedelta(seconds=1)))
    crl_write(revoked=revoked)
    _court_cache.pop(court.pk, None)
    return cert.serial_number


@dataclass(frozen=True)
class CourtSeal:
    court_id: int
    key_pem: bytes
    cert: x509.Certificate
    ca: x509.Certificate


_court_cache: dict[int, tuple[Path, float, CourtSeal]] = {}


def court_seal(court: Court) -> CourtSeal:
    """The court's signing key and certificate; issued on first use when the CA key is here."""
    key_path, cert_path = _court_files(court.pk)
    if not cert_path.exists() or not key_path.exists():
        court_cert_issue(court)
    mtime = cert_path.stat().st_mtime
    cached = _court_cache.get(court.pk)
    if cached is not None and cached[0] == cert_path and cached[1] == mtime:
        return cached[2]
    seal = CourtSeal(
        court_id=court.pk,
        key_pem=key_path.read_bytes(),
        cert=x509.load_pem_x509_certificate(cert_path.read_bytes()),
        ca=ca_certificate(),
    )
    _court_cache[court.pk] = (cert_path, mtime, seal)
    return seal
