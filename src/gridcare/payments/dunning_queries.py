"""Reads of dunning for the pages, org-scoped: the arrears work list and supply orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from gridcare.customers.models import Account, Contact
from gridcare.organization.models import OrgUnit
from gridcare.payments.arrears_protection import protection_reasons
from gridcare.payments.models import (
    DunningCase,
    DunningCaseStatus,
    InstalmentAgreement,
    InstalmentStatus,
    ProtectionReason,
    SupplyOrder,
    SupplyOrderStatus,
)

#: Rows shown on one page of the work list (the oldest arrears first).
WORK_LIST_LIMIT = 200


@dataclass(frozen=True, kw_only=True)
class ArrearsRow:
    """One overdue account of the work list."""

    case: DunningCase
    account: Account
    days_overdue: int
    amount_overdue: Decimal
    protection: ProtectionReason | None
    instalment_agreement: bool
    open_orders: tuple[SupplyOrder, ...]
    mobile: str


def arrears_work_list(
    *, user: Any, on: date, org_unit: OrgUnit | None = None, stage: str | None = None
) -> list[ArrearsRow]:
    """The open dunning cases the user may see (within ``org_unit``'s subtree, at ``stage`` —
    ``""`` for none taken yet — when given), oldest arrears first, at most
    :data:`WORK_LIST_LIMIT`, each with its protection, agreement, open orders and the contact
    mobile (unmasked here; the page masks it). A fixed number of queries."""
    cases = DunningCase.objects.visible_to(user).filter(status=DunningCaseStatus.OPEN)
    if org_unit is not None:
        cases = cases.filter(org_unit__path__startswith=org_unit.path)
    if stage is not None:
        cases = cases.filter(stage=stage)
    rows = list(
        cases.select_related("account", "org_unit").order_by("oldest_due_date", "pk")[:WORK_LIST_LIMIT]
    )
    accounts = [case.account for case in rows]
    account_ids = [account.pk for account in accounts]
    protections = protection_reasons(accounts=accounts)
    agreements = set(
        InstalmentAgreement.objects.filter(
            account_id__in=account_ids, status=InstalmentStatus.ACTIVE
        ).values_list("account_id", flat=True)
    )
    orders: dict[int, list[SupplyOrder]] = defaultdict(list)
    for order in SupplyOrder.objects.filter(account_id__in=account_ids, status=SupplyOrderStatus.OPEN):
        orders[order.account_id].append(order)
    mobiles: dict[int, str] = {}
    contacts = Contact.objects.filter(customer_id__in={account.customer_id for account in accounts})
    for contact in contacts.order_by("-is_primary", "pk"):
        if contact.mobile:
            mobiles.setdefault(contact.customer_id, contact.mobile)
    return [
        ArrearsRow(
            case=case,
            account=case.account,
            days_overdue=(on - case.oldest_due_date).days,
            amount_overdue=case.amount_overdue,
            protection=protections.get(case.account_id),
            instalment_agreement=case.account_id in agreements,
            open_orders=tuple(orders[case.account_id]),
            mobile=mobiles.get(case.account.customer_id, ""),
        )
        for case in rows
    ]


def supply_orders(*, user: Any, status: str | None = SupplyOrderStatus.OPEN) -> QuerySet[SupplyOrder]:
    """The disconnection and reconnection orders the user may see, newest first."""
    orders = SupplyOrder.objects.visible_to(user).select_related("account", "org_unit", "done_by")
    if status:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-pk")


def supply_order(*, user: Any, order_id: int) -> SupplyOrder | None:
    order: SupplyOrder | None = SupplyOrder.objects.visible_to(user).filter(pk=order_id).first()
    return order
