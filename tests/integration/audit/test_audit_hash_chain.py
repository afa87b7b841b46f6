"""The audit log is a hash chain: exact links, refused changes, and verify naming each break."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from gridcare.audit.chain import GENESIS_HASH
from gridcare.audit.errors import AuditEventImmutable
from gridcare.audit.models import AuditChainHead, AuditEvent
from gridcare.audit.operations import record_audit_event
from gridcare.audit.queries import verify_audit_chain
from gridcare.organization.models import OrgUnit

Tamper = Callable[[str, list[Any]], None]


def _expected_hash(event: AuditEvent) -> str:
    """The documented canonical form (format 2), rebuilt here from the stored row."""
    canonical = json.dumps(
        [
            2,
            event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
            None if event.actor_id is None else str(event.actor_id),
            event.action,
            event.object_type,
            event.object_id,
            None if event.org_unit_id is None else str(event.org_unit_id),
            event.changes,
            event.previous_hash,
            None if event.acting_org_unit_id is None else str(event.acting_org_unit_id),
            event.request_id,
            event.ip_address,
            event.source,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _verify() -> str:
    output = StringIO()
    call_command("audit", "verify", "--chunk-size", "2", stdout=output)
    return output.getvalue()


def _verify_failure() -> str:
    with pytest.raises(CommandError) as raised:
        _verify()
    return str(raised.value)


def _execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _stored() -> list[tuple[object, ...]]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "sequence", "action", "changes", "hash"))


@pytest.mark.django_db
def test_events_link_to_the_genesis_and_to_each_other(three_events: list[AuditEvent]) -> None:
    stored = list(AuditEvent.objects.order_by("sequence"))
    assert [event.sequence for event in stored] == [1, 2, 3]
    assert [event.previous_hash for event in stored] == [GENESIS_HASH, stored[0].hash, stored[1].hash]
    assert [event.hash for event in stored] == [_expected_hash(event) for event in stored]
    assert [event.hash for event in stored] == [event.hash for event in three_events]
    assert len({event.hash for event in stored}) == 3
    assert stored[0].changes == {"name": ["泉城路供电所", "泉城路供电中心"], "level": [3, 4]}
    assert stored[0].occurred_at == datetime(2025, 3, 10, 1, 31, tzinfo=UTC)
    assert list(AuditChainHead.objects.values_list("sequence", "hash")) == [(3, stored[2].hash)]


@pytest.mark.django_db
def test_a_clean_chain_verifies_and_prints_its_head(three_events: list[AuditEvent]) -> None:
    head = three_events[2].hash
    assert _verify() == (
        f"审计链完整，链头序号 3，哈希 {head} / Audit chain intact: head sequence 3, hash {head}\n"
    )


@pytest.mark.django_db
def test_an_empty_log_verifies_to_the_genesis() -> None:
    assert verify_audit_chain().hash == GENESIS_HASH
    assert verify_audit_chain().sequence == 0


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_an_event(three_events: list[AuditEvent]) -> None:
    before = _stored()
    event = AuditEvent.objects.get(sequence=2)
    event.action = "forged"
    with pytest.raises(AuditEventImmutable) as raised:
        event.save()
    assert raised.value.message("zh-hans") == "审计事件只能追加，不能修改或删除"
    with pytest.raises(AuditEventImmutable):
        event.delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(sequence=2).update(action="forged")
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.all().delete()
    assert _stored() == before


@pytest.mark.django_db
def test_the_database_refuses_a_raw_update(three_events: list[AuditEvent]) -> None:
    before = _stored()
    with pytest.raises(DatabaseError, match="audit events are append-only"), transaction.atomic():
        _execute("UPDATE audit_auditevent SET action = %s WHERE sequence = 2", ["forged"])
    assert _stored() == before


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no delete trigger: Django's flush empties SQLite tables with DELETE",
)
def test_postgresql_refuses_a_raw_delete(three_events: list[AuditEvent]) -> None:
    before = _stored()
    with pytest.raises(DatabaseError, match="audit events are append-only"), transaction.atomic():
        _execute("DELETE FROM audit_auditevent WHERE sequence = 2", [])
    assert _stored() == before


@pytest.mark.django_db
def test_verify_names_an_edited_event(three_events: list[AuditEvent], tamper: Tamper) -> None:
    edited = three_events[1]
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", edited.pk])
    assert _verify_failure() == (
        f"审计事件 #{edited.pk}（序号 2）已被篡改：哈希值与内容不符 / "
        f"Audit event #{edited.pk} (sequence 2) was altered: its hash does not match its contents"
    )


@pytest.mark.django_db
def test_verify_names_an_event_whose_payload_was_edited(
    three_events: list[AuditEvent], tamper: Tamper
) -> None:
    edited = three_events[2]
    tamper("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"note": "启用"}', edited.pk])
    assert f"Audit event #{edited.pk} (sequence 3) was altered" in _verify_failure()


@pytest.mark.django_db
def test_verify_names_a_deleted_event(three_events: list[AuditEvent], tamper: Tamper) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [three_events[1].pk])
    assert _verify_failure() == (
        "序号为 2 的审计事件缺失（已被删除） / The audit event with sequence 2 is missing (deleted)"
    )


@pytest.mark.django_db
def test_verify_catches_a_deleted_last_event(three_events: list[AuditEvent], tamper: Tamper) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [three_events[2].pk])
    assert _verify_failure().endswith("The audit event with sequence 3 is missing (deleted)")


@pytest.mark.django_db
def test_verify_catches_swapped_contents(three_events: list[AuditEvent], tamper: Tamper) -> None:
    second, third = three_events[1], three_events[2]
    columns = ["occurred_at", "action", "object_type", "object_id", "changes", "previous_hash", "hash"]
    assignments = ", ".join(f"{column} = %s" for column in columns)
    for row, source in [(second, third), (third, second)]:
        values: list[Any] = [getattr(source, column) for column in columns]
        values[columns.index("changes")] = json.dumps(source.changes)
        tamper(f"UPDATE audit_auditevent SET {assignments} WHERE id = %s", [*values, row.pk])  # noqa: S608
    assert _verify_failure().endswith(
        f"Audit event #{second.pk} (sequence 2) does not link to the event with sequence 1: "
        "records were reordered or forged"
    )


@pytest.mark.django_db
def test_verify_catches_swapped_sequences(three_events: list[AuditEvent], tamper: Tamper) -> None:
    second, third = three_events[1], three_events[2]
    tamper("UPDATE audit_auditevent SET sequence = 1000 WHERE id = %s", [second.pk])
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE id = %s", [third.pk])
    tamper("UPDATE audit_auditevent SET sequence = 3 WHERE id = %s", [second.pk])
    assert _verify_failure().endswith(
        f"Audit event #{third.pk} (sequence 2) does not link to the event with sequence 1: "
        "records were reordered or forged"
    )


@pytest.mark.django_db
def test_a_rolled_back_event_leaves_no_gap(
    three_events: list[AuditEvent], now: datetime, audit_target: OrgUnit
) -> None:
    @transaction.atomic
    def audit_then_fail() -> None:
        record_audit_event(actor=None, action="undone", target=audit_target, occurred_at=now)
        raise RuntimeError("the operation failed after auditing")

    with pytest.raises(RuntimeError):
        audit_then_fail()
    event = record_audit_event(actor=None, action="kept", target=audit_target, occurred_at=now)
    assert event.sequence == 4
    assert event.previous_hash == three_events[2].hash
    assert verify_audit_chain().sequence == 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite's in-memory test database (shared cache) fails concurrent writers with 'table is "
        "locked' instead of waiting; the file database serializes them with IMMEDIATE transactions"
    ),
)
def test_concurrent_writers_keep_the_chain_gapless(now: datetime, audit_target: OrgUnit) -> None:
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def record_many(writer: int) -> None:
        try:
            start.wait()
            for index in range(20):
                with transaction.atomic():
                    record_audit_event(
                        actor=None,
                        action=f"writer_{writer}",
                        target=audit_target,
                        occurred_at=now + timedelta(seconds=index),
                        changes={"index": index},
                    )
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record_many, args=(writer,)) for writer in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, 81)
    )
    assert verify_audit_chain().sequence == 80
