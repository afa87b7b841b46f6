"""On PostgreSQL: a bank's payment notification and its reversal, each sent several times, all at
once from separate connections, leave one payment reversed once (docs/bank-channels.md,
"Concurrency")."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

import pytest
from bank_world import BankWorld
from django.db import connection

from gridcare.ledger.models import AccountBalance, JournalEntry
from gridcare.ledger.queries import check_ledger
from gridcare.payments.bank_collection import record_bank_payment, reverse_bank_payment
from gridcare.payments.models import BankReversal, Payment

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database other connections can open"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_payments_and_reversals_racing_post_the_payment_and_its_reversal_once(
    ledger_chart: None, bank_world: BankWorld, now: datetime
) -> None:
    bank = bank_world.bank.integration
    actor = bank.service_user
    entries_before = JournalEntry.objects.count()
    start, errors = threading.Barrier(10), []

    def notify(index: int) -> None:
        try:
            start.wait(30)
            if index % 2:
                reverse_bank_payment(
                    actor=actor, bank=bank, serial="R-1", original_serial="P-1", reason="冲正", now=now
                )
            else:
                record_bank_payment(
                    actor=actor,
                    bank=bank,
                    account=bank_world.account,
                    serial="P-1",
                    amount=Decimal("120.00"),
                    paid_at=now,
                    now=now,
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=notify, args=(index,)) for index in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    payment = Payment.objects.get()
    assert (payment.status, payment.amount) == ("reversed", Decimal("120.00"))
    notice = BankReversal.objects.get()
    assert (notice.status, notice.payment) == ("applied", payment)
    assert JournalEntry.objects.count() == entries_before + 2
    row = AccountBalance.objects.get(customer_account=bank_world.account)
    assert (row.energy_owed, row.late_fees_owed, row.prepaid) == (
        Decimal("180.00"),
        Decimal("1.50"),
        Decimal("0.00"),
    )
    assert check_ledger().passed
