"""``manage.py db_roles``: the SQL of the two database roles (core/dbroles.py).

Prints the SQL by default (to review, or to run with psql as a superuser); ``--apply`` runs it
on the connection of ``DATABASE_MIGRATE_URL`` (or ``DATABASE_URL``), which must then be a
superuser or a role with CREATEROLE that owns the database. Passwords come from the
environment variables named by ``--owner-password-env`` / ``--app-password-env``, never
from the command line.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from core.dbroles import grant_sql, roles_sql
from core.dbutil import append_only_tables, guard_truncate


class Command(BaseCommand):
    help = "Create the schema owner and the application database roles (print or --apply)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default="gavel_owner")
        parser.add_argument("--app", default="gavel_app")
        parser.add_argument("--owner-password-env", default="GAVEL_DB_OWNER_PASSWORD")
        parser.add_argument("--app-password-env", default="GAVEL_DB_APP_PASSWORD")
        parser.add_argument(
            "--reassign-from", default="", help="role that owns the tables today (REASSIGN)"
        )
        parser.add_argument("--apply", action="store_true", help="run it (as a superuser)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            self.stderr.write("db_roles is for PostgreSQL; the demo's SQLite has no roles")
            return
        statements = roles_sql(
            owner=opts["owner"],
            app=opts["app"],
            database=str(connection.settings_dict["NAME"]),
            owner_password=os.environ.get(opts["owner_password_env"], ""),
            app_password=os.environ.get(opts["app_password_env"], ""),
            current_owner=opts["reassign_from"],
        )
        statements += grant_sql(opts["app"], append_only_tables(connection))
        if not opts["apply"]:
            for sql in statements:
                self.stdout.write(sql + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        guard_truncate(connection)
        self.stdout.write(
            self.style.SUCCESS(f"roles {opts['owner']} (owner) and {opts['app']} (application) set")
        )
