"""State changes of metering: topology, metering points, the meter lifecycle, reads.

Every function validates, changes rows and records an audit event in one transaction. A
refused call raises a :mod:`gridcare.metering.errors` class and changes nothing. A function
acting for a user (``actor``) first checks the permission (``metering.change``, or
``metering.record_read`` for reads) and that the record's org unit lies in the user's org
subtree (:func:`~gridcare.identity.access.ensure_changeable`; refusals are audited).

Rules decided here (checked by :mod:`gridcare.metering.rules`, which imports share):

- A metering point belongs to its account's org unit. Its parent (主分表) must be a metering
  point of the same *customer* — any of the customer's accounts, since a sub-meter with its
  own tariff is usually its own account — and the parent chain may not loop.
- A feeder or transformer area a point hangs on must belong to the point's org unit or one
  above it; a point on a transformer area hangs on that area's feeder.
- The PT ratio exists only for HV metering (高供高计); LV-metered points have PT ratio 1.
- A meter goes in stock → installed → removed (→ installed again after re-verification) →
  scrapped. Installations of one meter, and of one metering point, never overlap.
- Reads, installs and removals cannot be dated after ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.metering.errors import (
    FieldInvalid,
    IntervalDayTaken,
    MeterAlreadyInstalled,
    MeterAssetNumberTaken,
    MeteringPointCodeTaken,
    MeteringPointHasNoMeter,
    MeteringPointOccupied,
    MeterScrapped,
    MeterStatusForbids,
    MomentInFuture,
    ReadsAfterRemoval,
    ReadTimeTaken,
    RemovalNotAfterInstall,
    TopologyCodeTaken,
    TopologyInvalid,
)
from gridcare.metering.intervals import day_total, missing_count, pack_day
from gridcare.metering.models import (
    Feeder,
    IntervalQuantity,
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    ReadReason,
    ReadSource,
    ReadStatus,
    TransformerArea,
)
from gridcare.metering.rules import (
    RegisterValues,
    check_accuracy_class,
    check_meter_dial,
    check_meter_read,
    check_metering_point_parameters,
    check_no_overlap,
    check_not_in_future,
    check_parent_metering_point,
    check_registers_fit_meter,
    format_moment,
    installation_at,
    last_removal_at,
    org_unit_contains,
    resolve_topology,
)
from gridcare.organization.models import OrgUnit

# --- shared checks ------------------------------------------------------------------------------


def _clean_fields(instance: models.Model) -> None:
    """Run the model's field validation (lengths, choices, blanks) as a :class:`FieldInvalid`."""
    try:
        instance.clean_fields()
    except ValidationError as error:
        field_name, field_errors = next(iter(error.error_dict.items()))
        label = getattr(instance._meta.get_field(field_name), "verbose_name", field_name)
        texts: dict[str, tuple[str, str]] = {}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                texts[language] = (capfirst(str(label)), " ".join(ValidationError(field_errors).messages))
        raise FieldInvalid(
            field=field_name,
            label_zh=texts["zh-hans"][0],
            label_en=texts["en"][0],
            reason_zh=texts["zh-hans"][1],
            reason_en=texts["en"][1],
        ) from error


# --- topology -----------------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def create_feeder(
    *, org_unit: OrgUnit, code: str, name: str, voltage_kv: Decimal, actor: User | None, now: datetime
) -> Feeder:
    """Create a feeder (馈线) of ``org_unit``; refuses a taken code or a non-positive voltage."""
    ensure_changeable(
        user=actor, permission=Permission.CHANGE_METERING, org_unit=org_unit, operation="create_feeder"
    )
    if Feeder.objects.filter(code=code).exists():
        raise TopologyCodeTaken(field="code", kind_zh="馈线", kind_en="feeder", code_value=code)
    if voltage_kv <= 0:
        raise TopologyInvalid(
            field="voltage_kv",
            kind_zh="馈线",
            kind_en="Feeder",
            code_value=code,
            reason_zh="电压必须大于 0 kV",
            reason_en="the voltage must be above 0 kV",
        )
    feeder = Feeder(org_unit=org_unit, code=code, name=name, voltage_kv=voltage_kv)
    _clean_fields(feeder)
    feeder.save()
    record_audit_event(
        actor=actor,
        action="create_feeder",
        target=feeder,
        occurred_at=now,
        changes={"code": code, "name": name, "voltage_kv": voltage_kv},
    )
    return feeder


