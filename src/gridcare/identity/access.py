"""Who may enter which part of the site, and who may do what where: the one access guard.

The back office is for staff bound to an org unit (superusers may be unbound: they see every
unit); the portal (网上营业厅) is for portal customers. Each side sends the other's users home.

Permissions (:mod:`gridcare.identity.permissions`) are checked here, at two kinds of boundary:

- pages: :func:`permission_required` (a view decorator that includes :func:`staff_required`);
- operations: :func:`ensure_permission` and :func:`ensure_changeable` (the permission plus the
  org scope of the record's org unit), called at the top of an operation decorated with
  :func:`denials_audited` *above* its ``@transaction.atomic``.

Every denial is recorded as a ``deny_permission`` audit event. The guards raise
:class:`~gridcare.identity.errors.AccessDenied`; the boundary records it after the denied
operation's transaction has rolled back (a denied operation changed nothing, and its denial
record must not roll back with it), in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import (
    AccessDenied,
    OutsideOrgScope,
    PermissionMissing,
    StaffUnbound,
    WholeOrgTreeRequired,
)
from gridcare.identity.models import User, UserKind
from gridcare.identity.permissions import Permission, has_permission
from gridcare.organization.models import OrgUnit

View = Callable[..., HttpResponseBase]
Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")

#: The object type of ``deny_permission`` audit events; their object id is the permission.
DENIAL_OBJECT_TYPE = "identity.permission"


def is_portal_user(user: Any) -> bool:
    """Whether ``user`` is a logged-in portal customer."""
    return bool(user.is_authenticated and user.kind == UserKind.PORTAL)


def staff_required(view: View) -> View:
    """Let in logged-in staff bound to an org unit (or superusers); send anonymous users to the
    staff login, portal customers to the portal, and refuse unbound staff.

    An :class:`~gridcare.identity.errors.AccessDenied` escaping the view (the view's own
    :func:`ensure_permission`, or an operation that refused the user) becomes a 403, recorded
    as a ``deny_permission`` audit event unless it already was."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="web:login")
        if is_portal_user(user):
            return redirect("portal:home")
        if user.org_unit_id is None and not user.is_superuser:
            record_denial(
                denial=StaffUnbound(actor=user, operation=request_operation(request), permission=""),
                now=timezone.now(),
            )
            raise PermissionDenied(
                _("Your user is not bound to an org unit. Ask a system administrator to assign one.")
            )
        try:
            return view(request, *args, **kwargs)
        except AccessDenied as denial:
            # No transaction is open here (requests are not atomic): the record commits.
            record_denial(denial=denial, now=timezone.now())
            raise PermissionDenied(denial.message(get_language() or "zh-hans")) from denial

    return guarded


def portal_user_required(view: View) -> View:
    """Let in logged-in portal customers; send anonymous users to the portal login and staff to
    the back office."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="portal:login")
        if not is_portal_user(user):
            return redirect("web:home")
        return view(request, *args, **kwargs)

    return guarded


# --- permissions and org scope ------------------------------------------------------------


def ensure_permission(*, user: Any, permission: Permission, operation: str) -> None:
    """Raise :class:`~gridcare.identity.errors.PermissionMissing` unless ``user`` holds
    ``permission``. ``operation`` names what was refused (an operation name or a request path)
    for the audit event the boundary records."""
    if not has_permission(user, permission):
        raise PermissionMissing(actor=user, operation=operation, permission=permission)


def ensure_changeable(*, user: Any, permission: Permission, org_unit: OrgUnit, operation: str) -> None:
    """Refuse unless ``user`` holds ``permission`` and ``org_unit`` (the org unit of the record
    changed, or of the record about to be created) lies in the user's org subtree, i.e. in
    ``OrgUnit.objects.changeable_by(user, permission)``.

    ``user=None`` is the server's operator (the seeder, a command run without ``--user``),
    whom nothing limits."""
    if user is None:
        return
    ensure_permission(user=user, permission=permission, operation=operation)
    if not OrgUnit.objects.changeable_by(user, permission).filter(pk=org_unit.pk).exists():
        raise OutsideOrgScope(
            actor=user,
            operation=operation,
            permission=permission,
            org_unit=org_unit,
            org_unit_name=org_unit.name,
        )


@transaction.atomic
def record_denial(*, denial: AccessDenied, now: datetime) -> None:
    """Record ``denial`` as a ``deny_permission`` audit event (once: a recorded denial is not
    recorded again). Call it outside the denied operation's transaction."""
    if denial.is_recorded:
        return
    actor = denial.actor if getattr(denial.actor, "pk", None) else None
    changes: dict[str, object] = {
        "operation": denial.operation,
        "permission": denial.permission,
        "reason": denial.code,
    }
    if denial.org_unit is not None:
        changes["org_unit"] = denial.org_unit.code
    record_audit_event(
        actor=actor,
        action="deny_permission",
        target=None,
        object_type=DENIAL_OBJECT_TYPE,
        object_id=str(denial.permission),
        # The actor's unit, so the auditors over the actor see what they were refused.
        org_unit_id=getattr(actor, "org_unit_id", None),
        occurred_at=now,
        changes=changes,
    )
    denial.is_recorded = True


def denials_audited(operation: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
    """Decorate an operation (above its ``@transaction.atomic``) so an
    :class:`~gridcare.identity.errors.AccessDenied` it raises is recorded after its transaction
    rolled back, at the operation's ``now``."""

    @wraps(operation)
    def audited(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        try:
            return operation(*args, **kwargs)
        except AccessDenied as denial:
            now = kwargs.get("now")
            record_denial(denial=denial, now=now if isinstance(now, datetime) else timezone.now())
            raise

    return audited


def permission_required(permission: Permission) -> Callable[[View], View]:
    """A view decorator: :func:`staff_required`, then ``permission`` or an audited 403."""

    def decorate(view: View) -> View:
        @staff_required
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            ensure_permission(user=request.user, permission=permission, operation=request_operation(request))
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def request_operation(request: HttpRequest) -> str:
    """How a denial names a request: method and path, e.g. ``POST /exchange/``."""
    return f"{request.method} {request.path}"


def sees_whole_org_tree(user: Any) -> bool:
    """Whether ``user`` sees every org unit: an active superuser, or staff bound to a root unit
    (the provincial company). Only they may act on what belongs to no unit (unlocking an IP
    address, or a username no user holds)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    org_unit = getattr(user, "org_unit", None)
    return org_unit is not None and org_unit.parent_id is None


def ensure_sees_whole_org_tree(*, user: Any, permission: Permission, operation: str) -> None:
    """Refuse (an audited :class:`WholeOrgTreeRequired`) unless :func:`sees_whole_org_tree`."""
    if not sees_whole_org_tree(user):
        raise WholeOrgTreeRequired(actor=user, operation=operation, permission=permission)


def users_visible_to(user: Any) -> QuerySet[User]:
    """The staff users ``user`` may see and manage: those bound to a unit of their org subtree
    (for a superuser also the staff bound to none, who wait to be bound)."""
    staff = User.objects.filter(kind=UserKind.STAFF).select_related("org_unit")
    if getattr(user, "is_superuser", False) and user.is_active:
        return staff
    return staff.filter(org_unit__in=OrgUnit.objects.visible_to(user))
