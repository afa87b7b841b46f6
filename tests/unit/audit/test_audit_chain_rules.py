"""The canonical form and hash of an audit event, and chain verification over plain rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gridcare.audit.chain import (
    GENESIS_HASH,
    ChainedEvent,
    ChainHead,
    canonical_form,
    event_hash,
    verify_chain,
)
from gridcare.audit.errors import (
    AuditChainHeadMismatch,
    AuditEventAltered,
    AuditEventMissing,
    AuditEventOutOfOrder,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

CANONICAL_BYTES = (
    '["2025-03-10T01:30:00.000000+00:00","7","update_customer","customers.customer","42","3",'
    '{"a":null,"name":["张三","李四"],"z":[1,true]},"' + GENESIS_HASH + '"]'
).encode()


def _fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "occurred_at": datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI),
        "actor_id": 7,
        "action": "update_customer",
        "object_type": "customers.customer",
        "object_id": "42",
        "org_unit_id": 3,
        "changes": {"z": [1, True], "name": ["张三", "李四"], "a": None},
        "previous_hash": GENESIS_HASH,
    }
    fields.update(overrides)
    return fields


def test_the_canonical_form_is_utc_sorted_compact_json() -> None:
    assert canonical_form(**_fields()) == CANONICAL_BYTES  # type: ignore[arg-type]


def test_the_hash_is_the_sha256_of_the_canonical_form() -> None:
    assert event_hash(**_fields()) == hashlib.sha256(CANONICAL_BYTES).hexdigest()  # type: ignore[arg-type]


def test_the_same_moment_in_another_zone_and_ids_as_text_hash_the_same() -> None:
    same = _fields(occurred_at=datetime(2025, 3, 10, 1, 30, tzinfo=UTC), actor_id="7", org_unit_id="3")
    assert event_hash(**same) == event_hash(**_fields())  # type: ignore[arg-type]


def test_absent_ids_are_null() -> None:
    form = canonical_form(**_fields(actor_id=None, org_unit_id=None))  # type: ignore[arg-type]
    assert form.startswith(
        b'["2025-03-10T01:30:00.000000+00:00",null,"update_customer","customers.customer","42",null,'
    )


def _chain(length: int) -> list[ChainedEvent]:
    events: list[ChainedEvent] = []
    previous_hash = GENESIS_HASH
    for sequence in range(1, length + 1):
        fields = _fields(object_id=str(sequence), previous_hash=previous_hash)
        digest = event_hash(**fields)  # type: ignore[arg-type]
        events.append(ChainedEvent(event_id=100 + sequence, sequence=sequence, hash=digest, **fields))  # type: ignore[arg-type]
        previous_hash = digest
    return events


def _head(events: list[ChainedEvent]) -> ChainHead:
    return ChainHead(sequence=events[-1].sequence, hash=events[-1].hash)


def test_an_intact_chain_verifies_to_its_head() -> None:
    events = _chain(4)
    assert verify_chain(events=events, head=_head(events)) == _head(events)


def test_an_empty_chain_verifies_to_the_genesis() -> None:
    genesis = ChainHead(sequence=0, hash=GENESIS_HASH)
    assert verify_chain(events=[], head=genesis) == genesis


def test_an_altered_event_is_named() -> None:
    events = _chain(4)
    head = _head(events)
    events[1] = ChainedEvent(**{**events[1].__dict__, "action": "delete_customer"})
    with pytest.raises(AuditEventAltered) as raised:
        verify_chain(events=events, head=head)
    assert raised.value.message("en") == (
        "Audit event #102 (sequence 2) was altered: its hash does not match its contents"
    )
    assert raised.value.message("zh-hans") == "审计事件 #102（序号 2）已被篡改：哈希值与内容不符"


def test_a_deleted_event_is_a_gap() -> None:
    events = _chain(4)
    head = _head(events)
    del events[2]
    with pytest.raises(AuditEventMissing) as raised:
        verify_chain(events=events, head=head)
    assert raised.value.message("en") == "The audit event with sequence 3 is missing (deleted)"
    assert raised.value.message("zh-hans") == "序号为 3 的审计事件缺失（已被删除）"


def test_deleted_last_events_fall_short_of_the_head() -> None:
    events = _chain(4)
    head = _head(events)
    with pytest.raises(AuditEventMissing) as raised:
        verify_chain(events=events[:2], head=head)
    assert raised.value.params == {"sequence": 3}


def test_reordered_events_break_the_links() -> None:
    events = _chain(4)
    head = _head(events)
    swapped = [
        events[0],
        ChainedEvent(**{**events[2].__dict__, "sequence": 2}),
        ChainedEvent(**{**events[1].__dict__, "sequence": 3}),
        events[3],
    ]
    with pytest.raises(AuditEventOutOfOrder) as raised:
        verify_chain(events=swapped, head=head)
    assert raised.value.message("en") == (
        "Audit event #103 (sequence 2) does not link to the event with sequence 1: "
        "records were reordered or forged"
    )


def test_a_head_that_is_not_the_last_event_is_reported() -> None:
    events = _chain(3)
    with pytest.raises(AuditChainHeadMismatch) as raised:
        verify_chain(events=events, head=ChainHead(sequence=3, hash="f" * 64))
    assert raised.value.message("en") == (
        "The audit chain head (sequence 3) does not match the last audit event (sequence 3): "
        "the end of the chain was tampered with"
    )
