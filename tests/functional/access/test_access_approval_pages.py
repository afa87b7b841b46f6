"""The four-eyes pages end to end: a 系统管理员 requests a role change on the user page, sees it
in "My requests", cannot approve it; a 营销主管 approves or rejects it in the inbox."""

from __future__ import annotations

from typing import Any

import pytest
from access_world import MatrixWorld
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, User

pytestmark = pytest.mark.django_db


def _client(world: MatrixWorld, key: str, log_in: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    user = world.actors[key]
    assert user is not None
    log_in(client, user)
    return client


@pytest.fixture
def administrator(matrix_world: MatrixWorld, log_in: Any) -> Client:
    return _client(matrix_world, "system_administrator@S1", log_in)


@pytest.fixture
def supervisor(matrix_world: MatrixWorld, log_in: Any) -> Client:
    return _client(matrix_world, "marketing_supervisor@S1", log_in)


def _request_roles(client: Client, reader: User) -> ApprovalRequest:
    response = client.post(
        f"/users/{reader.pk}/",
        {"change": "roles", "roles-roles": ["抄表员", "核算员"], "roles-justification": "轮岗"},
    )
    assert (response.status_code, response["Location"]) == (302, "/my-requests/")
    return ApprovalRequest.objects.get(requested_by__username="system_administrator_s1")


def test_request_then_approve_by_a_second_user(
    matrix_world: MatrixWorld, administrator: Client, supervisor: Client
) -> None:
    reader = matrix_world.place("own").reader
    request = _request_roles(administrator, reader)

    mine = administrator.get("/my-requests/").content.decode()
    assert f'data-request="{request.pk}" data-status="pending"' in mine
    assert "Roles of reader_own: 抄表员 → 抄表员、核算员" in mine
    inbox = administrator.get("/approvals/").content.decode()
    assert "Your request: another approver decides." in inbox
    refused = administrator.post(f"/approvals/{request.pk}/decide/", {"decision": "approve", "reason": ""})
    assert refused.status_code == 403
    assert "You cannot approve your own request" in refused.content.decode()
    assert User.objects.get(pk=reader.pk).roles() == ["抄表员"]

    approved = supervisor.post(
        f"/approvals/{request.pk}/decide/", {"decision": "approve", "reason": "同意"}, follow=True
    )

    assert f"Request #{request.pk} approved." in approved.content.decode()
    assert User.objects.get(pk=reader.pk).roles() == ["抄表员", "核算员"]
    assert list(
        AuditEvent.objects.filter(object_id__in=[str(request.pk), str(reader.pk)])
        .exclude(action="deny_permission")
        .order_by("sequence")
        .values_list("action", "actor__username")
    )[-3:] == [
        ("request_approval", "system_administrator_s1"),
        ("approve_request", "marketing_supervisor_s1"),
        ("change_user_roles", "marketing_supervisor_s1"),
    ]


def test_a_rejection_needs_a_reason_and_changes_nothing(
    matrix_world: MatrixWorld, administrator: Client, supervisor: Client
) -> None:
    reader = matrix_world.place("own").reader
    request = _request_roles(administrator, reader)

    without_reason = supervisor.post(f"/approvals/{request.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "Give a reason for rejecting the request" in without_reason.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING

    supervisor.post(f"/approvals/{request.pk}/decide/", {"decision": "reject", "reason": "无轮岗计划"})

    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.REJECTED
    assert User.objects.get(pk=reader.pk).roles() == ["抄表员"]
    mine = administrator.get("/my-requests/").content.decode()
    assert f'data-request="{request.pk}" data-status="rejected"' in mine
    assert "无轮岗计划" in mine


def test_the_requester_cancels_a_pending_request(matrix_world: MatrixWorld, administrator: Client) -> None:
    request = _request_roles(administrator, matrix_world.place("own").reader)

    response = administrator.post(f"/my-requests/{request.pk}/cancel/", follow=True)

    assert f"Request #{request.pk} cancelled." in response.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.CANCELLED


def test_an_unchanged_role_set_is_refused_on_the_form(
    matrix_world: MatrixWorld, administrator: Client
) -> None:
    reader = matrix_world.place("own").reader
    before = ApprovalRequest.objects.count()

    response = administrator.post(
        f"/users/{reader.pk}/", {"change": "roles", "roles-roles": ["抄表员"], "roles-justification": "x"}
    )

    assert response.status_code == 200
    assert "The requested change is what is already in place" in response.content.decode()
    assert ApprovalRequest.objects.count() == before


def test_an_unmasked_export_is_requested_for_visible_accounts_only(
    matrix_world: MatrixWorld, supervisor: Client
) -> None:
    own, sibling = matrix_world.place("own").account, matrix_world.place("sibling").account

    refused = supervisor.post(
        "/my-requests/bulk-unmask/",
        {"account_nos": f"{own.account_no}\n{sibling.account_no}", "justification": "稽查"},
    )
    assert f"No account {sibling.account_no} in your units." in refused.content.decode()
    assert not ApprovalRequest.objects.filter(kind="unmask_pii_in_bulk").exists()

    supervisor.post("/my-requests/bulk-unmask/", {"account_nos": own.account_no, "justification": "稽查"})

    request = ApprovalRequest.objects.get(kind="unmask_pii_in_bulk")
    assert (request.payload, request.status) == ({"account_nos": [own.account_no]}, ApprovalStatus.PENDING)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def test_list_pages_cost_the_same_queries_whatever_their_rows(
    matrix_world: MatrixWorld, administrator: Client, supervisor: Client
) -> None:
    paths = {"/approvals/": supervisor, "/my-requests/": administrator, "/users/": administrator}
    before = {path: _queries(client, path) for path, client in paths.items()}
    template = matrix_world.place("own").pending_request
    for number in range(5):
        reader = User.objects.create(
            username=f"extra_reader_{number}", org_unit=matrix_world.own_station, is_staff=True
        )
        reader.groups.set(User.objects.get(pk=matrix_world.place("own").reader.pk).groups.all())
        ApprovalRequest.objects.create(
            kind=template.kind,
            payload={**template.payload, "user_id": reader.pk, "username": reader.username},
            org_unit=matrix_world.own_station,
            requested_by=User.objects.get(username="system_administrator_s1"),
            requested_at=template.requested_at,
            justification="x",
        )

    assert {path: _queries(client, path) for path, client in paths.items()} == before
