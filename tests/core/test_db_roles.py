"""The application runs as a database role that cannot TRUNCATE, ALTER or DROP (issue 15
item 4; REC-06, REC-14): ``core.dbroles`` and ``manage.py db_roles``."""

from __future__ import annotations

import io
import os
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from core.dbroles import app_role_from_settings, grant_app_role

pytestmark = pytest.mark.django_db


def test_db_roles_prints_the_owner_and_application_roles_sql() -> None:
    out = io.StringIO()
    call_command("db_roles", "--owner", "gv_owner", "--app", "gv_app", stdout=out)
    sql = out.getvalue()
    if connection.vendor != "postgresql":
        assert sql == ""
        return
    assert 'CREATE ROLE "gv_owner"' in sql and 'CREATE ROLE "gv_app"' in sql
    assert 'ALTER SCHEMA public OWNER TO "gv_owner"' in sql
    assert (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "gv_app"' in sql
    )
    assert 'REVOKE UPDATE, DELETE ON "public"."core_auditentry" FROM "gv_app"' in sql
    assert "TRUNCATE" not in sql


def test_migrations_grant_the_application_role_when_they_run_as_the_owner(settings: Any) -> None:
    settings.DATABASE_URL = "postgres://gavel_app:a@db/gavel"
    settings.DATABASE_MIGRATE_URL = "postgres://gavel_owner:o@db/gavel"
    assert app_role_from_settings() == "gavel_app"
    settings.DATABASE_MIGRATE_URL = ""
    assert app_role_from_settings() == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_truncate_alter_or_drop() -> None:
    s = connection.settings_dict
    app, password = f"gavel_test_app_{os.getpid()}", "app-role-test-password"
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app])
        if cur.fetchone():
            cur.execute(f'DROP OWNED BY "{app}"')
            cur.execute(f'DROP ROLE "{app}"')
        cur.execute(f"CREATE ROLE \"{app}\" LOGIN PASSWORD '{password}'")
        cur.execute(f'GRANT CONNECT ON DATABASE "{s["NAME"]}" TO "{app}"')
    grant_app_role(connection, app)
    try:
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1",
            port=s["PORT"] or 5432,
            dbname=s["NAME"],
            user=app,
            password=password,
            autocommit=True,
        ) as conn:
            pg = conn.cursor()
            pg.execute(
                "INSERT INTO core_auditstream (name, last_seq, last_hash, mac, key_id) "
                "VALUES ('system:roletest', 0, '', '', '')"
            )
            pg.execute("UPDATE core_auditstream SET last_seq = 0 WHERE name = 'system:roletest'")
            pg.execute("SELECT count(*) FROM core_auditentry")
            refused = [
                "TRUNCATE core_auditentry",
                "TRUNCATE settlement_ledgerleg",
                "TRUNCATE core_court CASCADE",
                "ALTER TABLE core_auditentry DISABLE TRIGGER ALL",
                "ALTER TABLE core_auditentry ADD COLUMN forged text",
                "DROP TRIGGER core_auditentry_append_only ON core_auditentry",
                "DROP TABLE core_auditentry",
                "DROP TABLE core_auditstream",
                "DELETE FROM core_auditentry",
                "UPDATE core_auditentry SET reason = ''",
                "DELETE FROM settlement_ledgerleg",
                "CREATE TABLE forged (i int)",
            ]
            for sql in refused:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    pg.execute(sql)
    finally:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditstream WHERE name = 'system:roletest'")
            cur.execute(f'DROP OWNED BY "{app}"')
            cur.execute(f'DROP ROLE "{app}"')
