"""The tariff document: what one tariff version says, as validated, immutable data.

A tariff is data, not code (docs/tariffs.md). The catalog (``gridcare.tariffs``) stores each
version's document as JSON; this module is its schema (pydantic, exported as JSON Schema by
:func:`tariff_json_schema`) and is pure: the billing engine reads it without Django.

Prices are decimal strings (yuan per unit, any number of decimals); quantities of energy are
decimal strings of kWh. Hours are local (Asia/Shanghai) ``"HH:MM"``, ranges half-open
``[start, end)``, and a range may wrap midnight (``"22:00"`` to ``"08:00"``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_HOUR_MINUTE = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")

#: The period of a tariff without time-of-use prices.
FLAT_PERIOD = "flat"


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


PositiveDecimal = Annotated[Decimal, Field(gt=0)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]
Month = Annotated[int, Field(ge=1, le=12)]


class DayKind(StrEnum):
    """Which days a schedule rule covers. ``holiday`` is a statutory holiday of the China
    working-day calendar; ``working_day`` / ``rest_day`` follow that calendar (make-up working
    days included); ``weekday`` / ``weekend`` follow the week alone."""

    ALL = "all"
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    WORKING_DAY = "working_day"
    REST_DAY = "rest_day"
    HOLIDAY = "holiday"


class NamedDayType(_Document):
    """Days of a named type (e.g. ``critical_peak``): every day of ``months``, and ``dates``."""

    months: tuple[Month, ...] = ()
    dates: tuple[date, ...] = ()


class HourRange(_Document):
    """``[start, end)`` local time in ``period``; ``end`` before ``start`` wraps midnight."""

    start: str
    end: str
    period: str

    @field_validator("start", "end")
    @classmethod
    def _hour_minute(cls, value: str) -> str:
        if not _HOUR_MINUTE.match(value):
            raise ValueError("a time of day is written HH:MM, 00:00 to 24:00")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> HourRange:
        if self.start == self.end:
            raise ValueError("an hour range needs different start and end")
        return self


class ScheduleRule(_Document):
    """The periods of the hours of the days that match: ``months`` (all when empty), ``days`` —
    a :class:`DayKind` or the name of a day type. Rules are read in order; for each hour the
    first matching rule whose ranges cover it decides, so a critical-peak rule goes before the
    everyday rule it overrides."""

    months: tuple[Month, ...] = ()
    days: str = DayKind.ALL
    hours: tuple[HourRange, ...]


class TOUSchedule(_Document):
    """How the hours of the year map to the tariff's periods (used for interval reads; register
    reads arrive already split by period)."""

    day_types: dict[str, NamedDayType] = Field(default_factory=dict)
    rules: tuple[ScheduleRule, ...]
    #: The period of an hour no rule covers.
    default_period: str


class TierBasis(StrEnum):
    """What the tier thresholds count: the bill's kWh (``monthly``), the kWh of the calendar
    year's bills so far plus this one (``annual``), or monthly kWh with thresholds by season
    (``seasonal_monthly``)."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    SEASONAL_MONTHLY = "seasonal_monthly"


class SeasonThresholds(_Document):
    months: tuple[Month, ...]
    thresholds_kwh: tuple[PositiveDecimal, ...]


