"""The reference tariffs (issue 5): each JSON file of gridcare/tariffs/catalog/ as version 1 of
its tariff, valid from 2012-07-01, so billing and quotes work right after ``migrate``.

The files are read when the migration runs (not copied here); the catalog's documents are
validated by the tariff unit and integration tests."""

import hashlib
import json
from datetime import date, datetime
from importlib.resources import files
from zoneinfo import ZoneInfo

from django.db import migrations

VALID_FROM = date(2012, 7, 1)
CREATED_AT = datetime(2012, 7, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


def catalog_files():
    return sorted(
        (entry for entry in files("gridcare.tariffs").joinpath("catalog").iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )


def load(apps, schema_editor):
    tariff_model = apps.get_model("tariffs", "Tariff")
    version_model = apps.get_model("tariffs", "TariffVersion")
    for entry in catalog_files():
        document = json.loads(entry.read_text(encoding="utf-8"))
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        tariff, _created = tariff_model.objects.get_or_create(
            code=document["code"],
            defaults={
                "name_zh": document["name_zh"],
                "name_en": document["name_en"],
                "kind": "gridcare",
                "created_at": CREATED_AT,
            },
        )
        version_model.objects.get_or_create(
            tariff=tariff,
            version=1,
            defaults={
                "valid_from": VALID_FROM,
                "document": document,
                "document_sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
                "source": entry.name,
                "created_at": CREATED_AT,
            },
        )


def unload(apps, schema_editor):
    codes = [json.loads(entry.read_text(encoding="utf-8"))["code"] for entry in catalog_files()]
    apps.get_model("tariffs", "TariffVersion").objects.filter(tariff__code__in=codes, version=1).delete()
    apps.get_model("tariffs", "Tariff").objects.filter(code__in=codes, versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
