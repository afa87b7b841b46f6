"""Reading the audit chain for verification. This is a whole-database integrity check run by
operators and backups, not a business read, so it is not scoped to an acting user."""

from __future__ import annotations

from collections.abc import Iterator

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
