"""The prepaid estimate (预付费 估算扣费): what each prepaid account's usage since its last bill
costs, by the same engine as the bill runs, handed to payments to refresh the available
balances (docs/prepaid.md).

For each active arrangement the period runs from the end of the account's last issued regular
bill (or the arrangement's start, if later) to ``on`` (exclusive): the usage through the read of
``on`` — a daily frozen AMI read makes it exact, else the engine estimates the closing read as
it does for a bill. Nothing is stored by billing: no bill, no estimated read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from gridcare.billing.calculation import calculate_bills
from gridcare.billing.models import Bill, BillKind, BillStatus
from gridcare.customers.models import Account
from gridcare.jobs.definitions import gridcare_task
from gridcare.kit.clock import local_date
from gridcare.kit.money import round_to_fen
from gridcare.payments.prepaid import PrepaidEstimateSummary, active_prepaid_starts, record_prepaid_estimates

#: Accounts calculated together (a few queries per batch, whatever its size).
BATCH_SIZE = 500
_ZERO = Decimal("0.00")


def estimate_prepaid_charges(
    *, account_ids: list[int], starts: dict[int, date], on: date, now: datetime
) -> tuple[dict[int, Decimal], list[int]]:
    """The estimated charges of ``account_ids`` (prepaid since ``starts``) for their usage
    from their last issued regular bill's period end (or their start, if later) to ``on``
    (exclusive), by account id; and the accounts the engine could not calculate."""
    last_ends = dict(
        Bill.objects.filter(account_id__in=account_ids, kind=BillKind.REGULAR, status=BillStatus.ISSUED)
        .values("account_id")
        .annotate(last_end=Max("period_end"))
        .values_list("account_id", "last_end")
    )
    by_start: defaultdict[date, list[int]] = defaultdict(list)
    estimates: dict[int, Decimal] = {}
    for account_id in account_ids:
        start = max(filter(None, (last_ends.get(account_id), starts[account_id])))
        if start >= on:
            estimates[account_id] = _ZERO
        else:
            by_start[start].append(account_id)
    failed: list[int] = []
    accounts = Account.objects.in_bulk([pk for ids in by_start.values() for pk in ids])
    # One engine call per distinct start day: accounts read on the same cycle share it.
    for start, ids in sorted(by_start.items()):
        for bill in calculate_bills(
            accounts=[accounts[pk] for pk in ids], period_start=start, period_end=on, run=None, now=now
        ):
            if bill.flagged and not bill.line_values:
                failed.append(bill.account.pk)
            else:
                estimates[bill.account.pk] = round_to_fen(bill.bill_values["total"])
    return estimates, sorted(failed)


def estimate_prepaid_accounts(
    *, on: date, now: datetime, batch_size: int = BATCH_SIZE
) -> PrepaidEstimateSummary:
    """Estimate every active prepaid account's unbilled charges through the day before ``on``
    and record them (:func:`gridcare.payments.prepaid.record_prepaid_estimates`: balances,
    alerts, cut-offs), in batches. An account the engine cannot calculate keeps its previous
    estimate and is listed in the summary's ``not_estimated``."""
    starts = active_prepaid_starts()
    ids = sorted(starts)
    summary = PrepaidEstimateSummary()
    for begin in range(0, len(ids), batch_size):
        batch = ids[begin : begin + batch_size]
        estimates, failed = estimate_prepaid_charges(account_ids=batch, starts=starts, on=on, now=now)
        recorded = record_prepaid_estimates(estimates=estimates, through=on - timedelta(days=1), now=now)
        summary.add(recorded)
        summary.not_estimated += failed
    return summary


@gridcare_task(max_attempts=3, backoff_seconds=300)
def estimate_prepaid_task() -> dict[str, object]:
    """Run today's prepaid estimate (safe to rerun: the same estimate sends nothing twice)."""
    now = timezone.now()
    return estimate_prepaid_accounts(on=local_date(now), now=now).as_data()
