"""State changes of identity: role groups, staff users and portal users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from gridcare.audit.operations import record_audit_event
from gridcare.identity import approvals
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.errors import (
    ApprovalByRequester,
    ApprovalCancelledByOther,
    ApprovalChangeEmpty,
    ApprovalJustificationMissing,
    ApprovalNotPending,
    ApprovalReasonMissing,
    ApprovalTargetInvalid,
    BulkUnmaskGrantMissing,
    PasswordRejected,
    UsernameMissing,
    UsernameTaken,
)
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, Role, User, UserKind
from gridcare.identity.permissions import Permission
from gridcare.identity.validators import validate_mobile
from gridcare.organization.models import OrgUnit


def ensure_role_groups() -> list[Group]:
    """Create the auth group of every :class:`Role` that does not exist yet; return all of them."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    password: str,
    org_unit: OrgUnit,
    roles: list[Role],
    display_name: str,
    actor: User | None,
    now: datetime,
    is_superuser: bool = False,
) -> User:
    """Create a staff user bound to ``org_unit`` holding ``roles``, and audit it."""
    _check_username_free(username)
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=display_name,
        is_staff=True,
        is_superuser=is_superuser,
        date_joined=now,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in roles]
    user.groups.set(groups)
    record_audit_event(
        actor=actor,
        action="create_staff_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "org_unit": org_unit.code, "roles": [role.value for role in roles]},
    )
    return user


@transaction.atomic
def create_portal_user(
    *, username: str, password: str, mobile: str, actor: User | None, now: datetime
) -> User:
    """Create a customer's 网上营业厅 login: no org unit, not staff, and audit it.

    The password must pass the project's password validators. Link the user to a customer
    with :func:`gridcare.customers.operations.link_portal_user`.
    """
    _check_username_free(username)
    normalized_mobile = validate_mobile(mobile)
    user = User(
        username=username,
        kind=UserKind.PORTAL,
        org_unit=None,
        mobile=normalized_mobile,
        is_staff=False,
        date_joined=now,
    )
    _check_password(password, user=user)
    user.set_password(password)
    user.save()
    record_audit_event(
        actor=actor,
        action="create_portal_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "mobile": normalized_mobile},
    )
    return user


def _check_username_free(username: str) -> None:
    if not username.strip():
        raise UsernameMissing(field="username")
    if User.objects.filter(username=username).exists():
        raise UsernameTaken(field="username", username=username)


def _check_password(password: str, *, user: User) -> None:
    """Run Django's password validators; report their reasons in both languages."""
    reasons: dict[str, str] = {}
    # Each reason is a full sentence ending in 。 or a full stop.
    for language, separator in (("zh-hans", ""), ("en", " ")):
        # The validators translate while raising, so run them once per language.
        with translation.override(language):
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                reasons[language] = separator.join(error.messages)
    if reasons:
        raise PasswordRejected(field="password", reasons_zh=reasons["zh-hans"], reasons_en=reasons["en"])


# --- access (issue 3): four-eyes approvals (双人复核) --------------------------------------


@denials_audited
@transaction.atomic
def request_approval(
    *,
    kind: str,
    payload: dict[str, Any],
    org_unit: OrgUnit,
    justification: str,
    actor: User,
    now: datetime,
) -> ApprovalRequest:
    """File a pending request of ``kind`` (see :mod:`gridcare.identity.approvals`) about
    ``org_unit``, and audit it. The actor needs the kind's request permission over
    ``org_unit``. Kinds with their own request operation (below) validate ``payload`` there."""
    approval = approvals.approval_kind(kind)
    ensure_changeable(
        user=actor, permission=approval.request_permission, org_unit=org_unit, operation=f"request_{kind}"
    )
    justification = justification.strip()
    if not justification:
        raise ApprovalJustificationMissing(field="justification")
    request = ApprovalRequest.objects.create(
        kind=kind,
        payload=payload,
        org_unit=org_unit,
        requested_by=actor,
        requested_at=now,
        justification=justification[:500],
    )
    record_audit_event(
        actor=actor,
        action="request_approval",
        target=request,
        occurred_at=now,
        changes={"kind": kind, "payload": payload, "justification": request.justification},
    )
    return request


