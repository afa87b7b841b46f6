"""Usage for billing from the stored reads: which reads open and close a period, meter exchanges,
estimates for missing reads, interval reads split by the tariff's schedule.

Reads the metering tables in a fixed number of queries for any number of accounts and hands
the arithmetic to the pure :mod:`gridcare.billing.engine.usage`. Rules and sources:
docs/billing.md, "Usage from reads".

WARNING: issued bills depend on these results; never change how reads are chosen for periods
already billed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.db.models import Q, QuerySet

from gridcare.billing.engine.schedule import kwh_by_period
from gridcare.billing.engine.tariff import TariffDocument
from gridcare.billing.engine.usage import (
    AccountUsage,
    ActualPeriod,
    ChildRelation,
    EstimatedRead,
    MeterSpan,
    PointMeasurement,
    ReadReference,
    RegisterAdvance,
    TransformerLossParameters,
    UsageFlag,
    accounts_usage,
    estimate_advances,
    history_start,
)
from gridcare.customers.models import Account
from gridcare.kit.clock import local_date, local_midnight
from gridcare.kit.energy import quantize_energy
from gridcare.metering.intervals import missing_count, unpack_day
from gridcare.metering.models import (
    IntervalQuantity,
    IntervalReadDay,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    ReadStatus,
)
from gridcare.metering.registers import (
    billed_energy,
    dial_capacity,
    is_rolled_over,
    is_suspicious_rollover,
    register_advance,
)
from gridcare.metering.rules import REGISTER_NAMES
from gridcare.organization.lookups import among

#: Reads a period may open or close on: actual and estimated ones, never those held as suspect.
USABLE_READ_STATUSES = (ReadStatus.VALID, ReadStatus.ESTIMATED)
#: The registers that accumulate energy (maximum demand is a level, not an accumulation).
ENERGY_REGISTERS = tuple(name for name in REGISTER_NAMES if name != "maximum_demand_kw")


# --- system scope -------------------------------------------------------------------------------
# A bill run is a system process with no acting user: the runner picked ``accounts`` through its
# own org-scoped selection (the run's OrgUnit). These functions read only what belongs to those
# accounts' metering points, so the scope is exactly the accounts handed in.


def _system_scope_metering_points(*, account_ids: Sequence[int]) -> list[_PointRow]:
    """The metering points of the accounts, and the sub-meters deducted from them (which may
    belong to other accounts), by id.

    Two indexed queries rather than one with an OR across the parent join, which PostgreSQL can
    only answer by scanning every metering point."""
    own = list(
        MeteringPoint.objects.filter(among(field="account_id", ids=account_ids)).values_list(*_POINT_COLUMNS)
    )
    own_ids = {row[0] for row in own}
    children = MeteringPoint.objects.filter(
        among(field="parent_id", ids=own_ids), child_relation=ChildRelation.SUBTRACT
    ).values_list(*_POINT_COLUMNS)
    rows = own + [row for row in children if row[0] not in own_ids]
    return sorted((_PointRow(*row) for row in rows), key=lambda point: point.pk)


def _system_scope_installations(
    *, point_ids: Sequence[int], since: datetime, until: datetime
) -> list[_InstallationRow]:
    rows = (
        MeterInstallation.objects.filter(
            among(field="metering_point_id", ids=point_ids), installed_at__lt=until
        )
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gte=since))
        .order_by("metering_point_id", "installed_at")
        .values_list(*_INSTALLATION_COLUMNS, *_METER_COLUMNS)
    )
    return [
        _InstallationRow(
            metering_point_id=point,
            meter_id=meter,
            installed_at=installed,
            removed_at=removed,
            install_read_id=install_read,
            removal_read_id=removal_read,
            meter=_MeterRow(pk=meter, asset_no=asset_no, integer_digits=digits, has_time_of_use=tou),
        )
        for point, meter, installed, removed, install_read, removal_read, asset_no, digits, tou in rows
    ]


def _system_scope_reads(*, point_ids: Sequence[int], since: datetime, until: datetime) -> list[_ReadRow]:
    rows = (
        MeterRead.objects.filter(
            among(field="metering_point_id", ids=point_ids), read_at__gte=since, read_at__lt=until
        )
        .order_by("metering_point_id", "read_at", "id")
        .values_list(*_READ_COLUMNS, *REGISTER_NAMES)
    )
    return [
        _ReadRow(
            pk=row[0],
            metering_point_id=row[1],
            read_at=row[2],
            meter_id=row[3],
            status=row[4],
            local_day=local_date(row[2]),
            registers=dict(zip(REGISTER_NAMES, row[len(_READ_COLUMNS) :], strict=True)),
        )
        for row in rows
    ]


# --- light rows ----------------------------------------------------------------------------------
# What the calculation reads of meters, installations and reads, as plain rows: a partition
# loads thousands of them, and a Django model instance costs ten times a row to build.


@dataclass(frozen=True, slots=True)
class _PointRow:
    pk: int
    code: str
    account_id: int
    parent_id: int | None
    child_relation: str
    multiplier: int
    line_loss_percent: Decimal
    metering_arrangement: str
    transformer_capacity_kva: Decimal | None
    transformer_no_load_loss_kw: Decimal | None
    transformer_load_loss_kw: Decimal | None


_POINT_COLUMNS = tuple(field.name for field in fields(_PointRow))


@dataclass(frozen=True, slots=True)
class _MeterRow:
    pk: int
    asset_no: str
    integer_digits: int
    has_time_of_use: bool


_METER_COLUMNS = ("meter__asset_no", "meter__integer_digits", "meter__has_time_of_use")


@dataclass(frozen=True, slots=True)
class _InstallationRow:
    metering_point_id: int
    meter_id: int
    installed_at: datetime
    removed_at: datetime | None
    install_read_id: int | None
    removal_read_id: int | None
    meter: _MeterRow


_INSTALLATION_COLUMNS = (
    "metering_point_id",
    "meter_id",
    "installed_at",
    "removed_at",
    "install_read_id",
    "removal_read_id",
)


@dataclass(frozen=True, slots=True)
class _ReadRow:
    pk: int
    metering_point_id: int
    read_at: datetime
    meter_id: int
    status: str
    #: The read's Asia/Shanghai business date.
    local_day: date
    #: Every register by name, None where the meter keeps none.
    registers: dict[str, Decimal | None]


_READ_COLUMNS = ("id", "metering_point_id", "read_at", "meter_id", "status")


def _system_scope_interval_days(
    *, point_ids: Sequence[int], start: date, end: date
) -> QuerySet[IntervalReadDay]:
    return IntervalReadDay.objects.filter(
        among(field="metering_point_id", ids=point_ids),
        quantity=IntervalQuantity.ENERGY_KWH,
        read_date__gte=start,
        read_date__lt=end,
    ).order_by("metering_point_id", "read_date")


# --- loading ------------------------------------------------------------------------------------


def load_account_usage(
    *,
    accounts: Sequence[Account],
    period_start: date,
    period_end: date,
    tariffs: Mapping[int, TariffDocument] | None = None,
) -> dict[int, AccountUsage]:
    """The usage of each account for ``[period_start, period_end)`` (Asia/Shanghai dates), by
    account id, in at most five queries however many accounts there are.

    ``tariffs`` (account id → its tariff document) keys the energy as the tariff needs it and
    lets interval reads split a point's kWh by the tariff's schedule. The reads rules, windows,
    flags and formulas: docs/billing.md, "Usage from reads".
    """
    if period_end <= period_start:
        raise ValueError(f"a period ends after it starts: [{period_start}, {period_end})")
    account_ids = [account.pk for account in accounts]
    tariffs = tariffs or {}
    points = _system_scope_metering_points(account_ids=account_ids)
    point_ids = [point.pk for point in points]
    since = local_midnight(history_start(estimate_start=period_start))
    until = local_midnight(period_end + timedelta(days=1))
    installations: defaultdict[int, list[_InstallationRow]] = defaultdict(list)
    reads: defaultdict[int, list[_ReadRow]] = defaultdict(list)
    if points:
        for installation in _system_scope_installations(point_ids=point_ids, since=since, until=until):
            installations[installation.metering_point_id].append(installation)
        for read in _system_scope_reads(point_ids=point_ids, since=since, until=until):
            reads[read.metering_point_id].append(read)
    period = _Period(start=period_start, end=period_end, window_days=settings.GRIDCARE_READ_WINDOW_DAYS)
    measured = {
        point.pk: _measure_point(
            point=point, installations=installations[point.pk], reads=reads[point.pk], period=period
        )
        for point in points
    }
    _split_by_intervals(points=points, measured=measured, tariffs=tariffs, period=period)
    return accounts_usage(
        account_ids=account_ids,
        measurements=[measurement.measurement for measurement in measured.values()],
        period_hours=Decimal((period_end - period_start).days * 24),
        tariff_periods={account_id: tariff.energy.periods for account_id, tariff in tariffs.items()},
        estimated_reads=[m.estimated_read for m in measured.values() if m.estimated_read is not None],
    )


@dataclass(frozen=True, kw_only=True)
class _Period:
    start: date
    end: date
    window_days: int


@dataclass(kw_only=True)
class _Measured:
    measurement: PointMeasurement
    estimated_read: EstimatedRead | None = None
    #: Whether every meter on the point in the period lacks time-of-use registers.
    without_tou_registers: bool = True


def _reference(read: _ReadRow) -> ReadReference:
    return ReadReference(
        read_id=read.pk,
        read_at=read.read_at,
        status=read.status,
        registers={name: value for name, value in read.registers.items() if value is not None},
    )


def _measure_point(
    *, point: _PointRow, installations: list[_InstallationRow], reads: list[_ReadRow], period: _Period
) -> _Measured:
    flags: set[UsageFlag] = set()
    usable = [read for read in reads if read.status in USABLE_READ_STATUSES]
    if any(
        read.status == ReadStatus.SUSPECT and period.start < read.local_day <= period.end for read in reads
    ):
        flags.add(UsageFlag.SUSPECT_READ)
    opening = _opening_read(usable=usable, installations=installations, period=period)
    closing = _closing_read(usable=usable, opening=opening, installations=installations, period=period)
    meters = {installation.meter_id: installation.meter for installation in installations}
    estimated_read: EstimatedRead | None = None
    spans: tuple[MeterSpan, ...] = ()
    if opening is not None and closing is None:
        estimated_read = _estimated_closing(
            point=point, opening=opening, installations=installations, usable=usable, period=period
        )
        if estimated_read is not None:
            flags.add(UsageFlag.ESTIMATED)
    closing_end = _closing_end(closing=closing, estimated_read=estimated_read)
    if opening is None or closing_end is None:
        flags.add(UsageFlag.MISSING_READ)
    else:
        closing_reference, closing_meter_id = closing_end
        spans, span_missing = _spans(
            point=point,
            opening=opening,
            closing=closing_reference,
            closing_meter_id=closing_meter_id,
            installations=installations,
            meters=meters,
            reads_by_id={read.pk: read for read in reads},
        )
        if span_missing:
            flags.add(UsageFlag.MISSING_READ)
    transformer = None
    if (
        point.metering_arrangement == MeteringArrangement.HV_SUPPLY_LV_METERING
        and point.transformer_capacity_kva
    ):
        transformer = TransformerLossParameters(
            capacity_kva=point.transformer_capacity_kva,
            no_load_loss_kw=point.transformer_no_load_loss_kw or Decimal(0),
            load_loss_kw=point.transformer_load_loss_kw or Decimal(0),
        )
    measurement = PointMeasurement(
        metering_point_id=point.pk,
        code=point.code,
        account_id=point.account_id,
        parent_id=point.parent_id,
        relation=ChildRelation(point.child_relation) if point.child_relation else None,
        multiplier=point.multiplier,
        spans=spans,
        line_loss_percent=point.line_loss_percent,
        transformer=transformer,
        flags=frozenset(flags),
    )
    span_meters = [meters[span.meter_id] for span in spans if span.meter_id in meters]
    return _Measured(
        measurement=measurement,
        estimated_read=estimated_read,
        without_tou_registers=not any(meter.has_time_of_use for meter in span_meters),
    )


def _closing_end(
    *, closing: _ReadRow | None, estimated_read: EstimatedRead | None
) -> tuple[ReadReference, int] | None:
    """The read closing the period and its meter: the actual one, else the estimate, else None."""
    if closing is not None:
        return _reference(closing), closing.meter_id
    if estimated_read is not None:
        reference = ReadReference(
            read_id=None,
            read_at=estimated_read.read_at,
            status=ReadStatus.ESTIMATED,
            registers=estimated_read.registers,
        )
        return reference, estimated_read.meter_id
    return None


def _opening_read(
    *, usable: list[_ReadRow], installations: list[_InstallationRow], period: _Period
) -> _ReadRow | None:
    """The last usable read dated on or before the period's first day; for a point first
    connected within the period, its meter's install read."""
    before = [read for read in usable if read.local_day <= period.start]
    if before:
        return before[-1]
    install_read_ids = {installation.install_read_id for installation in installations}
    return next(
        (
            read
            for read in usable
            if read.pk in install_read_ids and period.start < read.local_day < period.end
        ),
        None,
    )


