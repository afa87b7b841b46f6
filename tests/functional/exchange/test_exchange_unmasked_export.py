"""An unmasked export of personal data needs a four-eyes bulk-unmask approval, and each
approval gives exactly one download of exactly the accounts it names (issue 3 items 4 and 5)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from exchange_world import World, make_staff

from gridcare.audit.models import AuditEvent
from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, Role, User
from gridcare.identity.operations import approve_request, request_bulk_unmask

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def requester(world: World) -> User:
    return make_staff("county_supervisor", world.county, roles=(Role.MARKETING_SUPERVISOR,))


@pytest.fixture
def approver(world: World) -> User:
    return make_staff("city_supervisor", world.province, roles=(Role.MARKETING_SUPERVISOR,))


def _grant(*, world: World, requester: User, approver: User, approve: bool = True) -> ApprovalRequest:
    filed = request_bulk_unmask(
        account_nos=[world.account.account_no], justification="稽查核对", actor=requester, now=NOW
    )
    if approve:
        return approve_request(request=filed, reason="同意", actor=approver, now=NOW)
    return filed


def _download(client: Client, grant: ApprovalRequest, kind: str = "customers") -> object:
    return client.post(f"/exchange/export-unmasked/{grant.pk}/{kind}.csv")


def _rows(response: object) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_an_approved_grant_downloads_its_accounts_unmasked_once(
    world: World, requester: User, approver: User, log_in
) -> None:
    grant = _grant(world=world, requester=requester, approver=approver)
    client = log_in(Client(), requester)

    response = _download(client, grant)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert [(row["customer_no"], row["id_number"], row["mobile"]) for row in rows] == [
        ("C000000001", world.person.id_number, "13800138000")
    ]
    assert ApprovalRequest.objects.get(pk=grant.pk).status == ApprovalStatus.EXECUTED
    export_event = AuditEvent.objects.get(action="export_customers")
    assert export_event.changes["pii_masked"] is False
    assert export_event.changes["rows_exported"] == 1
    assert AuditEvent.objects.filter(action="use_bulk_unmask_grant", actor=requester).count() == 1

    again = _download(client, grant, kind="accounts")

    assert again.status_code == 403
    assert ExchangeBatch.objects.count() == 1
    assert AuditEvent.objects.filter(action="deny_permission", actor=requester).count() == 1


def test_a_pending_or_someone_elses_grant_downloads_nothing(
    world: World, requester: User, approver: User, log_in
) -> None:
    pending = _grant(world=world, requester=requester, approver=approver, approve=False)
    requester_client = log_in(Client(), requester)
    approver_client = log_in(Client(), approver)

    assert _download(requester_client, pending).status_code == 403
    approved = approve_request(request=pending, reason="同意", actor=approver, now=NOW)
    assert _download(approver_client, approved).status_code == 403

    assert ExchangeBatch.objects.count() == 0
    assert ApprovalRequest.objects.get(pk=approved.pk).status == ApprovalStatus.APPROVED
    assert AuditEvent.objects.filter(action="deny_permission").count() == 2


def test_only_personal_data_kinds_and_posts_are_served(
    world: World, requester: User, approver: User, log_in
) -> None:
    grant = _grant(world=world, requester=requester, approver=approver)
    client = log_in(Client(), requester)

    assert _download(client, grant, kind="meters").status_code == 404
    assert client.get(f"/exchange/export-unmasked/{grant.pk}/customers.csv").status_code == 405
    assert ApprovalRequest.objects.get(pk=grant.pk).status == ApprovalStatus.APPROVED


def test_the_ordinary_export_stays_masked(world: World, requester: User, log_in) -> None:
    client = log_in(Client(), requester)

    rows = _rows(client.get("/exchange/export/customers.csv"))

    person = next(row for row in rows if row["customer_no"] == "C000000001")
    assert person["id_number"] == world.person.id_number[:3] + "*" * 11 + world.person.id_number[-4:]
    assert person["mobile"] == "138****8000"
