"""The register engine benchmark's random bills: reproducible, valid, of every catalog tariff."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from bench.register_engine import catalog_tariffs, random_register_bills

from gridcare.billing.engine.reference import calculate_register_bill
from gridcare.billing.engine.vectorized import register_bill_totals


def test_the_catalog_has_the_shipped_tariffs() -> None:
    assert [tariff.code for tariff in catalog_tariffs()] == [
        "CN-BJ-RES-2012",
        "CN-SH-RES-TOU",
        "CN-ZJ-RES-TIER",
        "CN-ZJ-RES-TOU",
        "DEMO-AGR-FLAT",
        "DEMO-GC-FLAT",
        "DEMO-GD-LI-2P",
    ]


def test_the_same_seed_draws_the_same_bills_and_another_seed_others() -> None:
    tariffs = catalog_tariffs()

    first = random_register_bills(count=50, seed=7, tariffs=tariffs)

    assert random_register_bills(count=50, seed=7, tariffs=tariffs) == first
    assert random_register_bills(count=50, seed=8, tariffs=tariffs) != first


def test_the_bills_mix_the_tariffs_and_both_engines_total_them_alike() -> None:
    bills = random_register_bills(count=200, seed=20261129, tariffs=catalog_tariffs())

    assert set(Counter(bill.tariff.code for bill in bills)) == {tariff.code for tariff in catalog_tariffs()}
    two_part = [bill for bill in bills if bill.tariff.basic_charge is not None]
    assert all(
        bill.contract_demand_kw is not None
        and bill.capacity_kva is not None
        and bill.contract_demand_kw >= bill.capacity_kva * Decimal("0.4")
        for bill in two_part
    )
    # the reference refuses invalid input, so every bill drawn is valid
    assert register_bill_totals(bills=bills) == [calculate_register_bill(bill=bill).total for bill in bills]
