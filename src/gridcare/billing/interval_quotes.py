"""``gridcare quote interval``: a load series (or a batch of them) billed on an OpenEI URDB tariff.

Reads the URDB file and the load, calls the interval engines (the scalar reference for one
series, the vectorized engine for a batch) and writes the bill as JSON (docs/urdb.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import TextIOBase
from pathlib import Path
from typing import Any

import polars as pl

from gridcare.billing.engine.interval_reference import LOAD_DECIMALS, IntervalBill, bill_interval_reference
from gridcare.billing.engine.interval_vectorized import AMOUNT_COLUMNS, bill_interval_frame, to_micro_kw
from gridcare.billing.engine.urdb import UrdbTariff, parse_urdb
from gridcare.kit.errors import GridCareError

_LOAD_RESOLUTION = Decimal(1).scaleb(-LOAD_DECIMALS)


class IntervalQuoteInvalid(GridCareError):
    """An interval quote's input that cannot be read: the message names the option and the place."""

    code = "interval_quote_invalid"
    message_zh = "试算输入无效：{option}：{reason_zh}"
    message_en = "Invalid quote input: {option}: {reason_en}"


def add_interval_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``gridcare quote interval`` (docs/urdb.md)."""
    parser.add_argument(
        "--urdb", required=True, help="OpenEI URDB record, API response or REopt scenario (JSON)"
    )
    parser.add_argument(
        "--load",
        required=True,
        help="kW, one value a line; or CSV with a header row or Parquet, one column per customer",
    )
    parser.add_argument(
        "--start", required=True, help="local start of the first step, ISO 8601 (2018-01-01T00:00)"
    )
    parser.add_argument(
        "--step-minutes", required=True, type=int, help="minutes per load value (a divisor of 60)"
    )


def run_interval_quote(options: Mapping[str, Any], stdout: TextIOBase) -> None:
    """Bill the load named in ``options`` on the URDB tariff and write the JSON bill to ``stdout``.

    Raises a GridCareError subclass naming the field for any invalid input.
    """
    tariff = _read_tariff(Path(options["urdb"]))
    start = _read_start(str(options["start"]))
    step_minutes = int(options["step_minutes"])
    load_path = Path(options["load"])
    series = _read_single_series(load_path)
    result: dict[str, Any]
    if series is not None:
        bill = bill_interval_reference(tariff=tariff, load_kw=series, start=start, step_minutes=step_minutes)
        result = _bill_json(bill)
    else:
        bills = bill_interval_frame(
            tariff=tariff,
            loads_micro_kw=_read_customer_columns(load_path),
            start=start,
            step_minutes=step_minutes,
        )
        result = {"customers": _bill_frame_json(bills)}
    stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


def _bill_json(bill: IntervalBill) -> dict[str, Any]:
    return {
        "months": [
            {
                "month": month.month,
                "energy": f"{month.energy:.2f}",
                "demand_flat": f"{month.demand_flat:.2f}",
                "demand_tou": f"{month.demand_tou:.2f}",
                "fixed": f"{month.fixed:.2f}",
                "minimum": f"{month.minimum:.2f}",
                "total": f"{month.total:.2f}",
            }
            for month in bill.months
        ],
        "total": f"{bill.total:.2f}",
    }


def _bill_frame_json(bills: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """The bills of a bill frame (integer fen) as :func:`_bill_json` writes them, by customer."""
    by_customer: dict[str, dict[str, Any]] = {}
    texts = bills.with_columns(_fen_text(pl.col(column)).alias(column) for column in AMOUNT_COLUMNS)
    for row in texts.iter_rows(named=True):
        customer = row.pop("customer")
        by_customer.setdefault(customer, {"months": [], "total": None})["months"].append(row)
    totals = bills.group_by("customer", maintain_order=True).agg(
        _fen_text(pl.col("total").sum()).alias("total")
    )
    for customer, total in totals.iter_rows():
        by_customer[customer]["total"] = total
    return by_customer


def _fen_text(fen: pl.Expr) -> pl.Expr:
    """Whole fen as yuan with two decimals (``-1234`` → ``"-12.34"``), exactly, as text."""
    magnitude = fen.abs()
    return pl.concat_str(
        pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def _read_tariff(path: Path) -> UrdbTariff:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise IntervalQuoteInvalid(
            field="urdb",
            option="--urdb",
            reason_zh=f"无法读取 {path}",
            reason_en=f"cannot read {path}: {error}",
        ) from error
    return parse_urdb(text)


def _read_start(text: str) -> datetime:
    try:
        start = datetime.fromisoformat(text)
    except ValueError as error:
        raise IntervalQuoteInvalid(
            field="start",
            option="--start",
            reason_zh=f"“{text}”不是 ISO 日期时间",
            reason_en=f'"{text}" is not an ISO date-time',
        ) from error
    if start.tzinfo is not None:
        raise IntervalQuoteInvalid(
            field="start",
            option="--start",
            reason_zh="请给出不带时区偏移的当地时间（按真实日历，无夏令时）",
            reason_en="give a local time without an offset (the calendar has no daylight saving)",
        )
    return start


def _kw(text: str, where: str) -> Decimal:
    """The kW written in ``text``, rounded half up to 1e-6 kW (finer digits are float noise)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise IntervalQuoteInvalid(
            field="load",
            option="--load",
            reason_zh=f"{where}：“{text}”不是数字",
            reason_en=f'{where}: "{text}" is not a number',
        )
    return value.quantize(_LOAD_RESOLUTION, rounding=ROUND_HALF_UP)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise IntervalQuoteInvalid(
            field="load",
            option="--load",
            reason_zh=f"无法读取 {path}",
            reason_en=f"cannot read {path}: {error}",
        ) from error