@denials_audited
@transaction.atomic
def create_transformer_area(
    *,
    org_unit: OrgUnit,
    code: str,
    name: str,
    feeder: Feeder,
    capacity_kva: Decimal,
    actor: User | None,
    now: datetime,
) -> TransformerArea:
    """Create a transformer area (台区) on ``feeder``.

    The area's org unit must be the feeder's or below it (a county's feeder serves its
    stations' areas); the transformer capacity must be positive.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=org_unit,
        operation="create_transformer_area",
    )
    if TransformerArea.objects.filter(code=code).exists():
        raise TopologyCodeTaken(field="code", kind_zh="台区", kind_en="transformer area", code_value=code)
    invalid = {"kind_zh": "台区", "kind_en": "Transformer area", "code_value": code}
    if capacity_kva <= 0:
        raise TopologyInvalid(
            field="capacity_kva",
            **invalid,
            reason_zh="变压器容量必须大于 0 kVA",
            reason_en="the transformer capacity must be above 0 kVA",
        )
    if not org_unit_contains(outer=feeder.org_unit, inner=org_unit):
        raise TopologyInvalid(
            field="feeder",
            **invalid,
            reason_zh=f"所属单位不在馈线 {feeder.code} 的单位 {feeder.org_unit.name} 之下",
            reason_en=f"its org unit is not under {feeder.org_unit.name}, the unit of feeder {feeder.code}",
        )
    area = TransformerArea(org_unit=org_unit, code=code, name=name, feeder=feeder, capacity_kva=capacity_kva)
    _clean_fields(area)
    area.save()
    record_audit_event(
        actor=actor,
        action="create_transformer_area",
        target=area,
        occurred_at=now,
        changes={"code": code, "name": name, "feeder": feeder.code, "capacity_kva": capacity_kva},
    )
    return area


# --- metering points ----------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def create_metering_point(
    *,
    account: Account,
    code: str,
    name: str,
    metering_arrangement: str,
    ct_ratio: int = 1,
    pt_ratio: int = 1,
    transformer_capacity_kva: Decimal | None = None,
    transformer_no_load_loss_kw: Decimal | None = None,
    transformer_load_loss_kw: Decimal | None = None,
    line_loss_percent: Decimal = Decimal(0),
    parent: MeteringPoint | None = None,
    child_relation: str = "",
    transformer_area: TransformerArea | None = None,
    feeder: Feeder | None = None,
    actor: User | None,
    now: datetime,
) -> MeteringPoint:
    """Create a metering point (计量点) of ``account``, in the account's org unit.

    The multiplier (倍率) is computed by the database as CT ratio × PT ratio. See the module
    docstring for the parent, topology and PT-ratio rules.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=account.org_unit,
        operation="create_metering_point",
    )
    if MeteringPoint.objects.filter(code=code).exists():
        raise MeteringPointCodeTaken(field="code", point_code=code)
    check_metering_point_parameters(
        code=code,
        metering_arrangement=metering_arrangement,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
        transformer_capacity_kva=transformer_capacity_kva,
        transformer_no_load_loss_kw=transformer_no_load_loss_kw,
        transformer_load_loss_kw=transformer_load_loss_kw,
        line_loss_percent=line_loss_percent,
    )
    check_parent_metering_point(code=code, account=account, parent=parent, child_relation=child_relation)
    feeder = resolve_topology(
        code=code, org_unit=account.org_unit, transformer_area=transformer_area, feeder=feeder
    )
    metering_point = MeteringPoint(
        org_unit=account.org_unit,
        account=account,
        code=code,
        name=name,
        metering_arrangement=metering_arrangement,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
        transformer_capacity_kva=transformer_capacity_kva,
        transformer_no_load_loss_kw=transformer_no_load_loss_kw,
        transformer_load_loss_kw=transformer_load_loss_kw,
        line_loss_percent=line_loss_percent,
        parent=parent,
        child_relation=child_relation,
        transformer_area=transformer_area,
        feeder=feeder,
    )
    _clean_fields(metering_point)
    metering_point.save()
    metering_point.refresh_from_db(fields=["multiplier"])
    record_audit_event(
        actor=actor,
        action="create_metering_point",
        target=metering_point,
        occurred_at=now,
        changes={
            "account": account.account_no,
            "code": code,
            "metering_arrangement": metering_arrangement,
            "ct_ratio": ct_ratio,
            "pt_ratio": pt_ratio,
            "multiplier": metering_point.multiplier,
            "parent": parent.code if parent else None,
            "child_relation": child_relation,
            "transformer_area": transformer_area.code if transformer_area else None,
            "feeder": feeder.code if feeder else None,
        },
    )
    return metering_point


