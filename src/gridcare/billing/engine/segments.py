"""Tariff changes mid-period (issue 5 §2): a bill period split by days into one segment per
tariff version in force, and at 1 January where annual tiers reset (docs/billing.md, "Tariff
changes mid-period"; ADR 0007).

Each segment is an ordinary :class:`RegisterBillInput` for the days its version covers, so both
engines bill it unchanged. What is shared by days is shared by the largest-remainder method
(``reference.allocate_proportionally``: whole units, ties to the earlier segment), so the
segments add up exactly: the kWh of each period and the reactive kvarh (in 0.001), the monthly
tier thresholds and allowances and the 260 kWh/kVA discount threshold (0.001 kWh), the basic
charge's billable days (whole days), fixed and minimum monthly charges (fen). The maximum demand
is the period's in every segment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from types import MappingProxyType

import polars as pl

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import (
    Bill,
    BillLine,
    RegisterBillInput,
    allocate_proportionally,
    calculate_register_bill,
)
from gridcare.billing.engine.tariff import TariffDocument, TierBasis
from gridcare.billing.engine.vectorized import LINE_SCHEMA, register_bill_lines
from gridcare.kit.money import round_to_fen

#: The unit kWh and kvarh are shared in (finer if the value is finer).
KWH_UNIT = Decimal("0.001")
#: The unit monthly charges are shared in (finer if the charge is finer).
FEN = Decimal("0.01")
# The reference's fixed context: the shares never depend on the caller's decimal context.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class VersionSpan:
    """A tariff version and the days it is in force: ``[valid_from, valid_to)``, open-ended
    when ``valid_to`` is None."""

    version: str
    valid_from: date
    valid_to: date | None
    tariff: TariffDocument


@dataclass(frozen=True, kw_only=True)
class BillSegment:
    """The part of a bill one tariff version bills: its input and its number of days."""

    version: str
    days: int
    bill: RegisterBillInput


def split_by_tariff_versions(
    *, bill: RegisterBillInput, versions: Sequence[VersionSpan]
) -> list[BillSegment]:
    """``bill`` split into one segment per tariff version in force during its period, and at
    1 January where the version in force then has annual tiers. ``bill.tariff`` is not used:
    each segment bills its version's document. A period one version covers whole (and no
    1 January cut) gives one segment, the bill with that document. Raises BillInputInvalid
    (field ``tariff_versions``) if the versions do not cover every day of the period exactly
    once."""
    if bill.period_end <= bill.period_start:
        raise BillInputInvalid(
            field="period_end",
            reason_zh="结束日期（不含）必须晚于开始日期",
            reason_en="the (exclusive) end must be after the start",
        )
    pieces = _year_cuts(_version_pieces(bill, versions))
    if len(pieces) == 1:
        span, _, _ = pieces[0]
        return [
            BillSegment(
                version=span.version,
                days=(bill.period_end - bill.period_start).days,
                bill=replace(bill, tariff=span.tariff),
            )
        ]
    days = [Decimal((end - start).days) for _, start, end in pieces]
    energy = {name: _share(kwh, days, unit=KWH_UNIT) for name, kwh in bill.energy_kwh.items()}
    forward = (
        None
        if bill.reactive_kvarh_forward is None
        else _share(bill.reactive_kvarh_forward, days, unit=KWH_UNIT)
    )
    reverse = (
        None
        if bill.reactive_kvarh_reverse is None
        else _share(bill.reactive_kvarh_reverse, days, unit=KWH_UNIT)
    )
    segments = []
    kwh_by_year: dict[int, Decimal] = {bill.period_start.year: bill.tier_year_kwh_before}
    for index, (span, start, end) in enumerate(pieces):
        segment_energy = {name: shares[index] for name, shares in energy.items()}
        segments.append(
            BillSegment(
                version=span.version,
                days=int(days[index]),
                bill=replace(
                    bill,
                    tariff=_prorated_tariff(span.tariff, bill=bill, days=days, index=index),
                    period_start=start,
                    period_end=end,
                    energy_kwh=segment_energy,
                    reactive_kvarh_forward=None if forward is None else forward[index],
                    reactive_kvarh_reverse=None if reverse is None else reverse[index],
                    # The kWh of the tier year so far: before the bill, then the earlier segments.
                    tier_year_kwh_before=kwh_by_year.get(start.year, Decimal(0)),
                    days_used=_billable_days(span.tariff, bill=bill, days=days, index=index),
                ),
            )
        )
        kwh_by_year[start.year] = kwh_by_year.get(start.year, Decimal(0)) + sum(
            segment_energy.values(), Decimal(0)
        )
    return segments


def calculate_segmented_bill(*, segments: Sequence[BillSegment]) -> Bill:
    """One bill of ``segments`` (billed by the reference, in order): each line's inputs also
    name its ``tariff_version`` and ``segment_days``; the total is the sum of the lines."""
    lines = [
        replace(
            line,
            inputs=MappingProxyType(
                {**line.inputs, "tariff_version": segment.version, "segment_days": str(segment.days)}
            ),
        )
        for segment in segments
        for line in calculate_register_bill(bill=segment.bill).lines
    ]
    return Bill(lines=tuple(lines), total=_total(lines))


def segmented_bill_lines(*, segmented: Sequence[Sequence[BillSegment]]) -> pl.DataFrame:
    """The lines of many segmented bills in one vectorized batch (every segment a row of the
    batch): the lines frame's columns (``bill`` indexes ``segmented``, ``position`` runs over
    the bill's segments in order) plus ``segment`` (its index in the bill) and
    ``tariff_version``; the inputs carry ``tariff_version`` and ``segment_days`` as
    :func:`calculate_segmented_bill`'s do."""
    flat = [segment for segments in segmented for segment in segments]
    rows: list[tuple[int, int, int, str, str]] = []
    for bill_index, segments in enumerate(segmented):
        for segment_index, segment in enumerate(segments):
            tail = f', "tariff_version": {json.dumps(segment.version)}, "segment_days": "{segment.days}"}}'
            rows.append((len(rows), bill_index, segment_index, segment.version, tail))
    mapping = pl.DataFrame(
        rows,
        schema={
            "row": pl.Int64,
            "bill": pl.Int64,
            "segment": pl.Int64,
            "tariff_version": pl.String,
            "inputs_tail": pl.String,
        },
        orient="row",
    )
    lines = register_bill_lines(bills=[segment.bill for segment in flat]).rename({"bill": "row"})
    # A non-empty explanation gains ", …}" before its brace; an empty one "{" + the keys.
    inputs = (
        pl.when(pl.col("inputs") == "{}")
        .then(pl.concat_str(pl.lit("{"), pl.col("inputs_tail").str.strip_prefix(", ")))
        .otherwise(pl.concat_str(pl.col("inputs").str.strip_suffix("}"), pl.col("inputs_tail")))
    )
    return (
        lines.join(mapping, on="row")
        .with_columns(inputs=inputs)
        .sort(["bill", "segment", "position"])
        .with_columns(position=pl.int_range(pl.len()).over("bill"))
        .select(*LINE_SCHEMA, "segment", "tariff_version")
    )


