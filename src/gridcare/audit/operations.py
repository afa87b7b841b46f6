"""Writing audit events. Operations call :func:`record_audit_event` inside their transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import models

from gridcare.audit.models import AuditEvent


def record_audit_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    occurred_at: datetime,
    changes: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one audit event for ``action`` on ``target`` (its org unit is taken from it)."""
    org_unit_id = getattr(target, "org_unit_id", None)
    return AuditEvent.objects.create(
        occurred_at=occurred_at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        org_unit_id=org_unit_id,
        changes=_jsonable(changes or {}),
    )


def _jsonable(value: object) -> Any:
    """Decimals, dates and model instances become strings so the payload is plain JSON."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)
