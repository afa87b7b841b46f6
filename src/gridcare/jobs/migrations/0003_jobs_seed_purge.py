"""Seed the daily purge of finished job runs (editable afterwards in the admin)."""

from datetime import time

from django.db import migrations

PURGE_JOB = {
    "name": "purge-finished-job-runs",
    "task_path": "gridcare.jobs.tasks.purge_finished_job_runs",
    "interval_seconds": None,
    "daily_at": time(3, 0),
}


def seed(apps, schema_editor):
    periodic_job = apps.get_model("jobs", "PeriodicJob")
    periodic_job.objects.get_or_create(name=PURGE_JOB["name"], defaults={**PURGE_JOB, "kwargs": {"keep_days": 30}})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name=PURGE_JOB["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_jobs_seed_periodic")]
    operations = [migrations.RunPython(seed, unseed)]
