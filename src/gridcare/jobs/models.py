"""Background jobs: one row per job run (the queue itself), its attempts, and the periodic
schedule as data.

A :class:`JobRun` is the stored form of a django-tasks ``TaskResult``: the worker claims
``ready`` rows whose ``run_after`` has come, runs them, and records each attempt. A run whose
``idempotency_key`` is set exists once per key, so enqueuing the same logical work twice runs
it once."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    READY = "READY", _("Queued")
    RUNNING = "RUNNING", _("Running")
    SUCCESSFUL = "SUCCESSFUL", _("Succeeded")
    FAILED = "FAILED", _("Failed")


class JobRun(models.Model):
    """One logical run of a task: queued, running, then succeeded or failed after its attempts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.CharField(_("task"), max_length=255)
    queue_name = models.CharField(_("queue"), max_length=64, default="default")
    priority = models.SmallIntegerField(_("priority"), default=0)
    kwargs = models.JSONField(_("arguments"), default=dict)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=255, null=True, blank=True, unique=True
    )
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.READY)
    enqueued_at = models.DateTimeField(_("enqueued at"))
    run_after = models.DateTimeField(_("run after"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: The attempt being made or last made (1 for the first).
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=1)
    backoff_seconds = models.PositiveIntegerField(_("first retry delay (seconds)"), default=30)
    #: Which worker holds the run and when it last showed it is alive (claim or progress).
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    error_class = models.CharField(_("error type"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    return_value = models.JSONField(_("result"), null=True, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    progress_message = models.CharField(_("progress message"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [
            models.Index(fields=["status", "run_after"]),
            models.Index(fields=["-enqueued_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempt__lte=models.F("max_attempts")), name="jobs_run_attempt_within_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_path} {self.status}"

    @property
    def progress_percent(self) -> int | None:
        """Progress as a whole percentage, or None when the total is unknown."""
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)


class JobAttempt(models.Model):
    """One attempt at a run: who ran it, when, and how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Abandoned (worker stopped)")

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("run"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    worker_id = models.CharField(_("worker"), max_length=64)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job attempt")
        verbose_name_plural = _("job attempts")
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="jobs_attempt_unique_number")]
        ordering = ["run", "number"]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.number} {self.outcome}"


class PeriodicJob(models.Model):
    """A task the scheduler enqueues every ``interval_seconds`` or daily at ``daily_at``
    (Asia/Shanghai): exactly one of the two is set."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    task_path = models.CharField(_("task"), max_length=255)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(_("every (seconds)"), null=True, blank=True)
    daily_at = models.TimeField(_("daily at (Asia/Shanghai)"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(interval_seconds__isnull=False, daily_at__isnull=True, interval_seconds__gt=0)
                    | models.Q(interval_seconds__isnull=True, daily_at__isnull=False)
                ),
                name="jobs_periodic_interval_xor_daily",
            ),
        ]

    def __str__(self) -> str:
        return self.name
