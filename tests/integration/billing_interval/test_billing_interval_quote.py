"""`gridcare quote interval` through its argument parser: one series, CSV and Parquet batches, errors."""

from __future__ import annotations

import argparse
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from gridcare.billing.engine.urdb import UrdbInvalid
from gridcare.billing.interval_quotes import IntervalQuoteInvalid, micro_kw_from_text, run_interval_quote

INDUSTRIAL_URDB = Path("/work/shared/data/urdb/openei_539f6a23ec4f024411ec8beb_industrial.api.json")
COMMERCIAL_LOAD = Path("/work/shared/data/loads/ssc_commercial_8760_kw.csv")


def quote(parser: argparse.ArgumentParser, *arguments: str) -> Any:
    output = io.StringIO()
    run_interval_quote(vars(parser.parse_args(list(arguments))), output)
    return json.loads(output.getvalue())


def test_one_series_per_line(
    interval_parser: argparse.ArgumentParser, urdb_file: Path, tmp_path: Path
) -> None:
    # 8 h × 15 kW = 120 kWh: 100 × 0.10 + 20 × 0.20 = 14.00; peak 15 kW × 5 = 75.00; fixed 3.00 → 92.00.
    load = tmp_path / "load.csv"
    load.write_text("15\n" * 8, encoding="utf-8")
    result = quote(
        interval_parser,
        "--urdb",
        str(urdb_file),
        "--load",
        str(load),
        "--start",
        "2018-01-01T00:00",
        "--step-minutes",
        "60",
    )
    month = {"month": "2018-01", "energy": "14.00", "demand_flat": "75.00", "demand_tou": "0.00"}
    assert result == {
        "months": [month | {"fixed": "3.00", "minimum": "0.00", "total": "92.00"}],
        "total": "92.00",
    }


def test_csv_with_a_header_bills_each_customer(
    interval_parser: argparse.ArgumentParser, urdb_file: Path, tmp_path: Path
) -> None:
    # "shop": 4 quarter-hours × 20 kW = 20 kWh → 2.00; peak 20 × 5 = 100; fixed 3 → 105.00.
    # "mill": 4 × 400 kW × 0.25 h = 400 kWh → 10.00 + 300 × 0.20 = 70.00; 400 × 5 = 2000; +3 → 2073.00.
    load = tmp_path / "batch.csv"
    load.write_text("shop,mill\n20,400\n20,400.0000004\n20,400\n20,399.9999996\n", encoding="utf-8")
    result = quote(
        interval_parser,
        "--urdb",
        str(urdb_file),
        "--load",
        str(load),
        "--start",
        "2018-01-31T23:00",
        "--step-minutes",
        "15",
    )
    assert list(result["customers"]) == ["shop", "mill"]
    assert result["customers"]["shop"] == {
        "months": [
            {
                "month": "2018-01",
                "energy": "2.00",
                "demand_flat": "100.00",
                "demand_tou": "0.00",
                "fixed": "3.00",
                "minimum": "0.00",
                "total": "105.00",
            }
        ],
        "total": "105.00",
    }
    assert result["customers"]["mill"]["total"] == "2073.00"


