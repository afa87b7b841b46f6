"""Several workers and schedulers at once, on PostgreSQL (real concurrent transactions)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import job_samples
import pytest
from django.db import connection, connections

from gridcare.jobs.models import JobAttempt, JobRun, PeriodicJob
from gridcare.jobs.operations import enqueue, enqueue_due_periodic_jobs, run_next_job

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's in-memory test database fails concurrent writers instead of waiting",
    ),
]


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    start = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_four_workers_run_each_queued_run_once(now: datetime, sample_calls) -> None:
    for number in range(20):
        enqueue(job_samples.add_numbers, now=now, first=number, second=0)

    def work(index: int) -> None:
        while run_next_job(
            worker_id=f"worker-{index}",
            clock=lambda: now,
            lease=timedelta(minutes=15),
            queues=frozenset({"default"}),
        ):
            pass

    _in_threads(4, work)

    assert sorted(kwargs["first"] for _, kwargs in sample_calls) == list(range(20))
    assert list(JobRun.objects.values_list("status", "attempt").distinct()) == [("SUCCESSFUL", 1)]
    assert JobAttempt.objects.count() == 20


def test_three_schedulers_queue_one_run_per_slot() -> None:
    PeriodicJob.objects.all().delete()
    PeriodicJob.objects.create(
        name="hourly-sum",
        task_path="job_samples.add_numbers",
        kwargs={"first": 1, "second": 1},
        interval_seconds=3600,
    )
    at = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
    queued: list[JobRun] = []

    _in_threads(3, lambda index: queued.extend(enqueue_due_periodic_jobs(now=at)))

    assert len(queued) == 1
    assert list(JobRun.objects.values_list("idempotency_key", flat=True)) == [
        "periodic:hourly-sum:2025-03-10T09:00:00+08:00"
    ]
