"""Four-eyes approvals (双人复核): the registry of approval kinds and the built-in kinds.

A sensitive operation is not done directly: its requester files an
:class:`~gridcare.identity.models.ApprovalRequest` (see
:func:`gridcare.identity.operations.request_approval`), and a *different* user holding the
kind's approver permission, whose org subtree holds the request's org unit, approves or rejects
it (:func:`~gridcare.identity.operations.approve_request`,
:func:`~gridcare.identity.operations.reject_request`). Approval runs the kind's executor in the
same transaction, which performs the operation and audits it.

Each kind is data in :data:`APPROVAL_KINDS`: its name, label, the permission needed to request
it, the permission needed to approve it (``approvals.approve``), the executor and a one-line
description of a payload for the inbox. A *grant* kind (``grants=True``) does not act on
approval: it leaves the request ``approved`` for its requester to use once (the bulk unmask of
personal data), and the use marks it ``executed``.

Later issues register their kinds from their app's ``AppConfig.ready()`` with
:func:`register_approval_kind` (see docs/permissions.md): tariff changes, bill adjustments and
refunds above a threshold, late-fee waivers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import ApprovalKindUnknown, ApprovalTargetInvalid
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, User
from gridcare.identity.permissions import Permission, forget_permissions
from gridcare.organization.models import OrgUnit

#: ``executor(request=..., actor=..., now=...)``: performs the approved operation and audits it
#: (it runs inside the approval's transaction; raising a GridCareError undoes the approval).
Executor = Callable[..., None]
#: ``describe(payload)``: the request in one line, for the inbox.
Describer = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True, kw_only=True)
class ApprovalKind:
    """One kind of sensitive operation that needs a second user's approval."""

    name: str
    label: str | Promise
    request_permission: Permission
    execute: Executor
    describe: Describer
    approve_permission: Permission = Permission.APPROVE
    grants: bool = False


APPROVAL_KINDS: dict[str, ApprovalKind] = {}


def register_approval_kind(kind: ApprovalKind) -> ApprovalKind:
    """Add ``kind`` to the registry (registering the same name twice is a programming error)."""
    if kind.name in APPROVAL_KINDS and APPROVAL_KINDS[kind.name] != kind:
        raise ValueError(f"Approval kind {kind.name!r} is registered already.")
    APPROVAL_KINDS[kind.name] = kind
    return kind


def approval_kind(name: str) -> ApprovalKind:
    """The registered kind called ``name``, or :class:`ApprovalKindUnknown`."""
    try:
        return APPROVAL_KINDS[name]
    except KeyError:
        raise ApprovalKindUnknown(kind=name) from None


# --- change a user's roles ----------------------------------------------------------------

CHANGE_USER_ROLES = "change_user_roles"


def _locked_user(request: ApprovalRequest) -> User:
    user = User.objects.select_for_update().filter(pk=request.payload["user_id"]).first()
    if user is None:
        raise ApprovalTargetInvalid(
            reason_zh="该用户已不存在", reason_en=f"user {request.payload['username']} no longer exists"
        )
    return user


def _execute_role_change(*, request: ApprovalRequest, actor: User, now: datetime) -> None:
    """Give the user exactly the requested roles, if they still hold the roles the request saw."""
    user = _locked_user(request)
    before = sorted(user.groups.values_list("name", flat=True))
    if before != request.payload["roles_before"]:
        raise ApprovalTargetInvalid(
            reason_zh="该用户的角色在申请后已被改动，请重新申请",
            reason_en="the user's roles changed after the request; file a new one",
        )
    roles = request.payload["roles"]
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    forget_permissions(user)
    record_audit_event(
        actor=actor,
        action="change_user_roles",
        target=user,
        occurred_at=now,
        changes={
            "roles": [before, roles],
            "approval_request": request.pk,
            "requested_by": request.requested_by_id,
        },
    )


def _describe_role_change(payload: Mapping[str, Any]) -> str:
    return gettext("Roles of %(username)s: %(before)s → %(after)s") % {
        "username": payload["username"],
        "before": "、".join(payload["roles_before"]) or "—",
        "after": "、".join(payload["roles"]) or "—",
    }


# --- change a user's org unit -----------------------------------------------------------


CHANGE_USER_ORG_UNIT = "change_user_org_unit"


def _execute_org_unit_change(*, request: ApprovalRequest, actor: User, now: datetime) -> None:
    """Bind the user to the requested org unit, if they are still where the request saw them."""
    user = _locked_user(request)
    before = user.org_unit.code if user.org_unit is not None else None
    if before != request.payload["org_unit_before"]:
        raise ApprovalTargetInvalid(
            reason_zh="该用户的所属单位在申请后已被改动，请重新申请",
            reason_en="the user's org unit changed after the request; file a new one",
        )
    target = OrgUnit.objects.filter(code=request.payload["org_unit"]).first()
    if target is None:
        raise ApprovalTargetInvalid(
            reason_zh="目标单位已不存在", reason_en=f"org unit {request.payload['org_unit']} no longer exists"
        )
    user.org_unit = target
    user.save(update_fields=["org_unit"])
    record_audit_event(
        actor=actor,
        action="change_user_org_unit",
        target=user,
        occurred_at=now,
        changes={
            "org_unit": [before, target.code],
            "approval_request": request.pk,
            "requested_by": request.requested_by_id,
        },
    )