def request_role_change(
    *, user: User, roles: list[Role], justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for ``user`` (a staff user bound to an org unit in the actor's subtree) to hold exactly
    ``roles``; approval applies it. Roles change no other way."""
    if user.kind != UserKind.STAFF or user.org_unit is None:
        raise ApprovalTargetInvalid(
            field="user",
            reason_zh="只能为已绑定单位的内部用户申请角色",
            reason_en="roles are requested for staff users bound to an org unit",
        )
    before = sorted(user.groups.values_list("name", flat=True))
    after = sorted({Role(role).value for role in roles})
    if before == after:
        raise ApprovalChangeEmpty(field="roles")
    payload = {"user_id": user.pk, "username": user.username, "roles_before": before, "roles": after}
    return request_approval(
        kind=approvals.CHANGE_USER_ROLES,
        payload=payload,
        org_unit=user.org_unit,
        justification=justification,
        actor=actor,
        now=now,
    )


def request_org_unit_change(
    *, user: User, org_unit: OrgUnit, justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for staff user ``user`` to be bound to ``org_unit``; approval applies it.

    The request belongs to the lowest unit holding both the old and the new unit (the new one
    for a user bound to none), so its approver covers both; the requester must too."""
    if user.kind != UserKind.STAFF:
        raise ApprovalTargetInvalid(
            field="user",
            reason_zh="门户客户不属于任何单位",
            reason_en="portal customers belong to no org unit",
        )
    if user.org_unit_id == org_unit.pk:
        raise ApprovalChangeEmpty(field="org_unit")
    before = user.org_unit
    payload = {
        "user_id": user.pk,
        "username": user.username,
        "org_unit_before": before.code if before is not None else None,
        "org_unit": org_unit.code,
    }
    return request_approval(
        kind=approvals.CHANGE_USER_ORG_UNIT,
        payload=payload,
        org_unit=org_unit if before is None else common_org_unit(first=before, second=org_unit),
        justification=justification,
        actor=actor,
        now=now,
    )


def request_bulk_unmask(
    *, account_nos: list[str], justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for one export of ``account_nos`` with personal data unmasked. The caller checks the
    accounts are visible to the actor (identity sits below customers); the request belongs
    to the actor's org unit."""
    wanted = sorted({number.strip() for number in account_nos if number.strip()})
    if not wanted:
        raise ApprovalTargetInvalid(
            field="account_nos", reason_zh="请至少填写一个户号", reason_en="name at least one account number"
        )
    org_unit = actor.org_unit if actor.org_unit is not None else OrgUnit.objects.filter(parent=None).first()
    if org_unit is None:
        raise ApprovalTargetInvalid(
            field="account_nos", reason_zh="没有所属单位", reason_en="there is no org unit to file it under"
        )
    return request_approval(
        kind=approvals.UNMASK_PII_IN_BULK,
        payload={"account_nos": wanted},
        org_unit=org_unit,
        justification=justification,
        actor=actor,
        now=now,
    )


@denials_audited
@transaction.atomic
def approve_request(*, request: ApprovalRequest, reason: str, actor: User, now: datetime) -> ApprovalRequest:
    """Approve a pending request and, in the same transaction, carry it out (the kind's
    executor audits the change); a grant kind stays ``approved`` until used.

    The approver must not be the requester, must hold the kind's approver permission and must
    cover the request's org unit."""
    request = _pending_locked(request)
    kind = approvals.approval_kind(request.kind)
    _ensure_may_decide(request=request, kind=kind, actor=actor, operation="approve_request")
    request.status = ApprovalStatus.APPROVED
    request.decided_by, request.decided_at, request.reason = actor, now, reason.strip()[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record_audit_event(
        actor=actor,
        action="approve_request",
        target=request,
        occurred_at=now,
        changes={"kind": request.kind, "reason": request.reason, "requested_by": request.requested_by_id},
    )
    kind.execute(request=request, actor=actor, now=now)
    if not kind.grants:
        request.status, request.executed_at = ApprovalStatus.EXECUTED, now
        request.save(update_fields=["status", "executed_at"])
    return request


@denials_audited
@transaction.atomic
def reject_request(*, request: ApprovalRequest, reason: str, actor: User, now: datetime) -> ApprovalRequest:
    """Reject a pending request, saying why; nothing else changes. Who may: as for approval."""
    request = _pending_locked(request)
    kind = approvals.approval_kind(request.kind)
    _ensure_may_decide(request=request, kind=kind, actor=actor, operation="reject_request")
    reason = reason.strip()
    if not reason:
        raise ApprovalReasonMissing(field="reason")
    request.status = ApprovalStatus.REJECTED
    request.decided_by, request.decided_at, request.reason = actor, now, reason[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record_audit_event(
        actor=actor,
        action="reject_request",
        target=request,
        occurred_at=now,
        changes={"kind": request.kind, "reason": request.reason, "requested_by": request.requested_by_id},
    )
    return request


@denials_audited
@transaction.atomic
def cancel_request(*, request: ApprovalRequest, actor: User, now: datetime) -> ApprovalRequest:
    """The requester withdraws a pending request."""
    request = _pending_locked(request)
    if request.requested_by_id != actor.pk:
        raise ApprovalCancelledByOther(
            actor=actor,
            operation="cancel_request",
            permission=approvals.approval_kind(request.kind).request_permission,
        )
    request.status, request.decided_at = ApprovalStatus.CANCELLED, now
    request.save(update_fields=["status", "decided_at"])
    record_audit_event(
        actor=actor, action="cancel_request", target=request, occurred_at=now, changes={"kind": request.kind}
    )
    return request


@denials_audited
@transaction.atomic
def use_bulk_unmask_grant(*, grant: ApprovalRequest, actor: User, now: datetime) -> ApprovalRequest:
    """Spend an approved bulk-unmask grant (found with
    :func:`~gridcare.identity.approvals.has_bulk_unmask_grant`) on one export by its requester,
    in the export's transaction; a used or foreign grant is refused."""
    locked: ApprovalRequest = ApprovalRequest.objects.select_for_update().get(pk=grant.pk)
    if (
        locked.kind != approvals.UNMASK_PII_IN_BULK
        or locked.status != ApprovalStatus.APPROVED
        or locked.requested_by_id != actor.pk
    ):
        raise BulkUnmaskGrantMissing(
            actor=actor, operation="use_bulk_unmask_grant", permission=Permission.UNMASK_PII_IN_BULK
        )
    locked.status, locked.executed_at = ApprovalStatus.EXECUTED, now
    locked.save(update_fields=["status", "executed_at"])
    record_audit_event(
        actor=actor,
        action="use_bulk_unmask_grant",
        target=locked,
        occurred_at=now,
        changes={"account_count": len(locked.payload["account_nos"])},
    )
    return locked


def common_org_unit(*, first: OrgUnit, second: OrgUnit) -> OrgUnit:
    """The lowest org unit whose subtree holds both units (their materialized paths' longest
    common prefix of whole codes); units of two different trees have none."""
    first_codes, second_codes = first.path.strip("/").split("/"), second.path.strip("/").split("/")
    shared: list[str] = []
    for first_code, second_code in zip(first_codes, second_codes, strict=False):
        if first_code != second_code:
            break
        shared.append(first_code)
    if not shared:
        raise ApprovalTargetInvalid(
            field="org_unit",
            reason_zh="两个单位不属于同一省公司",
            reason_en="the two org units belong to different provincial companies",
        )
    return OrgUnit.objects.get(code=shared[-1])


def _pending_locked(request: ApprovalRequest) -> ApprovalRequest:
    locked: ApprovalRequest = (
        ApprovalRequest.objects.select_for_update().select_related("org_unit").get(pk=request.pk)
    )
    if locked.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(request_id=locked.pk, status=locked.get_status_display())
    return locked


def _ensure_may_decide(
    *, request: ApprovalRequest, kind: approvals.ApprovalKind, actor: User, operation: str
) -> None:
    if request.requested_by_id == actor.pk:
        raise ApprovalByRequester(actor=actor, operation=operation, permission=kind.approve_permission)
    ensure_changeable(
        user=actor, permission=kind.approve_permission, org_unit=request.org_unit, operation=operation
    )
