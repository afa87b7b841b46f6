"""What the portal (网上营业厅) shows a customer of their payments: what an account owes today,
the payments of their accounts and their payment orders. Portal customers belong to no org
unit: their scope is the accounts their login is bound to
(:func:`gridcare.customers.queries.accounts_of_portal_user`), and every query here starts there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from gridcare.customers.models import Account
from gridcare.customers.queries import accounts_of_portal_user
from gridcare.payments.models import Payment, ProviderOrder
from gridcare.payments.queries import AmountDue, amounts_due


def portal_account(*, user: Any, account_no: str) -> Account | None:
    """The account ``account_no`` if it is one of ``user``'s, else ``None``."""
    account: Account | None = (
        accounts_of_portal_user(user=user).select_related("customer").filter(account_no=account_no).first()
    )
    return account


def portal_amount_due(*, user: Any, account: Account, on: date) -> AmountDue:
    """What ``account``, one of ``user``'s (else ``Account.DoesNotExist``), owes on ``on``: its
    open bills with the late fees accruing to the day, the late fees charged, its prepaid
    balance and the total that pays it all (:func:`gridcare.payments.queries.amounts_due`)."""
    owned = accounts_of_portal_user(user=user).filter(pk=account.pk).values_list("pk", flat=True).get()
    return amounts_due(account_ids=[owned], on=on)[owned]


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
