"""The interval benchmark's own plumbing: customer scaling, PySAM amounts, the to-the-cent comparison."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from bench.__main__ import main
from bench.harness import BenchSetupError, data_file
from bench.interval_billing import (
    COMPONENTS,
    START,
    STEP_MINUTES,
    HalfCentTie,
    Mismatch,
    compare_bills,
    evenly_spread,
    known_differences,
    pysam_bill_frame,
    read_pysam_amount,
    read_urdb_record,
    scale_percent,
    scaled_customers,
)

from gridcare.billing.engine.interval_vectorized import BILL_FRAME_SCHEMA, bill_interval_frame
from gridcare.billing.engine.urdb import parse_urdb

JANUARY_AND_FEBRUARY_HOURS = (31 + 28) * 24
ZEROS = [0.0, 0.0]


def test_scale_percent_runs_deterministically_over_50_to_200() -> None:
    # 50 + (index × 37) mod 151
    assert [scale_percent(index=index) for index in (0, 1, 4, 5, 151)] == [50, 87, 198, 84, 50]
    assert {scale_percent(index=index) for index in range(151)} == set(range(50, 201))


def test_scaled_customers_cycle_the_base_loads_and_round_half_up_to_the_micro_kw() -> None:
    base_loads = [pl.Series([1, 3, 1_000_001]), pl.Series([10, 20, 30])]

    customers = scaled_customers(base_loads=base_loads, count=3)

    assert customers.columns == ["customer-00000", "customer-00001", "customer-00002"]
    # customer 0: base 0 × 50 %: 0.5 → 1, 1.5 → 2, 500,000.5 → 500,001
    assert customers["customer-00000"].to_list() == [1, 2, 500_001]
    # customer 1: base 1 × 87 %: 8.7 → 9, 17.4 → 17, 26.1 → 26
    assert customers["customer-00001"].to_list() == [9, 17, 26]
    # customer 2: base 0 × 124 %: 1.24 → 1, 3.72 → 4, 1,240,001.24 → 1,240,001
    assert customers["customer-00002"].to_list() == [1, 4, 1_240_001]


def test_evenly_spread_picks_from_the_first_and_everything_when_asked_for_more() -> None:
    names = [f"n{index}" for index in range(10)]

    assert evenly_spread(names=names, count=4) == ["n0", "n2", "n5", "n7"]
    assert evenly_spread(names=names, count=10) == names
    assert evenly_spread(names=names, count=11) == names


@pytest.mark.parametrize(
    ("raw", "amount", "tie"),
    [
        # the exact 2367.005 as PySAM's double holds it: a half cent, rounded up
        (2367.0049999999997, Decimal("2367.01"), True),
        (1159.7849999999999, Decimal("1159.79"), True),
        (2367.004, Decimal("2367.00"), False),
        (2367.0049, Decimal("2367.00"), False),
        (0.125, Decimal("0.13"), False),
        (2.675, Decimal("2.68"), False),
        (0.0, Decimal("0.00"), False),
    ],
)
def test_read_pysam_amount_rounds_half_up_and_reads_float_noise_at_a_half_cent_as_the_half_cent(
    raw: float, amount: Decimal, tie: bool
) -> None:
    assert read_pysam_amount(raw) == (amount, tie)


def _our_bills(record: dict[str, Any]) -> pl.DataFrame:
    # One base load of 1 kW all through January and February 2018; customer 0 is 50 % of it.
    base = pl.Series([1_000_000] * JANUARY_AND_FEBRUARY_HOURS)
    loads = scaled_customers(base_loads=[base], count=2)
    return bill_interval_frame(
        tariff=parse_urdb(record), loads_micro_kw=loads, start=START, step_minutes=STEP_MINUTES
    )


def _pysam_outputs(*, january_energy: float) -> dict[str, list[float]]:
    # customer 0 as PySAM gives it: floats, components only (no totals)
    return {
        "energy": [january_energy, 57.2],
        "demand_flat": [5.0, 5.0],
        "demand_tou": ZEROS,
        "fixed": [5.0, 5.0],
        "minimum": ZEROS,
    }


def test_scaled_customer_is_billed_as_computed_by_hand(small_record: dict[str, Any]) -> None:
    bills = _our_bills(small_record)

    # 0.5 kW: January 372 kWh = 100 × 0.10 + 272 × 0.20 = 64.40; peak 0.5 kW × 10 = 5.00; fixed 5.00
    # February 336 kWh = 10.00 + 236 × 0.20 = 57.20; + 5.00 + 5.00 (amounts in cents)
    assert bills.filter(customer="customer-00000").rows() == [
        ("customer-00000", "2018-01", 6440, 500, 0, 500, 0, 7440),
        ("customer-00000", "2018-02", 5720, 500, 0, 500, 0, 6720),
    ]
    assert bills["customer"].unique(maintain_order=True).to_list() == ["customer-00000", "customer-00001"]


def test_equal_bills_compare_without_mismatch(small_record: dict[str, Any]) -> None:
    theirs, ties = pysam_bill_frame(
        outputs={"customer-00000": _pysam_outputs(january_energy=64.39999999999999)},
        months=["2018-01", "2018-02"],
    )

    assert ties == []
    assert compare_bills(ours=_our_bills(small_record), theirs=theirs) == []


def test_a_cent_of_difference_is_reported_with_the_totals_it_changes(small_record: dict[str, Any]) -> None:
    theirs, _ = pysam_bill_frame(
        outputs={"customer-00000": _pysam_outputs(january_energy=64.41)}, months=["2018-01", "2018-02"]
    )

    mismatches = compare_bills(ours=_our_bills(small_record), theirs=theirs)

    assert mismatches == [
        Mismatch(
            customer="customer-00000",
            month="2018-01",
            component="energy",
            ours=Decimal("64.40"),
            theirs=Decimal("64.41"),
        ),
        Mismatch(
            customer="customer-00000",
            month="2018-01",
            component="total",
            ours=Decimal("74.40"),
            theirs=Decimal("74.41"),
        ),
        Mismatch(
            customer="customer-00000",
            month="year",
            component="total",
            ours=Decimal("141.60"),
            theirs=Decimal("141.61"),
        ),
    ]


def test_a_bill_we_did_not_produce_is_a_mismatch(small_record: dict[str, Any]) -> None:
    theirs, _ = pysam_bill_frame(
        outputs={"someone-else": _pysam_outputs(january_energy=64.4)}, months=["2018-01", "2018-02"]
    )

    mismatches = compare_bills(ours=_our_bills(small_record), theirs=theirs)

    assert len(mismatches) == 2 * 6 + 1
    assert mismatches[0] == Mismatch(
        customer="someone-else", month="2018-01", component="energy", ours=None, theirs=Decimal("64.40")
    )
    assert mismatches[-1] == Mismatch(
        customer="someone-else", month="year", component="total", ours=None, theirs=Decimal("141.60")
    )


def test_a_missing_month_is_a_mismatch_and_changes_the_year(small_record: dict[str, Any]) -> None:
    theirs, _ = pysam_bill_frame(
        outputs={"customer-00000": _pysam_outputs(january_energy=64.4)}, months=["2018-01", "2018-02"]
    )
    ours = _our_bills(small_record).filter(month="2018-01")

    mismatches = compare_bills(ours=ours, theirs=theirs)

    assert [(mismatch.month, mismatch.component, mismatch.ours) for mismatch in mismatches] == [
        *(("2018-02", component, None) for component in COMPONENTS),
        ("year", "total", Decimal("74.40")),
    ]
    assert compare_bills(ours=pl.DataFrame(schema=BILL_FRAME_SCHEMA), theirs=theirs)[-1].ours is None


def test_half_cent_ties_are_listed_by_customer_month_and_component() -> None:
    outputs = _pysam_outputs(january_energy=64.4) | {"demand_flat": [2367.0049999999997, 5.0]}

    bills, ties = pysam_bill_frame(outputs={"c": outputs}, months=["2018-01", "2018-02"])

    assert ties == [
        HalfCentTie(customer="c", month="2018-01", component="demand_flat", pysam_raw=2367.0049999999997)
    ]
    # cents: 6440 + 236701 + 0 + 500 + 0
    assert bills.rows()[0] == ("c", "2018-01", 6440, 236_701, 0, 500, 0, 243_641)


def test_read_urdb_record_unwraps_json_text_api_responses_and_reopt_scenarios(
    small_record: dict[str, Any],
) -> None:
    api_download = json.dumps(json.dumps({"items": [small_record]}))
    reopt = json.dumps({"ElectricTariff": {"urdb_response": small_record}})

    assert read_urdb_record(api_download) == small_record
    assert read_urdb_record(reopt) == small_record
    with pytest.raises(BenchSetupError, match="no record"):
        read_urdb_record("[1, 2]")


def test_known_differences_name_the_features_pysam_bills_otherwise(small_record: dict[str, Any]) -> None:
    older = {key: value for key, value in small_record.items() if not key.startswith("fixedcharge")}
    older["fixedmonthlycharge"] = 5

    assert known_differences(tariff=parse_urdb(small_record), record=small_record) == []
    assert known_differences(tariff=parse_urdb(older), record=older) == [
        "fixedmonthlycharge: PySAM's converter does not read it, we bill it"
    ]


def test_missing_data_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(BenchSetupError, match=r"(?s)not found: .*absent/loads/x\.csv\n.*BENCH_DATA=DIR"):
        data_file(data_dir=tmp_path / "absent", relative="loads/x.csv")


def test_bench_exits_2_without_its_data_and_writes_no_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "summary.json"

    status = main(["--data", str(tmp_path / "absent"), "--output", str(output)])

    assert status == 2
    assert "benchmark data not found" in capsys.readouterr().err
    assert not output.exists()
