"""A world of accounts made on demand (residential or not) at the station, with bills posted
to the ledger, a cashier who pays them on given days and a supervisor who approves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from payments_world import receivable_entry
from stdnum.cn import ric

from gridcare.billing.models import Bill, BillKind, BillStatus
from gridcare.billing.operations import issue_bill
from gridcare.customers.models import Account, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.models import Role, User
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.operations import post_journal_entries
from gridcare.payments.models import Payment, PaymentChannel
from gridcare.payments.operations import record_payment
from gridcare.payments.queries import AmountDue, amount_due

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _id_number(sequence: int) -> str:
    body = f"11010519491231{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body)


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)


class AccountsWorld:
    def __init__(self, tree: Any, staff_user_factory: Any) -> None:
        self.tree = tree
        station = tree.station
        self.cashier: User = staff_user_factory(username="cashier", org_unit=station, roles=[Role.CASHIER])
        self.billing_clerk: User = staff_user_factory(
            username="billing-clerk", org_unit=station, roles=[Role.BILLING_CLERK]
        )
        self.supervisor: User = staff_user_factory(
            username="supervisor", org_unit=tree.station, roles=[Role.MARKETING_SUPERVISOR]
        )
        self._accounts = 0
        self._bills = 0

    def account(self, category: UsageCategory) -> Account:
        self._accounts += 1
        customer = Customer.objects.create(
            org_unit=self.tree.station,
            customer_no=f"C{self._accounts:010d}",
            kind=CustomerKind.PERSON,
            name="李娜",
            id_number=_id_number(self._accounts),
            created_at=moment(date(2024, 1, 1)),
        )
        return Account.objects.create(
            org_unit=self.tree.station,
            account_no=make_account_number(sequence=self._accounts),
            customer=customer,
            name="李娜",
            service_address="济南市历下区泉城路 8 号",
            usage_category=category,
            voltage_level=VoltageLevel.V220,
            contract_capacity_kva=Decimal(8),
            tariff_code="CN-BJ-RES-2012",
            reading_day=1,
            status_effective_date=date(2024, 1, 1),
            opened_date=date(2024, 1, 1),
        )

    def bill(self, account: Account, *, item: str, amount: str, due: date) -> None:
        post_journal_entries(
            entries=[
                receivable_entry(
                    self.tree,
                    account,
                    code=ChartCode.RECEIVABLE_ENERGY,
                    income=ChartCode.ENERGY_REVENUE,
                    amount=amount,
                    item=item,
                    due=due,
                )
            ],
            actor=None,
            now=moment(due),
        )

    def _next_bill(self) -> int:
        self._bills += 1
        return self._bills - 1

    def issue(self, account: Account, *, amount: str, on: date, adjusts: Bill | None = None) -> Bill:
        """A real bill of ``amount`` (below zero: a refund adjusting ``adjusts``) issued on ``on``
        through billing's own issue (numbered, due GRIDCARE_BILL_DUE_DAYS later, posted, prepaid
        applied)."""
        bill = Bill.objects.create(
            org_unit_id=account.org_unit_id,
            account=account,
            kind=BillKind.ADJUSTMENT if adjusts is not None else BillKind.REGULAR,
            status=BillStatus.APPROVED,
            # A period of its own for each bill (one live regular bill per account and period).
            period_start=date(2000, 1, 1) + timedelta(days=self._next_bill()),
            period_end=date(2000, 1, 1) + timedelta(days=self._bills),
            tariff_code=account.tariff_code,
            energy_kwh=Decimal("0.000"),
            total=Decimal(amount),
            adjusts=adjusts,
            calculated_at=moment(on),
        )
        return issue_bill(actor=self.billing_clerk, bill=bill, now=moment(on))

    def pay(self, account: Account, amount: str, on: date, serial: str) -> Payment:
        return record_payment(
            actor=self.cashier,
            account=account,
            amount=Decimal(amount),
            channel=PaymentChannel.COUNTER_CASH,
            idempotency_key=serial,
            received_at=moment(on),
            now=moment(on),
        )

    def due(self, account: Account, on: date) -> AmountDue:
        return amount_due(user=self.cashier, account=account, on=on)
