"""Issued bills into the receivables ledger (docs/ledger.md): each issued bill, regular or
adjustment, posts one journal entry in the issuing transaction —

    Dr 应收电费 (the customer account; the bill is the open item, with its due date)  total
        Cr 电费收入                                                   total − funds
        Cr 代征政府性基金及附加                                        funds

A negative amount posts on the other side (an adjustment bill that refunds); a zero one is left
out, and a bill of zero posts nothing. Each bill posts once (its idempotency key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from gridcare.billing.models import Bill, BillKind, BillLine
from gridcare.identity.models import User
from gridcare.kit.clock import local_date
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries

_ZERO = Decimal("0.00")
#: Bills per batch of entries (a run issues hundreds of thousands).
POSTING_BATCH = 2000


def bill_item(bill_id: int) -> str:
    """The open item a bill is in the ledger."""
    return f"billing.bill:{bill_id}"


def post_issued_bills(*, bills: Sequence[Bill], actor: User | None, now: datetime) -> None:
    """Post the journal entry of each of ``bills`` (just issued), in the caller's transaction."""
    for start in range(0, len(bills), POSTING_BATCH):
        batch = bills[start : start + POSTING_BATCH]
        funds = _funds_by_bill(bill_ids=[bill.pk for bill in batch])
        entries = [
            entry
            for bill in batch
            if (entry := _entry_of(bill=bill, funds=funds.get(bill.pk, _ZERO), now=now)) is not None
        ]
        post_journal_entries(entries=entries, actor=actor, now=now)


def _funds_by_bill(*, bill_ids: list[int]) -> dict[int, Decimal]:
    rows = (
        BillLine.objects.filter(bill_id__in=bill_ids, rule="fund")
        .values("bill_id")
        .annotate(total=Sum("amount"))
        .values_list("bill_id", "total")
    )
    return dict(rows)


def _entry_of(*, bill: Bill, funds: Decimal, now: datetime) -> NewEntry | None:
    revenue = bill.total - funds
    lines = [
        line
        for line in (
            _line(code=ChartCode.RECEIVABLE_ENERGY, amount=bill.total, debit_side=True, bill=bill),
            _line(code=ChartCode.ENERGY_REVENUE, amount=revenue, debit_side=False, bill=None),
            _line(code=ChartCode.FUNDS_PAYABLE, amount=funds, debit_side=False, bill=None),
        )
        if line is not None
    ]
    if not lines:
        return None
    adjustment = bill.kind == BillKind.ADJUSTMENT
    return NewEntry(
        org_unit_id=bill.org_unit_id,
        kind=JournalEntryKind.BILL_ADJUSTED if adjustment else JournalEntryKind.BILL_ISSUED,
        entry_date=local_date(now),
        description=f"{'退补电费' if adjustment else '电费发行'} {bill.number}",
        source=bill_item(bill.pk),
        lines=lines,
        idempotency_key=f"{bill_item(bill.pk)}:issued",
    )


def _line(*, code: ChartCode, amount: Decimal, debit_side: bool, bill: Bill | None) -> PostingLine | None:
    if amount == 0:
        return None
    # A negative amount goes on the account's other side: an adjustment bill that refunds
    # credits the receivable and debits the revenue.
    on_debit = debit_side == (amount > 0)
    return PostingLine(
        code=code,
        debit=abs(amount) if on_debit else _ZERO,
        credit=_ZERO if on_debit else abs(amount),
        customer_account_id=bill.account_id if bill is not None else None,
        item=bill_item(bill.pk) if bill is not None else "",
        due_date=bill.due_date if bill is not None else None,
    )
