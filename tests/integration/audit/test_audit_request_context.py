"""Every audit event records where it came from — request id, client IP, acting org unit and
source — and the hash chain covers them, in the new format and beside rows of the old one."""

from __future__ import annotations

import io
import ipaddress
import logging
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from pytest_django.fixtures import Settings

from gridcare.__main__ import main as gridcare_main
from gridcare.audit.chain import (
    CURRENT_CHAIN_FORMAT,
    GENESIS_HASH,
    LEGACY_CHAIN_FORMAT,
    LegacyFormatCannotHoldContext,
    canonical_form,
    event_hash,
)
from gridcare.audit.context import RequestIdLogFilter, audit_context, current_audit_context
from gridcare.audit.models import AuditChainHead, AuditEvent
from gridcare.audit.operations import CHAIN_HEAD_ID, record_audit_event
from gridcare.audit.queries import search_audit_events, verify_audit_chain
from gridcare.identity.models import Role, User
from gridcare.web.request_context import client_ip_address

Tamper = Callable[[str, list[Any]], None]
UUID4_TEXT_LENGTH = 36


def _verify_failure() -> str:
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stdout=io.StringIO())
    return str(raised.value)


@pytest.fixture
def auditor(org_tree: Any, staff_user_factory: Callable[..., User]) -> User:
    return staff_user_factory(username="auditor", org_unit=org_tree.county, roles=[Role.AUDITOR])


@pytest.fixture
def auditor_client(auditor: User, log_in: Callable[[Client, Any], Client]) -> Client:
    return log_in(Client(), auditor)


def _export_event() -> AuditEvent:
    return AuditEvent.objects.get(action="export_audit_log")


def _download(client: Client, **extra: str) -> Any:
    response = client.get("/audit/export.csv", **extra)
    b"".join(response.streaming_content)
    return response


# --- requests ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_records_a_new_request_id_the_peer_ip_and_the_acting_unit(
    auditor_client: Client, auditor: User
) -> None:
    response = _download(auditor_client, REMOTE_ADDR="192.0.2.10")

    event = _export_event()
    request_id = response["X-Request-ID"]
    assert uuid.UUID(request_id).version == 4
    assert len(request_id) == UUID4_TEXT_LENGTH
    assert (event.request_id, event.ip_address, event.source) == (request_id, "192.0.2.10", "http")
    assert event.acting_org_unit_id == auditor.org_unit_id
    assert event.chain_format == CURRENT_CHAIN_FORMAT
    assert verify_audit_chain().hash == event.hash


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    ["6f1c2a9e-3b7d-4c1e-9a2b-5d6e7f8a9b0c", "lb-7F3a9_x", "A" * 64],
)
def test_a_well_formed_incoming_request_id_is_kept(auditor_client: Client, given: str) -> None:
    response = _download(auditor_client, HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] == given
    assert _export_event().request_id == given


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    [
        "short",
        "A" * 65,
        "has space-in-it",
        "<script>alert(1)</script>",
        "ok-id-1234\r\nSet-Cookie: x=1",
        "-leading-dash",
    ],
)
def test_a_malformed_incoming_request_id_is_replaced(auditor_client: Client, given: str) -> None:
    response = _download(auditor_client, HTTP_X_REQUEST_ID=given)

    replaced = response["X-Request-ID"]
    assert replaced != given
    assert uuid.UUID(replaced).version == 4
    assert _export_event().request_id == replaced


@pytest.mark.django_db
def test_forwarded_for_is_ignored_from_an_untrusted_peer(auditor_client: Client) -> None:
    _download(auditor_client, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert _export_event().ip_address == "192.0.2.10"


@pytest.mark.django_db
def test_forwarded_for_is_believed_from_a_trusted_proxy(auditor_client: Client, settings: Settings) -> None:
    settings.GRIDCARE_TRUSTED_PROXIES = ["10.0.0.0/8"]

    _download(
        auditor_client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7, 10.0.0.2"
    )

    # The right-most address no trusted proxy stands for: 198.51.100.1 was written by the client.
    assert _export_event().ip_address == "203.0.113.7"


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "not-an-ip", "10.0.0.1"),
        ("10.0.0.1", "203.0.113.7, garbage, 10.0.0.5", "10.0.0.5"),
        ("10.0.0.1", "2001:db8::1", "2001:db8::1"),
        ("10.0.0.1", "10.0.0.9, 10.0.0.5", "10.0.0.9"),
        ("192.0.2.10", "203.0.113.7", "192.0.2.10"),
        ("", "203.0.113.7", None),
        ("unix-socket", "", None),
        ("fe80::1%eth0", "", "fe80::1"),
    ],
)
def test_client_ip_address_rules(remote_addr: str, forwarded_for: str, expected: str | None) -> None:
    trusted = [ipaddress.ip_network("10.0.0.0/8")]

    assert (
        client_ip_address(remote_addr=remote_addr, forwarded_for=forwarded_for, trusted_proxies=trusted)
        == expected
    )


