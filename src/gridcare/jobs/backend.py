"""A django-tasks backend storing the queue in the GridCare database (SQLite or PostgreSQL).

django-tasks 0.12 ships only the immediate and dummy backends (its database backend moved to
the separate django-tasks-db package, which is not a dependency here): this backend stores each
task result as a :class:`~gridcare.jobs.models.JobRun`, run by ``gridcare worker``. See
docs/adr/0005-jobs-on-django-tasks.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError
from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist

from gridcare.jobs.models import JobRun

#: Seconds a running attempt may go without a heartbeat before another worker takes it over.
DEFAULT_LEASE_SECONDS = 900


class DatabaseBackend(BaseTaskBackend):
    """Task results as ``JobRun`` rows; ``OPTIONS``: ``LEASE_SECONDS``."""

    supports_defer = True
    supports_get_result = True
    supports_priority = True

    @property
    def lease_seconds(self) -> int:
        return int(self.options.get("LEASE_SECONDS", DEFAULT_LEASE_SECONDS))

    def validate_task(self, task: Task[Any, Any]) -> None:
        super().validate_task(task)
        if task.takes_context:
            # The worker calls task functions with their keyword arguments only.
            raise InvalidTaskError(
                "GridCare tasks take no context; use gridcare.jobs.operations.report_progress."
            )

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any]:
        """Store a run of ``task`` (keyword arguments only) now; ``gridcare.jobs.operations.enqueue``
        adds idempotency keys and enqueuing on commit."""
        from gridcare.jobs.operations import store_run

        self.validate_task(task)
        run, _created = store_run(
            task=task, args=args, kwargs=kwargs, idempotency_key=None, now=timezone.now()
        )
        return task_result_of(run, task=task)

    def get_result(self, result_id: str) -> TaskResult[Any]:
        try:
            run = JobRun.objects.get(pk=result_id)
        except (ObjectDoesNotExist, ValidationError, ValueError):
            raise TaskResultDoesNotExist(result_id) from None
        return task_result_of(run, task=import_string(run.task_path))


def task_result_of(run: JobRun, *, task: Task[Any, Any]) -> TaskResult[Any]:
    """The django-tasks view of ``run``."""
    result: TaskResult[Any] = TaskResult(
        task=task,
        id=str(run.pk),
        status=TaskResultStatus(run.status),
        enqueued_at=run.enqueued_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        last_attempted_at=run.heartbeat_at,
        args=[],
        kwargs=run.kwargs,
        backend=task.backend,
        errors=[TaskError(exception_class_path=run.error_class, traceback=run.error)]
        if run.error_class
        else [],
        worker_ids=[attempt.worker_id for attempt in run.attempts.all()],
    )
    object.__setattr__(result, "_return_value", run.return_value)
    return result
