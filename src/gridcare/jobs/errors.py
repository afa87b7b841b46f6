"""Expected failures of the job queue."""

from __future__ import annotations

from gridcare.kit.errors import GridCareError


class TaskArgumentsRefused(GridCareError):
    """A task was enqueued with positional or non-JSON arguments."""

    code = "jobs.arguments_refused"
    message_zh = "任务参数无效：{reason}"
    message_en = "The task arguments are not valid: {reason}"


class TaskDefinitionRefused(GridCareError):
    """A function cannot be a GridCare task (positional parameters, bad retry settings)."""

    code = "jobs.definition_refused"
    message_zh = "任务定义无效：{reason}"
    message_en = "The task definition is not valid: {reason}"


class WorkerStopped(GridCareError):
    """Recorded as the error of an attempt whose worker stopped without finishing it."""

    code = "jobs.worker_stopped"
    message_zh = "执行该任务的工作进程已停止（租约于 {heartbeat_at} 后过期）。"
    message_en = "The worker running this job stopped (its lease expired after {heartbeat_at})."


__all__ = ["TaskArgumentsRefused", "TaskDefinitionRefused", "WorkerStopped"]
