"""The initial chart of accounts, and on PostgreSQL the ledger's own guards: journal entries and
postings refuse UPDATE and DELETE, and every entry's postings must balance at commit (a
deferred constraint trigger), whatever code writes them."""

from __future__ import annotations

from typing import Any

from django.db import migrations

REFUSE_CHANGE = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are never changed or deleted (%): post a reversal', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER ledger_journalentry_written_once BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_written_once BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debits numeric;
    credits numeric;
BEGIN
    SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO debits, credits
        FROM ledger_posting WHERE entry_id = NEW.entry_id;
    IF debits <> credits THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits %, credits %', NEW.entry_id, debits, credits
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""

DROP = """
DROP TRIGGER ledger_posting_balanced ON ledger_posting;
DROP FUNCTION ledger_check_balanced();
DROP TRIGGER ledger_posting_written_once ON ledger_posting;
DROP TRIGGER ledger_journalentry_written_once ON ledger_journalentry;
DROP FUNCTION ledger_refuse_change();
"""


def add_guards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE_CHANGE, params=None)


def drop_guards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def load_chart(apps: Any, schema_editor: Any) -> None:
    from gridcare.ledger.chart import load_initial_chart

    load_initial_chart(model=apps.get_model("ledger", "LedgerAccount"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_ledger")]

    operations = [
        migrations.RunPython(load_chart, migrations.RunPython.noop),
        migrations.RunPython(add_guards, drop_guards),
    ]
