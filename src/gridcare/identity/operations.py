"""State changes of identity: role groups and staff users."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import Group
from django.db import transaction

from gridcare.audit.operations import record_audit_event
from gridcare.identity.models import Role, User, UserKind
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
