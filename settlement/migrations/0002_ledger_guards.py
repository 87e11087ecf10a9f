"""PostgreSQL guards of the ledger: legs of a transaction sum to zero (checked at commit by a
DEFERRABLE INITIALLY DEFERRED constraint trigger), and ledger rows are append-only."""

from django.db import migrations

from core.dbutil import append_only

_FUNC = """
CREATE OR REPLACE FUNCTION settlement_check_balanced() RETURNS trigger AS $$
DECLARE
  tx bigint;
  total numeric;
  n integer;
BEGIN
  IF TG_TABLE_NAME = 'settlement_ledgerleg' THEN
    tx := NEW.transaction_id;
  ELSE
    tx := NEW.id;
  END IF;
  SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, n
    FROM settlement_ledgerleg WHERE transaction_id = tx;
  IF total <> 0 OR n < 2 THEN
    RAISE EXCEPTION 'gavel: ledger transaction % is unbalanced (legs sum to %, % legs)', tx, total, n
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

_TRIGGERS = [
    "DROP TRIGGER IF EXISTS settlement_leg_balanced ON settlement_ledgerleg",
    "CREATE CONSTRAINT TRIGGER settlement_leg_balanced AFTER INSERT ON settlement_ledgerleg "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION settlement_check_balanced()",
    "DROP TRIGGER IF EXISTS settlement_tx_balanced ON settlement_ledgertransaction",
    "CREATE CONSTRAINT TRIGGER settlement_tx_balanced AFTER INSERT ON settlement_ledgertransaction "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION settlement_check_balanced()",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FUNC)
        for sql in _TRIGGERS:
            cursor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS settlement_leg_balanced ON settlement_ledgerleg")
        cursor.execute("DROP TRIGGER IF EXISTS settlement_tx_balanced ON settlement_ledgertransaction")
        cursor.execute("DROP FUNCTION IF EXISTS settlement_check_balanced()")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [
        migrations.RunPython(forward, backward),
        append_only("settlement_ledgertransaction"),
        append_only("settlement_ledgerleg"),
        append_only("settlement_payoutapproval"),
        append_only("settlement_forfeitsettlement"),
    ]
