"""What the portal (网上营业厅) shows a customer of their payments: what an account owes today,
the payments of their accounts and their payment orders. Portal customers belong to no org
unit: their scope is the accounts their login is bound to
(:func:`gridcare.customers.queries.accounts_of_portal_user`), and every query here starts there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from gridcare.customers.models import Account
from gridcare.customers.queries import accounts_of_portal_user
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance
from gridcare.ledger.queries import open_items
from gridcare.payments.models import Payment, ProviderOrder

_ZERO = Decimal("0.00")
_BILL_ITEM_PREFIX = "billing.bill:"


@dataclass(frozen=True, kw_only=True)
class BillDue:
    """One open bill (or other open receivable item) of the account."""

    item: str
    bill_id: int | None
    due_date: date | None
    open_amount: Decimal
    overdue_days: int
    late_fee: Decimal


@dataclass(frozen=True, kw_only=True)
class AmountDue:
    """What an account owes on ``on``; ``total`` pays everything that day."""

    account_id: int
    on: date
    bills: tuple[BillDue, ...]
    late_fees_charged: Decimal
    late_fees_accruing: Decimal
    prepaid: Decimal
    total: Decimal


def portal_account(*, user: Any, account_no: str) -> Account | None:
    """The account ``account_no`` if it is one of ``user``'s, else ``None``."""
    account: Account | None = (
        accounts_of_portal_user(user=user).select_related("customer").filter(account_no=account_no).first()
    )
    return account


def portal_amount_due(*, user: Any, account: Account, on: date) -> AmountDue:
    """What ``account`` (one of ``user``'s) owes on ``on``: its open bills by due date, the late
    fees charged and still open, its prepaid balance and the total that pays it all.

    The late fees still accruing on overdue bills are not counted here yet (the lead's
    ``payments.queries.amount_due`` replaces this at merge; docs/provider-payments.md)."""
    if not accounts_of_portal_user(user=user).filter(pk=account.pk).exists():
        raise Account.DoesNotExist(account.account_no)
    items = open_items(
        customer_account_id=account.pk, codes=(ChartCode.RECEIVABLE_ENERGY, ChartCode.RECEIVABLE_LATE_FEE)
    )
    bills = tuple(
        sorted(
            (
                BillDue(
                    item=item.item,
                    bill_id=_bill_id(item.item),
                    due_date=item.due_date,
                    open_amount=item.open_amount,
                    overdue_days=max((on - item.due_date).days, 0) if item.due_date else 0,
                    late_fee=_ZERO,
                )
                for item in items
                if item.code == ChartCode.RECEIVABLE_ENERGY
            ),
            key=lambda bill: (bill.due_date or on, bill.item),
        )
    )
    charged = sum((item.open_amount for item in items if item.code == ChartCode.RECEIVABLE_LATE_FEE), _ZERO)
    balance = AccountBalance.objects.filter(customer_account=account).first()
    prepaid = balance.prepaid if balance is not None else _ZERO
    owed = sum((bill.open_amount for bill in bills), _ZERO) + charged
    return AmountDue(
        account_id=account.pk,
        on=on,
        bills=bills,
        late_fees_charged=charged,
        late_fees_accruing=_ZERO,
        prepaid=prepaid,
        total=owed,
    )


def _bill_id(item: str) -> int | None:
    number = item.removeprefix(_BILL_ITEM_PREFIX)
    return int(number) if item.startswith(_BILL_ITEM_PREFIX) and number.isdigit() else None


def portal_payments(*, user: Any) -> QuerySet[Payment]:
    """The payments of ``user``'s accounts, newest first."""
    return (
        Payment.objects.filter(account__in=accounts_of_portal_user(user=user))
        .select_related("account")
        .order_by("-received_at", "-pk")
    )


def portal_order(*, user: Any, out_trade_no: str) -> ProviderOrder | None:
    """The payment order ``out_trade_no`` if it is for one of ``user``'s accounts."""
    order: ProviderOrder | None = (
        ProviderOrder.objects.filter(
            account__in=accounts_of_portal_user(user=user), out_trade_no=out_trade_no
        )
        .select_related("account", "payment")
        .first()
    )
    return order
