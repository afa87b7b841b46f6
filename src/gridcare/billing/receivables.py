"""Issued bills into the receivables ledger (docs/ledger.md): each issued bill, regular or
adjustment, posts one journal entry in the issuing transaction —

    Dr 应收电费 (the customer account; the bill is the open item, with its due date)  total
        Cr 电费收入                                                   total − funds
        Cr 代征政府性基金及附加                                        funds

An adjustment below zero (a refund) credits what is still open of the bill it adjusts and keeps
the rest as the customer's prepaid balance, with the sales and funds debited; a zero amount is
left out, and a bill of zero posts nothing. Each bill posts once (its idempotency key).
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
from gridcare.ledger.queries import open_items

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
    if bill.total == 0:
        return None
    revenue = bill.total - funds
    charge_lines = [
        line
        for line in (
            _line(code=ChartCode.ENERGY_REVENUE, amount=revenue),
            _line(code=ChartCode.FUNDS_PAYABLE, amount=funds),
        )
        if line is not None
    ]
    adjustment = bill.kind == BillKind.ADJUSTMENT
    return NewEntry(
        org_unit_id=bill.org_unit_id,
        kind=JournalEntryKind.BILL_ADJUSTED if adjustment else JournalEntryKind.BILL_ISSUED,
        entry_date=local_date(now),
        description=f"{'退补电费' if adjustment else '电费发行'} {bill.number}",
        source=bill_item(bill.pk),
        lines=[*_customer_lines(bill=bill), *charge_lines],
        idempotency_key=f"{bill_item(bill.pk)}:issued",
    )


def _customer_lines(*, bill: Bill) -> list[PostingLine]:
    """The customer's side: a bill owed is a receivable of its own (an open item with its due
    date); a refund (an adjustment below zero) first settles what is still open of the bill it
    adjusts, and the rest is the customer's, kept as prepaid for the next bill."""
    if bill.total > 0:
        return [
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY,
                debit=bill.total,
                customer_account_id=bill.account_id,
                item=bill_item(bill.pk),
                due_date=bill.due_date,
            )
        ]
    refund = -bill.total
    lines = []
    if bill.adjusts_id is not None:
        adjusted = bill_item(bill.adjusts_id)
        still_open = sum(
            (
                item.open_amount
                for item in open_items(
                    customer_account_id=bill.account_id, codes=[ChartCode.RECEIVABLE_ENERGY]
                )
                if item.item == adjusted
            ),
            _ZERO,
        )
        settled = min(refund, still_open)
        if settled:
            lines.append(
                PostingLine(
                    code=ChartCode.RECEIVABLE_ENERGY,
                    credit=settled,
                    customer_account_id=bill.account_id,
                    item=adjusted,
                )
            )
        refund -= settled
    if refund:
        lines.append(
            PostingLine(code=ChartCode.PREPAID_ENERGY, credit=refund, customer_account_id=bill.account_id)
        )
    return lines


def _line(*, code: ChartCode, amount: Decimal) -> PostingLine | None:
    if amount == 0:
        return None
    # Revenue and funds are credits; below zero (a refund) they are debits.
    return PostingLine(
        code=code, debit=-amount if amount < 0 else _ZERO, credit=amount if amount > 0 else _ZERO
    )
