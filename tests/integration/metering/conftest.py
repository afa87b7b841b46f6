"""A small utility for metering tests, built directly with the ORM: two stations in two cities,
a customer with two accounts, another customer, a staff actor and a fixed clock."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group

# pytest's importlib mode puts no test folder on sys.path; metering_world sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from metering_world import NOW, at, kwh, snapshot

from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.models import Role, User
from gridcare.kit.ids import make_account_number
from gridcare.metering import operations
from gridcare.metering.models import (
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterType,
    ReadSource,
)
from gridcare.organization.models import OrgLevel, OrgUnit


@dataclass
class World:
    province: OrgUnit
    city: OrgUnit
    county: OrgUnit
    station: OrgUnit
    other_city: OrgUnit
    other_station: OrgUnit
    actor: User
    customer: Customer
    account: Account
    second_account: Account
    other_customer_account: Account


def _org_unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    path = f"{parent.path if parent else '/'}{code}/"
    return OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)


def _account(*, sequence: int, customer: Customer, org_unit: OrgUnit, name: str) -> Account:
    return Account.objects.create(
        org_unit=org_unit,
        account_no=make_account_number(sequence=sequence),
        customer=customer,
        name=name,
        service_address="济南市历下区泉城路 1 号",
        usage_category=UsageCategory.LARGE_INDUSTRY,
        voltage_level=VoltageLevel.KV10,
        contract_capacity_kva=Decimal("630"),
        tariff_code="LI-10KV",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )


@pytest.fixture
def world(db: None) -> World:
    province = _org_unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None)
    city = _org_unit("3701", "济南供电公司", OrgLevel.CITY, province)
    county = _org_unit("370102", "历下区供电中心", OrgLevel.COUNTY, city)
    station = _org_unit("37010201", "泉城路供电所", OrgLevel.STATION, county)
    other_city = _org_unit("3702", "青岛供电公司", OrgLevel.CITY, province)
    other_county = _org_unit("370202", "市南区供电中心", OrgLevel.COUNTY, other_city)
    other_station = _org_unit("37020201", "八大关供电所", OrgLevel.STATION, other_county)
    actor = User.objects.create(username="meter-clerk", org_unit=county, is_staff=True)
    # Changes metering records and records reads: 业扩受理员 and 抄表员.
    actor.groups.set(
        [
            Group.objects.get_or_create(name=role.value)[0]
            for role in (Role.BUSINESS_EXPANSION_CLERK, Role.METER_READER)
        ]
    )
    customer = Customer.objects.create(
        org_unit=station,
        customer_no="C0000000001",
        kind=CustomerKind.ENTERPRISE,
        name="济南泉城机械有限公司",
        credit_code="91370100MA3C5DEX1K",
        created_at=NOW,
    )
    other_customer = Customer.objects.create(
        org_unit=station,
        customer_no="C0000000002",
        kind=CustomerKind.PERSON,
        name="张伟",
        id_number="11010519491231002X",
        created_at=NOW,
    )
    return World(
        province=province,
        city=city,
        county=county,
        station=station,
        other_city=other_city,
        other_station=other_station,
        actor=actor,
        customer=customer,
        account=_account(sequence=1, customer=customer, org_unit=station, name="泉城机械 一车间"),
        second_account=_account(sequence=2, customer=customer, org_unit=station, name="泉城机械 办公楼"),
        other_customer_account=_account(sequence=3, customer=other_customer, org_unit=station, name="张伟"),
    )


@pytest.fixture
def make_point(world: World) -> Callable[..., MeteringPoint]:
    """Create a metering point through the operation (defaults: 低供低计 on the first account)."""

    def make(code: str = "MP0001", **overrides: Any) -> MeteringPoint:
        arguments: dict[str, Any] = {
            "account": world.account,
            "code": code,
            "name": f"计量点 {code}",
            "metering_arrangement": MeteringArrangement.LV_SUPPLY_LV_METERING,
            "actor": world.actor,
            "now": NOW,
        }
        arguments.update(overrides)
        return operations.create_metering_point(**arguments)

    return make


@pytest.fixture
def make_meter(world: World) -> Callable[..., Meter]:
    """Register a meter through the operation (defaults: a 6+2-digit single-phase meter)."""

    def make(asset_no: str = "3710001000001", **overrides: Any) -> Meter:
        arguments: dict[str, Any] = {
            "org_unit": world.county,
            "asset_no": asset_no,
            "meter_type": MeterType.SINGLE_PHASE,
            "manufacturer": "威胜集团",
            "accuracy_class": "2",
            "actor": world.actor,
            "now": NOW,
        }
        arguments.update(overrides)
        return operations.register_meter(**arguments)

    return make


@pytest.fixture
def install(world: World) -> Callable[..., MeterInstallation]:
    """Install a meter through the operation at 1 Feb 2025 09:00 with a zero read."""

    def do(meter: Meter, metering_point: MeteringPoint, **overrides: Any) -> MeterInstallation:
        arguments: dict[str, Any] = {
            "meter": meter,
            "metering_point": metering_point,
            "installed_at": at(1),
            "registers": kwh("0"),
            "source": ReadSource.MANUAL,
            "actor": world.actor,
            "now": NOW,
        }
        arguments.update(overrides)
        return operations.install_meter(**arguments)

    return do


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    """``with unchanged(): ...`` — take a snapshot, run the block, assert the snapshot is the same."""

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        before = snapshot()
        yield
        assert snapshot() == before

    return guard
