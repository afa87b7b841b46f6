"""Metering rules shared by operations and bulk imports: checks that never write.

Everything here may read the database but never changes it, so an import can run the same
checks over a whole file before it writes anything, and an operation runs them before its
writes. Failures are :mod:`gridcare.metering.errors` classes naming the meter's asset number.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from gridcare.customers.models import Account
from gridcare.kit.decimals import is_multiple_of
from gridcare.metering.errors import (
    AccuracyClassUnknown,
    InstallationOverlaps,
    MeterDialInvalid,
    MeteringPointInvalid,
    MeterNotInstalled,
    MeterNotInstalledAt,
    MeterScrapped,
    MomentInFuture,
    ParentMeteringPointInvalid,
    ReadReasonReserved,
    ReadStatusMismatchesSource,
    RegisterBeyondDial,
    RegisterMissing,
    RegisterNegative,
    RegisterNotOnMeter,
    RegisterTooPrecise,
    RegisterValueInvalid,
    TimeOfUseExceedsTotal,
    TopologyInvalid,
)
from gridcare.metering.models import (
    ACCURACY_CLASSES,
    DEMAND_DECIMALS,
    ChildRelation,
    Feeder,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    ReadReason,
    ReadSource,
    ReadStatus,
    TransformerArea,
)
from gridcare.organization.models import OrgUnit

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


#: A meter dial's integer and decimal digits (the rollover value is 10 ** integer digits).
DIAL_INTEGER_DIGITS = range(4, 11)
DIAL_DECIMAL_DIGITS = range(0, 3)


def check_meter_dial(*, asset_no: str, integer_digits: int, decimal_digits: int) -> None:
    """Refuse a dial without 4–10 integer digits and 0–2 decimal digits (:class:`MeterDialInvalid`)."""
    if integer_digits not in DIAL_INTEGER_DIGITS or decimal_digits not in DIAL_DECIMAL_DIGITS:
        raise MeterDialInvalid(field="integer_digits", asset_no=asset_no)


def check_accuracy_class(*, asset_no: str, accuracy_class: str) -> None:
    """Refuse an accuracy class not in :data:`ACCURACY_CLASSES` (:class:`AccuracyClassUnknown`)."""
    if accuracy_class not in ACCURACY_CLASSES:
        raise AccuracyClassUnknown(field="accuracy_class", asset_no=asset_no, accuracy_class=accuracy_class)


def check_no_overlap(
    *, subject: Meter | MeteringPoint, installed_at: datetime, last_removed_at: datetime | None
) -> None:
    """Refuse an install before the last removal from ``subject``, a meter or a metering point
    (:class:`InstallationOverlaps`): installations of one meter, and of one point, never overlap.

    ``last_removed_at`` is the latest ``removed_at`` of the subject's installations (``None``
    when it has never been removed from anything): :func:`last_removal_at` for one subject,
    :func:`load_last_removals` for the metering points of a whole import chunk.
    """
    if last_removed_at is None or last_removed_at <= installed_at:
        return
    if isinstance(subject, Meter):
        subject_zh, subject_en = f"电能表 {subject.asset_no} ", f"meter {subject.asset_no}"
    else:
        subject_zh, subject_en = f"计量点 {subject.code} ", f"metering point {subject.code}"
    raise InstallationOverlaps(
        field="installed_at",
        moment=format_moment(installed_at),
        subject_zh=subject_zh,
        subject_en=subject_en,
        last_removed_at=format_moment(last_removed_at),
    )


def last_removal_at(*, installations: QuerySet[MeterInstallation]) -> datetime | None:
    """The latest removal among ``installations`` (a meter's or a point's), or ``None``."""
    last_removed_at: datetime | None = installations.aggregate(last=Max("removed_at"))["last"]
    return last_removed_at


def check_registers_fit_meter(*, meter: Meter, registers: RegisterValues) -> None:
    """Refuse register values the meter could not have shown.

    The import active total is required. Each value must be a finite, non-negative Decimal on a
    register the meter has (time-of-use registers need ``has_time_of_use``, export
    ``has_export``, reactive ``has_reactive``, demand ``has_demand``). Energy registers must fit
    the dial: below ``10 ** integer_digits`` and with at most ``decimal_digits`` decimals.
    Maximum demand (not a cumulative dial) must fit its column: below 10**8 kW with at most 4
    decimals.

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


#: The largest multiplier: PostgreSQL computes CT × PT in 32-bit integers before storing it.
#: Real ones stay far below (500 kV metering: 4000 × 5000 = 20,000,000).
MAX_MULTIPLIER = 2**31 - 1


