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

from gridcare.billing.models import Bill, BillStatus
from gridcare.billing.receivables import post_issued_bills
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


def issue_bill(
    account: Account, *, number: str, total: str, period_start: date, due_date: date, now: datetime
) -> Bill:
    """An issued regular bill of ``account`` posted to the ledger as issuing posts it (the
    calculation that makes bills is tested in billing). Its id starts at 1001: the payments
    world's ledger items name bills 1 and 2, which have no rows."""
    period_end = date(period_start.year + period_start.month // 12, period_start.month % 12 + 1, 1)
    bill = Bill.objects.create(
        pk=1000 + Bill.objects.count() + 1,
        org_unit=account.org_unit,
        account=account,
        status=BillStatus.ISSUED,
        number=number,
        period_start=period_start,
        period_end=period_end,
        tariff_code=account.tariff_code,
        energy_kwh=Decimal("100.000"),
        total=Decimal(total),
        calculated_at=now,
        issued_at=now,
        due_date=due_date,
    )
    post_issued_bills(bills=[bill], actor=None, now=now)
    return bill
