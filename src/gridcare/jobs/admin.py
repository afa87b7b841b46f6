"""The periodic schedule (corrections audited) and the job runs (view-only) in the admin site."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks.base import Task

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.jobs.models import JobRun, PeriodicJob
from gridcare.organization.admin import PermissionAdmin, ViewOnlyAdmin

#: Permission names (identity.permissions.Permission values; jobs sits below identity).
VIEW_JOBS = "jobs.view"
#: The schedule is platform configuration: the administrators who may enter the admin site change it.
MANAGE_USERS = "identity.manage_users"


class PeriodicJobForm(ModelForm[PeriodicJob]):
    def clean_task_path(self) -> str:
        task_path: str = self.cleaned_data["task_path"]
        try:
            task = import_string(task_path)
        except ImportError:
            task = None
        if not isinstance(task, Task):
            raise ValidationError(_("No task is defined at %(path)s."), params={"path": task_path})
        return task_path


@admin.register(PeriodicJob)
class PeriodicJobAdmin(AuditedCorrectionAdmin, PermissionAdmin):
    form = PeriodicJobForm
    view_permission = VIEW_JOBS
    change_permission = MANAGE_USERS
    list_display = ["name", "task_path", "interval_seconds", "daily_at", "enabled", "last_enqueued_at"]
    list_filter = ["enabled"]
    readonly_fields = ["name", "last_enqueued_at"]


@admin.register(JobRun)
class JobRunAdmin(ViewOnlyAdmin):
    view_permission = VIEW_JOBS
    list_display = ["task_path", "status", "attempt", "enqueued_at", "started_at", "finished_at"]
    list_filter = ["status", "task_path"]
