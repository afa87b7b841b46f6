"""The vectorized engine bills every customer column exactly as the scalar reference does, to the cent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridcare.billing.engine.interval_reference import IntervalLoadInvalid, bill_interval_reference
from gridcare.billing.engine.interval_vectorized import (
    BILL_FRAME_SCHEMA,
    bill_interval_frame,
    bill_interval_vectorized,
    to_micro_kw,
)
from gridcare.billing.engine.urdb import parse_urdb

STARTS = [
    datetime(2018, 1, 1),  # a Monday
    datetime(2018, 1, 30, 22),  # crosses into February
    datetime(2020, 2, 27, 13),  # a leap February
    datetime(2018, 6, 30, 23, 45),  # a Saturday night into July
]


def decimals(*, top: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=0, max_value=top * 10**places).map(lambda n: Decimal(n).scaleb(-places))


def tiers(*, unit: str | None, top: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    def build(limits: list[Decimal], rates: list[Decimal], adjs: list[Decimal]) -> list[dict[str, Any]]:
        ordered = sorted(set(limits))
        result: list[dict[str, Any]] = []
        for index, rate in enumerate(rates[: len(ordered) + 1]):
            tier: dict[str, Any] = {"rate": str(rate), "adj": str(adjs[index])}
            if index < len(ordered) and ordered[index] > 0:
                tier["max"] = str(ordered[index])
            if unit:
                tier["unit"] = unit
            result.append(tier)
        # Only the last tier is open: drop the tiers after an open one, and the last one's max.
        open_at = next((i for i, tier in enumerate(result) if "max" not in tier), len(result) - 1)
        result = result[: open_at + 1]
        result[-1].pop("max", None)
        return result

    return st.builds(
        build,
        st.lists(decimals(top=top, places=2), min_size=0, max_size=2),
        st.lists(decimals(top=1, places=5), min_size=3, max_size=3),
        # Adjustments may be negative, and so may a rate + adj: credits round away from zero too.
        st.lists(st.integers(-500, 500).map(lambda n: Decimal(n).scaleb(-3)), min_size=3, max_size=3),
    )


@st.composite
def schedules(draw: st.DrawFn, periods: int) -> list[list[int]]:
    day = draw(st.lists(st.integers(0, periods - 1), min_size=24, max_size=24))
    # A different rotation each month, so months differ.
    return [day[month:] + day[:month] for month in range(12)]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    energy_periods = draw(st.integers(0, 3))
    if energy_periods:
        units = {"kWh": 400, "kWh daily": 20, "kWh/kW": 300}
        record["energyratestructure"] = [
            draw(tiers(unit=unit, top=units[unit]))
            for unit in draw(
                st.lists(st.sampled_from(list(units)), min_size=energy_periods, max_size=energy_periods)
            )
        ]
        record["energyweekdayschedule"] = draw(schedules(energy_periods))
        record["energyweekendschedule"] = draw(schedules(energy_periods))
    demand_periods = draw(st.integers(0, 2))
    if demand_periods:
        record["demandratestructure"] = [draw(tiers(unit=None, top=60)) for _ in range(demand_periods)]
        record["demandweekdayschedule"] = draw(schedules(demand_periods))
        record["demandweekendschedule"] = draw(schedules(demand_periods))
    flat_tables = draw(st.integers(0, 2))
    if flat_tables:
        record["flatdemandstructure"] = [draw(tiers(unit=None, top=60)) for _ in range(flat_tables)]
        record["flatdemandmonths"] = draw(st.lists(st.integers(0, flat_tables - 1), min_size=12, max_size=12))
    if draw(st.booleans()):
        record["fixedchargefirstmeter"] = str(draw(decimals(top=5, places=3)))
        record["fixedchargeunits"] = draw(st.sampled_from(["$/month", "$/day"]))
    if draw(st.booleans()):
        record["mincharge"] = str(draw(decimals(top=300, places=2)))
        record["minchargeunits"] = draw(st.sampled_from(["$/month", "$/day"]))
    # A record needs something to bill; a zero fixed charge is the least.
    return record or {"fixedmonthlycharge": "0"}


loads = st.lists(
    # Up to 80 kW, or (for the integer bounds) up to 2 GW, in µkW.
    st.lists(st.integers(0, 80_000_000) | st.integers(0, 2 * 10**12), min_size=1, max_size=3),
    min_size=1,
    max_size=1200,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(record=records(), rows=loads, start=st.sampled_from(STARTS), step=st.sampled_from([15, 30, 60]))
def test_vectorized_equals_reference_to_the_cent(
    record: dict[str, Any], rows: list[list[int]], start: datetime, step: int
) -> None:
    tariff = parse_urdb(record)
    width = min(len(row) for row in rows)
    columns = {f"customer {i}": [row[i] for row in rows] for i in range(width)}
    vectorized = bill_interval_vectorized(
        tariff=tariff, loads_micro_kw=pl.DataFrame(columns), start=start, step_minutes=step
    )
    assert list(vectorized) == list(columns)
    for name, micro_kw in columns.items():
        reference = bill_interval_reference(
            tariff=tariff, load_kw=[Decimal(m).scaleb(-6) for m in micro_kw], start=start, step_minutes=step
        )
        assert vectorized[name] == reference


def test_hand_made_tariffs_agree_on_a_year(
    tou_tier_record: dict[str, Any],
    per_kw_tier_record: dict[str, Any],
    tou_demand_record: dict[str, Any],
    flat_demand_record: dict[str, Any],
    minimum_record: dict[str, Any],
) -> None:
    # Every hand-made feature at once, with an annual minimum, on a year of varied hourly loads.
    record = (
        minimum_record
        | tou_demand_record
        | flat_demand_record
        | {key: tou_tier_record[key] for key in ("energyratestructure", "energyweekdayschedule")}
        | {"energyweekendschedule": tou_tier_record["energyweekendschedule"], "annualmincharge": 400_000}
    )
    record["energyratestructure"] = (
        tou_tier_record["energyratestructure"] + per_kw_tier_record["energyratestructure"]
    )
    record["energyweekendschedule"] = [[2] * 24] * 12
    tariff = parse_urdb(record)
    columns = {
        "small": [(hour * 7919) % 20_000_000 for hour in range(8760)],
        "large": [(hour * 104_729) % 900_000_000 + 1 for hour in range(8760)],
    }
    vectorized = bill_interval_vectorized(
        tariff=tariff, loads_micro_kw=pl.DataFrame(columns), start=datetime(2018, 1, 1), step_minutes=60
    )
    for name, micro_kw in columns.items():
        reference = bill_interval_reference(
            tariff=tariff,
            load_kw=[Decimal(m).scaleb(-6) for m in micro_kw],
            start=datetime(2018, 1, 1),
            step_minutes=60,
        )
        assert vectorized[name] == reference
    assert vectorized["small"].months[11].minimum > 0


@pytest.mark.parametrize(
    ("tariff_name", "step_minutes", "steps"),
    [
        # One period all year: a run of steps per month, each month's only one.
        ("seasonal", 60, 8760),
        # Periods changing every 12 steps: runs too short to slice, rows are gathered by period.
        ("tou", 60, 8760),
        # Periods changing every 720 steps: long runs sliced in place, each period in many of them.
        ("tou", 1, 3 * 1440 + 90),
    ],
)
def test_long_and_short_runs_of_periods_agree_with_the_reference(
    tou_tier_record: dict[str, Any],
    two_tier_record: dict[str, Any],
    tou_demand_record: dict[str, Any],
    flat_demand_record: dict[str, Any],
    tariff_name: str,
    step_minutes: int,
    steps: int,
) -> None:
    energy = tou_tier_record | tou_demand_record if tariff_name == "tou" else two_tier_record
    tariff = parse_urdb(energy | flat_demand_record)
    start = datetime(2018, 1, 30, 22)
    columns = {
        "small": [(step * 7919) % 20_000_000 for step in range(steps)],
        "large": [(step * 104_729) % 900_000_000 + 1 for step in range(steps)],
    }
    vectorized = bill_interval_vectorized(
        tariff=tariff, loads_micro_kw=pl.DataFrame(columns), start=start, step_minutes=step_minutes
    )
    for name, micro_kw in columns.items():
        reference = bill_interval_reference(
            tariff=tariff,
            load_kw=[Decimal(m).scaleb(-6) for m in micro_kw],
            start=start,
            step_minutes=step_minutes,
        )
        assert vectorized[name] == reference


def test_the_bill_frame_is_in_fen_in_column_order(two_tier_record: dict[str, Any]) -> None:
    # 150 kW for an hour each side of midnight: 150 kWh a month = 100 × 0.105 + 50 × 0.20 = 20.50.
    # 1 kW for February's first hour: 1 kWh × 0.105 = 0.105, half a cent rounded up: 0.11.
    loads = pl.DataFrame({"zeta": [150_000_000, 150_000_000], "alpha": [0, 1_000_000]})

    frame = bill_interval_frame(
        tariff=parse_urdb(two_tier_record),
        loads_micro_kw=loads,
        start=datetime(2018, 1, 31, 23),
        step_minutes=60,
    )

    assert frame.schema == BILL_FRAME_SCHEMA
    assert frame.rows() == [
        ("zeta", "2018-01", 2050, 0, 0, 0, 0, 2050),
        ("zeta", "2018-02", 2050, 0, 0, 0, 0, 2050),
        ("alpha", "2018-01", 0, 0, 0, 0, 0, 0),
        ("alpha", "2018-02", 11, 0, 0, 0, 0, 11),
    ]
    narrow = bill_interval_frame(
        tariff=parse_urdb(two_tier_record),
        loads_micro_kw=loads.cast(pl.UInt32),
        start=datetime(2018, 1, 31, 23),
        step_minutes=60,
    )
    assert narrow.equals(frame)


def test_customer_names_are_names_not_patterns(two_tier_record: dict[str, Any]) -> None:
    # 1, 2 and 3 kW for an hour: 0.105, 0.21 and 0.315 $ (half cents round up).
    loads = pl.DataFrame({"^c.*$": [1_000_000], "c2": [2_000_000], "*": [3_000_000]})

    frame = bill_interval_frame(
        tariff=parse_urdb(two_tier_record), loads_micro_kw=loads, start=datetime(2018, 1, 1), step_minutes=60
    )

    assert frame.select("customer", "total").rows() == [("^c.*$", 11), ("c2", 21), ("*", 32)]


def test_to_micro_kw_refuses_finer_values() -> None:
    assert to_micro_kw(Decimal("1.000001")) == 1_000_001
    with pytest.raises(ValueError, match="finer than 1e-6 kW"):
        to_micro_kw(Decimal("1.0000001"))


def test_negative_loads_and_reserved_names_are_refused(two_tier_record: dict[str, Any]) -> None:
    tariff = parse_urdb(two_tier_record)
    # The most negative int64 too: read as unsigned it is exactly 2**63.
    for negative in ({"a": [1, -1]}, {"a": [5, 7], "b": [3, -(2**63)]}):
        with pytest.raises(IntervalLoadInvalid, match="negative values"):
            bill_interval_frame(
                tariff=tariff,
                loads_micro_kw=pl.DataFrame(negative),
                start=datetime(2018, 1, 1),
                step_minutes=60,
            )
    with pytest.raises(IntervalLoadInvalid, match="_urdb_month is reserved"):
        bill_interval_vectorized(
            tariff=tariff,
            loads_micro_kw=pl.DataFrame({"_urdb_month": [1]}),
            start=datetime(2018, 1, 1),
            step_minutes=60,
        )


def test_loads_too_large_for_exact_integers_are_refused(two_tier_record: dict[str, Any]) -> None:
    huge = 10**17  # 100 TW in µkW
    with pytest.raises(IntervalLoadInvalid, match="too large for the vectorized engine"):
        bill_interval_vectorized(
            tariff=parse_urdb(two_tier_record),
            loads_micro_kw=pl.DataFrame({"a": [huge] * 24}),
            start=datetime(2018, 1, 1),
            step_minutes=60,
        )
