"""Seed the platform's periodic jobs (editable afterwards in the admin)."""

from datetime import time

from django.db import migrations

PERIODIC_JOBS = [
    {
        "name": "purge-expired-identity-records",
        "task_path": "gridcare.identity.tasks.purge_expired_identity_records_task",
        "interval_seconds": 3600,
        "daily_at": None,
    },
    {
        "name": "verify-audit-log",
        "task_path": "gridcare.jobs.tasks.verify_audit_log",
        "interval_seconds": None,
        "daily_at": time(2, 30),
    },
]


def seed(apps, schema_editor):
    periodic_job = apps.get_model("jobs", "PeriodicJob")
    for fields in PERIODIC_JOBS:
        periodic_job.objects.get_or_create(name=fields["name"], defaults={**fields, "kwargs": {}})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name__in=[job["name"] for job in PERIODIC_JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
