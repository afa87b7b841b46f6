"""Defining GridCare tasks: django-tasks tasks with keyword-only parameters and a retry policy."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django_tasks import DEFAULT_TASK_QUEUE_NAME, task
from django_tasks.base import Task

from gridcare.jobs.errors import TaskDefinitionRefused


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often a failing run is tried and how long it waits: ``backoff_seconds`` before the
    second attempt, doubling before each one after it."""

    max_attempts: int = 3
    backoff_seconds: int = 30


#: Retry policies by task path (``Task.module_path``); tasks defined without
#: :func:`gridcare_task` get the default policy.
RETRY_POLICIES: dict[str, RetryPolicy] = {}
DEFAULT_RETRY_POLICY = RetryPolicy()


def gridcare_task(
    *,
    max_attempts: int = DEFAULT_RETRY_POLICY.max_attempts,
    backoff_seconds: int = DEFAULT_RETRY_POLICY.backoff_seconds,
    priority: int = 0,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
) -> Callable[[Callable[..., Any]], Task[Any, Any]]:
    """Decorate a module-level function whose parameters are all keyword-only as a task run by
    the GridCare worker, tried up to ``max_attempts`` times with exponential backoff.

    Tasks run at least once: a retry or a worker that died mid-run runs the function again, so
    it must be idempotent (check what is already done before doing it)."""
    if max_attempts < 1 or backoff_seconds < 0:
        raise TaskDefinitionRefused(reason="max_attempts ≥ 1 and backoff_seconds ≥ 0")

    def define(function: Callable[..., Any]) -> Task[Any, Any]:
        positional = [
            name
            for name, parameter in inspect.signature(function).parameters.items()
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        if positional:
            reason = f"{function.__qualname__}: parameters {positional} must be keyword-only"
            raise TaskDefinitionRefused(reason=reason)
        defined = task(priority=priority, queue_name=queue_name)(function)
        RETRY_POLICIES[defined.module_path] = RetryPolicy(
            max_attempts=max_attempts, backoff_seconds=backoff_seconds
        )
        return defined

    return define


def retry_policy_of(task_path: str) -> RetryPolicy:
    """The retry policy of the task at ``task_path``."""
    return RETRY_POLICIES.get(task_path, DEFAULT_RETRY_POLICY)
