"""The demonstration tariffs the demo utility bills its commercial and agricultural accounts with
(DEMO-GC-FLAT, DEMO-AGR-FLAT): files of the catalog added after 0002, loaded the same way
(0002 loads every catalog file on a fresh database; this loads those missing on one migrated
before they existed)."""

from importlib import import_module

from django.db import migrations

reference_tariffs = import_module("gridcare.tariffs.migrations.0002_reference_tariffs")


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0002_reference_tariffs")]
    operations = [migrations.RunPython(reference_tariffs.load, migrations.RunPython.noop)]
