"""The org unit of an import's or export's batch and audit event: the most specific unit that
holds the whole scope, so the auditors above it see the batch."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from exchange_world import NOW, World, csv_bytes, id_number, make_staff, run_import

from gridcare.audit.models import AuditEvent
from gridcare.exchange.files import FileFormat
from gridcare.exchange.models import ExchangeBatch
from gridcare.exchange.operations import export_file
from gridcare.exchange.queries import ExchangeScope, covering_org_unit
from gridcare.identity.models import User
from gridcare.organization.models import OrgLevel, OrgUnit

CUSTOMERS = [
    ["customer_no", "kind", "name", "id_number", "org_unit"],
    ["C800", "person", "林青", id_number(80), "37010201"],
]


def _superuser() -> User:
    return User.objects.create(username="root", is_staff=True, is_superuser=True, password="!")


@pytest.mark.parametrize(
    ("user", "org_unit", "expected"),
    [
        (None, None, "province"),
        (None, "station", "station"),
        ("county_clerk", None, "county"),
        ("county_clerk", "station", "station"),
        ("superuser", None, "province"),
    ],
)
def test_the_batch_belongs_to_the_unit_covering_the_scope(
    world: World, user: str | None, org_unit: str | None, expected: str
) -> None:
    users = {None: None, "county_clerk": world.county_clerk, "superuser": _superuser()}
    scope = ExchangeScope(user=users[user], org_unit=getattr(world, org_unit) if org_unit else None)

    report = run_import("customers", csv_bytes(CUSTOMERS), scope=scope)
    export = export_file(
        kind="customers",
        stream=io.BytesIO(),
        file_format=FileFormat.CSV,
        file_name="customers.csv",
        scope=scope,
        now=NOW,
    )

    unit = getattr(world, expected)
    assert report.batch is not None
    assert (report.batch.org_unit, export.batch.org_unit) == (unit, unit)
    events = AuditEvent.objects.filter(object_type="exchange.exchangebatch").order_by("pk")
    assert [(event.action, event.org_unit, event.changes["org_unit"]) for event in events] == [
        ("import_customers", unit, unit.code),
        ("export_customers", unit, unit.code),
    ]


def test_without_a_single_root_an_unrestricted_batch_has_no_org_unit(world: World) -> None:
    OrgUnit.objects.create(code="41", name="国网河南省电力公司", level=OrgLevel.PROVINCE, path="/41/")

    assert covering_org_unit(scope=ExchangeScope(user=None)) is None


def test_a_command_without_user_or_org_unit_is_seen_by_the_province_auditor(
    world: World, tmp_path: Path
) -> None:
    auditor = make_staff("province_auditor", world.province)
    county_auditor = make_staff("county_auditor", world.county)

    call_command("export", "meters", str(tmp_path / "meters.csv"), stdout=io.StringIO())

    batch = ExchangeBatch.objects.get()
    assert list(ExchangeBatch.objects.visible_to(auditor)) == [batch]
    assert list(AuditEvent.objects.visible_to(auditor).filter(action="export_meters")) == [
        AuditEvent.objects.get(action="export_meters")
    ]
    # The export covered every unit: a county does not own it.
    assert not ExchangeBatch.objects.visible_to(county_auditor).exists()
