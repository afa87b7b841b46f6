from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks.base import Task

from gridcare.jobs.models import JobRun, PeriodicJob


class PeriodicJobForm(ModelForm):
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
class PeriodicJobAdmin(admin.ModelAdmin):
    form = PeriodicJobForm
    list_display = ["name", "task_path", "interval_seconds", "daily_at", "enabled", "last_enqueued_at"]
    list_filter = ["enabled"]
    readonly_fields = ["last_enqueued_at"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["task_path", "status", "attempt", "enqueued_at", "started_at", "finished_at"]
    list_filter = ["status", "task_path"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
