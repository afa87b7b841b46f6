"""Metering rules shared by operations and bulk imports: checks that never write.

Everything here may read the database but never changes it, so an import can run the same
checks over a whole file before it writes anything, and an operation runs them before its
writes. Failures are :mod:`gridcare.metering.errors` classes naming the meter's asset number.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from gridcare.kit.decimals import is_multiple_of
from gridcare.metering.errors import (
    MeterNotInstalled,
    MeterScrapped,
    RegisterBeyondDial,
    RegisterMissing,
    RegisterNegative,
    RegisterNotOnMeter,
    RegisterTooPrecise,
    RegisterValueInvalid,
    TimeOfUseExceedsTotal,
)
from gridcare.metering.models import DEMAND_DECIMALS, Meter, MeterInstallation, MeterRead, MeterStatus

#: The time-of-use registers (尖/峰/平/谷), in dial order.
TIME_OF_USE_REGISTERS = (
    "import_active_sharp",
    "import_active_peak",
    "import_active_flat",
    "import_active_valley",
)

#: The meter flag that says whether a meter keeps each optional register.
REGISTER_FLAGS: dict[str, str] = {
    **dict.fromkeys(TIME_OF_USE_REGISTERS, "has_time_of_use"),
    "export_active_total": "has_export",
    "reactive_import_total": "has_reactive",
    "reactive_export_total": "has_reactive",
    "maximum_demand_kw": "has_demand",
}

#: Register names for messages: (zh-Hans, English).
REGISTER_LABELS: dict[str, tuple[str, str]] = {
    "import_active_total": ("正向有功总", "import active total"),
    "import_active_sharp": ("正向有功尖", "import active sharp"),
    "import_active_peak": ("正向有功峰", "import active peak"),
    "import_active_flat": ("正向有功平", "import active flat"),
    "import_active_valley": ("正向有功谷", "import active valley"),
    "export_active_total": ("反向有功总", "export active total"),
    "reactive_import_total": ("正向无功总", "reactive forward total"),
    "reactive_export_total": ("反向无功总", "reactive reverse total"),
    "maximum_demand_kw": ("最大需量", "maximum demand"),
}

#: Maximum demand is not a cumulative dial: it is checked against its column (kW, 4 decimals,
#: 12 digits), not against the meter's energy dial.
DEMAND_LIMIT = Decimal(10) ** (12 - DEMAND_DECIMALS)


@dataclass(frozen=True)
class RegisterValues:
    """The register readings of one meter read (dial values, before the multiplier).

    Field names equal :class:`~gridcare.metering.models.MeterRead`'s register fields; ``None``
    means "not read" (or a register the meter does not have).
    """

    import_active_total: Decimal
    import_active_sharp: Decimal | None = None
    import_active_peak: Decimal | None = None
    import_active_flat: Decimal | None = None
    import_active_valley: Decimal | None = None
    export_active_total: Decimal | None = None
    reactive_import_total: Decimal | None = None
    reactive_export_total: Decimal | None = None
    maximum_demand_kw: Decimal | None = None

    def items(self) -> Iterator[tuple[str, Decimal | None]]:
        """(register name, value) pairs in dial order, ``None`` values included."""
        for field in fields(self):
            yield field.name, getattr(self, field.name)

    def as_model_fields(self) -> dict[str, Decimal | None]:
        """The values as keyword arguments for :class:`MeterRead`."""
        return dict(self.items())

    @classmethod
    def of_read(cls, read: MeterRead) -> RegisterValues:
        """The register values a stored read carries."""
        return cls(**{name: getattr(read, name) for name in REGISTER_NAMES})


REGISTER_NAMES: tuple[str, ...] = tuple(field.name for field in fields(RegisterValues))


def check_meter_can_be_read(*, meter: Meter) -> None:
    """Refuse reads of a scrapped meter (:class:`MeterScrapped`) or of a meter still in stock,
    which has never been installed (:class:`MeterNotInstalled`).

    Whether the meter was installed at the read's moment is :func:`installation_at`'s question.
    """
    if meter.status == MeterStatus.SCRAPPED:
        raise MeterScrapped(field="meter", asset_no=meter.asset_no)
    if meter.status == MeterStatus.IN_STOCK:
        raise MeterNotInstalled(field="meter", asset_no=meter.asset_no)


def check_registers_fit_meter(*, meter: Meter, registers: RegisterValues) -> None:
    """Refuse register values the meter could not have shown.

    The import active total is required. Each value must be a finite, non-negative number on a register the meter has (time-of-use
    registers need ``has_time_of_use``, export ``has_export``, reactive ``has_reactive``, demand
    ``has_demand``). Energy registers must fit the dial: below ``10 ** integer_digits`` and with at
    most ``decimal_digits`` decimals. Maximum demand (not a cumulative dial) must fit its column:
    below 10**8 kW with at most 4 decimals.

    Time-of-use plausibility (the AMI head-end's 总与分时示数 check): a meter accumulates the
    total and each tariff register separately and each display truncates to the dial
    resolution, so the sum of the time-of-use readings may exceed the total by at most one
    resolution step per time-of-use register given (``10 ** -decimal_digits × count``). A sum
    below the total is accepted (tariff registers can be read partially). If the total has rolled
    over while the tariff registers have not, their sum is compared modulo the dial.
    """
    if registers.import_active_total is None:
        raise RegisterMissing(field="import_active_total", asset_no=meter.asset_no)
    for name, value in registers.items():
        if value is None:
            continue
        _check_register(meter=meter, name=name, value=value)
    _check_time_of_use_sum(meter=meter, registers=registers)


def _register_error_params(*, meter: Meter, name: str, value: Decimal) -> dict[str, object]:
    register_zh, register_en = REGISTER_LABELS[name]
    return {
        "asset_no": meter.asset_no,
        "register_zh": register_zh,
        "register_en": register_en,
        "value": value,
    }


def _check_register(*, meter: Meter, name: str, value: Decimal) -> None:
    params = _register_error_params(meter=meter, name=name, value=value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RegisterValueInvalid(field=name, **params)
    flag = REGISTER_FLAGS.get(name)
    if flag is not None and not getattr(meter, flag):
        raise RegisterNotOnMeter(field=name, **params)
    if value < 0:
        raise RegisterNegative(field=name, **params)
    if name == "maximum_demand_kw":
        limit, decimal_digits = DEMAND_LIMIT, DEMAND_DECIMALS
    else:
        limit, decimal_digits = Decimal(10) ** meter.integer_digits, meter.decimal_digits
    if value >= limit:
        raise RegisterBeyondDial(
            field=name, **params, dial_max=limit - dial_resolution(decimal_digits=decimal_digits)
        )
    if not is_multiple_of(value, dial_resolution(decimal_digits=decimal_digits)):
        raise RegisterTooPrecise(field=name, **params, decimal_digits=decimal_digits)


def dial_resolution(*, decimal_digits: int) -> Decimal:
    """The smallest step a dial with ``decimal_digits`` decimals shows (1, 0.1, 0.01)."""
    return Decimal(1).scaleb(-decimal_digits)


def _check_time_of_use_sum(*, meter: Meter, registers: RegisterValues) -> None:
    given = [getattr(registers, name) for name in TIME_OF_USE_REGISTERS]
    values = [value for value in given if value is not None]
    if not values:
        return
    time_of_use_sum = sum(values, Decimal(0))
    total = registers.import_active_total
    tolerance = dial_resolution(decimal_digits=meter.decimal_digits) * len(values)
    rolled_sum = time_of_use_sum % (Decimal(10) ** meter.integer_digits)
    if time_of_use_sum - total > tolerance and rolled_sum - total > tolerance:
        raise TimeOfUseExceedsTotal(
            field="import_active_total",
            asset_no=meter.asset_no,
            time_of_use_sum=time_of_use_sum,
            total=total,
            tolerance=tolerance,
        )


def installation_at(*, meter: Meter, moment: datetime) -> MeterInstallation | None:
    """The installation of ``meter`` in force at ``moment`` (``[installed_at, removed_at)``), with
    its metering point loaded, or ``None`` if the meter was on no metering point then."""
    return (
        MeterInstallation.objects.select_related("metering_point")
        .filter(meter=meter, installed_at__lte=moment)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=moment))
        .first()
    )


class InstallationIndex:
    """The installations of many meters, loaded once, answering "where was meter M at time T?"
    without a query per read — for imports of thousands of reads."""

    def __init__(self, installations: Iterable[MeterInstallation]) -> None:
        by_meter: dict[int, list[MeterInstallation]] = defaultdict(list)
        for installation in installations:
            by_meter[installation.meter_id].append(installation)
        for stays in by_meter.values():
            stays.sort(key=lambda installation: installation.installed_at)
        self._by_meter = dict(by_meter)
        self._starts = {
            meter_id: [stay.installed_at for stay in stays] for meter_id, stays in self._by_meter.items()
        }

    def at(self, *, meter_id: int, moment: datetime) -> MeterInstallation | None:
        """The installation of meter ``meter_id`` in force at ``moment``, or ``None``."""
        starts = self._starts.get(meter_id)
        if not starts:
            return None
        position = bisect.bisect_right(starts, moment) - 1
        if position < 0:
            return None
        installation = self._by_meter[meter_id][position]
        if installation.removed_at is not None and installation.removed_at <= moment:
            return None
        return installation


#: Keeps ``IN (...)`` lists well under SQLite's bound-parameter limit.
_LOAD_CHUNK = 900


def load_installation_index(*, meter_ids: Iterable[int]) -> InstallationIndex:
    """An :class:`InstallationIndex` over every installation of the given meters."""
    unique_ids = sorted(set(meter_ids))
    installations: list[MeterInstallation] = []
    for start in range(0, len(unique_ids), _LOAD_CHUNK):
        chunk = unique_ids[start : start + _LOAD_CHUNK]
        installations.extend(
            MeterInstallation.objects.filter(meter_id__in=chunk).only(
                "id", "org_unit_id", "meter_id", "metering_point_id", "installed_at", "removed_at"
            )
        )
    return InstallationIndex(installations)


def format_moment(moment: datetime) -> str:
    """A moment in local time (Asia/Shanghai) for messages, e.g. ``2025-03-01 08:00:00``."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


__all__ = [
    "REGISTER_FLAGS",
    "REGISTER_LABELS",
    "REGISTER_NAMES",
    "TIME_OF_USE_REGISTERS",
    "InstallationIndex",
    "RegisterValues",
    "check_meter_can_be_read",
    "check_registers_fit_meter",
    "dial_resolution",
    "format_moment",
    "installation_at",
    "load_installation_index",
]
