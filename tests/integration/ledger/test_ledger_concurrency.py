"""Postings racing on PostgreSQL (threads with their own connections, committing for real): 20
payments to one account at once lose no update of its balance, and 20 copies of one event
(the same idempotency key) post it once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from ledger_world import LedgerWorld, bill_issued, payment_entry

from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntry, JournalEntryKind
from gridcare.ledger.operations import post_journal_entries
from gridcare.ledger.queries import check_ledger

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database other connections can open"
)
THREADS = 20


def _all_at_once(work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(index)`` in THREADS threads released together; the errors they raised."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(30)
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_payments_at_once_leave_the_balance_right(
    ledger_chart: None, ledger_world: LedgerWorld, now: datetime
) -> None:
    post_journal_entries(
        entries=[bill_issued(ledger_world, ledger_world.first, "100.00")], actor=None, now=now
    )

    errors = _all_at_once(
        lambda index: post_journal_entries(
            entries=[
                payment_entry(
                    ledger_world, ledger_world.first, f"{index + 1}.00", cash=ChartCode.BANK_IN_TRANSIT
                )
            ],
            actor=None,
            now=now,
        )
    )

    assert errors == []
    # 100.00 owed, paid 1.00 + 2.00 + … + 20.00 = 210.00: 110.00 paid in excess (a credit
    # balance on the receivable; allocation to prepaid comes with the payments).
    assert AccountBalance.objects.get(customer_account=ledger_world.first).energy_owed == Decimal("-110.00")
    assert JournalEntry.objects.filter(kind=JournalEntryKind.PAYMENT).count() == THREADS
    check = check_ledger()
    assert (check.passed, check.entries) == (True, THREADS + 1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_copies_of_one_notification_post_it_once(
    ledger_chart: None, ledger_world: LedgerWorld, now: datetime
) -> None:
    posted: list[int] = []

    def post(_index: int) -> None:
        (entry,) = post_journal_entries(
            entries=[
                payment_entry(
                    ledger_world,
                    ledger_world.first,
                    "35.00",
                    cash=ChartCode.BANK_IN_TRANSIT,
                    key="bank-serial-20250311-0001",
                )
            ],
            actor=None,
            now=now,
        )
        posted.append(entry.pk)

    errors = _all_at_once(post)

    assert errors == []
    assert len(posted) == THREADS
    assert len(set(posted)) == 1
    assert JournalEntry.objects.filter(idempotency_key="bank-serial-20250311-0001").count() == 1
    assert AccountBalance.objects.get(customer_account=ledger_world.first).energy_owed == Decimal("-35.00")
    assert check_ledger().passed