@denials_audited
@transaction.atomic
def set_metering_point_parent(
    *,
    metering_point: MeteringPoint,
    parent: MeteringPoint | None,
    child_relation: str,
    actor: User | None,
    now: datetime,
) -> MeteringPoint:
    """Hang ``metering_point`` under ``parent`` (or detach it with ``parent=None`` and no relation).

    Refuses a parent of another customer and any parent chain that would loop back to the point.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=metering_point.org_unit,
        operation="set_metering_point_parent",
    )
    metering_point.refresh_from_db(from_queryset=MeteringPoint.objects.select_for_update())
    previous_parent = metering_point.parent
    check_parent_metering_point(
        code=metering_point.code,
        account=metering_point.account,
        parent=parent,
        child_relation=child_relation,
    )
    metering_point.parent = parent
    metering_point.child_relation = child_relation
    metering_point.save(update_fields=["parent", "child_relation"])
    record_audit_event(
        actor=actor,
        action="set_metering_point_parent",
        target=metering_point,
        occurred_at=now,
        changes={
            "parent": [previous_parent.code if previous_parent else None, parent.code if parent else None],
            "child_relation": child_relation,
        },
    )
    return metering_point


# --- meters -------------------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def register_meter(
    *,
    org_unit: OrgUnit,
    asset_no: str,
    meter_type: str,
    manufacturer: str,
    accuracy_class: str,
    model: str = "",
    has_time_of_use: bool = False,
    has_export: bool = False,
    has_reactive: bool = False,
    has_demand: bool = False,
    integer_digits: int = 6,
    decimal_digits: int = 2,
    actor: User | None,
    now: datetime,
) -> Meter:
    """Register a meter asset in stock (库存) at ``org_unit``."""
    ensure_changeable(
        user=actor, permission=Permission.CHANGE_METERING, org_unit=org_unit, operation="register_meter"
    )
    if Meter.objects.filter(asset_no=asset_no).exists():
        raise MeterAssetNumberTaken(field="asset_no", asset_no=asset_no)
    check_meter_dial(asset_no=asset_no, integer_digits=integer_digits, decimal_digits=decimal_digits)
    check_accuracy_class(asset_no=asset_no, accuracy_class=accuracy_class)
    meter = Meter(
        org_unit=org_unit,
        asset_no=asset_no,
        meter_type=meter_type,
        manufacturer=manufacturer,
        model=model,
        accuracy_class=accuracy_class,
        has_time_of_use=has_time_of_use,
        has_export=has_export,
        has_reactive=has_reactive,
        has_demand=has_demand,
        integer_digits=integer_digits,
        decimal_digits=decimal_digits,
        status=MeterStatus.IN_STOCK,
        status_changed_at=now,
    )
    _clean_fields(meter)
    meter.save()
    record_audit_event(
        actor=actor,
        action="register_meter",
        target=meter,
        occurred_at=now,
        changes={
            "asset_no": asset_no,
            "meter_type": meter_type,
            "manufacturer": manufacturer,
            "accuracy_class": accuracy_class,
            "registers": {
                "time_of_use": has_time_of_use,
                "export": has_export,
                "reactive": has_reactive,
                "demand": has_demand,
            },
            "dial": f"{integer_digits}+{decimal_digits}",
        },
    )
    return meter


#: Status names for messages, which carry both languages whatever the active one is.
METER_STATUS_NAMES: dict[str, tuple[str, str]] = {
    MeterStatus.IN_STOCK: ("库存", "in stock"),
    MeterStatus.INSTALLED: ("已安装", "installed"),
    MeterStatus.REMOVED: ("已拆除", "removed"),
    MeterStatus.SCRAPPED: ("已报废", "scrapped"),
}

#: Interval quantity names for messages.
INTERVAL_QUANTITY_NAMES: dict[str, tuple[str, str]] = {
    IntervalQuantity.ENERGY_KWH: ("电量", "energy"),
    IntervalQuantity.DEMAND_KW: ("功率", "demand"),
}


def _status_forbids(*, meter: Meter, action_zh: str, action_en: str) -> MeterStatusForbids:
    status_zh, status_en = METER_STATUS_NAMES[meter.status]
    return MeterStatusForbids(
        field="meter",
        asset_no=meter.asset_no,
        status_zh=status_zh,
        status_en=status_en,
        action_zh=action_zh,
        action_en=action_en,
    )


def _create_read(
    *,
    meter: Meter,
    metering_point: MeteringPoint,
    read_at: datetime,
    source: str,
    status: str,
    reason: str,
    registers: RegisterValues,
) -> MeterRead:
    if MeterRead.objects.filter(meter=meter, read_at=read_at).exists():
        raise ReadTimeTaken(field="read_at", asset_no=meter.asset_no, read_at=format_moment(read_at))
    read = MeterRead(
        org_unit_id=metering_point.org_unit_id,
        meter=meter,
        metering_point=metering_point,
        read_at=read_at,
        source=source,
        status=status,
        reason=reason,
        **registers.as_model_fields(),
    )
    _clean_fields(read)
    read.save()
    return read


@denials_audited
@transaction.atomic
def install_meter(
    *,
    meter: Meter,
    metering_point: MeteringPoint,
    installed_at: datetime,
    registers: RegisterValues,
    source: str,
    actor: User | None,
    now: datetime,
) -> MeterInstallation:
    """Install ``meter`` on ``metering_point`` at ``installed_at`` (装表), recording the install read.

    Refuses a scrapped meter, a meter installed elsewhere (naming both metering points), a
    metering point that already has a meter, an install before the meter's or the point's last
    removal or after ``now``, and registers the meter could not show. A removed meter may be
    installed again (after re-verification).
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=metering_point.org_unit,
        operation="install_meter",
    )
    meter.refresh_from_db(from_queryset=Meter.objects.select_for_update())
    metering_point.refresh_from_db(from_queryset=MeteringPoint.objects.select_for_update())
    if meter.status == MeterStatus.SCRAPPED:
        raise MeterScrapped(field="meter", asset_no=meter.asset_no)
    current = meter.installations.filter(removed_at__isnull=True).select_related("metering_point").first()
    if current is not None:
        raise MeterAlreadyInstalled(
            field="meter",
            asset_no=meter.asset_no,
            current_point=current.metering_point.code,
            target_point=metering_point.code,
        )
    occupant = metering_point.installations.filter(removed_at__isnull=True).select_related("meter").first()
    if occupant is not None:
        raise MeteringPointOccupied(
            field="metering_point", point_code=metering_point.code, asset_no=occupant.meter.asset_no
        )
    check_not_in_future(
        moment=installed_at, now=now, what_zh="装表", what_en="installation", field="installed_at"
    )
    check_no_overlap(
        subject=meter,
        installed_at=installed_at,
        last_removed_at=last_removal_at(installations=meter.installations.all()),
    )
    check_no_overlap(
        subject=metering_point,
        installed_at=installed_at,
        last_removed_at=last_removal_at(installations=metering_point.installations.all()),
    )
    check_registers_fit_meter(meter=meter, registers=registers)
    install_read = _create_read(
        meter=meter,
        metering_point=metering_point,
        read_at=installed_at,
        source=source,
        status=ReadStatus.ESTIMATED if source == ReadSource.ESTIMATED else ReadStatus.VALID,
        reason=ReadReason.INSTALL,
        registers=registers,
    )
    installation = MeterInstallation.objects.create(
        org_unit_id=metering_point.org_unit_id,
        meter=meter,
        metering_point=metering_point,
        installed_at=installed_at,
        install_read=install_read,
    )
    previous_status = meter.status
    meter.status = MeterStatus.INSTALLED
    meter.status_changed_at = installed_at
    meter.save(update_fields=["status", "status_changed_at"])
    record_audit_event(
        actor=actor,
        action="install_meter",
        target=installation,
        occurred_at=now,
        changes={
            "meter": meter.asset_no,
            "metering_point": metering_point.code,
            "installed_at": installed_at,
            "status": [previous_status, meter.status],
            "registers": registers.as_model_fields(),
        },
    )
    return installation