@pytest.mark.django_db
def test_the_audit_browser_shows_and_filters_by_request_id(
    auditor_client: Client, org_tree: Any, now: datetime
) -> None:
    with audit_context(source="http", request_id="req-00000001", ip_address="2001:db8::7"):
        record_audit_event(
            actor=None,
            action="change_thing",
            target=None,
            object_type="test.thing",
            object_id="1",
            org_unit_id=org_tree.station.pk,
            occurred_at=now,
        )
    record_audit_event(
        actor=None,
        action="change_thing",
        target=None,
        object_type="test.thing",
        object_id="2",
        org_unit_id=org_tree.station.pk,
        occurred_at=now,
    )

    response = auditor_client.get("/audit/", {"request_id": "req-00000001"})

    assert [row[5] for row in response.context["rows"]] == ["1"]
    assert response.context["rows"][0][-3:] == ["req-00000001", "2001:db8::7", "http"]
    assert '<a href="?request_id=req-00000001">req-00000001</a>' in response.content.decode()
    csv_text = b"".join(
        auditor_client.get("/audit/export.csv", {"request_id": "req-00000001"}).streaming_content
    ).decode()
    assert csv_text.splitlines()[1].endswith(",,req-00000001,2001:db8::7,http")


@pytest.mark.django_db
def test_search_filters_by_request_id(auditor: User, org_tree: Any, now: datetime) -> None:
    for request_id in ["req-aaaaaaaa", "req-bbbbbbbb", "req-aaaaaaaa"]:
        with audit_context(source="http", request_id=request_id):
            record_audit_event(
                actor=None,
                action="a",
                target=None,
                object_type="test.thing",
                org_unit_id=org_tree.station.pk,
                occurred_at=now,
            )

    found = search_audit_events(user=auditor, request_id="req-aaaaaaaa")

    # The org tree and the auditor left 6 events before these three (sequences 7, 8, 9).
    assert list(found.values_list("sequence", "request_id")) == [(9, "req-aaaaaaaa"), (7, "req-aaaaaaaa")]


# --- commands and code outside any request -------------------------------------------------------


# Transactional: Django closes every connection after a command run from the command line.
@pytest.mark.django_db(transaction=True)
def test_a_gridcare_command_records_its_name_as_source(
    org_tree: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "customers.csv"
    file.write_text(
        "customer_no,kind,name,id_number\nC700,person,张三,110105198001010016\n", encoding="utf-8"
    )
    monkeypatch.setattr(sys, "argv", ["gridcare", "import", "customers", str(file), "--org-unit", "37010201"])

    gridcare_main()

    event = AuditEvent.objects.get(action="import_customers")
    assert (event.request_id, event.ip_address, event.source, event.acting_org_unit_id) == (
        "",
        None,
        "command:import",
        None,
    )
    assert current_audit_context().source == ""
    verify_audit_chain()


@pytest.mark.django_db
@pytest.mark.parametrize("ip_address", ["2001:DB8:0:0::7", "::ffff:192.0.2.1", "192.0.2.1"])
def test_any_written_form_of_an_address_verifies_after_the_database_round_trip(
    org_tree: Any, now: datetime, ip_address: str
) -> None:
    with audit_context(source="http", request_id="req-12345678", ip_address=ip_address):
        event = record_audit_event(actor=None, action="x", target=org_tree.station, occurred_at=now)

    assert verify_audit_chain().hash == event.hash
    assert ipaddress.ip_address(AuditEvent.objects.get(pk=event.pk).ip_address) == ipaddress.ip_address(
        ip_address
    )


@pytest.mark.django_db
def test_outside_any_context_the_event_records_no_source(org_tree: Any, now: datetime) -> None:
    event = record_audit_event(actor=None, action="x", target=org_tree.station, occurred_at=now)

    assert (event.request_id, event.ip_address, event.source, event.chain_format) == ("", None, "", 2)


@pytest.mark.django_db
def test_the_acting_unit_is_the_actors_unit_at_the_time(
    org_tree: Any, staff_user_factory: Callable[..., User], now: datetime
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station)

    event_of_other_station = {
        "target": None,
        "object_type": "test.thing",
        "org_unit_id": org_tree.other_station.pk,
        "occurred_at": now,
    }

    first = record_audit_event(actor=clerk, action="x", **event_of_other_station)
    User.objects.filter(pk=clerk.pk).update(org_unit=org_tree.county)
    clerk.refresh_from_db()
    second = record_audit_event(actor=clerk, action="x", **event_of_other_station)

    assert (first.acting_org_unit_id, first.org_unit_id) == (org_tree.station.pk, org_tree.other_station.pk)
    assert second.acting_org_unit_id == org_tree.county.pk
    assert AuditEvent.objects.get(pk=first.pk).acting_org_unit_id == org_tree.station.pk


# --- log lines ---------------------------------------------------------------------------------


def test_log_lines_carry_the_request_id() -> None:
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(log_filter, RequestIdLogFilter) for log_filter in handler.filters)
    )
    buffer = io.StringIO()
    original_stream = handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        with audit_context(source="http", request_id="req-logline1"):
            logging.getLogger("gridcare.test").warning("inside a request")
        logging.getLogger("gridcare.test").warning("outside")
    finally:
        handler.setStream(original_stream)  # type: ignore[attr-defined]

    lines = buffer.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "WARNING [req-logline1] gridcare.test: inside a request",
        "WARNING [-] gridcare.test: outside",
    ]


