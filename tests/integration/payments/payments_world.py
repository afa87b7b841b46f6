"""A payments world: one residential account at the station with two bills posted to the ledger
(January's 100.00 due 2025-03-12, February's 80.00 due 2025-03-20) and a late fee of 1.50 on
January's, a cashier at the station and a meter reader who may not take money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.models import Role, User
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries

JANUARY_BILL, FEBRUARY_BILL, LATE_FEE = "billing.bill:1", "billing.bill:2", "payments.late_fee:1"


@dataclass(frozen=True)
class PaymentsWorld:
    tree: Any
    account: Account
    cashier: User
    meter_reader: User


def receivable_entry(
    world_tree: Any,
    account: Account,
    *,
    code: ChartCode,
    income: ChartCode,
    amount: str,
    item: str,
    due: date,
) -> NewEntry:
    return NewEntry(
        org_unit_id=world_tree.station.pk,
        kind=JournalEntryKind.BILL_ISSUED
        if code == ChartCode.RECEIVABLE_ENERGY
        else JournalEntryKind.LATE_FEE,
        entry_date=date(due.year, due.month, 5),
        description=item,
        source=item,
        lines=[
            PostingLine(
                code=code, debit=Decimal(amount), customer_account_id=account.pk, item=item, due_date=due
            ),
            PostingLine(code=income, credit=Decimal(amount)),
        ],
    )


def make_payments_world(org_tree: Any, now: datetime, staff_user_factory: Any) -> PaymentsWorld:
    customer = Customer.objects.create(
        org_unit=org_tree.station,
        customer_no="C0000000001",
        kind=CustomerKind.PERSON,
        name="张伟",
        id_number="11010519491231002X",
        created_at=now,
    )
    account = Account.objects.create(
        org_unit=org_tree.station,
        account_no=make_account_number(sequence=1),
        customer=customer,
        name="张伟",
        service_address="济南市历下区泉城路 1 号",
        usage_category=UsageCategory.RESIDENTIAL,
        voltage_level=VoltageLevel.V220,
        contract_capacity_kva=Decimal(8),
        tariff_code="CN-BJ-RES-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )
    energy, late = ChartCode.RECEIVABLE_ENERGY, ChartCode.RECEIVABLE_LATE_FEE
    post_journal_entries(
        entries=[
            receivable_entry(
                org_tree,
                account,
                code=energy,
                income=ChartCode.ENERGY_REVENUE,
                amount="80.00",
                item=FEBRUARY_BILL,
                due=date(2025, 3, 20),
            ),
            receivable_entry(
                org_tree,
                account,
                code=energy,
                income=ChartCode.ENERGY_REVENUE,
                amount="100.00",
                item=JANUARY_BILL,
                due=date(2025, 3, 12),
            ),
            receivable_entry(
                org_tree,
                account,
                code=late,
                income=ChartCode.LATE_FEE_INCOME,
                amount="1.50",
                item=LATE_FEE,
                due=date(2025, 3, 6),
            ),
        ],
        actor=None,
        now=now,
    )
    cashier = staff_user_factory(username="cashier", org_unit=org_tree.station, roles=[Role.CASHIER])
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    return PaymentsWorld(tree=org_tree, account=account, cashier=cashier, meter_reader=reader)
