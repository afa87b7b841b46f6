"""Metering (计量): the grid topology a customer hangs on, metering points, meters and reads.

Energy registers are Decimal kWh (kvarh, kW for demand) with a fixed scale of 2 decimals for
registers and 4 for demand; interval reads are packed day blocks (see :class:`IntervalReadDay`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from gridcare.customers.models import Account
from gridcare.organization.models import OrgScopedQuerySet, org_unit_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

REGISTER_DIGITS = 14
REGISTER_DECIMALS = 2
#: Accuracy classes of active-energy meters: 0.2S/0.5S/0.5/1/2 (IEC / DL/T 614) and A–D (GB/T 17215.211).
ACCURACY_CLASSES = ("0.2S", "0.5S", "0.5", "1", "2", "A", "B", "C", "D")
DEMAND_DECIMALS = 4


class Feeder(models.Model):
    """A distribution feeder (馈线) out of a substation."""

    org_unit = org_unit_field()
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    voltage_kv = models.DecimalField(_("voltage (kV)"), max_digits=6, decimal_places=2)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("feeder")
        verbose_name_plural = _("feeders")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TransformerArea(models.Model):
    """A transformer area (台区): the low-voltage customers behind one distribution transformer."""

    org_unit = org_unit_field()
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    feeder = models.ForeignKey(
        Feeder, verbose_name=_("feeder"), on_delete=models.PROTECT, related_name="transformer_areas"
    )
    capacity_kva = models.DecimalField(_("transformer capacity (kVA)"), max_digits=10, decimal_places=2)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transformer area")
        verbose_name_plural = _("transformer areas")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MeteringArrangement(models.TextChoices):
    HV_SUPPLY_HV_METERING = "hv_hv", _("HV supply, HV metering (高供高计)")
    HV_SUPPLY_LV_METERING = "hv_lv", _("HV supply, LV metering (高供低计)")
    LV_SUPPLY_LV_METERING = "lv_lv", _("LV supply, LV metering (低供低计)")


class ChildRelation(models.TextChoices):
    """How a child metering point's energy relates to its parent's (主分表)."""

    SUBTRACT = "subtract", _("Deducted from the parent (定比/定量扣减)")
    INFORMATIONAL = "informational", _("Informational only")


class MeteringPoint(models.Model):
    """A metering point (计量点) of an account.

    ``multiplier`` (倍率) is CT ratio × PT ratio, computed by the database. Transformer loss
    (变损) applies to 高供低计 points; line loss (线损) as a percentage of metered energy.
    """

    org_unit = org_unit_field()
    code = models.CharField(_("code"), max_length=20, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="metering_points"
    )
    name = models.CharField(_("name"), max_length=100)
    metering_arrangement = models.CharField(
        _("metering arrangement"), max_length=8, choices=MeteringArrangement.choices
    )
    ct_ratio = models.PositiveIntegerField(_("CT ratio"), default=1)
    pt_ratio = models.PositiveIntegerField(_("PT ratio"), default=1)
    multiplier = models.GeneratedField(
        verbose_name=_("multiplier"),
        expression=F("ct_ratio") * F("pt_ratio"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    transformer_capacity_kva = models.DecimalField(
        _("transformer capacity (kVA)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    transformer_no_load_loss_kw = models.DecimalField(
        _("transformer no-load loss (kW)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    transformer_load_loss_kw = models.DecimalField(
        _("transformer load loss (kW)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    line_loss_percent = models.DecimalField(_("line loss (%)"), max_digits=5, decimal_places=2, default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent metering point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    child_relation = models.CharField(
        _("relation to parent"), max_length=16, choices=ChildRelation.choices, blank=True
    )
    transformer_area = models.ForeignKey(
        TransformerArea,
        verbose_name=_("transformer area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="metering_points",
    )
    feeder = models.ForeignKey(
        Feeder,
        verbose_name=_("feeder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="metering_points",
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("metering point")
        verbose_name_plural = _("metering points")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ct_ratio__gte=1, pt_ratio__gte=1),
                name="meteringpoint_ratios_positive",
                violation_error_message=_("CT and PT ratios must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(line_loss_percent__gte=0, line_loss_percent__lt=100),
                name="meteringpoint_line_loss_percent_range",
                violation_error_message=_("Line loss must be at least 0% and below 100%."),
            ),
            models.CheckConstraint(
                condition=(Q(parent__isnull=True) & Q(child_relation=""))
                | (Q(parent__isnull=False) & ~Q(child_relation="")),
                name="meteringpoint_child_has_relation",
                violation_error_message=_(
                    "A child metering point needs its relation to the parent, and only a child has one."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="meteringpoint_not_own_parent",
                violation_error_message=_("A metering point cannot be its own parent."),
            ),
            models.CheckConstraint(
                condition=~Q(metering_arrangement="hv_lv") | Q(transformer_capacity_kva__isnull=False),
                name="meteringpoint_hv_lv_has_transformer",
                violation_error_message=_(
                    "An HV-supplied LV-metered point needs the transformer capacity for its losses."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MeterType(models.TextChoices):
    SINGLE_PHASE = "single_phase", _("Single-phase smart meter")
    THREE_PHASE = "three_phase", _("Three-phase smart meter")
    THREE_PHASE_CT = "three_phase_ct", _("Three-phase CT-connected meter")
    HV_CT_PT = "hv_ct_pt", _("HV CT/PT-connected meter")


class MeterStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    INSTALLED = "installed", _("Installed")
    REMOVED = "removed", _("Removed")
    SCRAPPED = "scrapped", _("Scrapped")


class Meter(models.Model):
    """An electricity meter (电能表) as an asset, through stock → installed → removed → scrapped.

    The register set says which registers it keeps: import active total always; the
    time-of-use registers (sharp/peak/flat/valley), export, reactive and demand if flagged.
    ``integer_digits`` and ``decimal_digits`` define the dial, hence the rollover value.
    """

    org_unit = org_unit_field()
    asset_no = models.CharField(_("asset number"), max_length=32, unique=True)
    meter_type = models.CharField(_("meter type"), max_length=16, choices=MeterType.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    model = models.CharField(_("model"), max_length=50, blank=True)
    accuracy_class = models.CharField(_("accuracy class"), max_length=8)
    has_time_of_use = models.BooleanField(_("time-of-use registers"), default=False)
    has_export = models.BooleanField(_("export active register"), default=False)
    has_reactive = models.BooleanField(_("reactive registers"), default=False)
    has_demand = models.BooleanField(_("maximum demand register"), default=False)
    integer_digits = models.PositiveSmallIntegerField(_("integer digits"), default=6)
    decimal_digits = models.PositiveSmallIntegerField(_("decimal digits"), default=2)
    status = models.CharField(
        _("status"), max_length=16, choices=MeterStatus.choices, default=MeterStatus.IN_STOCK
    )
    status_changed_at = models.DateTimeField(_("status changed at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["asset_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(integer_digits__gte=4, integer_digits__lte=10),
                name="meter_integer_digits_4_to_10",
                violation_error_message=_("A meter dial has 4 to 10 integer digits."),
            ),
            models.CheckConstraint(
                condition=Q(decimal_digits__lte=REGISTER_DECIMALS),
                name="meter_decimal_digits_at_most_2",
                violation_error_message=_("A meter dial has at most 2 decimal digits."),
            ),
            models.CheckConstraint(
                condition=Q(accuracy_class__in=ACCURACY_CLASSES),
                name="meter_accuracy_class_known",
                violation_error_message=_("Unknown accuracy class."),
            ),
        ]

    def __str__(self) -> str:
        return self.asset_no


class MeterInstallation(models.Model):
    """A meter's stay on a metering point, ``[installed_at, removed_at)``, with the reads taken
    at install and removal. A meter is on one point at a time, a point has one meter at a time."""

    org_unit = org_unit_field()
    meter = models.ForeignKey(
        Meter, verbose_name=_("meter"), on_delete=models.PROTECT, related_name="installations"
    )
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="installations",
    )
    installed_at = models.DateTimeField(_("installed at"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    install_read = models.OneToOneField(
        "MeterRead",
        verbose_name=_("read at install"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    removal_read = models.OneToOneField(
        "MeterRead",
        verbose_name=_("read at removal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter installation")
        verbose_name_plural = _("meter installations")
        ordering = ["metering_point", "installed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter"],
                condition=Q(removed_at__isnull=True),
                name="meterinstallation_meter_on_one_point",
                violation_error_message=_("This meter is already installed on a metering point."),
            ),
            models.UniqueConstraint(
                fields=["metering_point"],
                condition=Q(removed_at__isnull=True),
                name="meterinstallation_one_meter_per_point",
                violation_error_message=_("This metering point already has a meter installed."),
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gt=F("installed_at")),
                name="meterinstallation_removed_after_installed",
                violation_error_message=_("A meter must be removed after it was installed."),
            ),
        ]

    def __str__(self) -> str:
        removed = f"{self.removed_at:%Y-%m-%d}" if self.removed_at else ""
        return f"{self.meter} @ {self.metering_point.code} [{self.installed_at:%Y-%m-%d}, {removed})"


class ReadSource(models.TextChoices):
    AMI = "ami", _("AMI collection (用电信息采集)")
    MANUAL = "manual", _("Manual read")
    ESTIMATED = "estimated", _("Estimated (估抄)")


class ReadStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPECT = "suspect", _("Suspect")
    ESTIMATED = "estimated", _("Estimated")


class ReadReason(models.TextChoices):
    PERIODIC = "periodic", _("Periodic (例日抄表)")
    INSTALL = "install", _("Meter install")
    REMOVAL = "removal", _("Meter removal")
    SPECIAL = "special", _("Special read")


def _register(verbose_name: StrOrPromise) -> models.DecimalField[object, object]:
    return models.DecimalField(
        verbose_name, max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS, null=True, blank=True
    )


class MeterRead(models.Model):
    """One read of a meter at one time, carrying all its registers in one row.

    Register values are dial readings (before the multiplier), in kWh / kvarh; maximum demand
    in kW. ``metering_point`` is where the meter was installed when read.
    """

    org_unit = org_unit_field()
    meter = models.ForeignKey(Meter, verbose_name=_("meter"), on_delete=models.PROTECT, related_name="reads")
    metering_point = models.ForeignKey(
        MeteringPoint, verbose_name=_("metering point"), on_delete=models.PROTECT, related_name="reads"
    )
    read_at = models.DateTimeField(_("read at"))
    source = models.CharField(_("source"), max_length=16, choices=ReadSource.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ReadStatus.choices, default=ReadStatus.VALID
    )
    reason = models.CharField(
        _("reason"), max_length=16, choices=ReadReason.choices, default=ReadReason.PERIODIC
    )
    import_active_total = models.DecimalField(
        _("import active total (kWh)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS
    )
    import_active_sharp = _register(_("import active sharp (kWh)"))
    import_active_peak = _register(_("import active peak (kWh)"))
    import_active_flat = _register(_("import active flat (kWh)"))
    import_active_valley = _register(_("import active valley (kWh)"))
    export_active_total = _register(_("export active total (kWh)"))
    reactive_import_total = _register(_("reactive forward (kvarh)"))
    reactive_export_total = _register(_("reactive reverse (kvarh)"))
    maximum_demand_kw = models.DecimalField(
        _("maximum demand (kW)"), max_digits=12, decimal_places=DEMAND_DECIMALS, null=True, blank=True
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter read")
        verbose_name_plural = _("meter reads")
        ordering = ["meter", "read_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "read_at"],
                name="meterread_one_per_meter_and_time",
                violation_error_message=_("This meter already has a read at this time."),
            ),
            models.CheckConstraint(
                condition=Q(import_active_total__gte=0)
                & (Q(import_active_sharp__isnull=True) | Q(import_active_sharp__gte=0))
                & (Q(import_active_peak__isnull=True) | Q(import_active_peak__gte=0))
                & (Q(import_active_flat__isnull=True) | Q(import_active_flat__gte=0))
                & (Q(import_active_valley__isnull=True) | Q(import_active_valley__gte=0))
                & (Q(export_active_total__isnull=True) | Q(export_active_total__gte=0))
                & (Q(reactive_import_total__isnull=True) | Q(reactive_import_total__gte=0))
                & (Q(reactive_export_total__isnull=True) | Q(reactive_export_total__gte=0))
                & (Q(maximum_demand_kw__isnull=True) | Q(maximum_demand_kw__gte=0)),
                name="meterread_registers_not_negative",
                violation_error_message=_("Register readings cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["metering_point", "read_at"])]

    def __str__(self) -> str:
        return f"{self.meter} {self.read_at:%Y-%m-%d %H:%M}"


class IntervalQuantity(models.TextChoices):
    ENERGY_KWH = "kwh", _("Energy per interval (kWh)")
    DEMAND_KW = "kw", _("Average demand (kW)")


class IntervalReadDay(models.Model):
    """One metering point's interval values for one local day, packed in one row.

    ``values`` holds ``24 * 60 / interval_minutes`` little-endian signed 32-bit integers in
    thousandths of the quantity (Wh or W); ``missing`` is a bitmap, one bit per interval, set
    where no value was collected. A day of 15-minute reads is 96 × 4 + 12 bytes instead of 96
    rows: a province's billions of intervals become tens of millions of rows.
    """

    org_unit = org_unit_field()
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="interval_days",
    )
    read_date = models.DateField(_("date"))
    quantity = models.CharField(_("quantity"), max_length=4, choices=IntervalQuantity.choices)
    interval_minutes = models.PositiveSmallIntegerField(_("interval (minutes)"))
    values = models.BinaryField(_("values"))
    missing = models.BinaryField(_("missing-interval bitmap"))
    source = models.CharField(_("source"), max_length=16, choices=ReadSource.choices, default=ReadSource.AMI)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interval read day")
        verbose_name_plural = _("interval read days")
        ordering = ["metering_point", "read_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["metering_point", "quantity", "read_date"],
                name="intervalreadday_one_per_point_quantity_day",
                violation_error_message=_("This metering point already has interval reads for this day."),
            ),
            models.CheckConstraint(
                condition=Q(interval_minutes__in=[15, 30, 60]),
                name="intervalreadday_interval_15_30_60",
                violation_error_message=_("The interval must be 15, 30 or 60 minutes."),
            ),
            # 4 bytes per interval and one bitmap bit per interval: a blob of the wrong size
            # would unpack into the wrong intervals, so no writer (bulk paths included) may store one.
            models.CheckConstraint(
                condition=Exact(Length("values"), Value(4 * 24 * 60) / F("interval_minutes")),
                name="intervalreadday_values_one_int32_per_interval",
                violation_error_message=_("The packed values do not hold one value per interval."),
            ),
            models.CheckConstraint(
                condition=Exact(Length("missing"), (Value(24 * 60) / F("interval_minutes") + 7) / 8),
                name="intervalreadday_missing_one_bit_per_interval",
                violation_error_message=_("The missing-interval bitmap does not hold one bit per interval."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metering_point.code} {self.read_date} {self.quantity}/{self.interval_minutes}min"