def _closing_read(
    *,
    usable: list[_ReadRow],
    opening: _ReadRow | None,
    installations: list[_InstallationRow],
    period: _Period,
) -> _ReadRow | None:
    """The last usable read dated within the closing window ``[end − window, end]`` and after the
    opening read; for a point whose last meter was removed within the period (no meter since),
    that removal read."""
    if opening is None:
        return None
    window_start = period.end - timedelta(days=period.window_days)
    in_window = [
        read
        for read in usable
        if window_start <= read.local_day <= period.end and read.read_at > opening.read_at
    ]
    if in_window:
        return in_window[-1]
    last = installations[-1] if installations else None
    if last is not None and last.removed_at is not None and last.removal_read_id is not None:
        return next(
            (read for read in usable if read.pk == last.removal_read_id and read.read_at > opening.read_at),
            None,
        )
    return None


def _advances(
    *, opening: ReadReference, closing: ReadReference, meter: _MeterRow, multiplier: int
) -> tuple[RegisterAdvance, ...]:
    advances = []
    for register in ENERGY_REGISTERS:
        previous, current = opening.registers.get(register), closing.registers.get(register)
        if previous is None or current is None:
            continue
        backwards = is_suspicious_rollover(
            previous=previous, current=current, integer_digits=meter.integer_digits
        )
        if backwards and opening.status == ReadStatus.ESTIMATED:
            # The actual read fell short of the estimate before it: give the over-estimate back.
            advance = current - previous
            advances.append(
                RegisterAdvance(
                    register=register,
                    opening=previous,
                    closing=current,
                    advance=advance,
                    energy=-billed_energy(advance=-advance, multiplier=multiplier),
                    estimate_reversed=True,
                )
            )
            continue
        advance = register_advance(previous=previous, current=current, integer_digits=meter.integer_digits)
        advances.append(
            RegisterAdvance(
                register=register,
                opening=previous,
                closing=current,
                advance=advance,
                energy=billed_energy(advance=advance, multiplier=multiplier),
                rolled_over=is_rolled_over(previous=previous, current=current),
                backwards=backwards,
            )
        )
    return tuple(advances)


