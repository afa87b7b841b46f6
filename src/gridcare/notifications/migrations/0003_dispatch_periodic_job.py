"""Seed the periodic dispatch of the notification outbox (editable afterwards in the admin)."""

from django.db import migrations

DISPATCH_JOB = {
    "name": "dispatch-notifications",
    "task_path": "gridcare.notifications.tasks.dispatch_notifications",
    "interval_seconds": 30,
    "daily_at": None,
}


def seed(apps, schema_editor):
    periodic_job = apps.get_model("jobs", "PeriodicJob")
    periodic_job.objects.get_or_create(name=DISPATCH_JOB["name"], defaults={**DISPATCH_JOB, "kwargs": {}})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "PeriodicJob").objects.filter(name=DISPATCH_JOB["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_unmatched_receipts"), ("jobs", "0002_jobs_seed_periodic")]
    operations = [migrations.RunPython(seed, unseed)]