def _version_pieces(
    bill: RegisterBillInput, versions: Sequence[VersionSpan]
) -> list[tuple[VersionSpan, date, date]]:
    """The versions' days within the period, in order; each day covered exactly once."""
    pieces = []
    cursor = bill.period_start
    for span in sorted(versions, key=lambda span: span.valid_from):
        start = max(span.valid_from, bill.period_start)
        end = bill.period_end if span.valid_to is None else min(span.valid_to, bill.period_end)
        if start >= end:
            continue
        if start != cursor:
            raise _coverage_error(cursor if start > cursor else start)
        pieces.append((span, start, end))
        cursor = end
    if cursor != bill.period_end:
        raise _coverage_error(cursor)
    return pieces


def _coverage_error(day: date) -> BillInputInvalid:
    return BillInputInvalid(
        field="tariff_versions",
        reason_zh=f"{day.isoformat()} 没有唯一的电价版本",
        reason_en=f"no single tariff version is in force on {day.isoformat()}",
    )


def _year_cuts(pieces: list[tuple[VersionSpan, date, date]]) -> list[tuple[VersionSpan, date, date]]:
    """The pieces cut at each 1 January inside them where their tariff has annual tiers."""
    cut = []
    for span, start, end in pieces:
        tiers = span.tariff.energy.tiers
        annual = tiers is not None and tiers.basis is TierBasis.ANNUAL
        while annual and date(start.year + 1, 1, 1) < end:
            cut.append((span, start, date(start.year + 1, 1, 1)))
            start = date(start.year + 1, 1, 1)
        cut.append((span, start, end))
    return cut


