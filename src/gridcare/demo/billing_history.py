"""The demo utility's money history: its last two billing periods billed, reviewed and issued,
and the first period's bills paid by most customers, so the cashier, the portal and the ledger
reports have something real to show (README, "The demo").

Per reading day, the period ending in the month before the last complete reading month is
issued three days after it ends; about 65 % of its accounts pay in full and 10 % pay half,
each some days after the issue, on the channels customers use (bank collection and debit,
the counter, a payment provider); the rest stay unpaid and are overdue by now. The last period
is issued three days after it ends too (or now, if that is later than now), and prepaid pays
it where there is some. Bills flagged in review are held for a person. Deterministic for a
seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from gridcare.billing.models import Bill, BillRun, BillStatus
from gridcare.billing.operations import approve_bills, create_bill_run, hold_bill, issue_bill_run
from gridcare.billing.runners.local import calculate_bill_run
from gridcare.customers.models import Account, ReadingRoute
from gridcare.identity.models import User
from gridcare.kit.clock import SHANGHAI
from gridcare.kit.money import round_to_fen
from gridcare.organization.models import OrgUnit
from gridcare.payments.models import PaymentChannel
from gridcare.payments.operations import record_payment

#: Who bills and records the demo's payments: the superuser, whose unit is the province.
DEMO_BILLING_USERNAME = "admin"
#: Days from a period's end to its issue.
ISSUE_DELAY_DAYS = 3
#: How customers pay the first period: (share in percent, what they pay, channel).
PAYING_CHANNELS = (
    (PaymentChannel.BANK_DEBIT, 30),
    (PaymentChannel.BANK_REALTIME, 20),
    (PaymentChannel.COUNTER_CASH, 10),
    (PaymentChannel.PROVIDER, 15),
)
FULL_PAYERS_PERCENT = 65
HALF_PAYERS_PERCENT = 10


@dataclass(frozen=True, kw_only=True)
class BillingHistory:
    """What the demo's money history holds."""

    runs: int
    bills_issued: int
    bills_held: int
    payments: int


def seed_demo_billing(*, actor: User, end_month: date, now: datetime, seed: int) -> BillingHistory:
    """Bill, review and issue the two periods ending in the month before ``end_month`` and in
    ``end_month`` for every reading day of ``actor``'s org unit, and pay most of the first
    period's bills (see the module docstring). Each run is its own transaction."""
    org_unit: OrgUnit = actor.org_unit  # type: ignore[assignment]
    previous = _month_before(end_month)
    routes: dict[int, list[ReadingRoute]] = {}
    for route in ReadingRoute.objects.visible_to(actor).order_by("reading_day", "code"):
        routes.setdefault(route.reading_day, []).append(route)
    rng = random.Random(f"{seed}/payments")  # noqa: S311 - synthetic demo data, not secrets  # nosec B311
    runs = issued = held = payments = 0
    for month in (previous, end_month):
        for reading_day, day_routes in routes.items():
            start = _month_before(month).replace(day=reading_day)
            end = month.replace(day=reading_day)
            issued_at = min(_at(end + timedelta(days=ISSUE_DELAY_DAYS)), now)
            run, run_issued, run_held = _bill_period(
                actor=actor, org_unit=org_unit, routes=day_routes, start=start, end=end, at=issued_at
            )
            runs, issued, held = runs + 1, issued + run_issued, held + run_held
            if month == previous:
                payments += _pay_some(actor=actor, run=run, issued_at=issued_at, now=now, rng=rng)
    return BillingHistory(runs=runs, bills_issued=issued, bills_held=held, payments=payments)


def _month_before(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)


def _bill_period(
    *, actor: User, org_unit: OrgUnit, routes: list[ReadingRoute], start: date, end: date, at: datetime
) -> tuple[BillRun, int, int]:
    """One run of ``routes`` for ``[start, end)``: calculated, clean bills approved, flagged
    ones held for a person, issued at ``at``. Returns the run, how many were issued and held."""
    with transaction.atomic():
        run = create_bill_run(
            actor=actor, org_unit=org_unit, period_start=start, period_end=end, reading_routes=routes, now=at
        )
    run = calculate_bill_run(run_id=run.pk, clock=lambda: at)
    with transaction.atomic():
        approve_bills(actor=actor, run=run, now=at)
        waiting = Bill.objects.filter(run=run, status__in=[BillStatus.CALCULATED, BillStatus.READ_CHECK])
        held = 0
        for bill in waiting.order_by("pk"):
            hold_bill(actor=actor, bill=bill, note="演示数据：待人工复核", now=at)
            held += 1
        issued = issue_bill_run(actor=actor, run=BillRun.objects.get(pk=run.pk), now=at)
    return run, issued, held


def _pay_some(*, actor: User, run: BillRun, issued_at: datetime, now: datetime, rng: random.Random) -> int:
    """Pay the issued bills of ``run``: most in full, some half, the rest not at all, each some
    days after ``issued_at`` (never after ``now``)."""
    bills = (
        Bill.objects.filter(run=run, status=BillStatus.ISSUED, total__gt=0)
        .order_by("pk")
        .values_list("account_id", "total", "number")
    )
    accounts = {account.pk: account for account in Account.objects.select_related("org_unit")}
    channels = [channel for channel, weight in PAYING_CHANNELS for _ in range(weight)]
    paid = 0
    with transaction.atomic():
        for account_id, total, number in bills:
            draw = rng.randrange(100)
            if draw >= FULL_PAYERS_PERCENT + HALF_PAYERS_PERCENT:
                continue
            amount = total if draw < FULL_PAYERS_PERCENT else round_to_fen(total / 2)
            received = min(issued_at + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8)), now)
            record_payment(
                actor=actor,
                account=accounts[account_id],
                amount=Decimal(amount),
                channel=rng.choice(channels),
                idempotency_key=f"DEMO{number}",
                received_at=received,
                now=received,
            )
            paid += 1
    return paid
