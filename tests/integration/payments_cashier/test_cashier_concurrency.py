"""On PostgreSQL: a cashier's shift opened from ten places at once opens once; ten payments
taken in one shift at once get ten serial numbers and are all counted."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from cashier_world import CashierWorld
from django.db import connection

from gridcare.payments.cashier import open_shift, take_counter_payment
from gridcare.payments.cashier_queries import shift_totals
from gridcare.payments.errors import ShiftAlreadyOpen
from gridcare.payments.models import CashierShift, ShiftKind, ShiftPayment, TenderMethod

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="threads need a database other connections can open"
    ),
    pytest.mark.django_db(transaction=True),
]


def _at_once(count: int, work: Callable[[int], object]) -> list[BaseException]:
    start, errors = threading.Barrier(count), []

    def run(index: int) -> None:
        try:
            start.wait(30)
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_a_shift_opened_from_ten_places_at_once_opens_once(
    ledger_chart: None, cashier_world: CashierWorld, now: datetime
) -> None:
    errors = _at_once(
        10,
        lambda index: open_shift(
            actor=cashier_world.cashier,
            counter=cashier_world.world.tree.station,
            kind=ShiftKind.COUNTER,
            opening_float=Decimal(index),
            now=now,
        ),
    )

    assert CashierShift.objects.filter(cashier=cashier_world.cashier).count() == 1
    assert len(errors) == 9
    assert all(isinstance(error, ShiftAlreadyOpen) for error in errors)


def test_ten_payments_at_once_in_one_shift_are_all_counted(
    ledger_chart: None, cashier_world: CashierWorld, now: datetime
) -> None:
    shift = open_shift(
        actor=cashier_world.cashier,
        counter=cashier_world.world.tree.station,
        kind=ShiftKind.COUNTER,
        opening_float=Decimal("100.00"),
        now=now,
    )

    errors = _at_once(
        10,
        lambda index: take_counter_payment(
            actor=cashier_world.cashier,
            shift=shift,
            account=cashier_world.account,
            amount=Decimal("10.00"),
            method=TenderMethod.CASH,
            tendered=None,
            now=now,
        ),
    )

    assert errors == []
    sequences = ShiftPayment.objects.filter(shift=shift).values_list("sequence", flat=True)
    assert sorted(sequences) == list(range(1, 11))
    assert shift_totals(shift=shift).expected_cash == Decimal("200.00")
