"""Interval billing: GridCare's vectorized URDB engine against NREL PySAM Utilityrate5 (issue 5 §6).

N customers are made by scaling the real 8760-hour loads of ../shared/data by deterministic
factors; all are billed for 2018 on one real URDB record by ``bill_interval_frame`` in one pass
(a frame of integer cents), and (all or an evenly spread subset) by PySAM one customer at a
time on one core. Every bill PySAM computes is compared with ours, month by month and
component by component, to the cent; a single mismatch fails the benchmark. docs/benchmarks.md
says what is measured and how.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import polars as pl

from bench.harness import (
    Benchmark,
    BenchmarkResult,
    BenchSetupError,
    Say,
    best_of,
    data_file,
    peak_rss_mib,
)
from gridcare.billing.engine.interval_vectorized import (
    AMOUNT_COLUMNS,
    BILL_FRAME_SCHEMA,
    MICRO_KW_PER_KW,
    bill_interval_frame,
)
from gridcare.billing.engine.urdb import UrdbTariff, parse_urdb
from gridcare.billing.interval_quotes import micro_kw_from_text
from gridcare.kit.money import from_minor_units, round_to_fen, to_minor_units

#: A real record on which our engine and PySAM agree to the cent (docs/urdb.md, "Checked against
#: PySAM"): kWh/kW energy tiers in two seasonal periods, seasonal flat demand tables. It has none
#: of the features where the two deliberately differ ($/day fixed charges, fixedmonthlycharge,
#: annual minimums).
DEFAULT_URDB = "urdb/openei_539f6a23ec4f024411ec8beb_industrial.api.json"
#: The base loads customers are scaled from: 8760 hourly kW from Monday 1 January of a
#: non-leap year, so 2018 is their calendar.
LOAD_FILES = (
    "loads/ssc_residential_8760_kw.csv",
    "loads/ssc_commercial_8760_kw.csv",
    "loads/ssc_commercial_large_8760_kw.csv",
)
START = datetime(2018, 1, 1)
STEP_MINUTES = 60
#: The month amounts compared, each to the cent (``total``, last, is their sum).
COMPONENTS = AMOUNT_COLUMNS
#: PySAM's doubles are read to the micro-dollar before rounding to the cent: a hundred million
#: times their noise at these magnitudes (about 1e-13 $), ten thousand times finer than a cent.
PYSAM_RESOLUTION = Decimal("0.000001")
TARGET_RATIO = 30
# Scale factors run over 0.50, 0.51, … 2.00 (151 steps); 37 is prime to 151, so consecutive
# customers get well-mixed factors and every factor recurs only after 151 customers.
_SCALE_LOWEST_PERCENT = 50
_SCALE_STEPS = 151
_SCALE_STRIDE = 37


@dataclass(frozen=True)
class Mismatch:
    """One amount on which the two bills of a customer differ (``month`` "year" for the annual total)."""

    customer: str
    month: str
    component: str
    ours: Decimal | None
    theirs: Decimal | None


@dataclass(frozen=True)
class HalfCentTie:
    """A PySAM amount within float noise of an exact half cent (see :func:`read_pysam_amount`)."""

    customer: str
    month: str
    component: str
    pysam_raw: float


def customer_name(*, index: int) -> str:
    """The name of customer ``index`` (0-based), sortable."""
    return f"customer-{index:05d}"


def scale_percent(*, index: int) -> int:
    """Customer ``index``'s load as a percentage of its base load: 50 … 200, deterministic."""
    return _SCALE_LOWEST_PERCENT + (index * _SCALE_STRIDE) % _SCALE_STEPS


def scaled_customers(*, base_loads: Sequence[pl.Series], count: int) -> pl.DataFrame:
    """``count`` customer columns (int µkW): customer i is base load i mod len(base_loads) ×
    scale_percent(i) / 100, rounded half up to the µkW (loads are never negative)."""
    if not base_loads:
        raise ValueError("no base loads to scale")
    return pl.DataFrame(
        [
            (
                (base_loads[index % len(base_loads)].cast(pl.Int64) * scale_percent(index=index) + 50) // 100
            ).alias(customer_name(index=index))
            for index in range(count)
        ]
    )


