"""Every change to the job queue: enqueuing (idempotent, on commit), claiming and running runs
with retries, progress, and the periodic scheduler.

Delivery is at least once: a run whose worker stopped is taken over by another worker once its
lease (``LEASE_SECONDS`` without a heartbeat) has expired, so task functions must be idempotent.
Queue bookkeeping is not audited (it would flood the audit chain); the operations that tasks
call audit themselves."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.module_loading import import_string
from django_tasks import task_backends
from django_tasks.base import Task

from gridcare.jobs.definitions import retry_policy_of
from gridcare.jobs.errors import TaskArgumentsRefused, WorkerStopped
from gridcare.jobs.models import JobAttempt, JobRun, JobStatus, PeriodicJob

logger = logging.getLogger(__name__)

#: Business time zone of daily schedules.
SCHEDULE_TIME_ZONE = ZoneInfo("Asia/Shanghai")

#: The run the current worker is executing (for :func:`report_progress`).
_current_run_id: ContextVar[Any] = ContextVar("gridcare_current_job_run", default=None)


def _checked_kwargs(args: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if args:
        raise TaskArgumentsRefused(reason="GridCare tasks take keyword arguments only")
    try:
        return dict(json.loads(json.dumps(dict(kwargs))))
    except (TypeError, ValueError) as error:
        raise TaskArgumentsRefused(reason=str(error)) from None


def store_run(
    *, task: Task[Any, Any], args: Any, kwargs: Mapping[str, Any], idempotency_key: str | None, now: datetime
) -> tuple[JobRun, bool]:
    """Store a queued run of ``task``, or return the run already stored under ``idempotency_key``;
    the flag says whether a new run was stored."""
    checked = _checked_kwargs(args, kwargs)
    policy = retry_policy_of(task.module_path)
    run = JobRun(
        task_path=task.module_path,
        queue_name=task.queue_name,
        priority=task.priority,
        kwargs=checked,
        idempotency_key=idempotency_key,
        enqueued_at=now,
        run_after=task.run_after or now,
        max_attempts=policy.max_attempts,
        backoff_seconds=policy.backoff_seconds,
    )
    if idempotency_key is None:
        run.save(force_insert=True)
        return run, True
    try:
        with transaction.atomic():
            run.save(force_insert=True)
    except IntegrityError:
        # Another caller stored this logical run first (a concurrent insert waits for it to commit).
        return JobRun.objects.get(idempotency_key=idempotency_key), False
    return run, True


def enqueue(
    task: Task[Any, Any], /, *, now: datetime, idempotency_key: str | None = None, **kwargs: Any
) -> JobRun:
    """Queue a run of ``task`` with keyword arguments ``kwargs`` (JSON values) now; with an
    ``idempotency_key``, the same key queues one run only and returns it again afterwards."""
    task_backends[task.backend].validate_task(task)
    run, _created = store_run(task=task, args=(), kwargs=kwargs, idempotency_key=idempotency_key, now=now)
    return run


def enqueue_on_commit(
    task: Task[Any, Any], /, *, now: datetime, idempotency_key: str | None = None, **kwargs: Any
) -> None:
    """Queue a run of ``task`` when the current transaction commits (nothing if it rolls back).
    The arguments are checked at once, so a bad call fails in the caller's transaction."""
    task_backends[task.backend].validate_task(task)
    checked = _checked_kwargs((), kwargs)
    transaction.on_commit(lambda: enqueue(task, now=now, idempotency_key=idempotency_key, **checked))


def claim_next_run(
    *, worker_id: str, now: datetime, lease: timedelta, queues: frozenset[str]
) -> JobRun | None:
    """Take the next due run (highest priority, then oldest) for ``worker_id``: a queued run whose
    ``run_after`` has come, or a running one whose worker missed its lease. Records the attempt.

    PostgreSQL skips rows other workers hold locked; SQLite's IMMEDIATE transactions let one
    writer claim at a time."""
    while True:
        with transaction.atomic():
            due = JobRun.objects.filter(
                Q(status=JobStatus.READY, run_after__lte=now)
                | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - lease),
                queue_name__in=queues,
            ).order_by("-priority", "run_after", "enqueued_at")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            run = due.first()
            if run is None:
                return None
            if run.status == JobStatus.RUNNING:
                stopped = WorkerStopped(heartbeat_at=run.heartbeat_at.isoformat() if run.heartbeat_at else "")
                _finish_attempt(run=run, outcome=JobAttempt.Outcome.ABANDONED, error=str(stopped), now=now)
                if run.attempt >= run.max_attempts:
                    _record_failure(run=run, error_class=_class_path(stopped), error=str(stopped), now=now)
                    continue
            run.attempt += 1
            run.status = JobStatus.RUNNING
            run.worker_id = worker_id
            run.heartbeat_at = now
            run.started_at = run.started_at or now
            run.save(update_fields=["attempt", "status", "worker_id", "heartbeat_at", "started_at"])
            JobAttempt.objects.create(run=run, number=run.attempt, worker_id=worker_id, started_at=now)
            return run


