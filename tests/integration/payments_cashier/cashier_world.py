"""The cashier world: the payments world (../payments/payments_world.py: one account at the
station owing January's 100.00, February's 80.00 and a late fee of 1.50, 181.50 in all; a cashier
at the station; a meter reader), a second cashier at the station and an account at the other
station."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from payments_world import PaymentsWorld, make_payments_world

from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.models import Role, User
from gridcare.kit.ids import make_account_number


@dataclass(frozen=True)
class CashierWorld:
    world: PaymentsWorld
    other_cashier: User
    other_account: Account

    @property
    def account(self) -> Account:
        return self.world.account

    @property
    def cashier(self) -> User:
        return self.world.cashier


def make_cashier_world(org_tree: Any, now: datetime, staff_user_factory: Any) -> CashierWorld:
    world = make_payments_world(org_tree, now, staff_user_factory)
    other_cashier = staff_user_factory(username="cashier2", org_unit=org_tree.station, roles=[Role.CASHIER])
    customer = Customer.objects.create(
        org_unit=org_tree.other_station,
        customer_no="C0000000002",
        kind=CustomerKind.PERSON,
        name="李娜",
        id_number="11010519800101002X",
        created_at=now,
    )
    other_account = Account.objects.create(
        org_unit=org_tree.other_station,
        account_no=make_account_number(sequence=2),
        customer=customer,
        name="李娜",
        service_address="济南市历下区解放路 2 号",
        usage_category=UsageCategory.RESIDENTIAL,
        voltage_level=VoltageLevel.V220,
        contract_capacity_kva=Decimal(8),
        tariff_code="CN-BJ-RES-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )
    return CashierWorld(world=world, other_cashier=other_cashier, other_account=other_account)
