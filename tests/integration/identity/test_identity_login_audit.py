"""Logins, logouts and failed logins through the staff login page leave audit events."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridcare.audit.models import AuditEvent
from gridcare.audit.queries import verify_audit_chain
from gridcare.identity.models import Role, User

LOGIN_ACTIONS = ("login", "logout", "login_failed")


@pytest.fixture
def reader(org_tree: Any, staff_user_factory: Any) -> User:
    user: User = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    return user


def login_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=LOGIN_ACTIONS).order_by("sequence"))


def test_successful_login_records_one_login_event(client: Client, reader: User) -> None:
    response = client.post("/login/", {"username": "reader", "password": "Staff-Secret-2025"})

    assert response.status_code == 302
    [event] = login_events()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "login",
        reader.pk,
        "identity.user",
        str(reader.pk),
    )
    assert event.org_unit_id == reader.org_unit_id
    assert event.changes == {"ip_address": "127.0.0.1"}
    verify_audit_chain()


def test_wrong_password_records_login_failed_without_the_password(client: Client, reader: User) -> None:
    response = client.post("/login/", {"username": "reader", "password": "Wrong-Password-99"})

    assert response.status_code == 200
    [event] = login_events()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "login_failed",
        None,
        "identity.user",
        str(reader.pk),
    )
    assert event.org_unit_id == reader.org_unit_id
    assert event.changes == {"username": "reader", "ip_address": "127.0.0.1"}
    assert "Wrong-Password-99" not in str(event.changes)
    assert "password" not in str(event.changes)
    verify_audit_chain()


def test_unknown_username_records_login_failed_on_no_row(client: Client, reader: User) -> None:
    attempted = "x" * 200

    client.post("/login/", {"username": attempted, "password": "Wrong-Password-99"})

    [event] = login_events()
    assert (event.action, event.actor_id, event.object_type, event.object_id, event.org_unit_id) == (
        "login_failed",
        None,
        "identity.user",
        "",
        None,
    )
    assert event.changes == {"username": "x" * 150, "ip_address": "127.0.0.1"}
    verify_audit_chain()


def test_logout_records_a_logout_event(client: Client, reader: User) -> None:
    client.post("/login/", {"username": "reader", "password": "Staff-Secret-2025"})

    response = client.post("/logout/")

    assert response.status_code == 302
    assert [(event.action, event.actor_id, event.object_id) for event in login_events()] == [
        ("login", reader.pk, str(reader.pk)),
        ("logout", reader.pk, str(reader.pk)),
    ]
    verify_audit_chain()


def test_logout_without_a_login_records_nothing(client: Client, reader: User) -> None:
    client.post("/logout/")

    assert login_events() == []
