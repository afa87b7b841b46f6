"""Writing audit events. Operations call :func:`record_audit_event` inside their transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet

from gridcare.audit import queries
from gridcare.audit.chain import CURRENT_CHAIN_FORMAT, GENESIS_HASH, hash_of_event
from gridcare.audit.context import current_audit_context
from gridcare.audit.models import AuditChainHead, AuditEvent
from gridcare.kit.masking import mask_personal_values

#: The primary key of the one chain-head row.
CHAIN_HEAD_ID = 1


@transaction.atomic
def record_audit_event(
    *,
    actor: Any,
    action: str,
    target: models.Model | None,
    occurred_at: datetime,
    changes: Mapping[str, object] | None = None,
    object_type: str = "",
    object_id: str = "",
    org_unit_id: int | None = None,
) -> AuditEvent:
    """Append one audit event for ``action`` on ``target`` (its org unit is taken from it),
    linked to the chain head, which stays locked until the caller's transaction ends.

    An event about no stored row (a failed login for an unknown username, an export) passes
    ``target=None`` and names the object with ``object_type``, ``object_id`` and ``org_unit_id``
    instead; those three are refused alongside a ``target``.

    The event also records the actor's own org unit at this moment and, from
    :func:`~gridcare.audit.context.current_audit_context`, the request id, client IP and source
    (``http``, ``command:<name>``) of the work that made the change."""
    object_type, object_id, org_unit_id = _described_object(
        target=target, object_type=object_type, object_id=object_id, org_unit_id=org_unit_id
    )
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(
        pk=CHAIN_HEAD_ID, defaults={"sequence": 0, "hash": GENESIS_HASH}
    )
    event = AuditEvent(
        occurred_at=occurred_at,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        org_unit_id=org_unit_id,
        # PII (issue 3 item 5): values of personal keys (id_number, mobile, landline,
        # bank_account_no) are masked before they are stored and hashed into the chain.
        changes=_jsonable(mask_personal_values(changes or {})),
        sequence=head.sequence + 1,
        previous_hash=head.hash,
    )
    # --- request context: where the change came from ----------------------------------------
    context = current_audit_context()
    event.chain_format = CURRENT_CHAIN_FORMAT
    event.acting_org_unit_id = getattr(actor, "org_unit_id", None) if event.actor else None
    event.request_id = context.request_id
    event.ip_address = context.ip_address
    event.source = context.source
    # ------------------------------------------------------------------------------------------
    event.hash = hash_of_event(event)
    event.save(force_insert=True)
    head.sequence, head.hash = event.sequence, event.hash
    head.save(update_fields=["sequence", "hash"])
    return event


@transaction.atomic
def export_audit_log(
    *, actor: Any, filters: Mapping[str, Any], given_filters: Mapping[str, object], now: datetime
) -> QuerySet[AuditEvent]:
    """Record an ``export_audit_log`` event and return the events the export holds.

    ``filters`` are :func:`~gridcare.audit.queries.search_audit_events` keywords; the events
    stop at the chain head read before the export event, so the count recorded is exactly the
    rows written and the export event itself is not among them.
    """
    head = queries.recorded_chain_head()
    events = queries.search_audit_events(user=actor, through_sequence=head.sequence, **filters)
    record_audit_event(
        actor=actor,
        action="export_audit_log",
        target=None,
        object_type=AuditEvent._meta.label_lower,
        org_unit_id=actor.org_unit_id,
        occurred_at=now,
        changes={"filters": dict(given_filters), "row_count": events.count()},
    )
    return events


def _described_object(
    *, target: models.Model | None, object_type: str, object_id: str, org_unit_id: int | None
) -> tuple[str, str, int | None]:
    """The object type, id and org unit id of the event: taken from ``target``, or as given."""
    if target is None:
        if not object_type:
            raise ValueError("An audit event without a target needs an object_type.")
        return object_type, object_id, org_unit_id
    if object_type or object_id or org_unit_id is not None:
        raise ValueError("object_type, object_id and org_unit_id are taken from the target.")
    return target._meta.label_lower, str(target.pk), getattr(target, "org_unit_id", None)


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
