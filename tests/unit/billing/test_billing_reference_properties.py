"""Invariants of the reference engine on random usage (hypothesis): the total is the sum of the
lines, the energy lines' kWh add up to the bill's kWh, and more kWh never costs less."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from gridcare.billing.engine.reference import (
    Bill,
    RegisterBillInput,
    calculate_register_bill,
    split_into_tiers,
    tier_thresholds,
)
from gridcare.billing.engine.tariff import TariffDocument, TierBasis

from .conftest import catalog_tariff

RESIDENTIAL = ("CN-BJ-RES-2012", "CN-ZJ-RES-TIER", "CN-ZJ-RES-TOU", "CN-SH-RES-TOU")
TARIFFS = {code: catalog_tariff(code) for code in RESIDENTIAL}

kwh = st.decimals(min_value=0, max_value=20000, places=3, allow_nan=False, allow_infinity=False)
year_before = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)


def bill_of(tariff: TariffDocument, energy: dict[str, D], *, before: D, month: int, **flags: bool) -> Bill:
    return calculate_register_bill(
        bill=RegisterBillInput(
            tariff=tariff,
            period_start=date(2025, month, 1),
            period_end=date(2025, month, 28),
            energy_kwh=energy,
            tier_year_kwh_before=before,
            **flags,
        )
    )


def energy_of(tariff: TariffDocument, values: list[D]) -> dict[str, D]:
    return dict(zip(tariff.energy.periods, values, strict=False))


@settings(max_examples=150, deadline=None)
@given(
    code=st.sampled_from(RESIDENTIAL),
    values=st.lists(kwh, min_size=2, max_size=2),
    before=year_before,
    month=st.integers(min_value=1, max_value=12),
    large_household=st.booleans(),
    low_income=st.booleans(),
)
def test_lines_add_up(
    code: str, values: list[D], before: D, month: int, large_household: bool, low_income: bool
) -> None:
    tariff = TARIFFS[code]
    energy = energy_of(tariff, values)
    bill = bill_of(
        tariff, energy, before=before, month=month, large_household=large_household, low_income=low_income
    )
    assert bill.total == sum(line.amount for line in bill.lines)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in bill.lines)
    assert sum(line.quantity for line in bill.lines if line.unit == "kWh") == sum(energy.values())
    # Each tier's lines hold exactly the kWh the tier split gives that tier.
    free = sum((line.quantity for line in bill.lines if line.code == "allowance.low_income"), D(0))
    bill_input = RegisterBillInput(
        tariff=tariff,
        period_start=date(2025, month, 1),
        period_end=date(2025, month, 28),
        energy_kwh=energy,
        large_household=large_household,
    )
    assert tariff.energy.tiers is not None
    start = (before if tariff.energy.tiers.basis is TierBasis.ANNUAL else D(0)) + free
    expected = split_into_tiers(
        start_kwh=start, kwh=sum(energy.values()) - free, thresholds=tier_thresholds(bill=bill_input)
    )
    for tier, kwh in enumerate(expected, start=1):
        assert sum((line.quantity for line in bill.lines if line.code.endswith(f"tier{tier}")), D(0)) == kwh


@settings(max_examples=150, deadline=None)
@given(
    code=st.sampled_from(RESIDENTIAL),
    values=st.lists(kwh, min_size=2, max_size=2),
    more=st.decimals(min_value=1, max_value=5000, places=3, allow_nan=False, allow_infinity=False),
    period_index=st.integers(min_value=0, max_value=1),
    before=year_before,
    month=st.integers(min_value=1, max_value=12),
)
def test_more_kwh_never_costs_less(
    code: str, values: list[D], more: D, period_index: int, before: D, month: int
) -> None:
    tariff = TARIFFS[code]
    energy = energy_of(tariff, values)
    period = tariff.energy.periods[min(period_index, len(tariff.energy.periods) - 1)]
    larger = {**energy, period: energy[period] + more}
    assert (
        bill_of(tariff, larger, before=before, month=month).total
        >= bill_of(tariff, energy, before=before, month=month).total
    )