# --- the hash chain covers the context -----------------------------------------------------------


@pytest.fixture
def context_event(db: None, org_tree: Any, now: datetime) -> AuditEvent:
    with audit_context(source="http", request_id="req-12345678", ip_address="192.0.2.10"):
        return record_audit_event(actor=None, action="x", target=org_tree.station, occurred_at=now)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("request_id", "req-forged00"),
        ("request_id", ""),
        ("ip_address", "192.0.2.11"),
        ("ip_address", None),
        ("source", "command:import"),
        ("chain_format", 1),
    ],
)
def test_editing_the_context_of_a_row_makes_verify_name_it(
    context_event: AuditEvent, tamper: Tamper, column: str, value: object
) -> None:
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, context_event.pk])  # noqa: S608

    assert _verify_failure().endswith(
        f"Audit event #{context_event.pk} (sequence {context_event.sequence}) was altered: "
        "its hash does not match its contents"
    )


@pytest.mark.django_db
def test_editing_the_acting_unit_makes_verify_name_the_row(
    org_tree: Any, staff_user_factory: Callable[..., User], now: datetime, tamper: Tamper
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=org_tree.station)
    event = record_audit_event(actor=clerk, action="x", target=org_tree.station, occurred_at=now)
    tamper(
        "UPDATE audit_auditevent SET acting_org_unit_id = %s WHERE id = %s", [org_tree.province.pk, event.pk]
    )

    assert f"Audit event #{event.pk} (sequence {event.sequence}) was altered" in _verify_failure()


def _append_legacy_event(*, sequence: int, previous_hash: str, occurred_at: datetime) -> str:
    """Write a row exactly as the code before chain format 2 did (no request context)."""
    fields: dict[str, Any] = {
        "occurred_at": occurred_at,
        "actor_id": None,
        "action": "legacy_action",
        "object_type": "test.thing",
        "object_id": str(sequence),
        "org_unit_id": None,
        "changes": {"note": "旧格式"},
        "previous_hash": previous_hash,
    }
    digest = event_hash(**fields)
    AuditEvent(**fields, sequence=sequence, hash=digest, chain_format=LEGACY_CHAIN_FORMAT).save(
        force_insert=True
    )
    return digest


@pytest.fixture
def mixed_chain(db: None, now: datetime) -> list[AuditEvent]:
    """A chain of two format-1 rows (as before migration 0005) followed by a format-2 row."""
    first = _append_legacy_event(sequence=1, previous_hash=GENESIS_HASH, occurred_at=now)
    second = _append_legacy_event(sequence=2, previous_hash=first, occurred_at=now + timedelta(minutes=1))
    AuditChainHead.objects.update_or_create(pk=CHAIN_HEAD_ID, defaults={"sequence": 2, "hash": second})
    with audit_context(source="http", request_id="req-newrow01", ip_address="192.0.2.10"):
        record_audit_event(
            actor=None,
            action="new_action",
            target=None,
            object_type="test.thing",
            object_id="3",
            occurred_at=now,
        )
    return list(AuditEvent.objects.order_by("sequence"))


