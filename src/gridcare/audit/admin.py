"""Admin for the audit log (view-only), and the base class for audited admin corrections."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from gridcare.audit.models import AuditEvent
from gridcare.audit.operations import record_audit_event
from gridcare.organization.admin import ModelAdmin, OrgScopedAdmin, ViewOnlyAdmin

#: Form fields whose values never reach the audit log.
MASKED_FIELDS = frozenset({"password", "password1", "password2"})


class AuditedCorrectionAdmin(ModelAdmin):
    """Lets the admin correct the editable fields of a record, never add or delete one, and
    records every save as an ``admin_change`` audit event with ``[old, new]`` per changed
    field. Django's admin wraps the save in a transaction, so row and event commit together.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: Any) -> None:
        if change and not form.changed_data:
            return  # a Save that changed nothing is not a state change: no write, no audit event
        original = type(obj)._default_manager.get(pk=obj.pk) if change else None
        old_values = {name: _field_value(original, name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        record_audit_event(
            actor=request.user,
            action="admin_change" if change else "admin_add",
            target=obj,
            occurred_at=timezone.now(),
            changes={
                name: _masked(name, [old_values[name], _display(form.cleaned_data.get(name))])
                for name in form.changed_data
            },
        )


def _field_value(record: models.Model | None, name: str) -> object:
    """The displayable value of ``record``'s field ``name`` (``None`` for a new record or a
    form-only field)."""
    if record is None:
        return None
    try:
        field = record._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field such as password1
        return None
    if field.many_to_many:
        return _display(list(getattr(record, name).all()))
    return _display(getattr(record, field.name))


def _display(value: object) -> object:
    """Records as their ``str``, collections as lists, plain values unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet | list | tuple | set):
        return [_display(item) for item in value]
    return str(value)


def _masked(name: str, values: list[object]) -> object:
    return "***" if name in MASKED_FIELDS else values


@admin.register(AuditEvent)
class AuditEventAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    """The audit log is append-only: the admin shows it, scoped to the user's org subtree."""

    # Permission.VIEW_AUDIT_LOG; audit sits below identity, so the value is spelled out here.
    view_permission = "audit.view"

    list_display = ["sequence", "occurred_at", "action", "object_type", "object_id", "actor", "org_unit"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_type", "object_id", "actor__username"]
    list_select_related = ["actor", "org_unit"]
    date_hierarchy = "occurred_at"