def _read_single_series(path: Path) -> list[Decimal] | None:
    """The series of a one-value-per-line file; None for a Parquet file or a CSV with a header row."""
    if path.suffix.lower() == ".parquet":
        return None
    lines = _read_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise IntervalQuoteInvalid(
            field="load", option="--load", reason_zh="文件为空", reason_en="the file is empty"
        )
    try:
        Decimal(lines[0].strip())
    except InvalidOperation:
        return None  # a header row: one column per customer
    return [_kw(line, f"line {number}") for number, line in enumerate(lines, start=1)]


def _read_customer_columns(path: Path) -> pl.DataFrame:
    """One int µkW column per customer, from a Parquet file or a CSV with a header row; values are
    read through their text, so a float column gives its shortest decimal (0.1 stays 0.1)."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise IntervalQuoteInvalid(
            field="load",
            option="--load",
            reason_zh=f"无法读取 {path}",
            reason_en=f"cannot read {path}: {error}",
        ) from error
    return pl.DataFrame([_micro_kw_column(frame[name].cast(pl.String)) for name in frame.columns])


# Plain decimals "123.4567…": what load files hold; anything else takes the Decimal path.
_PLAIN_DECIMAL = r"^(\d{1,12})(?:\.(\d*))?$"


def micro_kw_from_text(texts: pl.Series) -> pl.Series | None:
    """Plain decimal kW texts as int µkW rounded half up (the 7th decimal decides), in Polars;
    None if any text is not a plain non-negative decimal of at most 12 integer digits."""
    parts = texts.str.strip_chars().str.extract_groups(_PLAIN_DECIMAL)
    whole = parts.struct.field("1").cast(pl.Int64)
    if whole.null_count():
        return None
    seventh = parts.struct.field("2").fill_null("").str.pad_end(7, "0").str.slice(0, 7).cast(pl.Int64)
    return (whole * 1_000_000 + seventh // 10 + (seventh % 10 >= 5).cast(pl.Int64)).alias(texts.name)


def _micro_kw_column(texts: pl.Series) -> pl.Series:
    """A column of kW texts as int µkW: fast for plain decimals, else value by value through
    Decimal (exponents, signs), whose errors name the column and row."""
    fast = micro_kw_from_text(texts)
    if fast is not None:
        return fast
    values = [
        to_micro_kw(_kw("" if text is None else text, f"column {texts.name}, row {row}"))
        for row, text in enumerate(texts, start=1)
    ]
    return pl.Series(texts.name, values, dtype=pl.Int64)
