"""OpenEI URDB tariff records, parsed into immutable Decimal data (docs/urdb.md).

Accepts a single record, an API response ``{"items": [record]}``, a REopt scenario holding a
record under ``ElectricTariff.urdb_response``, or a JSON string holding any of these (OpenEI
downloads are sometimes a JSON document encoded once more as a JSON string). Features the
interval engines cannot bill exactly raise :class:`UnsupportedUrdbFeature` naming the field:
nothing in a record is ignored silently except descriptive metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gridcare.kit.errors import GridCareError

#: Energy tier limit units: per month, per day of the month, per kW of the month's peak demand.
ENERGY_UNITS = ("kWh", "kWh daily", "kWh/kW")
#: Tier limits and loads are exact to this many decimals (1e-6 kWh or kW), rates to RATE_DECIMALS.
LIMIT_DECIMALS = 6
RATE_DECIMALS = 9

# Fields that change the bill in ways these engines do not model: refused, never dropped.
_UNSUPPORTED_FIELDS = (
    "demandratchetpercentage",
    "coincidentratestructure",
    "coincidentrateschedule",
    "lookbackmonths",
    "lookbackpercent",
    "lookbackrange",
    "demandreactivepowercharge",
    "fueladjustmentsmonthly",
)


# A record must have at least one of these, or it is no tariff (an empty bill would pass silently).
_BILLING_FIELDS = (
    "energyratestructure",
    "demandratestructure",
    "flatdemandstructure",
    "fixedchargefirstmeter",
    "fixedmonthlycharge",
    "mincharge",
    "minmonthlycharge",
    "annualmincharge",
)


class UrdbInvalid(GridCareError):
    """A URDB record that is malformed: the message names the field path."""

    code = "urdb_invalid"
    message_zh = "URDB 费率记录无效：字段 {path}：{reason}"
    message_en = "Invalid URDB tariff record: field {path}: {reason}"


class UnsupportedUrdbFeature(GridCareError):
    """A URDB feature the interval engines do not bill: the message names the field."""

    code = "urdb_unsupported"
    message_zh = "不支持 URDB 费率的该项功能：字段 {path}：{reason}"
    message_en = "Unsupported URDB tariff feature: field {path}: {reason}"


@dataclass(frozen=True)
class Tier:
    """One tier: up to the cumulative ``limit`` (None: open) at ``rate`` (+ adj): $/kWh of energy
    (limit in the period's unit) or $/kW of demand (limit in kW)."""

    limit: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class EnergyPeriod:
    """An energy period's tiers, all limits in one ``unit`` (one of :data:`ENERGY_UNITS`)."""

    unit: str
    tiers: tuple[Tier, ...]


Schedule = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class UrdbTariff:
    """A URDB tariff as the interval engines bill it; schedules: 12 months × 24 hours of 0-based periods."""

    name: str
    energy_periods: tuple[EnergyPeriod, ...]
    energy_weekday: Schedule
    energy_weekend: Schedule
    demand_periods: tuple[tuple[Tier, ...], ...]
    demand_weekday: Schedule
    demand_weekend: Schedule
    flat_demand_tables: tuple[tuple[Tier, ...], ...]
    flat_demand_months: tuple[int, ...]
    fixed_charge: Decimal
    fixed_charge_per_day: bool
    monthly_minimum: Decimal
    monthly_minimum_per_day: bool
    annual_minimum: Decimal


def parse_urdb(data: object) -> UrdbTariff:
    """The tariff in ``data`` (a record, an API response, a REopt scenario, or JSON text of one)."""
    return _parse_record(_find_record(_decode(data)))


def _decode(data: object) -> object:
    # An OpenEI download may be JSON text whose value is itself JSON text: decode until it is not.
    for _ in range(3):
        if not isinstance(data, str):
            return data
        try:
            data = json.loads(data, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise UrdbInvalid(
                path="(document)", reason=f"not JSON: {error.msg} at char {error.pos}"
            ) from error
    raise UrdbInvalid(path="(document)", reason="JSON text nested more than twice")


def _find_record(data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UrdbInvalid(path="(document)", reason="expected a JSON object")
    if "items" in data:
        items = data["items"]
        if not isinstance(items, list) or len(items) != 1:
            count = len(items) if isinstance(items, list) else "no list"
            raise UrdbInvalid(path="items", reason=f"expected exactly one record, found {count}")
        return _find_record(items[0])
    if "ElectricTariff" in data:
        record = (
            data["ElectricTariff"].get("urdb_response")
            if isinstance(data["ElectricTariff"], Mapping)
            else None
        )
        if not isinstance(record, Mapping):
            raise UrdbInvalid(
                path="ElectricTariff.urdb_response", reason="expected the URDB record (a JSON object)"
            )
        return record
    if not any(field in data for field in _BILLING_FIELDS):
        raise UrdbInvalid(
            path="(record)", reason=f"no rates: expected at least one of {', '.join(_BILLING_FIELDS)}"
        )
    return data


def _parse_record(record: Mapping[str, Any]) -> UrdbTariff:
    for field in _UNSUPPORTED_FIELDS:
        if _is_set(record.get(field)):
            raise UnsupportedUrdbFeature(path=field, reason="not modelled by the interval engines")
    for field in ("demandunits", "flatdemandunit", "demandrateunit"):
        if record.get(field) not in (None, "", "kW"):
            raise UnsupportedUrdbFeature(path=field, reason=f"demand in {record[field]!r}; only kW is billed")

    energy_periods = tuple(
        _energy_period(period, f"energyratestructure[{index}]")
        for index, period in enumerate(_list(record.get("energyratestructure", []), "energyratestructure"))
    )
    demand_periods = tuple(
        _demand_tiers(period, f"demandratestructure[{index}]")
        for index, period in enumerate(_list(record.get("demandratestructure", []), "demandratestructure"))
    )
    flat_tables = tuple(
        _demand_tiers(table, f"flatdemandstructure[{index}]")
        for index, table in enumerate(_list(record.get("flatdemandstructure", []), "flatdemandstructure"))
    )
    fixed, fixed_per_day = _fixed_charge(record)
    monthly_minimum, monthly_per_day, annual_minimum = _minimums(record)
    return UrdbTariff(
        name=str(record.get("name") or record.get("label") or ""),
        energy_periods=energy_periods,
        energy_weekday=_schedule(record, "energyweekdayschedule", len(energy_periods)),
        energy_weekend=_schedule(record, "energyweekendschedule", len(energy_periods)),
        demand_periods=demand_periods,
        demand_weekday=_schedule(record, "demandweekdayschedule", len(demand_periods)),
        demand_weekend=_schedule(record, "demandweekendschedule", len(demand_periods)),
        flat_demand_tables=flat_tables,
        flat_demand_months=_flat_demand_months(record, len(flat_tables)),
        fixed_charge=fixed,
        fixed_charge_per_day=fixed_per_day,
        monthly_minimum=monthly_minimum,
        monthly_minimum_per_day=monthly_per_day,
        annual_minimum=annual_minimum,
    )


def _is_set(value: object) -> bool:
    """Whether an unsupported field carries anything that would change a bill (zeros do not)."""
    if value is None or value == "" or value is False:
        return False
    if isinstance(value, Mapping):
        return any(_is_set(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_is_set(item) for item in value)
    if isinstance(value, int | float | Decimal):
        return value != 0
    return True


def _list(value: object, path: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise UrdbInvalid(path=path, reason="expected a list")
    return value


def _number(value: object, path: str, *, decimals: int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise UrdbInvalid(path=path, reason=f"expected a number, got {value!r}")
    try:
        # repr of a float is its shortest round-trip text: 0.1 stays 0.1.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as error:
        raise UrdbInvalid(path=path, reason=f"expected a number, got {value!r}") from error
    if not number.is_finite():
        raise UrdbInvalid(path=path, reason=f"expected a finite number, got {value!r}")
    if number != number.quantize(Decimal(1).scaleb(-decimals)):
        raise UrdbInvalid(path=path, reason=f"{number} has more than {decimals} decimals")
    return number


def _tier_limit(tier: Mapping[str, Any], path: str) -> Decimal | None:
    if tier.get("max") is None:
        return None
    limit = _number(tier["max"], f"{path}.max", decimals=LIMIT_DECIMALS)
    if limit <= 0:
        raise UrdbInvalid(path=f"{path}.max", reason="must be positive")
    return limit


def _tier_rate(tier: Mapping[str, Any], path: str) -> Decimal:
    if _is_set(tier.get("sell")):
        raise UnsupportedUrdbFeature(path=f"{path}.sell", reason="sell rates need net metering")
    rate = _number(tier.get("rate", 0), f"{path}.rate", decimals=RATE_DECIMALS)
    return rate + _number(tier.get("adj", 0), f"{path}.adj", decimals=RATE_DECIMALS)


def _tiers(value: object, path: str) -> list[tuple[Mapping[str, Any], str]]:
    tiers = _list(value, path)
    if not tiers:
        raise UrdbInvalid(path=path, reason="a period needs at least one tier")
    entries = []
    for index, tier in enumerate(tiers):
        if not isinstance(tier, Mapping):
            raise UrdbInvalid(path=f"{path}[{index}]", reason="expected an object")
        entries.append((tier, f"{path}[{index}]"))
    return entries


def _check_limits(limits: Sequence[Decimal | None], path: str) -> None:
    """Every tier but the last has a limit, the limits increase, and the last tier is open."""
    previous = Decimal(0)
    for index, limit in enumerate(limits[:-1]):
        if limit is None:
            raise UrdbInvalid(path=f"{path}[{index}].max", reason="only the last tier may be unlimited")
        if limit <= previous:
            raise UrdbInvalid(path=f"{path}[{index}].max", reason="tier limits must increase")
        previous = limit
    if limits[-1] is not None:
        # SAM bills nothing above a last tier's max: a quote that drops usage silently is refused.
        raise UnsupportedUrdbFeature(
            path=f"{path}[{len(limits) - 1}].max",
            reason="the last tier has a limit (SAM would bill nothing above it); remove it to bill "
            "everything above at the last tier's rate",
        )


def _energy_unit(tier: Mapping[str, Any], path: str) -> str:
    """The tier's limit unit as spelt in :data:`ENERGY_UNITS` (URDB data varies the case)."""
    written = str(tier.get("unit", "kWh"))
    for unit in ENERGY_UNITS:
        if written.lower() == unit.lower():
            return unit
    raise UnsupportedUrdbFeature(path=f"{path}.unit", reason=f"unit {written!r}; supported: {ENERGY_UNITS}")


def _energy_period(value: object, path: str) -> EnergyPeriod:
    entries = _tiers(value, path)
    units = {_energy_unit(tier, tier_path) for tier, tier_path in entries}
    if len(units) > 1:
        raise UnsupportedUrdbFeature(path=path, reason=f"tiers mix units {sorted(units)}")
    tiers = tuple(Tier(limit=_tier_limit(tier, p), rate=_tier_rate(tier, p)) for tier, p in entries)
    _check_limits([tier.limit for tier in tiers], path)
    return EnergyPeriod(unit=units.pop(), tiers=tiers)


def _demand_tiers(value: object, path: str) -> tuple[Tier, ...]:
    entries = _tiers(value, path)
    for tier, tier_path in entries:
        if str(tier.get("unit", "kW")).lower() != "kw":
            raise UnsupportedUrdbFeature(
                path=f"{tier_path}.unit", reason=f"demand in {tier['unit']!r}; only kW"
            )
    tiers = tuple(Tier(limit=_tier_limit(tier, p), rate=_tier_rate(tier, p)) for tier, p in entries)
    _check_limits([tier.limit for tier in tiers], path)
    return tiers


def _schedule(record: Mapping[str, Any], field: str, period_count: int) -> Schedule:
    if field not in record:
        if period_count:
            raise UrdbInvalid(path=field, reason="required when the rate structure has periods")
        return ()
    rows = _list(record[field], field)
    if len(rows) != 12:
        raise UrdbInvalid(path=field, reason=f"expected 12 months, found {len(rows)}")
    schedule = []
    for month, row in enumerate(rows):
        hours = _list(row, f"{field}[{month}]")
        if len(hours) != 24:
            raise UrdbInvalid(path=f"{field}[{month}]", reason=f"expected 24 hours, found {len(hours)}")
        for hour, period in enumerate(hours):
            if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period < period_count:
                raise UrdbInvalid(
                    path=f"{field}[{month}][{hour}]",
                    reason=f"period {period!r} is not an index of the {period_count} periods",
                )
        schedule.append(tuple(hours))
    return tuple(schedule)


def _flat_demand_months(record: Mapping[str, Any], table_count: int) -> tuple[int, ...]:
    if not table_count:
        return ()
    months = _list(record.get("flatdemandmonths"), "flatdemandmonths")
    if len(months) != 12:
        raise UrdbInvalid(path="flatdemandmonths", reason=f"expected 12 months, found {len(months)}")
    for month, table in enumerate(months):
        if isinstance(table, bool) or not isinstance(table, int) or not 0 <= table < table_count:
            raise UrdbInvalid(
                path=f"flatdemandmonths[{month}]",
                reason=f"{table!r} is not an index of the {table_count} tables",
            )
    return tuple(months)


def _fixed_charge(record: Mapping[str, Any]) -> tuple[Decimal, bool]:
    if record.get("fixedchargefirstmeter") is not None:
        amount = _number(record["fixedchargefirstmeter"], "fixedchargefirstmeter", decimals=RATE_DECIMALS)
        units = record.get("fixedchargeunits", "$/month")
        if units not in ("$/month", "$/day"):
            raise UnsupportedUrdbFeature(
                path="fixedchargeunits", reason=f"{units!r}; supported: $/month, $/day"
            )
        return amount, units == "$/day"
    if record.get("fixedmonthlycharge") is not None:
        return _number(record["fixedmonthlycharge"], "fixedmonthlycharge", decimals=RATE_DECIMALS), False
    return Decimal(0), False


def _minimums(record: Mapping[str, Any]) -> tuple[Decimal, bool, Decimal]:
    monthly, per_day, annual = Decimal(0), False, Decimal(0)
    if record.get("mincharge") is not None:
        amount = _number(record["mincharge"], "mincharge", decimals=RATE_DECIMALS)
        units = record.get("minchargeunits", "$/month")
        if units == "$/year":
            annual = amount
        elif units in ("$/month", "$/day"):
            monthly, per_day = amount, units == "$/day"
        else:
            raise UnsupportedUrdbFeature(
                path="minchargeunits", reason=f"{units!r}; supported: $/month, $/day, $/year"
            )
    if record.get("minmonthlycharge") is not None:
        if monthly:
            raise UrdbInvalid(path="minmonthlycharge", reason="a monthly minimum is also given by mincharge")
        monthly = _number(record["minmonthlycharge"], "minmonthlycharge", decimals=RATE_DECIMALS)
    if record.get("annualmincharge") is not None:
        if annual:
            raise UrdbInvalid(path="annualmincharge", reason="an annual minimum is also given by mincharge")
        annual = _number(record["annualmincharge"], "annualmincharge", decimals=RATE_DECIMALS)
    return monthly, per_day, annual
