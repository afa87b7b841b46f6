"""The audit hash chain: the canonical form of an event, its hash, and verification of a run of
events. Pure functions over plain values; :mod:`gridcare.audit.queries` feeds them rows.

Canonical form (the contract ``gridcare audit verify`` and any outside checker rely on): the
UTF-8 bytes of the JSON array

    [occurred_at, actor_id, action, object_type, object_id, org_unit_id, changes, previous_hash]

serialized with ``sort_keys=True``, ``separators=(",", ":")`` and ``ensure_ascii=False``, where
``occurred_at`` is the UTC ISO 8601 time with microseconds (``2025-03-10T01:30:00.000000+00:00``),
the ids are strings (``null`` when absent), and ``changes`` is the event's JSON payload. An event's
``hash`` is the lowercase hex SHA-256 of those bytes; the first event's ``previous_hash`` is
:data:`GENESIS_HASH`. The sequence number is not hashed: the ``previous_hash`` links fix the order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from gridcare.audit.errors import (
    AuditChainHeadMismatch,
    AuditEventAltered,
    AuditEventMissing,
    AuditEventOutOfOrder,
)

#: The ``previous_hash`` of the first event.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainedEvent:
    """The hashed fields of one stored audit event, with its id, sequence and stored hash."""

    event_id: int
    sequence: int
    occurred_at: datetime
    actor_id: object
    action: str
    object_type: str
    object_id: str
    org_unit_id: object
    changes: object
    previous_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    """The last link of the chain: its sequence (0 for an empty chain) and hash."""

    sequence: int
    hash: str


def canonical_form(
    *,
    occurred_at: datetime,
    actor_id: object,
    action: str,
    object_type: str,
    object_id: str,
    org_unit_id: object,
    changes: object,
    previous_hash: str,
) -> bytes:
    """The bytes an event's hash is taken over (see the module docstring)."""
    fields = [
        occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        _id_text(actor_id),
        action,
        object_type,
        object_id,
        _id_text(org_unit_id),
        changes,
        previous_hash,
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(
    *,
    occurred_at: datetime,
    actor_id: object,
    action: str,
    object_type: str,
    object_id: str,
    org_unit_id: object,
    changes: object,
    previous_hash: str,
) -> str:
    """The hex SHA-256 of the event's canonical form."""
    canonical = canonical_form(
        occurred_at=occurred_at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        org_unit_id=org_unit_id,
        changes=changes,
        previous_hash=previous_hash,
    )
    return hashlib.sha256(canonical).hexdigest()


def verify_chain(*, events: Iterable[ChainedEvent], head: ChainHead) -> ChainHead:
    """Check ``events`` (in sequence order) link up from the genesis to ``head``; return the head.

    Raises the first break found: a row whose hash does not match its contents
    (:class:`AuditEventAltered`), a gap in the sequence (:class:`AuditEventMissing`), a row that
    does not link to the one before it (:class:`AuditEventOutOfOrder`), or a last row that is not
    the recorded head (:class:`AuditChainHeadMismatch`, or missing rows at the end).
    """
    last = ChainHead(sequence=0, hash=GENESIS_HASH)
    for event in events:
        if event.sequence != last.sequence + 1:
            raise AuditEventMissing(sequence=last.sequence + 1)
        if _recomputed_hash(event) != event.hash:
            raise AuditEventAltered(event_id=event.event_id, sequence=event.sequence)
        if event.previous_hash != last.hash:
            raise AuditEventOutOfOrder(
                event_id=event.event_id, sequence=event.sequence, previous_sequence=last.sequence
            )
        last = ChainHead(sequence=event.sequence, hash=event.hash)
    if last.sequence < head.sequence:
        raise AuditEventMissing(sequence=last.sequence + 1)
    if last != head:
        raise AuditChainHeadMismatch(head_sequence=head.sequence, last_sequence=last.sequence)
    return last


def _recomputed_hash(event: ChainedEvent) -> str:
    return event_hash(
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        org_unit_id=event.org_unit_id,
        changes=event.changes,
        previous_hash=event.previous_hash,
    )


def _id_text(value: object) -> str | None:
    return None if value is None else str(value)