@denials_audited
@transaction.atomic
def remove_meter(
    *,
    metering_point: MeteringPoint,
    removed_at: datetime,
    registers: RegisterValues,
    source: str,
    actor: User | None,
    now: datetime,
) -> MeterInstallation:
    """Remove the meter installed on ``metering_point`` at ``removed_at`` (拆表), recording the
    removal read; the meter becomes removed. Returns the closed installation.

    Refuses a point without a meter, a removal not after the install, after ``now`` or before
    reads already taken, and registers the meter could not show.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=metering_point.org_unit,
        operation="remove_meter",
    )
    metering_point.refresh_from_db(from_queryset=MeteringPoint.objects.select_for_update())
    installation: MeterInstallation | None = (
        metering_point.installations.select_for_update()
        .filter(removed_at__isnull=True)
        .select_related("meter")
    ).first()
    if installation is None:
        raise MeteringPointHasNoMeter(field="metering_point", point_code=metering_point.code)
    meter = installation.meter
    if removed_at <= installation.installed_at:
        raise RemovalNotAfterInstall(
            field="removed_at",
            moment=format_moment(removed_at),
            asset_no=meter.asset_no,
            point_code=metering_point.code,
            installed_at=format_moment(installation.installed_at),
        )
    check_not_in_future(moment=removed_at, now=now, what_zh="拆表", what_en="removal", field="removed_at")
    last_read = meter.reads.filter(read_at__gt=removed_at).order_by("-read_at").first()
    if last_read is not None:
        raise ReadsAfterRemoval(
            field="removed_at",
            asset_no=meter.asset_no,
            moment=format_moment(removed_at),
            last_read_at=format_moment(last_read.read_at),
        )
    check_registers_fit_meter(meter=meter, registers=registers)
    removal_read = _create_read(
        meter=meter,
        metering_point=metering_point,
        read_at=removed_at,
        source=source,
        status=ReadStatus.ESTIMATED if source == ReadSource.ESTIMATED else ReadStatus.VALID,
        reason=ReadReason.REMOVAL,
        registers=registers,
    )
    installation.removed_at = removed_at
    installation.removal_read = removal_read
    installation.save(update_fields=["removed_at", "removal_read"])
    meter.status = MeterStatus.REMOVED
    meter.status_changed_at = removed_at
    meter.save(update_fields=["status", "status_changed_at"])
    record_audit_event(
        actor=actor,
        action="remove_meter",
        target=installation,
        occurred_at=now,
        changes={
            "meter": meter.asset_no,
            "metering_point": metering_point.code,
            "removed_at": removed_at,
            "status": [MeterStatus.INSTALLED, MeterStatus.REMOVED],
            "registers": registers.as_model_fields(),
        },
    )
    return installation


@denials_audited
@transaction.atomic
def exchange_meter(
    *,
    metering_point: MeteringPoint,
    new_meter: Meter,
    exchanged_at: datetime,
    old_meter_registers: RegisterValues,
    new_meter_registers: RegisterValues,
    source: str,
    actor: User | None,
    now: datetime,
) -> MeterInstallation:
    """Exchange the meter on ``metering_point`` for ``new_meter`` at ``exchanged_at`` (换表).

    The old meter's removal and the new meter's installation happen at the same moment in one
    transaction: if either is refused, nothing changes. Returns the new installation.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.CHANGE_METERING,
        org_unit=metering_point.org_unit,
        operation="exchange_meter",
    )
    old_installation = remove_meter(
        metering_point=metering_point,
        removed_at=exchanged_at,
        registers=old_meter_registers,
        source=source,
        actor=actor,
        now=now,
    )
    new_installation = install_meter(
        meter=new_meter,
        metering_point=metering_point,
        installed_at=exchanged_at,
        registers=new_meter_registers,
        source=source,
        actor=actor,
        now=now,
    )
    record_audit_event(
        actor=actor,
        action="exchange_meter",
        target=new_installation,
        occurred_at=now,
        changes={
            "metering_point": metering_point.code,
            "exchanged_at": exchanged_at,
            "old_meter": old_installation.meter.asset_no,
            "new_meter": new_meter.asset_no,
        },
    )
    return new_installation


