"""The register billing benchmark's plumbing without a database: bill periods per reading day,
the database URL it makes, and its default partition size."""

from __future__ import annotations

import argparse
from datetime import date

from bench.register_billing import (
    PRODUCT_PARTITION_SIZE,
    add_arguments,
    database_url_named,
    is_postgresql,
    reading_periods,
)


def test_each_reading_day_bills_from_its_reading_date_a_month_before_to_the_last_one() -> None:
    periods = reading_periods(end_month=date(2026, 10, 1), reading_days=[5, 1, 25, 5])

    assert periods == {
        1: (date(2026, 9, 1), date(2026, 10, 1)),
        5: (date(2026, 9, 5), date(2026, 10, 5)),
        25: (date(2026, 9, 25), date(2026, 10, 25)),
    }
    assert list(periods) == [1, 5, 25]


def test_a_january_end_month_bills_from_december_of_the_year_before() -> None:
    assert reading_periods(end_month=date(2027, 1, 1), reading_days=[8]) == {
        8: (date(2026, 12, 8), date(2027, 1, 8))
    }


def test_the_benchmark_database_replaces_only_the_database_name() -> None:
    assert (
        database_url_named(
            server_url="postgres://postgres@127.0.0.1:55432/gridcare?sslmode=disable", name="b"
        )
        == "postgres://postgres@127.0.0.1:55432/b?sslmode=disable"
    )
    assert is_postgresql("postgresql://u@h/d")
    assert is_postgresql("postgres://u@h/d")
    assert not is_postgresql("sqlite:///var/gridcare.sqlite3")
    assert not is_postgresql("")


def test_the_benchmark_partitions_as_the_product_does_by_default() -> None:
    from gridcare.billing.models import DEFAULT_PARTITION_SIZE

    parser = argparse.ArgumentParser()
    add_arguments(parser)

    assert parser.parse_args([]).partition_size == PRODUCT_PARTITION_SIZE == DEFAULT_PARTITION_SIZE
