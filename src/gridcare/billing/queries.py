"""Reads of bill runs and bills for the pages (docs/billing-runs.md): every query of business
records starts from ``Model.objects.visible_to(user)``; the portal's start from the accounts
the customer's login is bound to (:func:`gridcare.customers.queries.accounts_of_portal_user`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from gridcare.billing.models import Bill, BillKind, BillLine, BillRun, BillStatus
from gridcare.customers.models import Contact, ReadingRoute
from gridcare.customers.queries import accounts_of_portal_user, customer_contacts
from gridcare.identity.permissions import Permission
from gridcare.kit.money import round_to_fen
from gridcare.organization.models import OrgUnit

_ZERO = Decimal(0)
#: The scale of the bills' kWh (models.ENERGY): sums are shown at it on every database.
KWH = Decimal("0.001")


def bill_runs(*, user: Any, status: str = "") -> QuerySet[BillRun]:
    """The runs of the user's org subtree, newest first, optionally of one status."""
    runs = (
        BillRun.objects.visible_to(user)
        .select_related("org_unit", "created_by")
        .prefetch_related("reading_routes")
        .order_by("-created_at", "-id")
    )
    if status:
        runs = runs.filter(status=status)
    return runs


def bill_run(*, user: Any, run_id: int) -> BillRun | None:
    """One run of the user's org subtree, or ``None``."""
    run: BillRun | None = (
        BillRun.objects.visible_to(user)
        .select_related("org_unit", "created_by", "issued_by")
        .prefetch_related("reading_routes")
        .filter(pk=run_id)
        .first()
    )
    return run


def run_org_units(*, user: Any) -> QuerySet[OrgUnit]:
    """The org units the user may create runs for (their subtree, with ``billing.run``)."""
    return OrgUnit.objects.changeable_by(user, Permission.RUN_BILLING).order_by("path")


def run_reading_routes(*, user: Any) -> QuerySet[ReadingRoute]:
    """The reading routes of the user's org subtree, for choosing a run's routes."""
    routes: QuerySet[ReadingRoute] = (
        ReadingRoute.objects.visible_to(user).select_related("org_unit").order_by("code")
    )
    return routes


@dataclass(frozen=True, kw_only=True)
class RunTotals:
    """A run's live bills (all but withdrawn ones): how many, their kWh and amount, and how many
    of them are in each status."""

    bills: int
    energy_kwh: Decimal
    amount: Decimal
    by_status: dict[str, int]
    withdrawn: int


def run_totals(*, run: BillRun) -> RunTotals:
    """The totals of ``run`` (a run the caller got through :func:`bill_run`)."""
    counts = {
        row["status"]: row["count"]
        for row in Bill.objects.filter(run=run).values("status").annotate(count=Count("id"))
    }
    live = Bill.objects.filter(run=run).exclude(status=BillStatus.WITHDRAWN)
    sums = live.aggregate(energy=Sum("energy_kwh"), amount=Sum("total"))
    withdrawn = counts.pop(BillStatus.WITHDRAWN, 0)
    return RunTotals(
        bills=sum(counts.values()),
        energy_kwh=(sums["energy"] or _ZERO).quantize(KWH),
        amount=round_to_fen(sums["amount"] or _ZERO),
        by_status={status: counts.get(status, 0) for status in BillStatus.values if status in counts},
        withdrawn=withdrawn,
    )


def flagged_bills(*, run: BillRun, exception_code: str = "", status: str = "") -> QuerySet[Bill]:
    """The live bills of ``run`` with review exceptions (量费审核), by account number; only those
    with an exception ``exception_code`` and of ``status`` when given.

    The exception filter reads the (id, exceptions) pairs rather than asking SQL: SQLite has no
    JSON containment lookup, and a run's flagged bills are few enough."""
    bills = Bill.objects.filter(run=run).exclude(status=BillStatus.WITHDRAWN).exclude(exceptions=[])
    if status:
        bills = bills.filter(status=status)
    if exception_code:
        chosen = [
            pk
            for pk, exceptions in bills.values_list("pk", "exceptions")
            if any(item.get("code") == exception_code for item in exceptions)
        ]
        bills = bills.filter(pk__in=chosen)
    return bills.select_related("account").order_by("account__account_no", "id")


def bills_of_run(*, run: BillRun, bill_ids: Iterable[int]) -> QuerySet[Bill]:
    """The bills of ``run`` (one the user may see) among ``bill_ids``."""
    return Bill.objects.filter(run=run, pk__in=list(bill_ids))


def exception_counts(*, run: BillRun) -> dict[str, int]:
    """How many live bills of ``run`` carry each exception code."""
    counts: Counter[str] = Counter()
    live = Bill.objects.filter(run=run).exclude(status=BillStatus.WITHDRAWN).exclude(exceptions=[])
    for exceptions in live.values_list("exceptions", flat=True):
        counts.update({str(item.get("code")) for item in exceptions})
    return dict(sorted(counts.items()))


def staff_bill(*, user: Any, bill_id: int) -> Bill | None:
    """One bill of the user's org subtree with its account, customer, run and the bill it
    adjusts, or ``None``."""
    bill: Bill | None = (
        Bill.objects.visible_to(user)
        .select_related("account__customer", "run", "tariff_version__tariff", "adjusts", "org_unit")
        .filter(pk=bill_id)
        .first()
    )
    return bill


def bill_lines(*, bill: Bill) -> list[BillLine]:
    """The lines of ``bill`` (a bill the caller may see), in order, with their tariff versions."""
    return list(bill.lines.select_related("tariff_version__tariff").order_by("position"))


def bill_adjustments(*, user: Any, bill: Bill) -> QuerySet[Bill]:
    """The adjustment bills (退补) of ``bill`` the user may see, oldest first."""
    return (
        Bill.objects.visible_to(user)
        .filter(adjusts=bill, kind=BillKind.ADJUSTMENT)
        .order_by("issued_at", "id")
    )


def primary_contact(*, user: Any, bill: Bill) -> Contact | None:
    """The primary contact of the bill's customer, if the user may see the customer."""
    contact: Contact | None = (
        customer_contacts(user=user, customer=bill.account.customer).filter(is_primary=True).first()
    )
    return contact


# --- portal (网上营业厅) --------------------------------------------------------------------------


def portal_bills(*, user: Any) -> QuerySet[Bill]:
    """The issued bills of the accounts the portal user's login is bound to, newest first."""
    return (
        Bill.objects.filter(account__in=accounts_of_portal_user(user=user), status=BillStatus.ISSUED)
        .select_related("account", "adjusts")
        .order_by("-period_start", "account__account_no", "-issued_at", "-id")
    )


def portal_bill(*, user: Any, number: str) -> Bill | None:
    """One issued bill of the portal user's accounts by its bill number, or ``None``."""
    bill: Bill | None = (
        portal_bills(user=user)
        .select_related("account__customer", "tariff_version__tariff")
        .filter(number=number)
        .first()
    )
    return bill


def portal_bill_adjustments(*, user: Any, bill: Bill) -> QuerySet[Bill]:
    """The issued adjustment bills of one of the portal user's bills."""
    return portal_bills(user=user).filter(adjusts=bill).order_by("issued_at", "id")