def _describe_org_unit_change(payload: Mapping[str, Any]) -> str:
    return gettext("Org unit of %(username)s: %(before)s → %(after)s") % {
        "username": payload["username"],
        "before": payload["org_unit_before"] or "—",
        "after": payload["org_unit"],
    }


# --- unmask personal data in bulk ---------------------------------------------------------

UNMASK_PII_IN_BULK = "unmask_pii_in_bulk"


def _grant_bulk_unmask(*, request: ApprovalRequest, actor: User, now: datetime) -> None:
    """Record the one-time grant: the request stays ``approved`` until its export uses it."""
    record_audit_event(
        actor=actor,
        action="grant_bulk_unmask",
        target=request,
        occurred_at=now,
        changes={
            "account_count": len(request.payload["account_nos"]),
            "requested_by": request.requested_by_id,
        },
    )


def _describe_bulk_unmask(payload: Mapping[str, Any]) -> str:
    account_nos = payload["account_nos"]
    shown = ", ".join(account_nos[:5]) + (" …" if len(account_nos) > 5 else "")
    return gettext("Unmasked export of %(count)d accounts: %(accounts)s") % {
        "count": len(account_nos),
        "accounts": shown,
    }


def has_bulk_unmask_grant(*, user: Any, account_nos: Collection[str]) -> ApprovalRequest | None:
    """The approved, unused ``unmask_pii_in_bulk`` request of ``user`` that covers every one of
    ``account_nos``, or ``None``.

    The export that unmasks personal data in bulk calls this first; it still exports only the
    accounts visible to the user (``Account.objects.visible_to(user)``), and it spends the grant
    with :func:`gridcare.identity.operations.use_bulk_unmask_grant` in the transaction that
    records the export, so each approval unmasks one export.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    wanted = set(account_nos)
    grants = ApprovalRequest.objects.filter(
        kind=UNMASK_PII_IN_BULK, status=ApprovalStatus.APPROVED, requested_by=user
    ).order_by("decided_at", "pk")
    for grant in grants:
        if wanted <= set(grant.payload["account_nos"]):
            found: ApprovalRequest = grant
            return found
    return None


# --- the registry of built-in kinds ------------------------------------------------------

register_approval_kind(
    ApprovalKind(
        name=CHANGE_USER_ROLES,
        label=_("Change a user's roles"),
        request_permission=Permission.MANAGE_USERS,
        execute=_execute_role_change,
        describe=_describe_role_change,
    )
)
register_approval_kind(
    ApprovalKind(
        name=CHANGE_USER_ORG_UNIT,
        label=_("Change a user's org unit"),
        request_permission=Permission.MANAGE_USERS,
        execute=_execute_org_unit_change,
        describe=_describe_org_unit_change,
    )
)
register_approval_kind(
    ApprovalKind(
        name=UNMASK_PII_IN_BULK,
        label=_("Unmask personal data in bulk"),
        request_permission=Permission.UNMASK_PII_IN_BULK,
        execute=_grant_bulk_unmask,
        describe=_describe_bulk_unmask,
        grants=True,
    )
)


def describe_request(request: ApprovalRequest) -> str:
    """The request's one-line description (its kind's), or the raw kind for an unregistered one."""
    kind = APPROVAL_KINDS.get(request.kind)
    return kind.describe(request.payload) if kind is not None else request.kind


def pending_requests_for(*, user: Any) -> QuerySet[ApprovalRequest]:
    """Pending requests in ``user``'s org subtree (the approver's inbox), oldest first."""
    return (
        ApprovalRequest.objects.visible_to(user)
        .filter(status=ApprovalStatus.PENDING)
        .select_related("requested_by", "org_unit")
        .order_by("requested_at", "pk")
    )


def requests_of(*, user: Any) -> QuerySet[ApprovalRequest]:
    """The requests ``user`` filed, newest first."""
    if not getattr(user, "is_authenticated", False):
        return ApprovalRequest.objects.none()
    return (
        ApprovalRequest.objects.filter(requested_by=user)
        .select_related("decided_by", "org_unit")
        .order_by("-requested_at", "-pk")
    )


__all__ = [
    "APPROVAL_KINDS",
    "CHANGE_USER_ORG_UNIT",
    "CHANGE_USER_ROLES",
    "UNMASK_PII_IN_BULK",
    "ApprovalKind",
    "approval_kind",
    "describe_request",
    "has_bulk_unmask_grant",
    "pending_requests_for",
    "register_approval_kind",
    "requests_of",
]
