"""What an account owes today (应缴金额): its open bills, the late fees charged and those accruing
to the day, its prepaid balance, and the total that pays everything (docs/payments.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from gridcare.customers.models import Account
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance
from gridcare.ledger.queries import OpenItem, open_items_by_account
from gridcare.payments.late_fees import accruing_fees, last_day_charged_for_payment, rules_in_force

_ZERO = Decimal("0.00")
_BILL_PREFIX = "billing.bill:"


@dataclass(frozen=True, kw_only=True)
class BillDue:
    """One open bill (or other open electricity receivable) of an account."""

    #: The ledger item, e.g. ``billing.bill:123``.
    item: str
    bill_id: int | None
    due_date: date | None
    #: What is unpaid of it, yuan.
    open_amount: Decimal
    #: Days past its due date on the day asked about.
    overdue_days: int
    #: The late fee accrued to that day and not yet charged.
    late_fee: Decimal


@dataclass(frozen=True, kw_only=True)
class AmountDue:
    """What an account owes on ``on`` if it pays that day."""

    account_id: int
    on: date
    bills: tuple[BillDue, ...]
    #: Late fees charged and still open (应收违约金).
    late_fees_charged: Decimal
    #: The bills' late fees accruing, not yet charged.
    late_fees_accruing: Decimal
    #: The prepaid balance (预收电费), already applied to what was open when it arrived.
    prepaid: Decimal
    #: What pays everything that day: the open bills and both kinds of late fees, plus what the
    #: rule set's minimum would add.
    total: Decimal
    #: What the minimum adds to the late fees (0.00 without one).
    minimum_added: Decimal


def amount_due(*, user: Any, account: Account, on: date) -> AmountDue:
    """What ``account`` owes on ``on``, for ``user``; ``Account.DoesNotExist`` if the account
    is outside the user's org subtree."""
    visible = Account.objects.visible_to(user).filter(pk=account.pk).values_list("pk", flat=True).get()
    return amounts_due(account_ids=[visible], on=on)[visible]


def amounts_due(*, account_ids: Sequence[int], on: date) -> dict[int, AmountDue]:
    """What each of ``account_ids`` (at most a few thousand; the caller has checked access)
    owes on ``on``, by account id (an account owing nothing is there with zeros). A few
    queries in all."""
    ids = list(dict.fromkeys(account_ids))
    rules = rules_in_force()
    items = open_items_by_account(
        customer_account_ids=ids, codes=[ChartCode.RECEIVABLE_ENERGY, ChartCode.RECEIVABLE_LATE_FEE]
    )
    accruing = accruing_fees(
        account_ids=ids, through=last_day_charged_for_payment(paid_on=on, rules=rules), rules=rules
    )
    prepaid = dict(
        AccountBalance.objects.filter(customer_account_id__in=ids).values_list(
            "customer_account_id", "prepaid"
        )
    )
    due = {}
    for account_id in ids:
        account_items = items.get(account_id, [])
        fees = {fee.bill_item: fee.late_fee for fee in accruing.get(account_id, [])}
        bills = tuple(
            BillDue(
                item=item.item,
                bill_id=int(item.item.removeprefix(_BILL_PREFIX))
                if item.item.startswith(_BILL_PREFIX)
                else None,
                due_date=item.due_date,
                open_amount=item.open_amount,
                overdue_days=max((on - item.due_date).days, 0) if item.due_date else 0,
                late_fee=fees.get(item.item, _ZERO),
            )
            for item in sorted(
                account_items, key=lambda item: (item.due_date or item.first_entry_date, item.item)
            )
            if item.code == ChartCode.RECEIVABLE_ENERGY
        )
        charged = sum(
            (item.open_amount for item in account_items if item.code == ChartCode.RECEIVABLE_LATE_FEE), _ZERO
        )
        accruing_total = sum(fees.values(), _ZERO)
        late_fees = charged + accruing_total
        minimum = rules.minimum_total
        # The minimum raises only a charge a payment makes (late_fees.charge_late_fees).
        minimum_added = (
            minimum - late_fees if minimum is not None and accruing_total and late_fees < minimum else _ZERO
        )
        due[account_id] = AmountDue(
            account_id=account_id,
            on=on,
            bills=bills,
            late_fees_charged=charged,
            late_fees_accruing=accruing_total,
            prepaid=prepaid.get(account_id, _ZERO),
            total=sum((bill.open_amount for bill in bills), _ZERO) + late_fees + minimum_added,
            minimum_added=minimum_added,
        )
    return due


def _bill_id(item: str) -> int | None:
    return int(item.removeprefix(_BILL_PREFIX)) if item.startswith(_BILL_PREFIX) else None


def _due_order(item: OpenItem) -> tuple[date, str]:
    return (item.due_date or item.first_entry_date, item.item)