def _share(amount: Decimal, days: Sequence[Decimal], *, unit: Decimal) -> tuple[Decimal, ...]:
    """``amount`` shared by days in whole ``unit``s (or finer, as finely as ``amount`` is
    written), by the largest remainder; the sign kept (reverse kvarh may be negative)."""
    exponent = amount.normalize().as_tuple().exponent
    finest = min(unit, Decimal(1).scaleb(exponent)) if isinstance(exponent, int) else unit
    with localcontext(_CONTEXT):
        shares = allocate_proportionally(amount=abs(amount), weights=days, unit=finest)
    return shares if amount >= 0 else tuple(-share for share in shares)


def _prorated_tariff(
    tariff: TariffDocument, *, bill: RegisterBillInput, days: Sequence[Decimal], index: int
) -> TariffDocument:
    """The version's document for segment ``index``: monthly quantities shared by days — the
    tier thresholds of a monthly or seasonal basis (the season of the bill's month) and their
    large-household allowance, the low-income free kWh, the high-load-factor kWh per kVA of
    the basic charge's discount, fixed and minimum charges. Annual
    thresholds count the tier year and are not shared. (Built by model_copy: a tiny segment's
    share may be 0, which the tariff schema would refuse but the engines bill correctly.)"""

    def part(value: Decimal, unit: Decimal) -> Decimal:
        return _share(value, days, unit=unit)[index]

    tiers = tariff.energy.tiers
    allowances = tariff.allowances
    update: dict[str, object] = {
        "fixed_charges": tuple(
            charge.model_copy(update={"amount_per_month": part(charge.amount_per_month, FEN)})
            for charge in tariff.fixed_charges
        ),
        "minimum_charge_per_month": part(tariff.minimum_charge_per_month, FEN),
    }
    allowance_update: dict[str, object] = {
        "low_income_free_kwh_per_month": part(allowances.low_income_free_kwh_per_month, KWH_UNIT)
    }
    if tiers is not None and tiers.basis is not TierBasis.ANNUAL:
        thresholds = tuple(
            part(bound, KWH_UNIT) for bound in tiers.thresholds_for(month=bill.period_start.month)
        )
        monthly = tiers.model_copy(
            update={"basis": TierBasis.MONTHLY, "thresholds_kwh": thresholds, "seasons": ()}
        )
        update["energy"] = tariff.energy.model_copy(update={"tiers": monthly})
        allowance_update["large_household_tier1_extra_kwh_per_month"] = part(
            allowances.large_household_tier1_extra_kwh_per_month, KWH_UNIT
        )
    update["allowances"] = allowances.model_copy(update=allowance_update)
    if tariff.basic_charge is not None:
        # 260 kWh per kVA is a month's kWh: a segment compares its kWh with its share of it.
        threshold = part(tariff.basic_charge.high_load_factor_kwh_per_kva, KWH_UNIT)
        update["basic_charge"] = tariff.basic_charge.model_copy(
            update={"high_load_factor_kwh_per_kva": threshold}
        )
    return tariff.model_copy(update=update)


def _billable_days(
    tariff: TariffDocument, *, bill: RegisterBillInput, days: Sequence[Decimal], index: int
) -> int | None:
    """The segment's days for the basic charge: the bill's billable days (its ``days_used``, or
    the divisor for a whole month) shared by days in whole days, so the segments' basic charges
    add up to the month's; never below one (a partial day counts as a day, Art. 84)."""
    rules = tariff.basic_charge
    if rules is None:
        return bill.days_used
    billable = Decimal(bill.days_used if bill.days_used is not None else rules.part_month_divisor)
    return max(int(_share(billable, days, unit=Decimal(1))[index]), 1)


def _total(lines: Sequence[BillLine]) -> Decimal:
    return round_to_fen(sum((line.amount for line in lines), Decimal(0)))


__all__ = [
    "BillSegment",
    "VersionSpan",
    "calculate_segmented_bill",
    "segmented_bill_lines",
    "split_by_tariff_versions",
]
