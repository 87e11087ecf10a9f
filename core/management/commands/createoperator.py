"""``manage.py createoperator``: the first platform operator of a fresh installation.

Interactive (asks for what is missing) or with flags; the password from a prompt or from an
environment variable (``--password-from-env VAR``), never on the command line. Prints a
one-time enrolment link that binds the operator's second factor (REC-14: no binding by the
password alone); ``--new-link`` issues a fresh link for an existing operator (a lost phone).
Audited in ``system:accounts`` with the system as actor.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core import onboarding
from core.audit import audit_record
from core.models import Role, User


class Command(BaseCommand):
    help = "Create the first platform operator and print their enrolment link (second factor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username")
        parser.add_argument("--name", help="display name, e.g. 平台运营")
        parser.add_argument("--phone", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="read the password from this environment variable",
        )
        parser.add_argument(
            "--no-admin",
            action="store_true",
            help="do not open the Django admin to this operator (is_staff/is_superuser off)",
        )
        parser.add_argument(
            "--new-link",
            action="store_true",
            help="issue a new enrolment link for an existing operator (revokes earlier links)",
        )
        parser.add_argument("--noinput", "--no-input", action="store_true", dest="noinput")

    def _ask(self, value: str | None, prompt: str, noinput: bool, *, required: bool = True) -> str:
        if value:
            return value.strip()
        if noinput:
            if required:
                raise CommandError(f"{prompt} is required with --noinput")
            return ""
        try:
            return input(f"{prompt}: ").strip()
        except EOFError as exc:
            raise CommandError(f"{prompt} is required") from exc

    def handle(self, *args: Any, **opts: Any) -> None:
        noinput = bool(opts["noinput"])
        username = self._ask(opts["username"], "Username", noinput)
        if opts["new_link"]:
            user = User.objects.filter(username=username, role=Role.OPERATOR).first()
            if user is None:
                raise CommandError(f"no operator named {username!r}")
            issued = onboarding.enrolment_issue(
                user=user, actor=None, sets_password=False, reason="createoperator --new-link"
            )
            self._print_link(issued)
            return
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"username {username!r} is taken (use --new-link for a new link)")
        name = self._ask(opts["name"], "Display name", noinput)
        phone = self._ask(opts["phone"], "Mobile number (optional)", noinput, required=False)
        email = self._ask(opts["email"], "E-mail (optional)", noinput, required=False)
        password = self._password(opts["password_from_env"], noinput)
        candidate = User(username=username, display_name=name, email=email, role=Role.OPERATOR)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from exc
        admin = not opts["no_admin"]
        with transaction.atomic():
            user = User(
                username=username,
                display_name=name,
                phone=phone,
                email=email,
                role=Role.OPERATOR,
                is_staff=admin,
                is_superuser=admin,
            )
            user.set_password(password)
            user.save()
            audit_record(
                stream=onboarding.ACCOUNTS_STREAM,
                action="account.created",
                actor=None,
                subject=f"user:{user.pk}",
                after={"username": username, "role": Role.OPERATOR, "admin": admin},
                reason="manage.py createoperator",
                rules=["REC-14"],
            )
            issued = onboarding.enrolment_issue(user=user, actor=None, sets_password=False)
        self.stdout.write(self.style.SUCCESS(f"Operator {username!r} created."))
        self._print_link(issued)

    def _password(self, env_var: str | None, noinput: bool) -> str:
        if env_var:
            value = os.environ.get(env_var, "")
            if not value:
                raise CommandError(f"environment variable {env_var} is empty or unset")
            return value
        if noinput:
            raise CommandError("give --password-from-env VAR with --noinput")
        try:
            first = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except EOFError as exc:
            raise CommandError("no password typed: use --password-from-env VAR") from exc
        if first != again:
            raise CommandError("the passwords differ")
        return first

    def _print_link(self, issued: onboarding.Issued) -> None:
        self.stdout.write(
            "Open this one-time link to bind the authenticator app (second factor), valid until "
            f"{issued.link.expires_at:%Y-%m-%d %H:%M} UTC:\n{issued.url}"
        )
        if not issued.url.startswith("http"):
            self.stdout.write("(a path: prefix the site's address, or set GAVEL_SITE_URL)")
