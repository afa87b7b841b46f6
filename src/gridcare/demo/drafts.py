"""The electrical side of a demo account, drafted per usage category: supply voltage,
contract capacity, metering arrangement, CT/PT ratios, meter and typical daily energy."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridcare.customers.models import UsageCategory, VoltageLevel
from gridcare.demo import catalog
from gridcare.demo.draws import Draws, Weighted
from gridcare.metering.models import MeteringArrangement, MeterType

RESIDENTIAL, GENERAL, LARGE, AGRICULTURE = range(4)
CATEGORY_ORDER: tuple[UsageCategory, ...] = tuple(spec.category for spec in catalog.CATEGORY_SPECS)
LOW_VOLTAGES = (VoltageLevel.V220, VoltageLevel.V380)
_LV_LV = MeteringArrangement.LV_SUPPLY_LV_METERING


@dataclass(frozen=True, slots=True)
class MeterDraft:
    """The kind of meter fitted and the registers it keeps (import active total always)."""

    meter_type: str
    model: str
    accuracy_class: str
    has_time_of_use: bool = False
    has_reactive: bool = False
    has_demand: bool = False


@dataclass(slots=True)
class AccountProfile:
    """How one account is supplied and metered, and how much it uses on a usual day."""

    category: int
    voltage_level: str
    capacity_kva: int
    daily_kwh: float
    arrangement: str
    ct_ratio: int
    pt_ratio: int
    meter: MeterDraft
    industry_code: str = ""
    trade: str = ""
    is_person: bool = False
    is_individual_business: bool = False
    has_child: bool = False
    #: Shares of the sharp, peak and valley registers (flat takes the rest).
    time_of_use_shares: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power_factor: float = 0.95
    peak_to_average: float = 1.5

    @property
    def multiplier(self) -> int:
        """倍率: CT ratio × PT ratio."""
        return self.ct_ratio * self.pt_ratio


def _meters(
    meter_type: str, models: tuple[str, ...], accuracy_class: str, **registers: bool
) -> tuple[MeterDraft, ...]:
    return tuple(MeterDraft(meter_type, model, accuracy_class, **registers) for model in models)


SINGLE_PHASE_METERS = _meters(MeterType.SINGLE_PHASE, catalog.SINGLE_PHASE_MODELS, "A")
THREE_PHASE_METERS = _meters(MeterType.THREE_PHASE, catalog.THREE_PHASE_MODELS, "B")
THREE_PHASE_TOU_METERS = _meters(MeterType.THREE_PHASE, catalog.THREE_PHASE_MODELS, "B", has_time_of_use=True)
CT_METERS = _meters(MeterType.THREE_PHASE_CT, catalog.CT_METER_MODELS, "0.5S")
CT_TOU_METERS = _meters(MeterType.THREE_PHASE_CT, catalog.CT_METER_MODELS, "0.5S", has_time_of_use=True)
_FULL_REGISTERS = {"has_time_of_use": True, "has_reactive": True, "has_demand": True}
CT_FULL_METERS = _meters(MeterType.THREE_PHASE_CT, catalog.CT_METER_MODELS, "0.5S", **_FULL_REGISTERS)
HV_METERS_10KV = _meters(MeterType.HV_CT_PT, catalog.HV_METER_MODELS, "0.5S", **_FULL_REGISTERS)
HV_METERS_ABOVE_10KV = _meters(MeterType.HV_CT_PT, catalog.HV_METER_MODELS, "0.2S", **_FULL_REGISTERS)
#: The 分表 of a large customer: a CT meter on the low-voltage side, total register only.
CHILD_METER = CT_METERS[0]
CHILD_CT_RATIO = 40

_RESIDENTIAL_CAPACITIES = Weighted.of([(4, 2), (6, 4), (8, 3), (10, 1)])
_GENERAL_LOW_VOLTAGE_CAPACITIES = (20, 30, 40, 50, 63, 80, 100, 125)
_GENERAL_HIGH_VOLTAGE_CAPACITIES = (160, 200, 250, 315)
_LARGE_CAPACITIES = {
    10: (315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000),
    35: (5000, 6300, 8000, 10000, 12500, 16000, 20000, 31500),
    110: (31500, 40000, 50000, 63000),
}
_LARGE_VOLTAGES = Weighted.of([(10, 80), (35, 15), (110, 5)])
_KILOVOLT_LEVELS = {10: VoltageLevel.KV10, 35: VoltageLevel.KV35, 110: VoltageLevel.KV110}
_AGRICULTURE_CAPACITIES = (10, 15, 20, 30, 40, 50, 63)
#: Above this capacity (kVA) a low-voltage supply is metered through CTs.
_DIRECT_METERING_LIMIT = 40
_RESIDENTIAL_MEDIAN_DAILY_KWH = 6.0


def ct_ratio_for(current_amperes: float) -> int:
    """The ratio of the smallest standard x/5 A CT rated for 1.2 × the full-load current."""
    needed = current_amperes * 1.2
    primary = next((amperes for amperes in catalog.CT_PRIMARY_AMPERES if amperes >= needed), 4000)
    return primary // 5


def _low_voltage_current(capacity_kva: int) -> float:
    return capacity_kva / (math.sqrt(3) * 0.4)


def draft_residential(draws: Draws) -> AccountProfile:
    """居民生活: 220 V single-phase, 4–10 kVA, direct-connected meter on a 台区."""
    capacity = draws.weighted(_RESIDENTIAL_CAPACITIES)
    return AccountProfile(
        category=RESIDENTIAL,
        voltage_level=VoltageLevel.V220,
        capacity_kva=capacity,
        daily_kwh=draws.lognormal(math.log(_RESIDENTIAL_MEDIAN_DAILY_KWH), 0.45) * (capacity / 6) ** 0.3,
        arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1,
        pt_ratio=1,
        meter=draws.pick(SINGLE_PHASE_METERS),
        is_person=True,
    )


def draft_general(draws: Draws) -> AccountProfile:
    """一般工商业: 380 V (20–125 kVA) or a 10 kV own transformer metered low (160–315 kVA),
    time-of-use registers."""
    industry_code, trade = draws.pick(catalog.INDUSTRIES[UsageCategory.GENERAL_COMMERCIAL])
    high_voltage = draws.chance(0.15)
    capacity = draws.pick(
        _GENERAL_HIGH_VOLTAGE_CAPACITIES if high_voltage else _GENERAL_LOW_VOLTAGE_CAPACITIES
    )
    direct = capacity <= _DIRECT_METERING_LIMIT
    return AccountProfile(
        category=GENERAL,
        voltage_level=VoltageLevel.KV10 if high_voltage else VoltageLevel.V380,
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * draws.uniform(0.08, 0.28),
        arrangement=(
            MeteringArrangement.HV_SUPPLY_LV_METERING
            if high_voltage
            else MeteringArrangement.LV_SUPPLY_LV_METERING
        ),
        ct_ratio=1 if direct else ct_ratio_for(_low_voltage_current(capacity)),
        pt_ratio=1,
        meter=draws.pick(THREE_PHASE_TOU_METERS if direct else CT_TOU_METERS),
        industry_code=industry_code,
        trade=trade,
        is_individual_business=not high_voltage and draws.chance(0.3),
        time_of_use_shares=_time_of_use_shares(draws, sharp=0.06, peak=0.30, valley=0.26),
    )


def draft_large(draws: Draws) -> AccountProfile:
    """大工业: 315 kVA and up at 10, 35 or 110 kV; metered high through CTs and PTs (or low,
    高供低计, for 10 kV up to 500 kVA); time-of-use, reactive and demand registers."""
    industry_code, trade = draws.pick(catalog.INDUSTRIES[UsageCategory.LARGE_INDUSTRY])
    kilovolts = draws.weighted(_LARGE_VOLTAGES)
    capacity = draws.pick(_LARGE_CAPACITIES[kilovolts])
    if kilovolts == 10 and capacity <= 500:
        arrangement = MeteringArrangement.HV_SUPPLY_LV_METERING
        ct_ratio, pt_ratio = ct_ratio_for(_low_voltage_current(capacity)), 1
        meter = draws.pick(CT_FULL_METERS)
    else:
        arrangement = MeteringArrangement.HV_SUPPLY_HV_METERING
        ct_ratio = ct_ratio_for(capacity / (math.sqrt(3) * kilovolts))
        pt_ratio = catalog.PT_RATIO_BY_KV[kilovolts]
        meter = draws.pick(HV_METERS_10KV if kilovolts == 10 else HV_METERS_ABOVE_10KV)
    return AccountProfile(
        category=LARGE,
        voltage_level=_KILOVOLT_LEVELS[kilovolts],
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * draws.uniform(0.30, 0.60),
        arrangement=arrangement,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
        meter=meter,
        industry_code=industry_code,
        trade=trade,
        has_child=draws.chance(0.25),
        time_of_use_shares=_time_of_use_shares(draws, sharp=0.08, peak=0.30, valley=0.30),
        power_factor=draws.uniform(0.88, 0.97),
        peak_to_average=draws.uniform(1.3, 1.8),
    )


def draft_agriculture(draws: Draws) -> AccountProfile:
    """农业生产: 380 V pumps and farms, 10–63 kVA; a farmer or a cooperative."""
    industry_code, trade = draws.pick(catalog.INDUSTRIES[UsageCategory.AGRICULTURE])
    capacity = draws.pick(_AGRICULTURE_CAPACITIES)
    direct = capacity <= _DIRECT_METERING_LIMIT
    return AccountProfile(
        category=AGRICULTURE,
        voltage_level=VoltageLevel.V380,
        capacity_kva=capacity,
        daily_kwh=capacity * 24 * draws.uniform(0.04, 0.15),
        arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1 if direct else ct_ratio_for(_low_voltage_current(capacity)),
        pt_ratio=1,
        meter=draws.pick(THREE_PHASE_METERS if direct else CT_METERS),
        industry_code=industry_code,
        trade=trade,
        is_person=draws.chance(0.6),
    )


DRAFTERS = (draft_residential, draft_general, draft_large, draft_agriculture)


def child_profile(parent: AccountProfile, *, share: float) -> AccountProfile:
    """The 分表 of a large customer using ``share`` of its energy."""
    return AccountProfile(
        category=GENERAL,
        voltage_level=VoltageLevel.V380,
        capacity_kva=100,
        daily_kwh=parent.daily_kwh * share,
        arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=CHILD_CT_RATIO,
        pt_ratio=1,
        meter=CHILD_METER,
    )


def _time_of_use_shares(
    draws: Draws, *, sharp: float, peak: float, valley: float
) -> tuple[float, float, float]:
    return (sharp * draws.uniform(0.8, 1.2), peak * draws.uniform(0.9, 1.1), valley * draws.uniform(0.9, 1.1))