def check_not_in_future(*, moment: datetime, now: datetime, what_zh: str, what_en: str, field: str) -> None:
    """Refuse a read, install or removal dated after ``now`` (:class:`MomentInFuture`)."""
    if moment > now:
        raise MomentInFuture(
            field=field,
            what_zh=what_zh,
            what_en=what_en,
            moment=format_moment(moment),
            now=format_moment(now),
        )


def org_unit_contains(*, outer: OrgUnit, inner: OrgUnit) -> bool:
    """Whether ``inner`` is ``outer`` or below it in the org tree."""
    return inner.path.startswith(outer.path)


def check_metering_point_parameters(
    *,
    code: str,
    metering_arrangement: str,
    ct_ratio: int,
    pt_ratio: int,
    transformer_capacity_kva: Decimal | None,
    transformer_no_load_loss_kw: Decimal | None,
    transformer_load_loss_kw: Decimal | None,
    line_loss_percent: Decimal,
) -> None:
    """Refuse metering point parameters that break a rule (:class:`MeteringPointInvalid`).

    CT and PT ratios are at least 1 and their product (the multiplier) at most
    :data:`MAX_MULTIPLIER`; only HV metering (高供高计) has a PT ratio above 1; line loss is
    from 0% to below 100%; 高供低计 needs the transformer capacity (for its losses), which is
    positive when given; transformer losses are not negative.
    """

    def invalid(field: str, reason_zh: str, reason_en: str) -> MeteringPointInvalid:
        return MeteringPointInvalid(field=field, point_code=code, reason_zh=reason_zh, reason_en=reason_en)

    if ct_ratio < 1 or pt_ratio < 1:
        raise invalid(
            "ct_ratio" if ct_ratio < 1 else "pt_ratio",
            "CT、PT 变比至少为 1",
            "CT and PT ratios are at least 1",
        )
    if ct_ratio * pt_ratio > MAX_MULTIPLIER:
        raise invalid(
            "ct_ratio",
            f"倍率 {ct_ratio} × {pt_ratio} 过大（最大 {MAX_MULTIPLIER}）",
            f"the multiplier {ct_ratio} × {pt_ratio} is too large (at most {MAX_MULTIPLIER})",
        )
    if pt_ratio != 1 and metering_arrangement != MeteringArrangement.HV_SUPPLY_HV_METERING:
        raise invalid(
            "pt_ratio",
            "低压计量不经电压互感器，PT 变比应为 1",
            "LV metering has no voltage transformer: PT ratio 1",
        )
    if not Decimal(0) <= line_loss_percent < Decimal(100):
        raise invalid(
            "line_loss_percent", "线损率应在 0% 到 100% 之间", "line loss must be from 0% to below 100%"
        )
    if metering_arrangement == MeteringArrangement.HV_SUPPLY_LV_METERING and transformer_capacity_kva is None:
        raise invalid(
            "transformer_capacity_kva",
            "高供低计需填写变压器容量以计算变损",
            "HV supply with LV metering needs the transformer capacity for its losses",
        )
    if transformer_capacity_kva is not None and transformer_capacity_kva <= 0:
        raise invalid(
            "transformer_capacity_kva", "变压器容量必须大于 0", "the transformer capacity must be above 0"
        )
    for field, loss in (
        ("transformer_no_load_loss_kw", transformer_no_load_loss_kw),
        ("transformer_load_loss_kw", transformer_load_loss_kw),
    ):
        if loss is not None and loss < 0:
            raise invalid(field, "变压器损耗不能为负数", "transformer losses cannot be negative")


def check_parent_metering_point(
    *, code: str, account: Account, parent: MeteringPoint | None, child_relation: str
) -> None:
    """Refuse a parent (主分表) that is not a metering point of the same customer (any of its
    accounts: a sub-meter with its own tariff is usually its own account), a child without its
    relation, a relation without a parent, and a parent chain that loops back to ``code``."""
    if parent is None:
        if child_relation:
            raise MeteringPointInvalid(
                field="child_relation",
                point_code=code,
                reason_zh="没有上级计量点就不能设置主分表关系",
                reason_en="only a child metering point has a relation to a parent",
            )
        return

    def invalid(reason_zh: str, reason_en: str, field: str = "parent") -> ParentMeteringPointInvalid:
        return ParentMeteringPointInvalid(
            field=field, point_code=code, parent_code=parent.code, reason_zh=reason_zh, reason_en=reason_en
        )

    if child_relation not in ChildRelation.values:
        raise invalid(
            "需选择与上级计量点的关系（扣减或仅供参考）",
            "choose the relation to the parent",
            "child_relation",
        )
    if parent.account.customer_id != account.customer_id:
        raise invalid("上级计量点属于另一个客户", "the parent belongs to another customer")
    ancestor: MeteringPoint | None = parent
    visited: set[int] = set()  # object ids: a parent in the same import may not be saved yet
    while ancestor is not None and id(ancestor) not in visited:
        if ancestor.code == code:
            raise invalid("会形成循环的主分表关系", "that would make the parent chain loop")
        visited.add(id(ancestor))
        ancestor = ancestor.parent


