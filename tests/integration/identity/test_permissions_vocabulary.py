"""The permission vocabulary: every permission is held by some role, read-only roles change nothing."""

from __future__ import annotations

import pytest

from gridcare.identity.models import Role
from gridcare.identity.permissions import (
    CHANGE_PERMISSIONS,
    PERMISSION_LABELS,
    ROLE_PERMISSIONS,
    Permission,
    has_permission,
    permissions_of,
    requires_mfa,
)

pytestmark = pytest.mark.django_db


def test_every_permission_has_a_label_and_a_holder() -> None:
    held = {permission for permissions in ROLE_PERMISSIONS.values() for permission in permissions}
    assert set(PERMISSION_LABELS) == set(Permission)
    assert held == set(Permission)
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MARKETING_SUPERVISOR])
def test_province_read_only_roles_hold_no_change_permission(role: Role) -> None:
    assert ROLE_PERMISSIONS[role].isdisjoint(CHANGE_PERMISSIONS)


def test_user_permissions_are_the_union_of_their_roles(org_tree, staff_user_factory) -> None:
    reader = staff_user_factory(username="u1", org_unit=org_tree.station, roles=[Role.METER_READER])
    cashier = staff_user_factory(
        username="u2", org_unit=org_tree.station, roles=[Role.CASHIER, Role.METER_READER]
    )
    assert permissions_of(reader) == ROLE_PERMISSIONS[Role.METER_READER]
    assert permissions_of(cashier) == ROLE_PERMISSIONS[Role.CASHIER] | ROLE_PERMISSIONS[Role.METER_READER]
    assert not has_permission(reader, Permission.COLLECT_PAYMENTS)
    assert has_permission(cashier, Permission.COLLECT_PAYMENTS)
    assert not requires_mfa(reader)
    assert requires_mfa(cashier)


def test_every_api_scope_grants_permissions() -> None:
    from gridcare.identity.integrations import ApiScope
    from gridcare.identity.permissions import SCOPE_PERMISSIONS

    assert set(SCOPE_PERMISSIONS) == {scope.value for scope in ApiScope}
    assert SCOPE_PERMISSIONS["meter_reads:write"] == {Permission.VIEW_METERING, Permission.RECORD_METER_READS}
