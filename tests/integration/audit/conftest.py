"""Fixtures for the audit tests: three recorded events and a way to tamper with rows in SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from gridcare.audit.models import AuditEvent
from gridcare.audit.operations import record_audit_event
from gridcare.organization.models import OrgUnit


@pytest.fixture
def audit_target() -> OrgUnit:
    """A stand-in target (unsaved): record_audit_event only reads its model label and primary key."""
    return OrgUnit(pk=4242, code="37")


@pytest.fixture
def three_events(db: None, now: datetime, audit_target: OrgUnit) -> list[AuditEvent]:
    """Three events, a minute apart, with a mix of payloads (nested, Chinese text, none)."""
    payloads: list[dict[str, object] | None] = [
        {"name": ["泉城路供电所", "泉城路供电中心"], "level": [3, 4]},
        None,
        {"active": [True, False], "note": "停用"},
    ]
    return [
        record_audit_event(
            actor=None,
            action=f"test_action_{index}",
            target=audit_target,
            occurred_at=now + timedelta(minutes=index),
            changes=payload,
        )
        for index, payload in enumerate(payloads, start=1)
    ]


def _drop_trigger() -> None:
    if connection.vendor == "postgresql":
        statement = "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent"
    else:
        statement = "DROP TRIGGER audit_auditevent_append_only"
    with connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.fixture
def tamper(db: None) -> Callable[[str, list[Any]], None]:
    """``tamper(sql, params)`` runs raw SQL on the audit table with its append-only trigger
    dropped — inside the test's transaction, so the trigger is back after the test."""
    _drop_trigger()

    def run(sql: str, params: list[Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run
