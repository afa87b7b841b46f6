"""Fixtures of the usage loader's tests: the metering world of billing_usage_world.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# pytest's importlib mode puts no test folder on sys.path; billing_usage_world sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from billing_usage_world import NOW, UsageWorld

from gridcare.customers.models import Customer, CustomerKind
from gridcare.organization.models import OrgLevel, OrgUnit


@pytest.fixture
def usage_world(db: None) -> UsageWorld:
    def unit(code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
        path = f"{parent.path if parent else '/'}{code}/"
        return OrgUnit.objects.create(code=code, name=name, level=level, parent=parent, path=path)

    province = unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None)
    city = unit("3701", "济南供电公司", OrgLevel.CITY, province)
    county = unit("370102", "历下区供电中心", OrgLevel.COUNTY, city)
    station = unit("37010201", "泉城路供电所", OrgLevel.STATION, county)
    customer = Customer.objects.create(
        org_unit=station,
        customer_no="C0000000001",
        kind=CustomerKind.ENTERPRISE,
        name="济南泉城机械有限公司",
        credit_code="91370100MA3C5DEX1K",
        created_at=NOW,
    )
    return UsageWorld(station=station, customer=customer, accounts=[])
