"""Reads of the customer file. Every function takes the acting user and starts from the
org-scoped manager (``visible_to``), so nothing outside the user's org subtree is returned."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatusChange,
    Contact,
    Customer,
)
from gridcare.identity.pii import pii_hash

#: A full mainland mobile number: the only length a mobile is searched by (its keyed hash
#: matches exact values only; a prefix of an encrypted number cannot be searched).
MOBILE_DIGITS = 11
#: A 身份证号: 17 digits and a check character (a digit or X).
_ID_NUMBER = re.compile(r"^[0-9]{17}[0-9Xx]$")


def _account_search_condition(text: str) -> Q:
    """The filter for a search text.

    Digit-only text (spaces and hyphens aside, as in ``138 1234 5678``) is an identifier: a
    户号 (exact or prefix) or, at 11 digits, a contact's mobile (exact, by its keyed hash). An
    18-character 身份证号 finds its customer's accounts (exact, by keyed hash). Other text
    matches the account name, the customer's name or the service address.
    """
    digits = text.replace(" ", "").replace("-", "")
    if _ID_NUMBER.match(digits):
        return Q(customer__id_number_hash=pii_hash(digits, kind="id_number"))
    if digits.isascii() and digits.isdigit():
        condition = Q(account_no__startswith=digits)
        if len(digits) == MOBILE_DIGITS:
            # Exists rather than a join: a customer with two matching contacts must not list
            # its accounts twice.
            contact_with_mobile = Contact.objects.filter(
                customer_id=OuterRef("customer_id"), mobile_hash=pii_hash(digits, kind="mobile")
            )
            condition |= Q(Exists(contact_with_mobile))
        return condition
    return Q(name__icontains=text) | Q(customer__name__icontains=text) | Q(service_address__icontains=text)


def search_accounts(*, user: Any, text: str) -> QuerySet[Account]:
    """Accounts visible to ``user`` matching ``text`` (all visible accounts for blank text),
    ordered by 户号, with the customer and org unit loaded."""
    accounts = Account.objects.visible_to(user).select_related("customer", "org_unit")
    text = text.strip()
    if text:
        accounts = accounts.filter(_account_search_condition(text))
    return accounts.order_by("account_no")


def get_account(*, user: Any, account_no: str) -> Account:
    """The account with this 户号 if ``user`` may see it, with its customer, org unit and
    reading route; raises ``Account.DoesNotExist`` otherwise (also for accounts out of scope,
    so their existence is not revealed)."""
    account: Account = (
        Account.objects.visible_to(user)
        .select_related("customer", "org_unit", "reading_route")
        .get(account_no=account_no)
    )
    return account


def count_accounts(*, user: Any) -> int:
    """How many accounts ``user`` may see."""
    return int(Account.objects.visible_to(user).count())


def customer_contacts(*, user: Any, customer: Customer) -> QuerySet[Contact]:
    """The contacts of ``customer`` if ``user`` may see the customer, primary contact first."""
    visible_customers = Customer.objects.visible_to(user).filter(pk=customer.pk)
    return Contact.objects.filter(customer__in=visible_customers).order_by("-is_primary", "name", "id")


def account_status_history(*, user: Any, account: Account) -> QuerySet[AccountStatusChange]:
    """The status changes of ``account`` if ``user`` may see it, newest first."""
    visible_accounts = Account.objects.visible_to(user).filter(pk=account.pk)
    return (
        AccountStatusChange.objects.filter(account__in=visible_accounts)
        .select_related("recorded_by")
        .order_by("-effective_date", "-id")
    )


def current_account_manager(*, user: Any, account: Account, as_of: date) -> AccountManagerAssignment | None:
    """The account manager assignment of ``account`` in force on ``as_of`` (valid_from ≤ as_of
    < valid_to), with the manager loaded; ``None`` if there is none or ``user`` may not see
    the account."""
    visible_accounts = Account.objects.visible_to(user).filter(pk=account.pk)
    assignment: AccountManagerAssignment | None = (
        AccountManagerAssignment.objects.filter(account__in=visible_accounts, valid_from__lte=as_of)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
        .select_related("manager")
        .order_by("-valid_from")
        .first()
    )
    return assignment


def accounts_of_portal_user(*, user: Any) -> QuerySet[Account]:
    """The accounts of the customer linked to a portal (网上营业厅) user, ordered by 户号.

    Portal users belong to no org unit, so their scope is their customer link, not the org
    tree; anyone without a link (staff included) gets none.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Account.objects.none()
    return Account.objects.filter(customer__portal_links__user=user).order_by("account_no")


def portal_customer(*, user: Any) -> Customer | None:
    """The customer a portal user is linked to, or ``None``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    customer: Customer | None = Customer.objects.filter(portal_links__user=user).first()
    return customer
