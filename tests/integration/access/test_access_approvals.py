"""Four-eyes approvals (双人复核): who may request and decide, what approval does, what refusals
leave behind (nothing but the audited denial)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from gridcare.audit.models import AuditEvent
from gridcare.identity import approvals
from gridcare.identity.errors import (
    ApprovalByRequester,
    ApprovalCancelledByOther,
    ApprovalChangeEmpty,
    ApprovalKindUnknown,
    ApprovalNotPending,
    ApprovalReasonMissing,
    ApprovalTargetInvalid,
    BulkUnmaskGrantMissing,
    OutsideOrgScope,
    PermissionMissing,
)
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, Role, User
from gridcare.identity.operations import (
    approve_request,
    cancel_request,
    common_org_unit,
    reject_request,
    request_approval,
    request_bulk_unmask,
    request_org_unit_change,
    request_role_change,
    use_bulk_unmask_grant,
)
from gridcare.identity.permissions import Permission

pytestmark = pytest.mark.django_db


def _roles(user: User) -> list[str]:
    return User.objects.get(pk=user.pk).roles()


def _events(*actions: str) -> list[tuple[str, str, dict[str, Any]]]:
    events = AuditEvent.objects.filter(action__in=actions).order_by("sequence")
    return [(event.action, event.actor.username if event.actor else "", event.changes) for event in events]


@pytest.fixture
def role_request(staff: Any, now: Any) -> ApprovalRequest:
    """The county administrator asks that the station's reader also be a cashier."""
    return request_role_change(
        user=staff.reader,
        roles=[Role.METER_READER, Role.CASHIER],
        justification="顶岗收费",
        actor=staff.county_admin,
        now=now,
    )


def test_a_request_is_pending_in_the_target_users_unit_and_audited(
    role_request: ApprovalRequest, staff: Any, org_tree: Any
) -> None:
    assert (role_request.status, role_request.org_unit, role_request.requested_by) == (
        ApprovalStatus.PENDING,
        org_tree.station,
        staff.county_admin,
    )
    assert role_request.payload == {
        "user_id": staff.reader.pk,
        "username": "reader",
        "roles_before": ["抄表员"],
        "roles": ["抄表员", "收费员"],
    }
    assert _roles(staff.reader) == ["抄表员"]
    assert _events("request_approval") == [
        (
            "request_approval",
            "county_admin",
            {"kind": "change_user_roles", "payload": role_request.payload, "justification": "顶岗收费"},
        )
    ]