def _spans(
    *,
    point: _PointRow,
    opening: _ReadRow,
    closing: ReadReference,
    closing_meter_id: int,
    installations: list[_InstallationRow],
    meters: Mapping[int, _MeterRow],
    reads_by_id: Mapping[int, _ReadRow],
) -> tuple[tuple[MeterSpan, ...], bool]:
    """One span per meter on the point between the opening and closing reads: the old meter up
    to its removal read, the new one from its install read (换表). True when a span lacks a read."""
    spans: list[MeterSpan] = []
    missing = False
    relevant = [
        installation
        for installation in installations
        if installation.installed_at <= closing.read_at
        and (installation.removed_at is None or installation.removed_at >= opening.read_at)
    ]
    for installation in relevant:
        start: ReadReference | None
        if installation.meter_id == opening.meter_id and opening.read_at >= installation.installed_at:
            start = _reference(opening)
        else:
            start = _installation_read(installation.install_read_id, reads_by_id)
        if installation.meter_id == closing_meter_id and (
            installation.removed_at is None or closing.read_at <= installation.removed_at
        ):
            end: ReadReference | None = closing
        else:
            end = _installation_read(installation.removal_read_id, reads_by_id)
        if start is None or end is None:
            missing = True
            continue
        if end.read_at <= start.read_at:
            continue
        meter = meters[installation.meter_id]
        closing_demand = end.registers.get("maximum_demand_kw")
        spans.append(
            MeterSpan(
                meter_id=meter.pk,
                meter_asset_no=meter.asset_no,
                opening=start,
                closing=end,
                multiplier=point.multiplier,
                registers=_advances(opening=start, closing=end, meter=meter, multiplier=point.multiplier),
                maximum_demand_kw=None if closing_demand is None else closing_demand * point.multiplier,
            )
        )
    return tuple(spans), missing


