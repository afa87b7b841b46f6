"""Number sequences hand out consecutive, never repeated numbers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from gridcare.organization.errors import SequenceCountInvalid
from gridcare.organization.models import NumberSequence
from gridcare.organization.operations import reserve_sequence_numbers


@pytest.mark.django_db
def test_numbers_are_consecutive_per_sequence() -> None:
    assert reserve_sequence_numbers(name="account_no") == range(1, 2)
    assert reserve_sequence_numbers(name="account_no", count=3) == range(2, 5)
    assert reserve_sequence_numbers(name="customer_no") == range(1, 2)
    assert reserve_sequence_numbers(name="account_no", above=100) == range(101, 102)
    # ``above`` lower than the last value changes nothing.
    assert reserve_sequence_numbers(name="account_no", above=50) == range(102, 103)
    assert dict(NumberSequence.objects.values_list("name", "last_value")) == {
        "account_no": 102,
        "customer_no": 1,
    }


@pytest.mark.django_db
def test_a_rolled_back_reservation_gives_its_numbers_back() -> None:
    reserve_sequence_numbers(name="account_no", count=2)

    def number_then_fail() -> None:
        with transaction.atomic():
            assert reserve_sequence_numbers(name="account_no", count=5) == range(3, 8)
            raise RuntimeError("the operation failed after numbering")

    with pytest.raises(RuntimeError):
        number_then_fail()
    assert reserve_sequence_numbers(name="account_no") == range(3, 4)


@pytest.mark.django_db
def test_a_count_below_one_is_refused() -> None:
    with pytest.raises(SequenceCountInvalid) as raised:
        reserve_sequence_numbers(name="account_no", count=0)
    assert raised.value.message("zh-hans") == "编号序列 account_no 一次须分配至少 1 个编号，收到 0"
    assert (
        raised.value.message("en")
        == "Number sequence account_no must hand out at least 1 number at a time, got 0"
    )
    assert NumberSequence.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite's in-memory test database (shared cache) fails concurrent writers with 'table is "
        "locked' instead of waiting; the file database serializes them with IMMEDIATE transactions"
    ),
)
def test_concurrent_reservations_never_share_a_number() -> None:
    reserve_sequence_numbers(name="account_no")  # the row exists, so both threads lock it
    reserved: list[int] = []
    guard = threading.Lock()
    start = threading.Barrier(4)

    def reserve_many() -> None:
        try:
            start.wait()
            for _ in range(25):
                numbers = reserve_sequence_numbers(name="account_no", count=2)
                with guard:
                    reserved.extend(numbers)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(reserved) == list(range(2, 202))
