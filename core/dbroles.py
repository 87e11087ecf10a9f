"""The two PostgreSQL roles of production (REC-06, REC-14): an owner and the application.

The **owner** role owns the schema and every table; only ``manage.py migrate`` connects as it
(``DATABASE_MIGRATE_URL``). The **application** role (``DATABASE_URL``) owns nothing, so it
can never ALTER or DROP a table or drop the guard triggers, and it is granted only
SELECT/INSERT/UPDATE/DELETE (never TRUNCATE, REFERENCES or TRIGGER), and on the append-only
tables (the audit entries and anchors, the ledger, bids, …) only SELECT and INSERT.

``manage.py db_roles`` prints (or, with ``--apply``, runs as a superuser) the SQL that creates
both roles and hands the schema to the owner; after each ``migrate`` as the owner, core's
``post_migrate`` handler grants the application role its rights on new tables
(``grant_app_role``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.dbutil import append_only_tables

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


def _ident(name: str) -> str:
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise ValueError(f"not a plain role name: {name!r}")
    return f'"{name}"'


def grant_sql(app_role: str, append_only: list[str], *, schema: str = "public") -> list[str]:
    """The grants of the application role on the schema as it is now."""
    app, sch = _ident(app_role), _ident(schema)
    statements = [
        f"REVOKE ALL ON SCHEMA {sch} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
    ]
    statements += [f'REVOKE UPDATE, DELETE ON {sch}."{t}" FROM {app}' for t in append_only]
    return statements


def roles_sql(
    *,
    owner: str,
    app: str,
    database: str,
    owner_password: str = "",
    app_password: str = "",
    current_owner: str = "",
) -> list[str]:
    """Create both roles (if missing) and hand the database, the schema and its tables to
    the owner. Run once as a superuser; ``migrate`` (as the owner) then grants the app."""
    o, a, db = _ident(owner), _ident(app), _ident(database)

    def create(role: str, password: str) -> str:
        login = (
            f"LOGIN PASSWORD '{password.replace(chr(39), chr(39) * 2)}'" if password else "LOGIN"
        )
        return (
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
            f'THEN CREATE ROLE "{role}" {login} NOSUPERUSER NOCREATEDB NOCREATEROLE; '
            "END IF; END $$"
        )

    statements = [
        create(owner, owner_password),
        create(app, app_password),
        f"ALTER DATABASE {db} OWNER TO {o}",
        f"ALTER SCHEMA public OWNER TO {o}",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {a}",
    ]
    if current_owner and current_owner != owner:
        # Tables made by an earlier single-role set-up pass to the owner.
        statements.append(f"REASSIGN OWNED BY {_ident(current_owner)} TO {o}")
    return statements


def grant_app_role(connection: BaseDatabaseWrapper, app_role: str) -> None:
    """Grant ``app_role`` its rights on every table now in the schema (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in grant_sql(app_role, append_only_tables(connection)):
            cursor.execute(sql)


def app_role_from_settings() -> str:
    """The application role to grant after a migration: the user of ``DATABASE_URL`` when
    migrations run as another role (``DATABASE_MIGRATE_URL``); "" otherwise."""
    from django.conf import settings

    if not settings.DATABASE_MIGRATE_URL or not settings.DATABASE_URL:
        return ""
    import environ

    app_user = environ.Env.db_url_config(settings.DATABASE_URL).get("USER") or ""
    owner_user = environ.Env.db_url_config(settings.DATABASE_MIGRATE_URL).get("USER") or ""
    return str(app_user) if app_user and app_user != owner_user else ""
