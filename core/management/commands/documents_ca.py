"""``manage.py documents_ca``: the platform CA and the courts' seal certificates (issue 16).

    documents_ca init [--force]      a demo/test CA at GAVEL_DOCUMENTS_CA_CERT/_KEY (+ empty CRL)
    documents_ca court <id>|all      issue (or renew) a court's seal key and certificate
    documents_ca revoke <id>         put a court's current certificate on the CRL
    documents_ca crl                 re-sign the CRL (before its next-update date)
    documents_ca show                the CA, each court's certificate and the revoked serials

A production CA lives with the operator; then only the CA certificate, the CRL and the
courts' keys are on the server (no CA key), and ``court``/``revoke``/``crl`` run where the
CA key is.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.documents import seal as seals
from core.errors import DomainError
from core.models import Court


class Command(BaseCommand):
    help = "Create a demo CA, issue, renew and revoke the courts' seal certificates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["init", "court", "revoke", "crl", "show"])
        parser.add_argument("court", nargs="?", default="")
        parser.add_argument("--force", action="store_true", help="init: replace an existing CA")

    def _courts(self, which: str) -> list[Court]:
        if which == "all":
            return list(Court.objects.order_by("pk"))
        try:
            return [Court.objects.get(pk=int(which))]
        except (ValueError, Court.DoesNotExist):
            raise CommandError("give a court id (or 'all')") from None

    def handle(self, *args: Any, **options: Any) -> None:
        action, which = options["action"], options["court"]
        try:
            if action == "init":
                path = seals.ca_create(force=options["force"])
                self.stdout.write(f"CA: {path}")
            elif action == "court":
                for court in self._courts(which):
                    cert = seals.court_cert_issue(court)
                    self.stdout.write(f"{court.name}: serial {cert.serial_number:x}")
            elif action == "revoke":
                for court in self._courts(which):
                    serial = seals.court_cert_revoke(court)
                    self.stdout.write(f"{court.name}: revoked {serial:x}")
            elif action == "crl":
                crl = seals.crl_load()
                revoked = [(r.serial_number, r.revocation_date_utc) for r in crl] if crl else []
                self.stdout.write(f"CRL: {seals.crl_write(revoked=revoked)}")
            else:
                self._show()
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _show(self) -> None:
        ca = seals.ca_certificate()
        self.stdout.write(
            f"CA: {ca.subject.rfc4514_string()} until {ca.not_valid_after_utc:%Y-%m-%d}"
        )
        revoked = seals.revoked_serials()
        key_dir = seals._paths()[3]
        for court in Court.objects.order_by("pk"):
            path = key_dir / f"court-{court.pk}.cert.pem"
            if not path.exists():
                self.stdout.write(f"{court.pk} {court.name}: no certificate")
                continue
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            state = "REVOKED" if cert.serial_number in revoked else "valid"
            self.stdout.write(
                f"{court.pk} {court.name}: serial {cert.serial_number:x} {state} "
                f"until {cert.not_valid_after_utc:%Y-%m-%d}"
            )
        self.stdout.write(f"revoked serials: {', '.join(f'{s:x}' for s in sorted(revoked)) or '-'}")