def resolve_topology(
    *,
    code: str,
    org_unit: OrgUnit,
    transformer_area: TransformerArea | None,
    feeder: Feeder | None,
) -> Feeder | None:
    """The feeder a metering point hangs on: the transformer area's unless given, and they must
    agree. Refuses a transformer area or feeder whose org unit is not the point's or above it
    (:class:`TopologyInvalid`)."""
    if transformer_area is not None:
        if feeder is not None and feeder.pk != transformer_area.feeder_id:
            raise TopologyInvalid(
                field="feeder",
                kind_zh="计量点",
                kind_en="Metering point",
                code_value=code,
                reason_zh=f"台区 {transformer_area.code} 不在馈线 {feeder.code} 上",
                reason_en=f"transformer area {transformer_area.code} is not on feeder {feeder.code}",
            )
        feeder = transformer_area.feeder
    for field, element, kind_zh, kind_en in (
        ("transformer_area", transformer_area, "台区", "transformer area"),
        ("feeder", feeder, "馈线", "feeder"),
    ):
        if element is not None and not org_unit_contains(outer=element.org_unit, inner=org_unit):
            raise TopologyInvalid(
                field=field,
                kind_zh="计量点",
                kind_en="Metering point",
                code_value=code,
                reason_zh=f"{kind_zh} {element.code} 属于其他供电单位（{element.org_unit.name}）",
                reason_en=f"{kind_en} {element.code} belongs to another org unit ({element.org_unit.name})",
            )
    return feeder


def check_read_status_matches_source(*, source: str, status: str) -> None:
    """Refuse an estimated source without the estimated status, or the reverse."""
    if (source == ReadSource.ESTIMATED) != (status == ReadStatus.ESTIMATED):
        raise ReadStatusMismatchesSource(field="status")


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


def load_last_removals(*, metering_point_ids: Iterable[int]) -> dict[int, datetime]:
    """The latest removal from each of the given metering points that has had one, by point id."""
    unique_ids = sorted(set(metering_point_ids))
    last_removals: dict[int, datetime] = {}
    for start in range(0, len(unique_ids), _LOAD_CHUNK):
        chunk = unique_ids[start : start + _LOAD_CHUNK]
        last_removals.update(
            MeterInstallation.objects.filter(metering_point_id__in=chunk, removed_at__isnull=False)
            .values("metering_point_id")
            .annotate(last_removed_at=Max("removed_at"))
            .values_list("metering_point_id", "last_removed_at")
        )
    return last_removals


def format_moment(moment: datetime) -> str:
    """A moment in local time (Asia/Shanghai) for messages, e.g. ``2025-03-01 08:00:00``."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


__all__ = [
    "DIAL_DECIMAL_DIGITS",
    "DIAL_INTEGER_DIGITS",
    "MAX_MULTIPLIER",
    "REGISTER_FLAGS",
    "REGISTER_LABELS",
    "REGISTER_NAMES",
    "TIME_OF_USE_REGISTERS",
    "InstallationIndex",
    "RegisterValues",
    "check_accuracy_class",
    "check_meter_can_be_read",
    "check_meter_dial",
    "check_metering_point_parameters",
    "check_no_overlap",
    "check_not_in_future",
    "check_parent_metering_point",
    "check_read_status_matches_source",
    "check_registers_fit_meter",
    "dial_resolution",
    "format_moment",
    "installation_at",
    "last_removal_at",
    "load_installation_index",
    "load_last_removals",
    "org_unit_contains",
    "resolve_topology",
]


def check_meter_read(
    *,
    meter: Meter,
    read_at: datetime,
    source: str,
    status: str,
    reason: str,
    registers: RegisterValues,
    find_installation: Callable[[], MeterInstallation | None],
    now: datetime,
) -> MeterInstallation:
    """Every check a new register read must pass, in one order for the operation and the import;
    returns the installation in force at ``read_at``, where the read belongs.

    ``find_installation`` looks the installation up (one query for a single read, an index for
    an import chunk); it runs only after the cheap checks have passed.
    """
    check_meter_can_be_read(meter=meter)
    if reason in (ReadReason.INSTALL, ReadReason.REMOVAL):
        raise ReadReasonReserved(field="reason")
    check_read_status_matches_source(source=source, status=status)
    check_not_in_future(moment=read_at, now=now, what_zh="抄表", what_en="read", field="read_at")
    installation = find_installation()
    if installation is None:
        raise MeterNotInstalledAt(field="read_at", asset_no=meter.asset_no, moment=format_moment(read_at))
    check_registers_fit_meter(meter=meter, registers=registers)
    return installation
