"""Seed the daily late-fee accrual job (editable afterwards in the admin): at 00:30 it charges
the fees accrued through the end of the last month (a no-op after the first run of a month)."""

import datetime

from django.db import migrations

ACCRUAL_JOB = {
    "name": "accrue-late-fees",
    "task_path": "gridcare.payments.tasks.accrue_late_fees_task",
    "interval_seconds": None,
    "daily_at": datetime.time(0, 30),
}


def seed(apps, schema_editor):
    periodic_job = apps.get_model("jobs", "PeriodicJob")
    periodic_job.objects.get_or_create(name=ACCRUAL_JOB["name"], defaults={**ACCRUAL_JOB, "kwargs": {}})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name=ACCRUAL_JOB["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_late_fee_charges"), ("jobs", "0003_jobs_seed_purge")]
    operations = [migrations.RunPython(seed, unseed)]
