"""A ledger world: two customer accounts at the station, and entries to post for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine


@dataclass(frozen=True)
class LedgerWorld:
    tree: Any
    first: Account
    second: Account


def make_ledger_world(org_tree: Any, now: Any) -> LedgerWorld:
    customer = Customer.objects.create(
        org_unit=org_tree.station,
        customer_no="C0000000001",
        kind=CustomerKind.PERSON,
        name="张伟",
        id_number="11010519491231002X",
        created_at=now,
    )
    accounts = [
        Account.objects.create(
            org_unit=org_tree.station,
            account_no=make_account_number(sequence=sequence),
            customer=customer,
            name=f"户 {sequence}",
            service_address="济南市历下区泉城路 1 号",
            usage_category=UsageCategory.RESIDENTIAL,
            voltage_level=VoltageLevel.V220,
            contract_capacity_kva=Decimal(8),
            tariff_code="CN-BJ-RES-2012",
            reading_day=1,
            status_effective_date=date(2024, 1, 1),
            opened_date=date(2024, 1, 1),
        )
        for sequence in (1, 2)
    ]
    return LedgerWorld(tree=org_tree, first=accounts[0], second=accounts[1])


def bill_issued(
    world: LedgerWorld, account: Account, amount: str, *, funds: str = "0.00", key: str | None = None
) -> NewEntry:
    """A bill of ``amount`` (of which ``funds`` government funds) issued to ``account``."""
    total, fund = Decimal(amount), Decimal(funds)
    lines = [
        PostingLine(
            code=ChartCode.RECEIVABLE_ENERGY,
            debit=total,
            customer_account_id=account.pk,
            item=f"billing.bill:{key or amount}",
            due_date=date(2025, 3, 20),
        ),
    ]
    if total - fund:
        lines.append(PostingLine(code=ChartCode.ENERGY_REVENUE, credit=total - fund))
    if fund:
        lines.append(PostingLine(code=ChartCode.FUNDS_PAYABLE, credit=fund))
    return NewEntry(
        org_unit_id=world.tree.station.pk,
        kind=JournalEntryKind.BILL_ISSUED,
        entry_date=date(2025, 3, 10),
        description="电费发行",
        source=f"billing.bill:{key or amount}",
        lines=lines,
        idempotency_key=key,
    )


def payment_entry(
    world: LedgerWorld,
    account: Account,
    amount: str,
    *,
    into: ChartCode = ChartCode.RECEIVABLE_ENERGY,
    cash: ChartCode = ChartCode.CASH,
    on: date = date(2025, 3, 11),
    item: str = "",
    key: str | None = None,
) -> NewEntry:
    """``amount`` received for ``account`` on ``on`` into ``cash``, credited to ``into``."""
    return NewEntry(
        org_unit_id=world.tree.station.pk,
        kind=JournalEntryKind.PAYMENT,
        entry_date=on,
        description="收费",
        source="test",
        lines=[
            PostingLine(code=cash, debit=Decimal(amount)),
            PostingLine(code=into, credit=Decimal(amount), customer_account_id=account.pk, item=item),
        ],
        idempotency_key=key,
    )