def execute_run(*, run: JobRun, clock: Callable[[], datetime]) -> JobRun:
    """Run the claimed ``run``'s task and record the outcome: success, a retry after the backoff,
    or failure once its attempts are used up."""
    token = _current_run_id.set(run.pk)
    try:
        task = import_string(run.task_path)
        value = task.func(**run.kwargs)
        result = json.loads(json.dumps(value, default=str))
    except Exception as error:  # any failure of a task is recorded, never lost
        _record_attempt_failure(
            run=run, error_class=_class_path(error), error=traceback.format_exc(), now=clock()
        )
    else:
        with transaction.atomic():
            now = clock()
            _finish_attempt(run=run, outcome=JobAttempt.Outcome.SUCCEEDED, error="", now=now)
            run.status = JobStatus.SUCCESSFUL
            run.finished_at = now
            run.return_value = result
            run.error_class = run.error = ""
            run.save(update_fields=["status", "finished_at", "return_value", "error_class", "error"])
    finally:
        _current_run_id.reset(token)
    return run


def run_next_job(
    *, worker_id: str, clock: Callable[[], datetime], lease: timedelta, queues: frozenset[str]
) -> JobRun | None:
    """Claim and run one due run; None when nothing is due."""
    run = claim_next_run(worker_id=worker_id, now=clock(), lease=lease, queues=queues)
    if run is None:
        return None
    return execute_run(run=run, clock=clock)


def report_progress(*, done: int, total: int | None, message: str = "", now: datetime) -> None:
    """Record how far the running task has got (and that its worker is alive). Does nothing
    outside a worker (a task called directly)."""
    run_id = _current_run_id.get()
    if run_id is None:
        return
    JobRun.objects.filter(pk=run_id).update(
        progress_done=done, progress_total=total, progress_message=message[:255], heartbeat_at=now
    )


def latest_slot(*, periodic_job: PeriodicJob, now: datetime) -> datetime:
    """The latest time at or before ``now`` at which ``periodic_job`` is due: a multiple of its
    interval since the Unix epoch, or today's (else yesterday's) ``daily_at`` in Asia/Shanghai."""
    if periodic_job.interval_seconds:
        seconds = int(now.timestamp()) // periodic_job.interval_seconds * periodic_job.interval_seconds
        return datetime.fromtimestamp(seconds, tz=SCHEDULE_TIME_ZONE)
    local_now = now.astimezone(SCHEDULE_TIME_ZONE)
    daily_at: time = periodic_job.daily_at  # type: ignore[assignment]
    slot = datetime.combine(local_now.date(), daily_at, tzinfo=SCHEDULE_TIME_ZONE)
    if slot > local_now:
        slot = datetime.combine(local_now.date() - timedelta(days=1), daily_at, tzinfo=SCHEDULE_TIME_ZONE)
    return slot


def enqueue_due_periodic_jobs(*, now: datetime) -> list[JobRun]:
    """Queue each enabled periodic job whose latest slot has no run yet; the run's idempotency
    key names the job and the slot, so two schedulers queue one run per slot. Returns the runs
    queued by this call."""
    queued = []
    for periodic_job in PeriodicJob.objects.filter(enabled=True).order_by("name"):
        slot = latest_slot(periodic_job=periodic_job, now=now)
        if periodic_job.last_enqueued_at is not None and periodic_job.last_enqueued_at >= slot:
            continue
        try:
            task = import_string(periodic_job.task_path)
        except ImportError:
            # A task removed from the code must not stop the other jobs: it is logged and skipped.
            logger.exception("Periodic job %s names no task: %s", periodic_job.name, periodic_job.task_path)
            continue
        with transaction.atomic():
            run, created = store_run(
                task=task,
                args=(),
                kwargs=periodic_job.kwargs,
                idempotency_key=f"periodic:{periodic_job.name}:{slot.isoformat()}",
                now=now,
            )
            PeriodicJob.objects.filter(pk=periodic_job.pk).update(last_enqueued_at=slot)
        if created:
            queued.append(run)
    return queued


def purge_finished_runs(*, finished_before: datetime) -> int:
    """Delete succeeded and failed runs (and their attempts) that ended before
    ``finished_before``; the number of runs deleted. Queued and running runs are kept."""
    finished = JobRun.objects.filter(
        status__in=[JobStatus.SUCCESSFUL, JobStatus.FAILED], finished_at__lt=finished_before
    )
    _deleted, by_model = finished.delete()
    return by_model.get(JobRun._meta.label, 0)


def _record_attempt_failure(*, run: JobRun, error_class: str, error: str, now: datetime) -> None:
    with transaction.atomic():
        _finish_attempt(run=run, outcome=JobAttempt.Outcome.FAILED, error=error, now=now)
        if run.attempt < run.max_attempts:
            run.status = JobStatus.READY
            run.run_after = now + timedelta(seconds=retry_policy_delay(run))
            run.error_class, run.error = error_class, error
            run.save(update_fields=["status", "run_after", "error_class", "error"])
        else:
            _record_failure(run=run, error_class=error_class, error=error, now=now)


def retry_policy_delay(run: JobRun) -> int:
    """Seconds before the next attempt of ``run`` after its current attempt failed."""
    return int(run.backoff_seconds * 2 ** (run.attempt - 1))


def _record_failure(*, run: JobRun, error_class: str, error: str, now: datetime) -> None:
    run.status = JobStatus.FAILED
    run.finished_at = now
    run.error_class, run.error = error_class, error
    run.save(update_fields=["status", "finished_at", "error_class", "error"])


def _finish_attempt(*, run: JobRun, outcome: str, error: str, now: datetime) -> None:
    JobAttempt.objects.filter(run=run, number=run.attempt).update(
        outcome=outcome, error=error, finished_at=now
    )


def _class_path(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"