def test_parquet_with_float_columns(
    interval_parser: argparse.ArgumentParser, urdb_file: Path, tmp_path: Path
) -> None:
    # Two hours, one in January and one in February: each month 10 kWh × 0.10 = 1.00, 10 × 5 = 50, +3 → 54.00.
    load = tmp_path / "batch.parquet"
    pl.DataFrame({"a": [10.0, 10.0], "b": [0.1, 0.0]}).write_parquet(load)
    result = quote(
        interval_parser,
        "--urdb",
        str(urdb_file),
        "--load",
        str(load),
        "--start",
        "2018-01-31T23:00",
        "--step-minutes",
        "60",
    )
    assert [month["total"] for month in result["customers"]["a"]["months"]] == ["54.00", "54.00"]
    assert result["customers"]["a"]["total"] == "108.00"
    # b: 0.1 kWh × 0.10 = 0.01 energy, 0.1 kW × 5 = 0.50 demand, fixed 3 → 3.51; February 3.00.
    assert [month["total"] for month in result["customers"]["b"]["months"]] == ["3.51", "3.00"]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (["--start", "2018-13-01"], IntervalQuoteInvalid, '--start: "2018-13-01" is not an ISO date-time'),
        (
            ["--start", "2018-01-01T00:00+08:00"],
            IntervalQuoteInvalid,
            "--start: give a local time without an offset",
        ),
    ],
)
def test_bad_start_is_refused(
    interval_parser: argparse.ArgumentParser,
    urdb_file: Path,
    tmp_path: Path,
    arguments: list[str],
    error: type[Exception],
    message: str,
) -> None:
    load = tmp_path / "load.csv"
    load.write_text("1\n", encoding="utf-8")
    with pytest.raises(error, match=re.escape(message)):
        quote(
            interval_parser, "--urdb", str(urdb_file), "--load", str(load), "--step-minutes", "60", *arguments
        )


def test_bad_load_value_names_the_line(
    interval_parser: argparse.ArgumentParser, urdb_file: Path, tmp_path: Path
) -> None:
    load = tmp_path / "load.csv"
    load.write_text("1\n2\nlots\n", encoding="utf-8")
    with pytest.raises(IntervalQuoteInvalid, match='--load: line 3: "lots" is not a number'):
        quote(
            interval_parser,
            "--urdb",
            str(urdb_file),
            "--load",
            str(load),
            "--start",
            "2018-01-01",
            "--step-minutes",
            "60",
        )


def test_bad_tariff_names_the_field(interval_parser: argparse.ArgumentParser, tmp_path: Path) -> None:
    urdb = tmp_path / "bad.json"
    urdb.write_text(
        json.dumps({"flatdemandstructure": [[{"rate": 5}]], "flatdemandmonths": [0] * 11}), encoding="utf-8"
    )
    load = tmp_path / "load.csv"
    load.write_text("1\n", encoding="utf-8")
    with pytest.raises(UrdbInvalid, match="field flatdemandmonths: expected 12 months, found 11"):
        quote(
            interval_parser,
            "--urdb",
            str(urdb),
            "--load",
            str(load),
            "--start",
            "2018-01-01",
            "--step-minutes",
            "60",
        )


@pytest.mark.skipif(
    not (INDUSTRIAL_URDB.exists() and COMMERCIAL_LOAD.exists()),
    reason=f"cross-check data absent: needs {INDUSTRIAL_URDB} and {COMMERCIAL_LOAD}",
)
def test_real_industrial_rate_on_a_commercial_year(
    interval_parser: argparse.ArgumentParser, tmp_path: Path
) -> None:
    result = quote(
        interval_parser,
        "--urdb",
        str(INDUSTRIAL_URDB),
        "--load",
        str(COMMERCIAL_LOAD),
        "--start",
        "2018-01-01T00:00",
        "--step-minutes",
        "60",
    )
    assert [month["month"] for month in result["months"]] == [f"2018-{m:02d}" for m in range(1, 13)]
    for month in result["months"]:
        parts = ("energy", "demand_flat", "demand_tou", "fixed", "minimum")
        assert sum(Decimal(month[part]) for part in parts) == Decimal(month["total"])
    assert sum(Decimal(month["total"]) for month in result["months"]) == Decimal(result["total"])
    # The same file as a one-column batch gives the same bill through the vectorized engine.
    batch = tmp_path / "batch.csv"
    batch.write_text("building\n" + COMMERCIAL_LOAD.read_text(encoding="utf-8"), encoding="utf-8")
    batched = quote(
        interval_parser,
        "--urdb",
        str(INDUSTRIAL_URDB),
        "--load",
        str(batch),
        "--start",
        "2018-01-01T00:00",
        "--step-minutes",
        "60",
    )
    assert batched == {"customers": {"building": result}}


