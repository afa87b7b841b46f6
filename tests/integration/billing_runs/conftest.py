"""Fixtures of the billing-run tests; the world they build is described in billing_runs_world.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

# pytest's importlib mode puts no test folder on sys.path; the world module sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from billing_runs_world import BILLING_NOW, BillingWorld

from gridcare.billing.models import BasicChargeBasis
from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory
from gridcare.identity.models import Role, User
from gridcare.metering.models import MeterType


@pytest.fixture
def billing_now() -> datetime:
    return BILLING_NOW


@pytest.fixture
def billing_world(org_tree: Any, staff_user_factory: Callable[..., User]) -> BillingWorld:
    """The clerk sits at the county (sees both stations); ``other_clerk`` at the other station."""
    clerk = staff_user_factory(username="hs-clerk", org_unit=org_tree.county, roles=[Role.BILLING_CLERK])
    other_clerk = staff_user_factory(
        username="hs-other", org_unit=org_tree.other_station, roles=[Role.BILLING_CLERK]
    )
    customer = Customer.objects.create(
        org_unit=org_tree.station,
        customer_no="C0000000001",
        kind=CustomerKind.PERSON,
        name="张伟",
        id_number="11010519491231002X",
        created_at=BILLING_NOW,
    )
    return BillingWorld(tree=org_tree, clerk=clerk, other_clerk=other_clerk, customer=customer)


@pytest.fixture
def large_industry(billing_world: BillingWorld) -> Callable[[], Account]:
    """Adds "工厂": DEMO-GD-LI-2P, 1000 kVA, a TOU + reactive + demand meter behind CT 10 × PT 10
    (multiplier 100), basic charge by demand with a 500 kW contract demand."""

    def make() -> Account:
        account = billing_world.add_account(
            "工厂",
            tariff_code="DEMO-GD-LI-2P",
            usage_category=UsageCategory.LARGE_INDUSTRY,
            capacity_kva="1000",
            meter_type=MeterType.THREE_PHASE,
            multiplier=(10, 10),
            has_time_of_use=True,
            has_reactive=True,
            has_demand=True,
        )
        billing_world.terms(
            "工厂",
            basic_charge_basis=BasicChargeBasis.DEMAND,
            contract_demand_kw=Decimal("500"),
        )
        return account

    return make
