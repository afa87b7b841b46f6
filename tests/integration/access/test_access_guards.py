"""The access guards: the write gate (``changeable_by``), operations refusing users without the
permission or outside their org subtree (audited, nothing changed), import and export
permissions, Django's ``has_perm`` and the documented role table."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Customer, CustomerKind
from gridcare.customers.operations import register_customer
from gridcare.exchange.files import FileFormat
from gridcare.exchange.kinds import KINDS
from gridcare.exchange.models import ExchangeBatch
from gridcare.exchange.operations import IMPORT_PERMISSIONS, export_file, import_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.identity.errors import OutsideOrgScope, PermissionMissing
from gridcare.identity.models import Role, User, UserKind
from gridcare.identity.permissions import CHANGE_PERMISSIONS, ROLE_PERMISSIONS, Permission
from gridcare.metering.models import Feeder
from gridcare.metering.operations import create_feeder
from gridcare.organization.models import OrgUnit

pytestmark = pytest.mark.django_db

PERMISSIONS_DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
ID_NUMBER = "370102199002152343"


@pytest.fixture
def clerk(org_tree: Any, staff_user_factory: Any) -> User:
    """The 业扩受理员 of 泉城路供电所."""
    return staff_user_factory(
        username="clerk", org_unit=org_tree.station, roles=[Role.BUSINESS_EXPANSION_CLERK]
    )


@pytest.fixture
def province_auditor(org_tree: Any, staff_user_factory: Any) -> User:
    return staff_user_factory(username="auditor", org_unit=org_tree.province, roles=[Role.AUDITOR])


def _denials() -> list[tuple[str, str, str, int | None, dict[str, Any]]]:
    return [
        (event.actor.username, event.object_type, event.object_id, event.org_unit_id, event.changes)
        for event in AuditEvent.objects.filter(action="deny_permission").order_by("sequence")
    ]


def test_changeable_is_visible_with_the_permission_and_nothing_without(
    org_tree: Any, clerk: User, province_auditor: User, staff_user_factory: Any
) -> None:
    root = staff_user_factory(username="root", org_unit=org_tree.province, is_superuser=True)
    units = OrgUnit.objects.order_by("code")

    assert list(units.changeable_by(clerk, Permission.CHANGE_CUSTOMERS)) == [org_tree.station]
    assert list(units.changeable_by(clerk, Permission.RECORD_METER_READS)) == []
    # The province auditor sees the whole province and changes none of it.
    assert units.visible_to(province_auditor).count() == 5
    assert [
        units.changeable_by(province_auditor, permission).count() for permission in sorted(CHANGE_PERMISSIONS)
    ] == [0] * len(CHANGE_PERMISSIONS)
    assert units.changeable_by(root, Permission.CHANGE_CUSTOMERS).count() == 5
    assert units.changeable_by(AnonymousUser(), Permission.VIEW_CUSTOMERS).count() == 0


def test_an_operation_outside_the_users_subtree_changes_nothing_and_is_audited(
    org_tree: Any, clerk: User, now: Any
) -> None:
    with pytest.raises(OutsideOrgScope) as refused:
        register_customer(
            org_unit=org_tree.other_station,
            kind=CustomerKind.PERSON,
            name="王五",
            id_number=ID_NUMBER,
            actor=clerk,
            now=now,
        )

    assert refused.value.message("en") == "解放路供电所 is outside the org units you may change"
    assert Customer.objects.count() == 0
    assert _denials() == [
        (
            "clerk",
            "identity.permission",
            "customers.change",
            org_tree.station.pk,
            {
                "operation": "register_customer",
                "permission": "customers.change",
                "reason": "outside_org_scope",
                "org_unit": "37010202",
            },
        )
    ]


def test_an_operation_needs_its_permission(org_tree: Any, province_auditor: User, now: Any) -> None:
    with pytest.raises(PermissionMissing):
        register_customer(
            org_unit=org_tree.station,
            kind=CustomerKind.PERSON,
            name="王五",
            id_number=ID_NUMBER,
            actor=province_auditor,
            now=now,
        )
    with pytest.raises(PermissionMissing):
        create_feeder(
            org_unit=org_tree.station,
            code="F1",
            name="线",
            voltage_kv=Decimal("10"),
            actor=province_auditor,
            now=now,
        )

    assert (Customer.objects.count(), Feeder.objects.count()) == (0, 0)
    assert [changes["operation"] for *_rest, changes in _denials()] == ["register_customer", "create_feeder"]
    assert [changes["reason"] for *_rest, changes in _denials()] == ["permission_missing"] * 2


def test_within_the_subtree_and_for_the_operator_the_operation_runs(
    org_tree: Any, clerk: User, now: Any
) -> None:
    mine = register_customer(
        org_unit=org_tree.station,
        kind=CustomerKind.PERSON,
        name="王五",
        id_number=ID_NUMBER,
        actor=clerk,
        now=now,
    )
    by_operator = register_customer(
        org_unit=org_tree.other_station,
        kind=CustomerKind.ENTERPRISE,
        name="济南泉城机械制造有限公司",
        credit_code="91370100MA3C123459",
        actor=None,
        now=now,
    )

    assert (mine.org_unit, by_operator.org_unit) == (org_tree.station, org_tree.other_station)
    assert _denials() == []


def test_every_import_kind_names_the_permission_it_changes_with() -> None:
    assert set(IMPORT_PERMISSIONS) == set(KINDS)
    assert set(IMPORT_PERMISSIONS.values()) <= CHANGE_PERMISSIONS


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.METER_READER, "customers"),  # may import reads, not customers
        (Role.BUSINESS_EXPANSION_CLERK, "reads"),  # may import customers, not reads
        (Role.MARKETING_SUPERVISOR, "customers"),  # read-only: imports nothing
    ],
)
def test_an_import_needs_exchange_import_and_the_kinds_change_permission(
    org_tree: Any, staff_user_factory: Any, now: Any, role: Role, kind: str
) -> None:
    user = staff_user_factory(username="importer", org_unit=org_tree.station, roles=[role])
    header = ",".join(column.name for column in KINDS[kind].columns if column.required)

    with pytest.raises(PermissionMissing):
        import_file(
            kind=kind,
            stream=io.BytesIO(f"{header}\n".encode()),
            file_name="file.csv",
            scope=ExchangeScope(user=user),
            partial=False,
            now=now,
        )

    assert ExchangeBatch.objects.count() == 0
    assert [changes["operation"] for *_rest, changes in _denials()] == [f"import_{kind}"]


def test_an_export_needs_exchange_export(org_tree: Any, province_auditor: User, now: Any) -> None:
    with pytest.raises(PermissionMissing):
        export_file(
            kind="accounts",
            stream=io.BytesIO(),
            file_format=FileFormat.CSV,
            file_name="accounts.csv",
            scope=ExchangeScope(user=province_auditor),
            now=now,
        )
    assert ExchangeBatch.objects.count() == 0


def test_django_has_perm_answers_from_the_role_map(
    org_tree: Any, clerk: User, province_auditor: User, staff_user_factory: Any
) -> None:
    root = staff_user_factory(username="root", org_unit=org_tree.province, is_superuser=True)
    portal = User.objects.create(username="portal", kind=UserKind.PORTAL)

    assert clerk.has_perm("customers.change")
    assert not clerk.has_perm("audit.view")
    assert province_auditor.has_perm("audit.view")
    assert not province_auditor.has_perm("customers.change")
    assert root.has_perm("approvals.approve")
    assert not portal.has_perm("customers.view")
    assert not AnonymousUser().has_perm("customers.view")
    assert not clerk.has_perm("customers.view_customer")  # Django's model permissions are not used


def test_the_user_admin_shows_roles_and_org_unit_read_only(
    clerk: User, staff_user_factory: Any, org_tree: Any
) -> None:
    administrator = staff_user_factory(
        username="admin", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )
    request = RequestFactory().get("/admin/")
    request.user = administrator
    user_admin = admin.site._registry[User]

    form_class = user_admin.get_form(request, clerk, change=True)

    assert {"groups", "org_unit", "is_superuser", "user_permissions"}.isdisjoint(form_class.base_fields)
    assert user_admin.has_change_permission(request, clerk)


def test_the_documented_role_table_is_the_role_map() -> None:
    lines = PERMISSIONS_DOC.read_text(encoding="utf-8").splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith("| permission |"))
    table = lines[start : lines.index("", start)]
    roles = [Role(cell.strip()) for cell in table[0].strip("|").split("|")[1:]]
    documented: dict[Role, set[str]] = {role: set() for role in roles}
    for line in table[2:]:
        match = re.match(r"^\| `([a-z_.]+)`", line)
        assert match is not None, line
        for role, cell in zip(roles, line.strip("|").split("|")[1:], strict=True):
            if cell.strip() == "✓":
                documented[role].add(match.group(1))
    assert documented == {role: {str(permission) for permission in ROLE_PERMISSIONS[role]} for role in Role}
