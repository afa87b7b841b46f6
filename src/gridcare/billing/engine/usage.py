"""Usage for billing from register reads: losses, sub-meters (主分表), time-of-use registers,
estimates and the aggregation of an account's metering points, with an explanation per point.

Pure: no Django, no database, no clock. The Django side (``gridcare.billing.usage``) chooses the
reads, turns them into register advances (``gridcare.metering.registers``) and hands them here
as :class:`MeterSpan` values; everything below is arithmetic on those.

WARNING: issued bills depend on these results; never change how usage is computed for periods
already billed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from gridcare.billing.engine.reference import TOTAL, allocate_proportionally
from gridcare.kit.decimals import quantize_half_up
from gridcare.kit.energy import ENERGY_SCALE

#: Losses and shares of losses are kept to this, the billing engine's finest kWh (milli-kWh).
LOSS_SCALE = Decimal("0.001")
#: Register names of the time-of-use registers, by the period they count ("平" is the remainder).
TOU_REGISTERS: Mapping[str, str] = {
    "sharp": "import_active_sharp",
    "peak": "import_active_peak",
    "valley": "import_active_valley",
}
FLAT_PERIOD = "flat"
TOTAL_REGISTER = "import_active_total"
REACTIVE_FORWARD_REGISTER = "reactive_import_total"
REACTIVE_REVERSE_REGISTER = "reactive_export_total"
#: How far back an estimate looks for actual periods.
ESTIMATE_HISTORY_MONTHS = 12

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class UsageFlag(StrEnum):
    """Why a bill's usage deserves a reviewer's look (量费审核)."""

    ESTIMATED = "estimated"
    MISSING_READ = "missing_read"
    BACKWARDS_READ = "backwards_read"
    ROLLOVER = "rollover"
    METER_EXCHANGE = "meter_exchange"
    ZERO_USAGE = "zero_usage"
    SUSPECT_READ = "suspect_read"
    SUB_METER_EXCEEDS_PARENT = "sub_meter_exceeds_parent"
    #: The actual read is below the estimated read it follows: the over-estimate is given back.
    ESTIMATE_REVERSED = "estimate_reversed"
    #: The tariff has time-of-use periods but the usage could not be split into them.
    PERIODS_UNAVAILABLE = "periods_unavailable"


class ChildRelation(StrEnum):
    """How a child metering point's energy relates to its parent's (mirrors metering's choices)."""

    SUBTRACT = "subtract"
    INFORMATIONAL = "informational"


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReadReference:
    """One read used for usage, as a bill explains it: ``read_id`` is None for a read estimated
    in this computation (not stored yet)."""

    read_id: int | None
    read_at: datetime
    status: str
    registers: Mapping[str, Decimal]


@dataclass(frozen=True, kw_only=True)
class RegisterAdvance:
    """One register's advance over a span: dial readings, dial advance and energy (× multiplier).

    ``energy`` is negative only when an actual read falls below the estimated read it follows
    (``estimate_reversed``): the true-up gives the over-estimated energy back.
    """

    register: str
    opening: Decimal
    closing: Decimal
    advance: Decimal
    energy: Decimal
    rolled_over: bool = False
    backwards: bool = False
    estimate_reversed: bool = False


@dataclass(frozen=True, kw_only=True)
class MeterSpan:
    """One meter's part of a metering point's period: from ``opening`` to ``closing`` read."""

    meter_id: int
    meter_asset_no: str
    opening: ReadReference
    closing: ReadReference
    multiplier: int
    registers: tuple[RegisterAdvance, ...]
    #: The closing read's maximum demand × multiplier (kW), None when the meter keeps none.
    maximum_demand_kw: Decimal | None = None

    def energy_of(self, register: str) -> Decimal | None:
        """The span's energy on ``register``, None when the register was not read at both ends."""
        return next((item.energy for item in self.registers if item.register == register), None)


@dataclass(frozen=True, kw_only=True)
class TransformerLossParameters:
    """A 高供低计 point's transformer: rated capacity (kVA), no-load and load (short-circuit) loss (kW)."""

    capacity_kva: Decimal
    no_load_loss_kw: Decimal
    load_loss_kw: Decimal


@dataclass(frozen=True, kw_only=True)
class PointMeasurement:
    """What the reads say about one metering point over the period, ready for losses and deductions.

    ``spans`` is empty when the reads are missing and could not be estimated. ``interval_kwh``
    (period → kWh) is set when interval reads cover the whole period and split it by the
    tariff's schedule; the register total is then shared in those proportions.
    """

    metering_point_id: int
    code: str
    account_id: int
    parent_id: int | None = None
    relation: ChildRelation | None = None
    multiplier: int = 1
    spans: tuple[MeterSpan, ...] = ()
    interval_kwh: Mapping[str, Decimal] | None = None
    line_loss_percent: Decimal = _ZERO
    transformer: TransformerLossParameters | None = None
    flags: frozenset[UsageFlag] = frozenset()


# --- outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Deduction:
    """A sub-meter's energy deducted from its parent: ``requested`` is the child's energy,
    ``applied`` what the parent could give (never more than the parent's energy)."""

    child_code: str
    period: str
    requested_kwh: Decimal
    applied_kwh: Decimal


@dataclass(frozen=True, kw_only=True)
class PointExplanation:
    """How one metering point's usage came about, for the bill's explanation."""

    metering_point_id: int
    code: str
    multiplier: int
    spans: tuple[MeterSpan, ...]
    metered_kwh: Mapping[str, Decimal]
    line_loss_kwh: Decimal
    transformer_loss_kwh: Decimal
    deductions: tuple[Deduction, ...]
    energy_kwh: Mapping[str, Decimal]
    #: Whether the point's energy counts in its account's usage (an informational child's does not).
    counted: bool
    flags: frozenset[UsageFlag]


@dataclass(frozen=True, kw_only=True)
class EstimatedRead:
    """A closing read estimated because the actual one is missing; the bill runner stores it as
    an estimated MeterRead, so the next actual read trues the estimate up."""

    meter_id: int
    metering_point_id: int
    read_at: datetime
    registers: Mapping[str, Decimal]


@dataclass(frozen=True, kw_only=True)
class AccountUsage:
    """An account's usage for one period, ready for the billing engine."""

    account_id: int
    #: kWh by period name, or ``{"total": kWh}``; exact to 0.001 kWh.
    energy_kwh: Mapping[str, Decimal]
    reactive_forward_kvarh: Decimal
    reactive_reverse_kvarh: Decimal
    max_demand_kw: Decimal | None
    flags: frozenset[UsageFlag]
    points: tuple[PointExplanation, ...]
    estimated_reads: tuple[EstimatedRead, ...] = ()

    @property
    def total_kwh(self) -> Decimal:
        """The kWh of all periods."""
        return sum(self.energy_kwh.values(), _ZERO)


# --- losses -------------------------------------------------------------------------------------


def line_loss(*, metered_kwh: Decimal, line_loss_percent: Decimal) -> Decimal:
    """Line loss (线损) in kWh: metered kWh × percent / 100, rounded half up to 0.001 kWh."""
    return quantize_half_up(metered_kwh * line_loss_percent / _HUNDRED, scale=LOSS_SCALE)


def transformer_loss(
    *, transformer: TransformerLossParameters, active_kwh: Decimal, reactive_kvarh: Decimal, hours: Decimal
) -> Decimal:
    """Active transformer loss (变损) of a 高供低计 point over ``hours``, in kWh, rounded half up
    to 0.001 kWh:

        ΔA = P0 × T + Pk × (A² + Q²) / (Se² × T)

    P0 no-load loss (kW), Pk load loss (kW), Se capacity (kVA), A active kWh and Q reactive kvarh
    metered in the period, T the period's hours. It is the iron loss for every hour plus the copper
    loss at the period's mean apparent load √(A² + Q²)/T relative to Se, squared: the mean-load
    method of DL/T 686《电力网电能损耗计算导则》 with a load shape factor of 1, as supply companies
    apply it to 高供低计 customers (the metering sits on the low side, so the transformer's own loss
    is added to the metered energy). See docs/billing.md "Usage from reads".
    """
    if hours <= 0:
        raise ValueError(f"a period has positive hours, not {hours}")
    if transformer.capacity_kva <= 0:
        raise ValueError(f"a transformer has a positive capacity, not {transformer.capacity_kva}")
    iron = transformer.no_load_loss_kw * hours
    copper = (
        transformer.load_loss_kw
        * (active_kwh * active_kwh + reactive_kvarh * reactive_kvarh)
        / (transformer.capacity_kva * transformer.capacity_kva * hours)
    )
    return quantize_half_up(iron + copper, scale=LOSS_SCALE)


# --- periods ------------------------------------------------------------------------------------


def tou_energy(*, total_kwh: Decimal, registers_kwh: Mapping[str, Decimal]) -> dict[str, Decimal] | None:
    """kWh by period from time-of-use registers (period → kWh for sharp, peak, valley as read);
    flat is the remainder, 平 = 总 − 尖 − 峰 − 谷, so the periods always add to the total.

    None when the read periods exceed the total (a register misread): usage then stays unsplit.
    """
    periods = {period: kwh for period, kwh in registers_kwh.items() if period != FLAT_PERIOD}
    flat = total_kwh - sum(periods.values(), _ZERO)
    if flat < 0:
        return None
    return {**periods, FLAT_PERIOD: flat}


def share_by_weight(*, amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` (a whole number of 0.001 kWh) shared across the periods of ``weights`` in
    proportion, by the engine's largest-remainder allocation, so the shares add up exactly; with
    all weights zero everything goes to the first period."""
    periods = list(weights)
    if not any(weights.values()):
        return {period: (amount if index == 0 else _ZERO) for index, period in enumerate(periods)}
    shares = allocate_proportionally(amount=amount, weights=list(weights.values()), unit=LOSS_SCALE)
    return dict(zip(periods, shares, strict=True))


# --- estimates ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ActualPeriod:
    """An actual (not estimated) stretch of history: dial advance per register between two actual reads."""

    start_date: date
    end_date: date
    advances: Mapping[str, Decimal]


def history_start(*, estimate_start: date) -> date:
    """The first date an estimate's history may start on: :data:`ESTIMATE_HISTORY_MONTHS` before
    (the same day a year earlier; 29 February goes back to 28 February)."""
    years = ESTIMATE_HISTORY_MONTHS // 12
    try:
        return estimate_start.replace(year=estimate_start.year - years)
    except ValueError:
        return estimate_start.replace(year=estimate_start.year - years, day=28)


def estimate_advances(
    *, history: Sequence[ActualPeriod], estimate_start: date, estimate_end: date
) -> dict[str, Decimal] | None:
    """Dial advance per register for ``[estimate_start, estimate_end)``: the average daily
    advance of the actual periods that start within the last 12 months and end by
    ``estimate_start`` × the days to estimate, rounded half up to 0.01 (a dial reading).

    None when there is no such period (no history: the read stays missing, nothing is estimated).
    A register is estimated only if every period used advanced it.
    """
    earliest = history_start(estimate_start=estimate_start)
    usable = [
        period
        for period in history
        if period.start_date >= earliest
        and period.end_date <= estimate_start
        and period.end_date > period.start_date
    ]
    if not usable:
        return None
    days = Decimal(sum((period.end_date - period.start_date).days for period in usable))
    wanted = Decimal((estimate_end - estimate_start).days)
    registers = set.intersection(*(set(period.advances) for period in usable))
    return {
        register: quantize_half_up(
            sum((period.advances[register] for period in usable), _ZERO) * wanted / days, scale=ENERGY_SCALE
        )
        for register in sorted(registers)
    }


# --- points and accounts ------------------------------------------------------------------------


@dataclass(kw_only=True)
class _PointEnergy:
    measurement: PointMeasurement
    metered: dict[str, Decimal]
    line_loss_kwh: Decimal = _ZERO
    transformer_loss_kwh: Decimal = _ZERO
    energy: dict[str, Decimal] = field(default_factory=dict)
    deductions: list[Deduction] = field(default_factory=list)
    flags: set[UsageFlag] = field(default_factory=set)


def _sum_register(spans: Sequence[MeterSpan], register: str) -> Decimal | None:
    values = [span.energy_of(register) for span in spans]
    if not values or any(value is None for value in values):
        return None
    return sum((value for value in values if value is not None), _ZERO)


def metered_energy(*, measurement: PointMeasurement) -> tuple[dict[str, Decimal], set[UsageFlag]]:
    """The point's metered kWh (before losses and deductions) by period when its registers or
    intervals split it, else ``{"total": kWh}``; and the flags the split raised. Empty when no
    span was read."""
    spans = measurement.spans
    total = _sum_register(spans, TOTAL_REGISTER)
    if total is None:
        return {}, set()
    if measurement.interval_kwh:
        shares = share_by_weight(amount=total, weights=measurement.interval_kwh)
        return shares, set()
    read_periods = {period: _sum_register(spans, register) for period, register in TOU_REGISTERS.items()}
    present = {period: kwh for period, kwh in read_periods.items() if kwh is not None}
    if not present:
        return {TOTAL: total}, set()
    split = tou_energy(total_kwh=total, registers_kwh=present)
    if split is None:
        return {TOTAL: total}, {UsageFlag.SUSPECT_READ}
    return split, set()


def _with_losses(point: _PointEnergy, *, hours: Decimal) -> None:
    measurement = point.measurement
    active = sum(point.metered.values(), _ZERO)
    point.line_loss_kwh = line_loss(metered_kwh=active, line_loss_percent=measurement.line_loss_percent)
    if measurement.transformer is not None:
        reactive = sum(
            (
                value
                for value in (
                    _sum_register(measurement.spans, REACTIVE_FORWARD_REGISTER),
                    _sum_register(measurement.spans, REACTIVE_REVERSE_REGISTER),
                )
                if value is not None
            ),
            _ZERO,
        )
        point.transformer_loss_kwh = transformer_loss(
            transformer=measurement.transformer, active_kwh=active, reactive_kvarh=reactive, hours=hours
        )
    losses = point.line_loss_kwh + point.transformer_loss_kwh
    if not point.metered:
        point.energy = {}
        return
    shares = (
        share_by_weight(amount=losses, weights=point.metered)
        if losses
        else dict.fromkeys(point.metered, _ZERO)
    )
    point.energy = {period: kwh + shares[period] for period, kwh in point.metered.items()}


def _deduct(parent: _PointEnergy, child: _PointEnergy) -> None:
    """Take the child's metered energy off the parent: per period when both are split the same
    way; a child split otherwise (or not at all) in proportion to the parent's periods; off the
    total when the parent has no split; never below zero."""
    child_metered = child.metered
    if UsageFlag.MISSING_READ in child.flags:
        # The parent's energy still holds the child's: billing it would overcharge.
        parent.flags.add(UsageFlag.MISSING_READ)
    if UsageFlag.ESTIMATED in child.flags:
        # The deduction is estimated, so the parent's usage is too.
        parent.flags.add(UsageFlag.ESTIMATED)
    if not child_metered or not parent.energy:
        return
    if TOTAL in parent.energy:
        child_metered = {TOTAL: sum(child_metered.values(), _ZERO)}
    elif set(child_metered) != set(parent.energy):
        # A sub-meter without the parent's time-of-use split (most 分表 have a total register
        # only): its kWh come off the parent's periods in proportion to the parent's energy in
        # each, so the parent keeps the split its time-of-use tariff needs.
        child_metered = share_by_weight(amount=sum(child_metered.values(), _ZERO), weights=parent.energy)
    for period, requested in child_metered.items():
        available = parent.energy[period]
        applied = min(requested, available)
        if requested > available:
            parent.flags.add(UsageFlag.SUB_METER_EXCEEDS_PARENT)
        parent.energy[period] = available - applied
        parent.deductions.append(
            Deduction(
                child_code=child.measurement.code,
                period=period,
                requested_kwh=requested,
                applied_kwh=applied,
            )
        )


def _span_flags(measurement: PointMeasurement) -> set[UsageFlag]:
    flags = set(measurement.flags)
    if len(measurement.spans) > 1:
        flags.add(UsageFlag.METER_EXCHANGE)
    for span in measurement.spans:
        for advance in span.registers:
            if advance.backwards:
                flags.add(UsageFlag.BACKWARDS_READ)
            elif advance.rolled_over:
                flags.add(UsageFlag.ROLLOVER)
            if advance.estimate_reversed:
                flags.add(UsageFlag.ESTIMATE_REVERSED)
    return flags


def _shaped(
    energy: Mapping[str, Decimal], tariff_periods: Sequence[str] | None
) -> tuple[dict[str, Decimal], set[UsageFlag]]:
    """The usage keyed as the tariff needs it: ``{"total": …}`` for a single-period tariff; for a
    time-of-use tariff its periods (absent ones 0, zero periods it lacks dropped)."""
    if tariff_periods is None:
        return dict(energy), set()
    if len(tariff_periods) == 1:
        return {TOTAL: sum(energy.values(), _ZERO)}, set()
    if TOTAL in energy:
        return dict(energy), {UsageFlag.PERIODS_UNAVAILABLE}
    extra = {period for period, kwh in energy.items() if period not in tariff_periods and kwh != 0}
    if extra:
        return dict(energy), {UsageFlag.PERIODS_UNAVAILABLE}
    return {period: energy.get(period, _ZERO) for period in tariff_periods}, set()


def _combined(energies: Sequence[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """An account's energy from its counted points': summed per period when they are split the
    same way. A point with a total only (a 分表 on the account, a meter without time-of-use
    registers) shares the account's periods in proportion to the split points' kWh (定比), so a
    time-of-use account keeps its split; points split differently, or a negative total, give
    the total only."""
    if not energies:
        return {}
    split = [energy for energy in energies if TOTAL not in energy]
    total_only = [energy[TOTAL] for energy in energies if TOTAL in energy]
    everything = {TOTAL: sum((sum(energy.values(), _ZERO) for energy in energies), _ZERO)}
    if not split or any(set(energy) != set(split[0]) for energy in split):
        return everything
    combined = {period: sum((energy[period] for energy in split), _ZERO) for period in split[0]}
    rest = sum(total_only, _ZERO)
    if rest < 0 or any(kwh < 0 for kwh in combined.values()):
        return everything
    if total_only:
        shares = share_by_weight(amount=rest, weights=combined)
        combined = {period: kwh + shares[period] for period, kwh in combined.items()}
    return combined


def accounts_usage(
    *,
    account_ids: Sequence[int],
    measurements: Sequence[PointMeasurement],
    period_hours: Decimal,
    tariff_periods: Mapping[int, Sequence[str]] | None = None,
    estimated_reads: Sequence[EstimatedRead] = (),
) -> dict[int, AccountUsage]:
    """The usage of each account in ``account_ids`` (an account without a measured point has
    no usage and is flagged ``missing_read``).

    Per point: metered kWh (:func:`metered_energy`) + line loss + transformer loss (shared over
    the periods in proportion), minus the metered kWh of its ``subtract`` children (which may
    belong to other accounts). An account's usage sums its points' energy, except informational
    children (already inside their parent). Reactive energy and maximum demand sum over the
    account's points that have no parent (each incoming line's demand counts; a child's energy
    is inside its parent's). ``tariff_periods`` (account → its tariff's period names) keys the
    energy as the tariff needs it. ``estimated_reads`` are handed back on their accounts.
    """
    points: dict[int, _PointEnergy] = {}
    for measurement in measurements:
        metered, split_flags = metered_energy(measurement=measurement)
        point = _PointEnergy(
            measurement=measurement, metered=metered, flags=_span_flags(measurement) | split_flags
        )
        _with_losses(point, hours=period_hours)
        points[measurement.metering_point_id] = point
    for point in points.values():
        measurement = point.measurement
        if measurement.relation == ChildRelation.SUBTRACT and measurement.parent_id in points:
            _deduct(points[measurement.parent_id], point)

    by_account: defaultdict[int, list[_PointEnergy]] = defaultdict(list)
    for point in points.values():
        by_account[point.measurement.account_id].append(point)
    estimates_by_point: defaultdict[int, list[EstimatedRead]] = defaultdict(list)
    for estimate in estimated_reads:
        estimates_by_point[estimate.metering_point_id].append(estimate)
    return {
        account_id: _account_usage(
            account_id=account_id,
            points=sorted(by_account.get(account_id, []), key=lambda point: point.measurement.code),
            tariff_periods=(tariff_periods or {}).get(account_id),
            estimates_by_point=estimates_by_point,
        )
        for account_id in account_ids
    }


def _account_usage(
    *,
    account_id: int,
    points: Sequence[_PointEnergy],
    tariff_periods: Sequence[str] | None,
    estimates_by_point: Mapping[int, Sequence[EstimatedRead]],
) -> AccountUsage:
    flags: set[UsageFlag] = set()
    forward = reverse = _ZERO
    demands: list[Decimal] = []
    explanations: list[PointExplanation] = []
    estimates: list[EstimatedRead] = []
    counted_energies: list[Mapping[str, Decimal]] = []
    for point in points:
        measurement = point.measurement
        counted = measurement.relation != ChildRelation.INFORMATIONAL
        if counted and point.energy:
            counted_energies.append(point.energy)
        flags |= point.flags
        estimates.extend(estimates_by_point.get(measurement.metering_point_id, ()))
        if measurement.parent_id is None:
            forward += _sum_register(measurement.spans, REACTIVE_FORWARD_REGISTER) or _ZERO
            reverse += _sum_register(measurement.spans, REACTIVE_REVERSE_REGISTER) or _ZERO
            point_demands = [
                span.maximum_demand_kw for span in measurement.spans if span.maximum_demand_kw is not None
            ]
            if point_demands:
                demands.append(max(point_demands))
        explanations.append(
            PointExplanation(
                metering_point_id=measurement.metering_point_id,
                code=measurement.code,
                multiplier=measurement.multiplier,
                spans=measurement.spans,
                metered_kwh=dict(point.metered),
                line_loss_kwh=point.line_loss_kwh,
                transformer_loss_kwh=point.transformer_loss_kwh,
                deductions=tuple(point.deductions),
                energy_kwh=dict(point.energy),
                counted=counted,
                flags=frozenset(point.flags),
            )
        )
    if not points:
        flags.add(UsageFlag.MISSING_READ)
    energy = _combined(counted_energies)
    shaped, shape_flags = _shaped(energy or {TOTAL: _ZERO}, tariff_periods)
    flags |= shape_flags
    if UsageFlag.MISSING_READ not in flags and sum(shaped.values(), _ZERO) == 0:
        flags.add(UsageFlag.ZERO_USAGE)
    return AccountUsage(
        account_id=account_id,
        energy_kwh=shaped,
        reactive_forward_kvarh=forward,
        reactive_reverse_kvarh=reverse,
        max_demand_kw=sum(demands, _ZERO) if demands else None,
        flags=frozenset(flags),
        points=tuple(explanations),
        estimated_reads=tuple(estimates),
    )


__all__ = [
    "ESTIMATE_HISTORY_MONTHS",
    "FLAT_PERIOD",
    "LOSS_SCALE",
    "TOTAL",
    "TOU_REGISTERS",
    "AccountUsage",
    "ActualPeriod",
    "ChildRelation",
    "Deduction",
    "EstimatedRead",
    "MeterSpan",
    "PointExplanation",
    "PointMeasurement",
    "ReadReference",
    "RegisterAdvance",
    "TransformerLossParameters",
    "UsageFlag",
    "accounts_usage",
    "estimate_advances",
    "history_start",
    "line_loss",
    "metered_energy",
    "share_by_weight",
    "tou_energy",
    "transformer_loss",
]