def _installation_read(read_id: int | None, reads_by_id: Mapping[int, _ReadRow]) -> ReadReference | None:
    """The install or removal read ``read_id`` (one of the point's reads, loaded with the others)."""
    read = reads_by_id.get(read_id) if read_id is not None else None
    return None if read is None else _reference(read)


def _estimated_closing(
    *,
    point: _PointRow,
    opening: _ReadRow,
    installations: list[_InstallationRow],
    usable: list[_ReadRow],
    period: _Period,
) -> EstimatedRead | None:
    """The closing read estimated from the history of the meter in place at the period's end, or
    None when it has no actual period in the last 12 months (or no meter is in place).

    The estimate runs from the meter's latest usable read in the period (the opening read, or
    the install read of a meter exchanged in, or a read taken since but before the closing
    window) to the period's end.
    """
    current = next((i for i in reversed(installations) if i.removed_at is None), None)
    if current is None:
        return None
    meter = current.meter
    base = (
        opening
        if opening.meter_id == meter.pk
        else next((read for read in usable if read.pk == current.install_read_id), None)
    )
    if base is None:
        return None
    start = [read for read in usable if read.meter_id == meter.pk and read.read_at >= base.read_at][-1]
    actual = [read for read in usable if read.meter_id == meter.pk and read.status == ReadStatus.VALID]
    history = [
        ActualPeriod(
            start_date=previous.local_day,
            end_date=following.local_day,
            advances=_history_advances(previous=previous, following=following, meter=meter),
        )
        for previous, following in pairwise(actual)
    ]
    advances = estimate_advances(history=history, estimate_start=start.local_day, estimate_end=period.end)
    if advances is None:
        return None
    capacity = dial_capacity(integer_digits=meter.integer_digits)
    registers = {
        register: quantize_energy((start_value + advance) % capacity)
        for register, advance in advances.items()
        if (start_value := start.registers[register]) is not None
    }
    return EstimatedRead(
        meter_id=meter.pk, metering_point_id=point.pk, read_at=local_midnight(period.end), registers=registers
    )


