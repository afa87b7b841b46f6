"""Reading the audit log: the chain for verification (a whole-database integrity check run by
operators and backups, not a business read, so not scoped to an acting user), and the events an
acting user may browse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from gridcare.audit.chain import GENESIS_HASH, ChainedEvent, ChainHead, verify_chain
from gridcare.audit.models import AuditChainHead, AuditEvent

#: Events read per query while walking the chain; memory stays bounded by it.
DEFAULT_CHUNK_SIZE = 2000

_CHAINED_FIELDS = (
    "id",
    "sequence",
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "org_unit_id",
    "changes",
    "previous_hash",
    "hash",
    "chain_format",
    "acting_org_unit_id",
    "request_id",
    "ip_address",
    "source",
)


def recorded_chain_head() -> ChainHead:
    """The sequence and hash the chain-head row records (sequence 0 for an empty log)."""
    head = AuditChainHead.objects.values_list("sequence", "hash").first()
    return ChainHead(sequence=head[0], hash=head[1]) if head else ChainHead(sequence=0, hash=GENESIS_HASH)


def chained_events(*, up_to: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ChainedEvent]:
    """The audit events with sequence ≤ ``up_to`` in sequence order, read ``chunk_size`` rows at
    a time (keyset paging)."""
    after = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(sequence__gt=after, sequence__lte=up_to)
            .order_by("sequence")
            .values_list(*_CHAINED_FIELDS)[:chunk_size]
        )
        for row in rows:
            yield ChainedEvent(*row)
        if len(rows) < chunk_size:
            return
        after = rows[-1][1]


def verify_audit_chain(*, chunk_size: int = DEFAULT_CHUNK_SIZE) -> ChainHead:
    """Walk the chain up to the recorded head and return it; raise the first break (see
    ``verify_chain``). Events appended while it runs lie past the head read first and are left
    to the next run, so concurrent writers never cause a false alarm."""
    head = recorded_chain_head()
    return verify_chain(events=chained_events(up_to=head.sequence, chunk_size=chunk_size), head=head)


def search_audit_events(
    *,
    user: Any,
    actor_username: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    request_id: str = "",
    occurred_from: datetime | None = None,
    occurred_before: datetime | None = None,
    through_sequence: int | None = None,
) -> QuerySet[AuditEvent]:
    """The audit events ``user`` may see, newest first, with their actor and org units: those
    matching every filter given (exact actor username, object type, object id, action and
    request id; ``occurred_from`` ≤ time < ``occurred_before``; sequence ≤ ``through_sequence``)."""
    exact_filters = {
        "actor__username": actor_username,
        "object_type": object_type,
        "object_id": object_id,
        "action": action,
        "request_id": request_id,
    }
    events = AuditEvent.objects.visible_to(user).filter(
        **{lookup: value for lookup, value in exact_filters.items() if value}
    )
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_before is not None:
        events = events.filter(occurred_at__lt=occurred_before)
    if through_sequence is not None:
        events = events.filter(sequence__lte=through_sequence)
    return events.select_related("actor", "org_unit", "acting_org_unit").order_by("-occurred_at", "-sequence")
