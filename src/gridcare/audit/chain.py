"""The audit hash chain: the canonical form of an event, its hash, and verification of a run of
events. Pure functions over plain values; :mod:`gridcare.audit.queries` feeds them rows.

Canonical form (the contract ``gridcare audit verify`` and any outside checker rely on): the
UTF-8 bytes of a JSON array serialized with ``sort_keys=True``, ``separators=(",", ":")`` and
``ensure_ascii=False``. Each row records the format it was hashed in (``chain_format``):

format 1 (rows written before the request context was recorded, migration 0005)::

    [occurred_at, actor_id, action, object_type, object_id, org_unit_id, changes, previous_hash]

format 2 (every row written since)::

    [2, occurred_at, actor_id, action, object_type, object_id, org_unit_id, changes, previous_hash,
     acting_org_unit_id, request_id, ip_address, source]

where ``occurred_at`` is the UTC ISO 8601 time with microseconds (``2025-03-10T01:30:00.000000+00:00``),
the ids are strings (``null`` when absent), ``changes`` is the event's JSON payload, ``ip_address``
is the address in Python's ``ipaddress`` text form (``null`` when absent), and ``request_id`` and
``source`` are text (empty when absent). Format 2 starts with the number 2 where format 1 starts
with a text time, so a row relabelled from one format to the other never matches its hash. A
format 1 row holds no request context: one that does was edited. An event's ``hash`` is the
lowercase hex SHA-256 of those bytes; the first event's ``previous_hash`` is
:data:`GENESIS_HASH`. The sequence number is not hashed: the ``previous_hash`` links fix the order.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gridcare.audit.errors import (
    AuditChainHeadMismatch,
    AuditEventAltered,
    AuditEventMissing,
    AuditEventOutOfOrder,
)

#: The ``previous_hash`` of the first event.
GENESIS_HASH = "0" * 64
#: The format of rows written before request id, IP, acting org unit and source were recorded.
#: It stays the default of :func:`canonical_form` and :func:`event_hash`: migration 0003 hashed
#: the rows of its day through them.
LEGACY_CHAIN_FORMAT = 1
#: The format every new row is written in.
CURRENT_CHAIN_FORMAT = 2


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
    chain_format: int = LEGACY_CHAIN_FORMAT
    acting_org_unit_id: object = None
    request_id: str = ""
    ip_address: str | None = None
    source: str = ""


@dataclass(frozen=True)
class ChainHead:
    """The last link of the chain: its sequence (0 for an empty chain) and hash."""

    sequence: int
    hash: str


class LegacyFormatCannotHoldContext(ValueError):
    """A format 1 row was asked to hash a request context, which that format does not cover."""


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
    chain_format: int = LEGACY_CHAIN_FORMAT,
    acting_org_unit_id: object = None,
    request_id: str = "",
    ip_address: str | None = None,
    source: str = "",
) -> bytes:
    """The bytes an event's hash is taken over (see the module docstring).

    Raises :class:`LegacyFormatCannotHoldContext` for format 1 with any request context given,
    and ``ValueError`` for an unknown format."""
    fields: list[object] = [
        occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        _id_text(actor_id),
        action,
        object_type,
        object_id,
        _id_text(org_unit_id),
        changes,
        previous_hash,
    ]
    context = [_id_text(acting_org_unit_id), request_id, _address_text(ip_address), source]
    if chain_format == LEGACY_CHAIN_FORMAT:
        if context != [None, "", None, ""]:
            raise LegacyFormatCannotHoldContext("Chain format 1 does not cover the request context.")
    elif chain_format == CURRENT_CHAIN_FORMAT:
        fields = [CURRENT_CHAIN_FORMAT, *fields, *context]
    else:
        raise ValueError(f"Unknown audit chain format: {chain_format}")
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
    chain_format: int = LEGACY_CHAIN_FORMAT,
    acting_org_unit_id: object = None,
    request_id: str = "",
    ip_address: str | None = None,
    source: str = "",
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
        chain_format=chain_format,
        acting_org_unit_id=acting_org_unit_id,
        request_id=request_id,
        ip_address=ip_address,
        source=source,
    )
    return hashlib.sha256(canonical).hexdigest()


def verify_chain(*, events: Iterable[ChainedEvent], head: ChainHead) -> ChainHead:
    """Check ``events`` (in sequence order) link up from the genesis to ``head``; return the head.

    Raises the first break found: a row whose hash does not match its contents, or a format 1
    row holding a request context, or a row of an unknown format (:class:`AuditEventAltered`), a
    gap in the sequence (:class:`AuditEventMissing`), a row that does not link to the one before
    it (:class:`AuditEventOutOfOrder`), or a last row that is not the recorded head
    (:class:`AuditChainHeadMismatch`, or missing rows at the end).
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


def hash_of_event(event: Any) -> str:
    """:func:`event_hash` of an event's hashed fields: a stored :class:`ChainedEvent` or an
    audit event about to be written (anything with those attributes)."""
    return event_hash(
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        org_unit_id=event.org_unit_id,
        changes=event.changes,
        previous_hash=event.previous_hash,
        chain_format=event.chain_format,
        acting_org_unit_id=event.acting_org_unit_id,
        request_id=event.request_id,
        ip_address=event.ip_address,
        source=event.source,
    )


def _recomputed_hash(event: ChainedEvent) -> str | None:
    """The hash of the event's stored contents; ``None`` when they cannot be hashed in the
    format the row claims (which no honest write produces)."""
    try:
        return hash_of_event(event)
    except ValueError:
        return None


def _id_text(value: object) -> str | None:
    return None if value is None else str(value)


def _address_text(value: object) -> str | None:
    """The IP address in one text form, whatever form the database hands back (PostgreSQL's
    ``inet`` and SQLite's text may write the same IPv6 address differently)."""
    if value is None or value == "":
        return None
    return str(ipaddress.ip_address(str(value)))