class Tiers(_Document):
    """Upper bounds of every tier but the last (kWh). Tier *n* holds the kWh above bound
    *n − 1* up to and including bound *n* (≤240 / 241–400 / >400 is ``["240", "400"]``)."""

    basis: TierBasis
    thresholds_kwh: tuple[PositiveDecimal, ...] = ()
    seasons: tuple[SeasonThresholds, ...] = ()

    @model_validator(mode="after")
    def _thresholds(self) -> Tiers:
        lists = [season.thresholds_kwh for season in self.seasons] if self.seasons else [self.thresholds_kwh]
        if self.basis is TierBasis.SEASONAL_MONTHLY and not self.seasons:
            raise ValueError("seasonal_monthly tiers need seasons")
        if self.basis is not TierBasis.SEASONAL_MONTHLY and self.seasons:
            raise ValueError("only seasonal_monthly tiers have seasons")
        if self.seasons:
            months = [month for season in self.seasons for month in season.months]
            if sorted(months) != list(range(1, 13)):
                raise ValueError("the seasons must cover each month exactly once")
            if len({len(thresholds) for thresholds in lists}) != 1:
                raise ValueError("every season needs the same number of tiers")
        for thresholds in lists:
            if list(thresholds) != sorted(set(thresholds)):
                raise ValueError("tier thresholds must increase")
        return self

    @property
    def count(self) -> int:
        """The number of tiers."""
        return len(self.seasons[0].thresholds_kwh if self.seasons else self.thresholds_kwh) + 1

    def thresholds_for(self, *, month: int) -> tuple[Decimal, ...]:
        """The thresholds that apply to a bill of ``month``."""
        if not self.seasons:
            return self.thresholds_kwh
        return next(season.thresholds_kwh for season in self.seasons if month in season.months)


class Energy(_Document):
    """Energy prices (yuan/kWh): per period, one price per tier (``prices``), or one base price
    per period plus an uplift per tier (``base_prices`` + ``tier_uplifts``)."""

    periods: tuple[str, ...]
    tiers: Tiers | None = None
    prices: dict[str, tuple[NonNegativeDecimal, ...]] = Field(default_factory=dict)
    base_prices: dict[str, NonNegativeDecimal] = Field(default_factory=dict)
    tier_uplifts: tuple[NonNegativeDecimal, ...] = ()

    @model_validator(mode="after")
    def _prices(self) -> Energy:
        tier_count = self.tiers.count if self.tiers else 1
        if len(set(self.periods)) != len(self.periods) or not self.periods:
            raise ValueError("periods must be distinct names, at least one")
        if bool(self.prices) == bool(self.base_prices):
            raise ValueError("give either prices or base_prices with tier_uplifts")
        named = self.prices or self.base_prices
        if set(named) != set(self.periods):
            raise ValueError(f"prices must name exactly the periods {list(self.periods)}")
        if self.prices:
            for period, prices in self.prices.items():
                if len(prices) != tier_count:
                    raise ValueError(f"period {period} needs {tier_count} prices, one per tier")
        elif len(self.tier_uplifts) != tier_count:
            raise ValueError(f"tier_uplifts needs {tier_count} values, one per tier (the first is usually 0)")
        return self

    def price(self, *, period: str, tier: int) -> Decimal:
        """The price of ``period`` in tier ``tier`` (0-based)."""
        if self.prices:
            return self.prices[period][tier]
        return self.base_prices[period] + self.tier_uplifts[tier]


class Allowances(_Document):
    """kWh added to the tier-1 quota per month for large households, and free kWh per month for
    低保/五保 households (both apply only to accounts flagged for them)."""

    large_household_tier1_extra_kwh_per_month: NonNegativeDecimal = Decimal(0)
    low_income_free_kwh_per_month: NonNegativeDecimal = Decimal(0)


class BasicChargeMethod(StrEnum):
    DEMAND = "demand"
    CAPACITY = "capacity"


class BasicCharge(_Document):
    """The two-part tariff's basic charge (基本电费): by maximum demand (元/kW·月) or by running
    capacity (元/kVA·月), whichever the account chose."""

    demand_price: PositiveDecimal | None = None
    capacity_price: PositiveDecimal | None = None
    #: Monthly kWh per kVA of contract capacity at or above which the demand price is discounted.
    high_load_factor_kwh_per_kva: PositiveDecimal = Decimal(260)
    high_load_factor_price_factor: PositiveDecimal = Decimal("0.9")
    #: Demand up to this share of the contract is billed as the contract; above, the excess
    #: over it counts twice.
    contract_demand_tolerance: PositiveDecimal = Decimal("1.05")
    #: The contract demand may not be set below this share of the running capacity.
    minimum_contract_demand_share: PositiveDecimal = Decimal("0.40")
    #: Part months: monthly charge × days used ÷ this (供电营业规则 1996 Art. 84: 30).
    part_month_divisor: Annotated[int, Field(ge=28, le=31)] = 30

    @model_validator(mode="after")
    def _a_price(self) -> BasicCharge:
        if self.demand_price is None and self.capacity_price is None:
            raise ValueError("a basic charge needs demand_price, capacity_price or both")
        return self