def _history_advances(*, previous: _ReadRow, following: _ReadRow, meter: _MeterRow) -> dict[str, Decimal]:
    advances = {}
    for register in ENERGY_REGISTERS:
        before, after = previous.registers[register], following.registers[register]
        if before is None or after is None:
            continue
        if is_suspicious_rollover(previous=before, current=after, integer_digits=meter.integer_digits):
            continue
        advances[register] = register_advance(
            previous=before, current=after, integer_digits=meter.integer_digits
        )
    return advances


# --- interval reads -----------------------------------------------------------------------------


def _split_by_intervals(
    *,
    points: list[_PointRow],
    measured: dict[int, _Measured],
    tariffs: Mapping[int, TariffDocument],
    period: _Period,
) -> None:
    """Give interval shares to points whose meters keep no time-of-use registers, whose account's
    tariff has several periods and whose interval kWh cover every interval of the period."""
    candidates = {
        point.pk: tariffs[point.account_id]
        for point in points
        if point.account_id in tariffs
        and tariffs[point.account_id].schedule is not None
        and len(tariffs[point.account_id].energy.periods) > 1
        and measured[point.pk].measurement.spans
        and measured[point.pk].without_tou_registers
    }
    if not candidates:
        return
    days_by_point: defaultdict[int, list[IntervalReadDay]] = defaultdict(list)
    for day in _system_scope_interval_days(point_ids=list(candidates), start=period.start, end=period.end):
        days_by_point[day.metering_point_id].append(day)
    wanted_days = (period.end - period.start).days
    for point_id, tariff in candidates.items():
        days = days_by_point[point_id]
        if len(days) != wanted_days or any(
            missing_count(interval_minutes=day.interval_minutes, missing=bytes(day.missing)) for day in days
        ):
            continue
        schedule = tariff.schedule
        if schedule is None:
            continue
        totals: defaultdict[str, Decimal] = defaultdict(Decimal)
        for day in days:
            values = unpack_day(
                interval_minutes=day.interval_minutes, values=bytes(day.values), missing=bytes(day.missing)
            )
            by_period = kwh_by_period(
                schedule=schedule,
                start=local_midnight(day.read_date),
                step_minutes=day.interval_minutes,
                kwh=[value or Decimal(0) for value in values],
            )
            for name, kwh in by_period.items():
                totals[name] += kwh
        measured[point_id].measurement = replace(
            measured[point_id].measurement,
            interval_kwh={name: totals[name] for name in tariff.energy.periods},
        )


__all__ = ["ENERGY_REGISTERS", "USABLE_READ_STATUSES", "load_account_usage"]