def test_fast_text_reading_rounds_as_decimal_does() -> None:
    texts = pl.Series(
        "kw", ["1.2345675", "0.0000005", "0.00000049", "12", "3.", " 7.5 ", "75.159300000000002"]
    )
    assert micro_kw_from_text(texts) is not None
    assert micro_kw_from_text(texts).to_list() == [
        1_234_568,
        1,
        0,
        12_000_000,
        3_000_000,
        7_500_000,
        75_159_300,
    ]
    # Anything but plain decimals (an exponent, a sign, an empty cell) is left to the Decimal path.
    for odd in ["1e-3", "-1", "", "1234567890123"]:
        assert micro_kw_from_text(pl.Series("kw", ["1", odd])) is None


def test_csv_with_exponents_and_gaps(
    interval_parser: argparse.ArgumentParser, urdb_file: Path, tmp_path: Path
) -> None:
    # "1e1" kW is 10 kW: 10 kWh × 0.10 = 1.00, 10 kW × 5 = 50.00, fixed 3.00 → 54.00.
    load = tmp_path / "batch.csv"
    load.write_text("site\n1e1\n", encoding="utf-8")
    assert quote(
        interval_parser,
        "--urdb",
        str(urdb_file),
        "--load",
        str(load),
        "--start",
        "2018-01-01",
        "--step-minutes",
        "60",
    ) == {
        "customers": {
            "site": {
                "months": [
                    {
                        "month": "2018-01",
                        "energy": "1.00",
                        "demand_flat": "50.00",
                        "demand_tou": "0.00",
                        "fixed": "3.00",
                        "minimum": "0.00",
                        "total": "54.00",
                    }
                ],
                "total": "54.00",
            }
        }
    }
    load.write_text("site,other\n1,\n", encoding="utf-8")
    with pytest.raises(
        IntervalQuoteInvalid, match=re.escape('--load: column other, row 1: "" is not a number')
    ):
        quote(
            interval_parser,
            "--urdb",
            str(urdb_file),
            "--load",
            str(load),
            "--start",
            "2018-01-01",
            "--step-minutes",
            "60",
        )


def test_batch_writes_credits_as_the_single_series_does(
    interval_parser: argparse.ArgumentParser, tmp_path: Path
) -> None:
    # A credit of 0.01 − 0.05 = −0.04 $/kWh and 0.30 $/month fixed: 1 kWh → −0.04 + 0.30 = 0.26;
    # 9 kWh → −0.36 + 0.30, topped up by a minimum of 0.06 to 0.00; 300 kWh → −12.00 + 0.30 + 11.70.
    record = {
        "energyratestructure": [[{"rate": 0.01, "adj": -0.05}]],
        "energyweekdayschedule": [[0] * 24] * 12,
        "energyweekendschedule": [[0] * 24] * 12,
        "fixedchargefirstmeter": 0.3,
        "fixedchargeunits": "$/month",
    }
    urdb = tmp_path / "credit.json"
    urdb.write_text(json.dumps(record), encoding="utf-8")
    batch = tmp_path / "batch.csv"
    batch.write_text("one,nine,big\n1,9,300\n", encoding="utf-8")
    options = ("--urdb", str(urdb), "--start", "2018-01-01T00:00", "--step-minutes", "60")

    batched = quote(interval_parser, "--load", str(batch), *options)

    assert {
        name: [(month["energy"], month["minimum"], month["total"]) for month in bill["months"]]
        for name, bill in batched["customers"].items()
    } == {
        "one": [("-0.04", "0.00", "0.26")],
        "nine": [("-0.36", "0.06", "0.00")],
        "big": [("-12.00", "11.70", "0.00")],
    }
    for name, kw in (("one", "1"), ("nine", "9"), ("big", "300")):
        single = tmp_path / f"{name}.csv"
        single.write_text(f"{kw}\n", encoding="utf-8")
        assert batched["customers"][name] == quote(interval_parser, "--load", str(single), *options)