class PowerFactor(_Document):
    """Power-factor adjustment ((83)水电财字第215号): the standard, the smallest capacity it
    applies to, and what the percentage is applied to."""

    standard: Literal["0.90", "0.85", "0.80"]
    minimum_capacity_kva: NonNegativeDecimal = Decimal(100)
    base: tuple[Literal["basic", "energy"], ...] = ("basic", "energy")


class Fund(_Document):
    """A government fund or surcharge per billed kWh, on its own line (政府性基金及附加)."""

    code: str
    name_zh: str
    name_en: str
    price_per_kwh: NonNegativeDecimal
    exempt_usage_categories: tuple[str, ...] = ()


class FixedCharge(_Document):
    code: str
    name_zh: str
    name_en: str
    amount_per_month: NonNegativeDecimal


class TariffDocument(_Document):
    """One tariff version's rules."""

    format: Literal["gridcare-tariff/1"] = "gridcare-tariff/1"
    code: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,63}$")]
    name_zh: str
    name_en: str
    energy: Energy
    schedule: TOUSchedule | None = None
    allowances: Allowances = Allowances()
    basic_charge: BasicCharge | None = None
    power_factor: PowerFactor | None = None
    funds: tuple[Fund, ...] = ()
    fixed_charges: tuple[FixedCharge, ...] = ()
    minimum_charge_per_month: NonNegativeDecimal = Decimal(0)

    @model_validator(mode="after")
    def _periods(self) -> TariffDocument:
        periods = set(self.energy.periods)
        if len(periods) > 1 and self.schedule is None:
            raise ValueError("a tariff with several periods needs a schedule")
        if self.schedule is not None:
            used = {r.period for rule in self.schedule.rules for r in rule.hours} | {
                self.schedule.default_period
            }
            unknown = sorted(used - periods)
            if unknown:
                raise ValueError(f"the schedule names periods the energy prices do not: {unknown}")
            day_kinds = {kind.value for kind in DayKind} | set(self.schedule.day_types)
            for rule in self.schedule.rules:
                if rule.days not in day_kinds:
                    raise ValueError(f"schedule rule days {rule.days!r} is neither a day kind nor a day type")
        codes = [fund.code for fund in self.funds] + [charge.code for charge in self.fixed_charges]
        if len(codes) != len(set(codes)):
            raise ValueError("fund and fixed charge codes must be distinct")
        return self


def parse_tariff_document(data: Any) -> TariffDocument:
    """The validated document (a mapping, as JSON gives it); pydantic's ValidationError names
    the field of each problem."""
    return TariffDocument.model_validate(data)


def tariff_json_schema() -> dict[str, Any]:
    """The JSON Schema of tariff documents (docs/tariffs.md; ``gridcare tariff schema``)."""
    return TariffDocument.model_json_schema()


__all__ = [
    "FLAT_PERIOD",
    "Allowances",
    "BasicCharge",
    "BasicChargeMethod",
    "DayKind",
    "Energy",
    "FixedCharge",
    "Fund",
    "HourRange",
    "NamedDayType",
    "PowerFactor",
    "ScheduleRule",
    "SeasonThresholds",
    "TOUSchedule",
    "TariffDocument",
    "TierBasis",
    "Tiers",
    "parse_tariff_document",
    "tariff_json_schema",
]