def test_approval_executes_the_change_and_audits_decision_and_change(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    later = now + timedelta(hours=1)

    approved = approve_request(request=role_request, reason="同意", actor=staff.county_supervisor, now=later)

    assert _roles(staff.reader) == ["抄表员", "收费员"]
    approved.refresh_from_db()
    assert (
        approved.status,
        approved.decided_by,
        approved.decided_at,
        approved.executed_at,
        approved.reason,
    ) == (
        ApprovalStatus.EXECUTED,
        staff.county_supervisor,
        later,
        later,
        "同意",
    )
    assert _events("approve_request", "change_user_roles") == [
        (
            "approve_request",
            "county_supervisor",
            {"kind": "change_user_roles", "reason": "同意", "requested_by": staff.county_admin.pk},
        ),
        (
            "change_user_roles",
            "county_supervisor",
            {
                "roles": [["抄表员"], ["抄表员", "收费员"]],
                "approval_request": role_request.pk,
                "requested_by": staff.county_admin.pk,
            },
        ),
    ]
    with pytest.raises(ApprovalNotPending):
        approve_request(request=role_request, reason="", actor=staff.county_supervisor, now=later)


def test_the_requester_cannot_approve_their_own_request(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    # The county administrator holds approvals.approve too, but not for their own request.
    with pytest.raises(ApprovalByRequester):
        approve_request(request=role_request, reason="", actor=staff.county_admin, now=now)

    role_request.refresh_from_db()
    assert (role_request.status, role_request.decided_by) == (ApprovalStatus.PENDING, None)
    assert _roles(staff.reader) == ["抄表员"]
    assert _events("approve_request", "change_user_roles") == []
    assert _events("deny_permission") == [
        (
            "deny_permission",
            "county_admin",
            {
                "operation": "approve_request",
                "permission": "approvals.approve",
                "reason": "approval_by_requester",
            },
        )
    ]


def test_an_approver_outside_the_requests_org_subtree_cannot_decide(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    for decide in (approve_request, reject_request):
        with pytest.raises(OutsideOrgScope):
            decide(request=role_request, reason="不同意", actor=staff.other_station_supervisor, now=now)

    role_request.refresh_from_db()
    assert role_request.status == ApprovalStatus.PENDING
    assert _roles(staff.reader) == ["抄表员"]
    assert [changes for _action, _actor, changes in _events("deny_permission")] == [
        {
            "operation": operation,
            "permission": "approvals.approve",
            "reason": "outside_org_scope",
            "org_unit": "37010201",
        }
        for operation in ("approve_request", "reject_request")
    ]


def test_a_user_without_the_approver_permission_cannot_decide(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    with pytest.raises(PermissionMissing):
        approve_request(request=role_request, reason="", actor=staff.county_auditor, now=now)

    role_request.refresh_from_db()
    assert role_request.status == ApprovalStatus.PENDING
    assert _roles(staff.reader) == ["抄表员"]


def test_rejection_changes_nothing_but_the_request(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    with pytest.raises(ApprovalReasonMissing):
        reject_request(request=role_request, reason="  ", actor=staff.county_supervisor, now=now)

    reject_request(request=role_request, reason="无顶岗安排", actor=staff.county_supervisor, now=now)

    role_request.refresh_from_db()
    assert (role_request.status, role_request.reason, role_request.executed_at) == (
        ApprovalStatus.REJECTED,
        "无顶岗安排",
        None,
    )
    assert _roles(staff.reader) == ["抄表员"]
    assert _events("reject_request", "change_user_roles") == [
        (
            "reject_request",
            "county_supervisor",
            {"kind": "change_user_roles", "reason": "无顶岗安排", "requested_by": staff.county_admin.pk},
        )
    ]


def test_a_request_seeing_stale_roles_is_not_executed(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    # Another approved request changed the roles first.
    other = request_role_change(
        user=staff.reader,
        roles=[Role.USAGE_INSPECTOR],
        justification="转岗",
        actor=staff.station_admin,
        now=now,
    )
    approve_request(request=other, reason="", actor=staff.county_supervisor, now=now)

    with pytest.raises(ApprovalTargetInvalid):
        approve_request(request=role_request, reason="", actor=staff.county_supervisor, now=now)

    role_request.refresh_from_db()
    assert role_request.status == ApprovalStatus.PENDING
    assert _roles(staff.reader) == ["用电检查员"]


def test_requests_need_the_request_permission_over_the_users_unit(
    staff: Any, org_tree: Any, now: Any
) -> None:
    county_reader = User.objects.get(pk=staff.county_auditor.pk)
    before = ApprovalRequest.objects.count()

    with pytest.raises(OutsideOrgScope):  # the station administrator does not cover the county
        request_role_change(
            user=county_reader, roles=[Role.CASHIER], justification="x", actor=staff.station_admin, now=now
        )
    with pytest.raises(PermissionMissing):  # a supervisor approves but does not manage users
        request_role_change(
            user=staff.reader, roles=[Role.CASHIER], justification="x", actor=staff.county_supervisor, now=now
        )
    with pytest.raises(ApprovalChangeEmpty):
        request_role_change(
            user=staff.reader, roles=[Role.METER_READER], justification="x", actor=staff.county_admin, now=now
        )

    assert ApprovalRequest.objects.count() == before


def test_an_org_unit_change_belongs_to_the_unit_holding_both_units(
    staff: Any, org_tree: Any, now: Any
) -> None:
    request = request_org_unit_change(
        user=staff.reader,
        org_unit=org_tree.other_station,
        justification="调岗",
        actor=staff.county_admin,
        now=now,
    )
    assert request.org_unit == org_tree.county
    assert request.payload == {
        "user_id": staff.reader.pk,
        "username": "reader",
        "org_unit_before": "37010201",
        "org_unit": "37010202",
    }

    with pytest.raises(OutsideOrgScope):  # the other station's supervisor covers only the new unit
        approve_request(request=request, reason="", actor=staff.other_station_supervisor, now=now)
    assert User.objects.get(pk=staff.reader.pk).org_unit == org_tree.station

    approve_request(request=request, reason="", actor=staff.county_supervisor, now=now)

    assert User.objects.get(pk=staff.reader.pk).org_unit == org_tree.other_station
    assert _events("change_user_org_unit") == [
        (
            "change_user_org_unit",
            "county_supervisor",
            {
                "org_unit": ["37010201", "37010202"],
                "approval_request": request.pk,
                "requested_by": staff.county_admin.pk,
            },
        )
    ]


def test_the_common_org_unit_of_two_units(org_tree: Any) -> None:
    assert common_org_unit(first=org_tree.station, second=org_tree.other_station) == org_tree.county
    assert common_org_unit(first=org_tree.station, second=org_tree.city) == org_tree.city
    assert common_org_unit(first=org_tree.station, second=org_tree.station) == org_tree.station


def test_only_the_requester_cancels(role_request: ApprovalRequest, staff: Any, now: Any) -> None:
    with pytest.raises(ApprovalCancelledByOther):
        cancel_request(request=role_request, actor=staff.county_supervisor, now=now)
    assert ApprovalRequest.objects.get(pk=role_request.pk).status == ApprovalStatus.PENDING

    cancel_request(request=role_request, actor=staff.county_admin, now=now)

    cancelled = ApprovalRequest.objects.get(pk=role_request.pk)
    assert (cancelled.status, cancelled.decided_by, cancelled.decided_at) == (
        ApprovalStatus.CANCELLED,
        None,
        now,
    )
    with pytest.raises(ApprovalNotPending):
        approve_request(request=cancelled, reason="", actor=staff.county_supervisor, now=now)
    assert _roles(staff.reader) == ["抄表员"]


def test_the_database_refuses_a_decision_by_the_requester(
    role_request: ApprovalRequest, staff: Any, now: Any
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=role_request.pk).update(
            status=ApprovalStatus.APPROVED, decided_by=staff.county_admin, decided_at=now
        )


def test_a_bulk_unmask_grant_is_used_once_by_its_requester(staff: Any, org_tree: Any, now: Any) -> None:
    supervisor = staff.county_supervisor  # holds pii.unmask_bulk and approvals.approve
    approver = User.objects.get(pk=staff.county_admin.pk)
    request = request_bulk_unmask(
        account_nos=["0000010010", "0000010028", " 0000010010 "],
        justification="稽查",
        actor=supervisor,
        now=now,
    )
    assert (request.payload, request.org_unit) == (
        {"account_nos": ["0000010010", "0000010028"]},
        org_tree.county,
    )
    assert approvals.has_bulk_unmask_grant(user=supervisor, account_nos=["0000010010"]) is None

    approve_request(request=request, reason="", actor=approver, now=now)

    request.refresh_from_db()
    assert (request.status, request.executed_at) == (ApprovalStatus.APPROVED, None)
    assert approvals.has_bulk_unmask_grant(user=supervisor, account_nos=["0000010010"]) == request
    assert approvals.has_bulk_unmask_grant(user=supervisor, account_nos=["0000010010", "0000010036"]) is None
    assert approvals.has_bulk_unmask_grant(user=approver, account_nos=["0000010010"]) is None
    with pytest.raises(BulkUnmaskGrantMissing):
        use_bulk_unmask_grant(grant=request, actor=approver, now=now)

    use_bulk_unmask_grant(grant=request, actor=supervisor, now=now)

    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.EXECUTED
    assert approvals.has_bulk_unmask_grant(user=supervisor, account_nos=["0000010010"]) is None
    with pytest.raises(BulkUnmaskGrantMissing):
        use_bulk_unmask_grant(grant=request, actor=supervisor, now=now)
    assert [action for action, _actor, _changes in _events("grant_bulk_unmask", "use_bulk_unmask_grant")] == [
        "grant_bulk_unmask",
        "use_bulk_unmask_grant",
    ]


def test_bulk_unmask_needs_its_request_permission(staff: Any, now: Any) -> None:
    with pytest.raises(PermissionMissing):
        request_bulk_unmask(
            account_nos=["0000010010"], justification="x", actor=staff.county_auditor, now=now
        )
    assert ApprovalRequest.objects.count() == 0


def test_every_registered_kind_is_requested_with_a_permission_and_approved_with_approve() -> None:
    assert set(approvals.APPROVAL_KINDS) == {
        "change_user_roles",
        "change_user_org_unit",
        "unmask_pii_in_bulk",
        "change_tariff",  # tariffs (issue 5)
        "waive_late_fees",  # late-fee waivers (issue 6)
    }
    for kind in approvals.APPROVAL_KINDS.values():
        assert kind.approve_permission == "approvals.approve"
    with pytest.raises(ValueError, match="registered already"):
        approvals.register_approval_kind(
            approvals.ApprovalKind(
                name="change_user_roles",
                label="x",
                request_permission=Permission.APPROVE,
                execute=lambda **kwargs: None,
                describe=lambda payload: "",
            )
        )


def test_request_approval_refuses_unknown_kinds(staff: Any, org_tree: Any, now: Any) -> None:
    with pytest.raises(ApprovalKindUnknown):
        request_approval(
            kind="waive_everything",
            payload={},
            org_unit=org_tree.station,
            justification="x",
            actor=staff.county_admin,
            now=now,
        )