@pytest.mark.django_db
def test_old_format_rows_and_new_format_rows_verify_together(mixed_chain: list[AuditEvent]) -> None:
    assert [(event.sequence, event.chain_format) for event in mixed_chain] == [(1, 1), (2, 1), (3, 2)]
    assert mixed_chain[2].previous_hash == mixed_chain[1].hash
    assert verify_audit_chain().sequence == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("request_id", "req-forged00"), ("ip_address", "192.0.2.66"), ("source", "http"), ("chain_format", 2)],
)
def test_a_request_context_added_to_an_old_format_row_is_caught(
    mixed_chain: list[AuditEvent], tamper: Tamper, column: str, value: object
) -> None:
    old = mixed_chain[1]
    tamper(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, old.pk])  # noqa: S608

    assert _verify_failure().endswith(
        f"Audit event #{old.pk} (sequence 2) was altered: its hash does not match its contents"
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_rows_verifiable_and_the_table_append_only() -> None:
    """Rows written before migration 0005 verify after it, next to rows written after it; on
    SQLite the table rebuild keeps the append-only trigger."""
    executor = MigrationExecutor(connection)
    before, after = [("audit", "0004_append_only")], executor.loader.graph.leaf_nodes("audit")
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        event_model = old_apps.get_model("audit", "AuditEvent")
        head_model = old_apps.get_model("audit", "AuditChainHead")
        fields: dict[str, Any] = {
            "occurred_at": datetime.fromisoformat("2025-03-10T09:30:00+08:00"),
            "actor_id": None,
            "action": "before_migration",
            "object_type": "test.thing",
            "object_id": "1",
            "org_unit_id": None,
            "changes": {"a": [1, "一"]},
            "previous_hash": GENESIS_HASH,
        }
        digest = event_hash(**fields)
        event_model.objects.create(**fields, sequence=1, hash=digest)
        head_model.objects.update_or_create(pk=1, defaults={"sequence": 1, "hash": digest})
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)

    with audit_context(source="http", request_id="req-after001", ip_address="192.0.2.1"):
        record_audit_event(
            actor=None,
            action="after_migration",
            target=None,
            object_type="test.thing",
            object_id="2",
            occurred_at=datetime.fromisoformat("2025-03-10T09:31:00+08:00"),
        )
    rows = list(AuditEvent.objects.order_by("sequence").values_list("action", "chain_format", "request_id"))
    assert rows == [("before_migration", 1, ""), ("after_migration", 2, "req-after001")]
    assert verify_audit_chain().sequence == 2
    with pytest.raises(DatabaseError, match="audit events are append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged'")


# --- the canonical form of format 2 (pure) -------------------------------------------------------

FORMAT_2_FIELDS: dict[str, Any] = {
    "occurred_at": datetime.fromisoformat("2025-03-10T09:30:00+08:00"),
    "actor_id": 7,
    "action": "update_customer",
    "object_type": "customers.customer",
    "object_id": "42",
    "org_unit_id": 3,
    "changes": {"name": ["张三", "李四"]},
    "previous_hash": GENESIS_HASH,
    "acting_org_unit_id": 2,
    "request_id": "req-12345678",
    "source": "http",
}


def test_format_2_hashes_the_context_after_the_format_1_fields() -> None:
    form = canonical_form(**FORMAT_2_FIELDS, ip_address="2001:0db8:0000::0001", chain_format=2)

    assert (
        form
        == (
            '[2,"2025-03-10T01:30:00.000000+00:00","7","update_customer","customers.customer","42","3",'
            '{"name":["张三","李四"]},"' + GENESIS_HASH + '","2","req-12345678","2001:db8::1","http"]'
        ).encode()
    )


def test_format_1_cannot_hold_a_context_and_unknown_formats_are_refused() -> None:
    with pytest.raises(LegacyFormatCannotHoldContext):
        canonical_form(**FORMAT_2_FIELDS, chain_format=1)
    with pytest.raises(ValueError, match="Unknown audit chain format: 3"):
        canonical_form(**FORMAT_2_FIELDS, chain_format=3)