def evenly_spread(*, names: Sequence[str], count: int) -> list[str]:
    """``count`` of ``names`` spread evenly from the first (all of them when count ≥ len(names))."""
    if count >= len(names):
        return list(names)
    return [names[position * len(names) // count] for position in range(count)]


def read_base_load(path: Path) -> pl.Series:
    """A one-kW-value-a-line file as int µkW, rounded half up (finer digits are float noise)."""
    texts = pl.read_csv(path, has_header=False, infer_schema=False, new_columns=["kw"])["kw"]
    micro_kw = micro_kw_from_text(texts)
    if micro_kw is None:
        raise BenchSetupError(f"{path}: expected one plain non-negative decimal kW value a line")
    # One contiguous chunk (the CSV reader may return several), as a column built in memory is.
    return micro_kw.alias(path.stem).rechunk()


def read_urdb_record(text: str) -> dict[str, Any]:
    """The URDB record in ``text`` with float numbers, as PySAM takes it: the document may be a
    record, an API response ``{"items": [record]}``, a REopt scenario, or JSON text of one."""
    data: Any = text
    while isinstance(data, str):
        data = json.loads(data)
    if isinstance(data, dict) and "items" in data:
        data = data["items"][0]
    if isinstance(data, dict) and "ElectricTariff" in data:
        data = data["ElectricTariff"]["urdb_response"]
    if not isinstance(data, dict):
        raise BenchSetupError("the URDB file holds no record (a JSON object)")
    return data


def known_differences(*, tariff: UrdbTariff, record: Mapping[str, Any]) -> list[str]:
    """The features of this tariff on which GridCare and PySAM deliberately differ (docs/urdb.md)."""
    differences = []
    if tariff.fixed_charge_per_day or tariff.monthly_minimum_per_day:
        differences.append("$/day charges: PySAM bills $/day × 365/12 a month, we × the month's days")
    if "fixedmonthlycharge" in record and "fixedchargefirstmeter" not in record:
        differences.append("fixedmonthlycharge: PySAM's converter does not read it, we bill it")
    if tariff.annual_minimum:
        differences.append("annual minimum: PySAM tops up from unrounded months, we from rounded ones")
    return differences


def read_pysam_amount(raw: float) -> tuple[Decimal, bool]:
    """PySAM's dollar amount (a binary double) rounded half up to the cent, and whether it is a
    half-cent tie: a double within float noise of an exact half cent. PySAM's doubles cannot hold
    most decimals (the exact 2367.005 comes out as 2367.0049999999997), so the amount is read to
    :data:`PYSAM_RESOLUTION` first and a half cent rounds up, as the exact value does."""
    written = Decimal(repr(float(raw)))
    amount = round_to_fen(written.quantize(PYSAM_RESOLUTION, rounding=ROUND_HALF_EVEN))
    return amount, amount != round_to_fen(written)


def pysam_bill_frame(
    *, outputs: Mapping[str, Mapping[str, Sequence[float]]], months: Sequence[str]
) -> tuple[pl.DataFrame, list[HalfCentTie]]:
    """PySAM's monthly amounts (unrounded dollars by component, by customer) as a bill frame in
    cents (``BILL_FRAME_SCHEMA``, customers in ``outputs``' order), each amount read by
    :func:`read_pysam_amount` and each month's total the sum of its amounts; and the half-cent
    ties met on the way."""
    rows = []
    ties = []
    for customer, amounts_by_component in outputs.items():
        for position, month in enumerate(months):
            cents = {}
            for component in COMPONENTS[:-1]:
                raw = float(amounts_by_component[component][position])
                amount, tie = read_pysam_amount(raw)
                cents[component] = to_minor_units(amount)
                if tie:
                    ties.append(
                        HalfCentTie(customer=customer, month=month, component=component, pysam_raw=raw)
                    )
            rows.append({"customer": customer, "month": month, **cents, "total": sum(cents.values())})
    return pl.DataFrame(rows, schema=BILL_FRAME_SCHEMA), ties


def compare_bills(*, ours: pl.DataFrame, theirs: pl.DataFrame) -> list[Mismatch]:
    """Every amount, for every customer of ``theirs``, where ``ours`` differs (both bill frames in
    cents): each month's components and total, then the year's total; an absent month or bill
    counts as a mismatch. In ``theirs``' order of customers and months, components in order."""
    keys = ["customer", "month"]
    differing = (
        theirs.join(ours, on=keys, how="left", suffix="_ours", maintain_order="left")
        .filter(
            pl.any_horizontal(
                pl.col(component).ne_missing(pl.col(f"{component}_ours")) for component in COMPONENTS
            )
        )
        .iter_rows(named=True)
    )
    mismatches: dict[str, list[Mismatch]] = {}
    for row in differing:
        mismatches.setdefault(row["customer"], []).extend(
            Mismatch(
                customer=row["customer"],
                month=row["month"],
                component=component,
                ours=_yuan(row[f"{component}_ours"]),
                theirs=_yuan(row[component]),
            )
            for component in COMPONENTS
            if row[component] != row[f"{component}_ours"]
        )
    years = pl.col("total").sum().alias("year"), pl.len().alias("months")
    for row in (
        theirs.group_by("customer", maintain_order=True)
        .agg(*years)
        .join(ours.group_by("customer").agg(*years), on="customer", how="left", suffix="_ours")
        .iter_rows(named=True)
    ):
        if row["year"] != row["year_ours"] or row["months"] != row["months_ours"]:
            mismatches.setdefault(row["customer"], []).append(
                Mismatch(
                    customer=row["customer"],
                    month="year",
                    component="total",
                    ours=_yuan(row["year_ours"]),
                    theirs=_yuan(row["year"]),
                )
            )
    return [
        mismatch
        for customer in theirs["customer"].unique(maintain_order=True)
        for mismatch in mismatches.get(customer, [])
    ]


def _yuan(cents: int | None) -> Decimal | None:
    return None if cents is None else from_minor_units(cents)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The interval benchmark's options."""
    group = parser.add_argument_group("interval billing against PySAM")
    group.add_argument("--customers", type=int, default=2000, help="customers billed (default 2000)")
    group.add_argument(
        "--pysam-customers",
        type=int,
        default=2000,
        help="customers PySAM bills and that are compared, evenly spread (default 2000, at most --customers)",
    )
    group.add_argument("--urdb", type=Path, help=f"URDB record (default DATA/{DEFAULT_URDB})")


@dataclass(frozen=True)
class _Inputs:
    urdb_path: Path
    tariff: UrdbTariff
    record: dict[str, Any]
    base_count: int
    loads: pl.DataFrame


@dataclass(frozen=True)
class _Timing:
    bills: int
    seconds_best: float
    seconds_all: list[float]

    @property
    def bills_per_second(self) -> float:
        return self.bills / self.seconds_best

    def as_summary(self) -> dict[str, Any]:
        return {
            "bills": self.bills,
            "seconds_best": round(self.seconds_best, 4),
            "seconds_all": [round(seconds, 4) for seconds in self.seconds_all],
            "bills_per_second": round(self.bills_per_second, 1),
        }


def run(options: argparse.Namespace, say: Say) -> BenchmarkResult:
    """Bill the customers with both engines, time them, compare every PySAM bill to the cent."""
    inputs = _read_inputs(options)
    loads = inputs.loads
    say("interval billing: GridCare's vectorized engine against NREL PySAM Utilityrate5")
    say(f"  tariff    {inputs.tariff.name} ({inputs.urdb_path.name})")
    for difference in known_differences(tariff=inputs.tariff, record=inputs.record):
        say(f"  WARNING   known difference, expect mismatches: {difference}")
    say(
        f"  customers {loads.width:,}: {inputs.base_count} base loads × {_SCALE_LOWEST_PERCENT}–"
        f"{_SCALE_LOWEST_PERCENT + _SCALE_STEPS - 1} %, {loads.height} steps of {STEP_MINUTES} min "
        f"from {START.isoformat()}"
    )
    memory_with_loads = peak_rss_mib()

    ours, ours_timing = _bill_with_gridcare(tariff=inputs.tariff, loads=loads, repeat=options.repeat)
    memory_after_ours = peak_rss_mib()
    say(
        f"  GridCare  {ours_timing.bills:,} annual bills in {ours_timing.seconds_best:.3f} s, one pass "
        f"(best of {options.repeat}; {pl.thread_pool_size()} Polars threads) = "
        f"{ours_timing.bills_per_second:,.0f} bills/s"
    )

    compared = evenly_spread(names=loads.columns, count=options.pysam_customers)
    outputs, pysam_timing = _bill_with_pysam(
        record=inputs.record, loads=loads, customers=compared, repeat=options.repeat
    )
    ratio = ours_timing.bills_per_second / pysam_timing.bills_per_second
    say(
        f"  PySAM     {pysam_timing.bills:,} annual bills in {pysam_timing.seconds_best:.3f} s, "
        f"one at a time on one core (best of {options.repeat}) = {pysam_timing.bills_per_second:,.0f} bills/s"
    )
    say(f"  ratio     {ratio:.1f}× PySAM's throughput (target ≥ {TARGET_RATIO}×: {_met(ratio)})")

    months = ours["month"].unique(maintain_order=True).to_list()
    theirs, ties = pysam_bill_frame(outputs={name: outputs[name] for name in compared}, months=months)
    mismatches = compare_bills(ours=ours, theirs=theirs)
    amounts = len(compared) * (len(months) * len(COMPONENTS) + 1)
    say(
        f"  check     {len(compared):,} bills compared to the cent ({amounts:,} amounts: "
        f"{len(months)} months × {len(COMPONENTS)} + the year): {len(mismatches)} mismatches"
    )
    if ties:
        example = ties[0]
        say(
            f"  ties      {len(ties)} half-cent ties: PySAM amounts within float noise of an exact half "
            f"cent, read as that half cent (e.g. {example.customer} {example.month} {example.component}: "
            f"PySAM {example.pysam_raw!r})"
        )
    for mismatch in mismatches[:10]:
        say(
            f"  MISMATCH  {mismatch.customer} {mismatch.month} {mismatch.component}: "
            f"ours {mismatch.ours}, PySAM {mismatch.theirs}"
        )
    memory_at_end = peak_rss_mib()
    say(
        f"  memory    peak RSS {memory_with_loads:,.0f} MiB with the loads read; "
        f"{memory_after_ours:,.0f} MiB after GridCare's runs; {memory_at_end:,.0f} MiB after PySAM's "
        f"(loads frame {loads.estimated_size('mb'):,.0f} MB)"
    )
    summary = {
        "tariff": {"name": inputs.tariff.name, "file": inputs.urdb_path.name},
        "customers": loads.width,
        "steps": loads.height,
        "step_minutes": STEP_MINUTES,
        "start": START.isoformat(),
        "months": len(months),
        "gridcare": ours_timing.as_summary() | {"polars_threads": pl.thread_pool_size()},
        "pysam": pysam_timing.as_summary() | {"cores": 1},
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "check": {
            "bills_compared": len(compared),
            "amounts_compared": amounts,
            "mismatches": len(mismatches),
            "half_cent_ties": len(ties),
            "first_half_cent_ties": [vars(tie) for tie in ties[:10]],
            "first_mismatches": [
                {**vars(mismatch), "ours": str(mismatch.ours), "theirs": str(mismatch.theirs)}
                for mismatch in mismatches[:10]
            ],
        },
        "peak_rss_mib": {
            "loads_read": memory_with_loads,
            "after_gridcare": memory_after_ours,
            "after_pysam": memory_at_end,
        },
        "loads_frame_mb": round(loads.estimated_size("mb"), 1),
    }
    return BenchmarkResult(summary=summary, passed=not mismatches)


def _read_inputs(options: argparse.Namespace) -> _Inputs:
    if options.customers < 1 or options.pysam_customers < 1:
        raise BenchSetupError("--customers and --pysam-customers must be at least 1")
    data_dir = Path(options.data)
    urdb_path = options.urdb or data_file(data_dir=data_dir, relative=DEFAULT_URDB)
    if not urdb_path.is_file():
        raise BenchSetupError(f"URDB record not found: {urdb_path}")
    base_paths = [data_file(data_dir=data_dir, relative=relative) for relative in LOAD_FILES]
    urdb_text = urdb_path.read_text(encoding="utf-8")
    return _Inputs(
        urdb_path=urdb_path,
        tariff=parse_urdb(urdb_text),
        record=read_urdb_record(urdb_text),
        base_count=len(base_paths),
        loads=scaled_customers(
            base_loads=[read_base_load(path) for path in base_paths], count=options.customers
        ),
    )


def _bill_with_gridcare(
    *, tariff: UrdbTariff, loads: pl.DataFrame, repeat: int
) -> tuple[pl.DataFrame, _Timing]:
    bills: list[pl.DataFrame] = []

    def one_pass() -> None:
        bills[:] = [
            bill_interval_frame(tariff=tariff, loads_micro_kw=loads, start=START, step_minutes=STEP_MINUTES)
        ]

    best, times = best_of(repeat=repeat, action=one_pass)
    return bills[0], _Timing(bills=loads.width, seconds_best=best, seconds_all=times)


def _bill_with_pysam(
    *, record: dict[str, Any], loads: pl.DataFrame, customers: Sequence[str], repeat: int
) -> tuple[dict[str, dict[str, tuple[float, ...]]], _Timing]:
    # Imported here: PySAM is installed by `make bench` only (the `bench` dependency group).
    from bench.pysam_utilityrate import PysamBiller

    # PySAM takes kW as floats: µkW ÷ 1e6 is the double nearest each exact decimal load. Made
    # before the clock starts, as the model is: PySAM is timed at its fastest.
    load_kw = {name: (loads[name] / MICRO_KW_PER_KW).to_list() for name in customers}
    biller = PysamBiller(record=record)
    outputs: dict[str, dict[str, tuple[float, ...]]] = {}

    def one_at_a_time() -> None:
        for name in customers:
            outputs[name] = biller.bill(load_kw=load_kw[name])

    best, times = best_of(repeat=repeat, action=one_at_a_time)
    return outputs, _Timing(bills=len(customers), seconds_best=best, seconds_all=times)


def _met(ratio: float) -> str:
    return "met" if ratio >= TARGET_RATIO else "NOT met"


BENCHMARK = Benchmark(
    name="interval",
    description="interval billing of scaled real loads on a real URDB tariff: GridCare vs PySAM, to the cent",
    add_arguments=add_arguments,
    run=run,
)
