"""Record where each audit event came from: the acting org unit, request id, client IP and
source, and the chain format the row was hashed in (1 for every row already written, which
keeps verifying as it was hashed; see gridcare.audit.chain).

On SQLite, adding NOT NULL columns rebuilds the table, which drops its append-only trigger:
it is installed again afterwards. PostgreSQL adds the columns in place (no row is updated, so
its update trigger does not fire) and keeps its trigger.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_TRIGGER = """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only');
    END
"""


def reinstall_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_append_only")
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_append_only'),
        ('organization', '0002_number_sequence'),
    ]

    operations = [
        # Undoing the migration rebuilds the table again: the trigger goes back on last.
        migrations.RunPython(migrations.RunPython.noop, reinstall_sqlite_trigger),
        migrations.AddField(
            model_name='auditevent',
            name='acting_org_unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organization.orgunit', verbose_name='acting org unit'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_format',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='chain format'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='ip_address',
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='request_id',
            field=models.CharField(blank=True, db_index=True, max_length=64, verbose_name='request id'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='source',
            field=models.CharField(blank=True, max_length=100, verbose_name='source'),
        ),
        migrations.RunPython(reinstall_sqlite_trigger, reinstall_sqlite_trigger),
    ]