@denials_audited
@transaction.atomic
def scrap_meter(*, meter: Meter, actor: User | None, now: datetime) -> Meter:
    """Scrap a meter (报废) that is in stock or removed; an installed meter must be removed first."""
    ensure_changeable(
        user=actor, permission=Permission.CHANGE_METERING, org_unit=meter.org_unit, operation="scrap_meter"
    )
    meter.refresh_from_db(from_queryset=Meter.objects.select_for_update())
    if meter.status == MeterStatus.SCRAPPED:
        raise MeterScrapped(field="meter", asset_no=meter.asset_no)
    if meter.status not in (MeterStatus.IN_STOCK, MeterStatus.REMOVED):
        raise _status_forbids(meter=meter, action_zh="报废（请先拆表）", action_en="scrapped before removal")
    previous_status = meter.status
    meter.status = MeterStatus.SCRAPPED
    meter.status_changed_at = now
    meter.save(update_fields=["status", "status_changed_at"])
    record_audit_event(
        actor=actor,
        action="scrap_meter",
        target=meter,
        occurred_at=now,
        changes={"status": [previous_status, MeterStatus.SCRAPPED]},
    )
    return meter


# --- reads --------------------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def record_meter_read(
    *,
    meter: Meter,
    read_at: datetime,
    source: str,
    registers: RegisterValues,
    status: str = ReadStatus.VALID,
    reason: str = ReadReason.PERIODIC,
    actor: User | None,
    now: datetime,
) -> MeterRead:
    """Record a read of ``meter`` at ``read_at`` on the metering point it was installed on then.

    Refuses a scrapped meter or one never installed, a meter not installed at ``read_at``
    (before its install or after its removal), a read after ``now``, a second read at the same
    time, install/removal reasons (those reads come with the install and removal), an
    estimated source without the estimated status (or the reverse), and registers that do
    not fit the meter.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.RECORD_METER_READS,
        org_unit=meter.org_unit,
        operation="record_meter_read",
    )
    meter.refresh_from_db(from_queryset=Meter.objects.select_for_update())
    installation = check_meter_read(
        meter=meter,
        read_at=read_at,
        source=source,
        status=status,
        reason=reason,
        registers=registers,
        find_installation=lambda: installation_at(meter=meter, moment=read_at),
        now=now,
    )
    read = _create_read(
        meter=meter,
        metering_point=installation.metering_point,
        read_at=read_at,
        source=source,
        status=status,
        reason=reason,
        registers=registers,
    )
    record_audit_event(
        actor=actor,
        action="record_meter_read",
        target=read,
        occurred_at=now,
        changes={
            "meter": meter.asset_no,
            "metering_point": installation.metering_point.code,
            "read_at": read_at,
            "source": source,
            "status": status,
            "reason": reason,
            "registers": registers.as_model_fields(),
        },
    )
    return read


@denials_audited
@transaction.atomic
def store_interval_day(
    *,
    metering_point: MeteringPoint,
    read_date: date,
    quantity: str,
    interval_minutes: int,
    values: Sequence[Decimal | None],
    source: str,
    actor: User | None,
    now: datetime,
    replace: bool = False,
) -> IntervalReadDay:
    """Store one local day of interval values (``None`` = not collected) for ``metering_point``.

    ``values`` has 96, 48 or 24 entries for 15-, 30- or 60-minute intervals, each a whole
    number of 0.001 kWh (or kW). A day already stored is refused unless ``replace`` is set
    (an AMI re-send filling gaps), which overwrites it and audits the old and new totals.
    Refuses a day after today (Asia/Shanghai) as of ``now``.
    """
    ensure_changeable(
        user=actor,
        permission=Permission.RECORD_METER_READS,
        org_unit=metering_point.org_unit,
        operation="store_interval_day",
    )
    packed = pack_day(interval_minutes=interval_minutes, values=values)
    if read_date > timezone.localdate(now):
        raise MomentInFuture(
            field="read_date",
            what_zh="负荷曲线日期",
            what_en="interval day",
            moment=read_date.isoformat(),
            now=format_moment(now),
        )
    if quantity not in IntervalQuantity.values:
        raise FieldInvalid(
            field="quantity",
            label_zh="曲线类型",
            label_en="Quantity",
            reason_zh=f"{quantity} 不是 kwh 或 kw",
            reason_en=f"{quantity} is not kwh or kw",
        )
    day = (
        IntervalReadDay.objects.select_for_update()
        .filter(metering_point=metering_point, quantity=quantity, read_date=read_date)
        .first()
    )
    replacing = day is not None
    previous_total = Decimal(0)
    if day is not None:
        if not replace:
            quantity_zh, quantity_en = INTERVAL_QUANTITY_NAMES[quantity]
            raise IntervalDayTaken(
                field="read_date",
                point_code=metering_point.code,
                read_date=read_date.isoformat(),
                quantity_zh=quantity_zh,
                quantity_en=quantity_en,
            )
        previous_total = day_total(
            interval_minutes=day.interval_minutes, values=bytes(day.values), missing=bytes(day.missing)
        )
    else:
        day = IntervalReadDay(
            org_unit_id=metering_point.org_unit_id,
            metering_point=metering_point,
            read_date=read_date,
            quantity=quantity,
        )
    day.interval_minutes = interval_minutes
    day.values = packed.values
    day.missing = packed.missing
    day.source = source
    _clean_fields(day)
    day.save()
    changes: dict[str, object] = {
        "metering_point": metering_point.code,
        "read_date": read_date,
        "quantity": quantity,
        "interval_minutes": interval_minutes,
        "total": day_total(interval_minutes=interval_minutes, values=packed.values, missing=packed.missing),
        "missing_intervals": missing_count(interval_minutes=interval_minutes, missing=packed.missing),
        "source": source,
    }
    if replacing:
        changes["previous_total"] = previous_total
    record_audit_event(
        actor=actor,
        action="replace_interval_day" if replacing else "store_interval_day",
        target=day,
        occurred_at=now,
        changes=changes,
    )
    return day


__all__ = [
    "create_feeder",
    "create_metering_point",
    "create_transformer_area",
    "exchange_meter",
    "install_meter",
    "record_meter_read",
    "register_meter",
    "remove_meter",
    "scrap_meter",
    "set_metering_point_parent",
    "store_interval_day",
]
