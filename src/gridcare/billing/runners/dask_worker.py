"""What a worker process runs for a bill run: one partition — on a Dask worker, or in the local
runner's process pool (``calculate_bill_run(pool=partition_pool(processes=N))``). This module
imports nothing from Django at import time, because a fresh worker process unpickles the task (importing this
module) before Django is set up; :func:`calculate_partition_on_worker` sets it up."""

from __future__ import annotations

import os
from typing import Any


def calculate_partition_on_worker(*, run_id: int, partition_id: int, database_name: str) -> Any:
    """Set Django up once per worker process (on ``database_name``) and calculate one partition;
    returns the run's :class:`~gridcare.billing.runners.local.RunProgress` after it."""
    set_up_worker_process(database_name=database_name)
    from django.utils import timezone

    from gridcare.billing.runners.local import RunProgress, calculate_one_partition

    run = calculate_one_partition(run_id=run_id, partition_id=partition_id, now=timezone.now())
    return RunProgress(
        accounts_done=run.accounts_done, accounts_total=run.accounts_total, bills_flagged=run.bills_flagged
    )


def set_up_worker_process(*, database_name: str) -> None:
    """Set Django up in this worker process (once), connected to ``database_name``."""
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcare.settings")
        django.setup()
    from django.conf import settings
    from django.db import connection

    if settings.DATABASES["default"]["NAME"] != database_name:
        # The client's database wins over the worker's configured name (the test database pytest
        # created, or one province's database on a shared worker pool): connect afresh to it.
        connection.close()
        settings.DATABASES["default"]["NAME"] = database_name
        connection.settings_dict["NAME"] = database_name
