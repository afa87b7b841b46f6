"""Bill runs (核算批次), bills and their lines.

A bill run bills the accounts of one org unit (optionally only some reading routes) for one
period ``[period_start, period_end)``. The runner works through the run's partitions (ranges of
account ids); each partition's bills are written in one transaction together with the
partition's "done" mark, and a regular bill is unique per account and period, so a run killed
mid-way and run again yields exactly one bill per account (docs/billing-runs.md).

Issued bills and their lines never change (:meth:`Bill.save` refuses it, as does
:meth:`BillLine.save`); a correction is an adjustment bill (退补电费) that points at the bill it
corrects and carries the reversed and the recalculated lines.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.billing.errors import IssuedBillImmutable
from gridcare.kit.exact_json import ExactJSONEncoder
from gridcare.organization.models import OrgScopedQuerySet, org_unit_field

#: Money columns: yuan with two decimals (fen), wide enough for a province's run total.
MONEY_DIGITS, MONEY_DECIMALS = 16, 2


class BillRunStatus(models.TextChoices):
    CREATED = "created", _("Created")
    CALCULATING = "calculating", _("Calculating")
    IN_REVIEW = "in_review", _("In review")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


#: Accounts per bill run partition (one transaction each): large enough that a partition's
#: fixed costs (its queries, the engine pass's set-up) are small per account, small enough that
#: a crash loses little and a worker's memory stays low (docs/benchmarks.md, "Results").
DEFAULT_PARTITION_SIZE = 2500


class BillRun(models.Model):
    """One bill run (核算批次): an org unit's accounts (all, or those of the listed reading
    routes) billed for ``[period_start, period_end)``."""

    org_unit = org_unit_field()
    number = models.CharField(_("run number"), max_length=20, unique=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    reading_routes = models.ManyToManyField(
        "customers.ReadingRoute", verbose_name=_("reading routes"), blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BillRunStatus.choices, default=BillRunStatus.CREATED
    )
    partition_size = models.PositiveIntegerField(_("accounts per partition"), default=DEFAULT_PARTITION_SIZE)
    accounts_total = models.PositiveIntegerField(_("accounts"), default=0)
    accounts_done = models.PositiveIntegerField(_("accounts calculated"), default=0)
    bills_flagged = models.PositiveIntegerField(_("bills with exceptions"), default=0)
    job_run_id = models.UUIDField(_("background job"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    calculated_at = models.DateTimeField(_("calculated at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="billrun_period_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(accounts_done__lte=models.F("accounts_total")), name="billrun_progress_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PartitionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class BillRunPartition(models.Model):
    """The accounts of a run with ids in ``[account_id_from, account_id_to]``: the unit of work
    the runner commits at once (bills, lines and this row's ``done`` in one transaction)."""

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="partitions")
    index = models.PositiveIntegerField(_("index"))
    account_id_from = models.BigIntegerField(_("first account id"))
    account_id_to = models.BigIntegerField(_("last account id"))
    accounts = models.PositiveIntegerField(_("accounts"))
    status = models.CharField(
        _("status"), max_length=8, choices=PartitionStatus.choices, default=PartitionStatus.PENDING
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill run partition")
        verbose_name_plural = _("bill run partitions")
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="billrunpartition_index"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}"


class BillKind(models.TextChoices):
    REGULAR = "regular", _("Regular bill")
    ADJUSTMENT = "adjustment", _("Adjustment bill (退补)")


class BillStatus(models.TextChoices):
    CALCULATED = "calculated", _("Calculated")
    HELD = "held", _("Held")
    READ_CHECK = "read_check", _("Sent back for a read check")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses a bill can still change from; an issued bill changes no more.
OPEN_BILL_STATUSES = (BillStatus.CALCULATED, BillStatus.HELD, BillStatus.READ_CHECK, BillStatus.APPROVED)


class BillQuerySet(OrgScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        # A bulk update bypasses save(): refuse it on issued bills the same way.
        if self.filter(status=BillStatus.ISSUED).exists():
            raise IssuedBillImmutable(number="*")
        return super().update(**kwargs)


class Bill(models.Model):
    """One bill of one account for ``[period_start, period_end)``: a regular bill of a run, or
    an adjustment bill (退补电费) correcting an issued bill (``adjusts``).

    ``usage`` is the usage the bill was calculated from with its explanation (reads, multiplier,
    losses, deductions, estimates); ``exceptions`` the review flags (量费审核)."""

    org_unit = org_unit_field()
    run = models.ForeignKey(
        BillRun,
        verbose_name=_("bill run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="bills"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=BillKind.choices, default=BillKind.REGULAR)
    status = models.CharField(
        _("status"), max_length=16, choices=BillStatus.choices, default=BillStatus.CALCULATED
    )
    number = models.CharField(_("bill number"), max_length=24, null=True, blank=True, unique=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end (exclusive)"))
    tariff_code = models.CharField(_("tariff code"), max_length=100)
    tariff_version = models.ForeignKey(
        "tariffs.TariffVersion",
        verbose_name=_("tariff version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    energy_kwh = models.DecimalField(_("billed energy (kWh)"), max_digits=18, decimal_places=3)
    total = models.DecimalField(_("total (yuan)"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    #: The usage explanation: the calculation's dataclasses until saved, stored as exact JSON
    #: data (decimals as strings, digit for digit) by the encoder.
    usage = models.JSONField(_("usage and its explanation"), default=dict, encoder=ExactJSONEncoder)
    exceptions = models.JSONField(_("review exceptions"), default=list)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    adjusts = models.ForeignKey(
        "self",
        verbose_name=_("adjusts bill"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    adjustment_reason = models.CharField(_("adjustment reason"), max_length=300, blank=True)
    calculated_at = models.DateTimeField(_("calculated at"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)

    objects = BillQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["account", "period_start", "id"]
        constraints = [
            # Exactly one live regular bill per account and period, whatever the runner does.
            models.UniqueConstraint(
                fields=["account", "period_start", "period_end"],
                condition=Q(kind="regular") & ~Q(status="withdrawn"),
                name="bill_one_regular_per_account_and_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="regular", adjusts__isnull=True)
                | Q(kind="adjustment", adjusts__isnull=False),
                name="bill_adjustment_points_at_its_bill",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | (Q(number__isnull=False) & Q(issued_at__isnull=False)),
                name="bill_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")), name="bill_period_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
            models.Index(fields=["account", "period_start"]),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.account_id}:{self.period_start}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Refused wherever the save comes from (admin, shell, an operation): the receivables
        # ledger and the customer's copy depend on an issued bill as issued.
        if not self._state.adding and self.pk is not None:
            stored_status = Bill.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored_status == BillStatus.ISSUED:
                raise IssuedBillImmutable(number=self.number or str(self.pk))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status == BillStatus.ISSUED:
            raise IssuedBillImmutable(number=self.number or str(self.pk))
        return super().delete(*args, **kwargs)


class BillLine(models.Model):
    """One line of a bill with what produced it: quantity × unit price = amount (rounded half
    up to the fen), the rule's name and its inputs, and the tariff version that priced it."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=64)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16)
    unit_price = models.DecimalField(_("unit price"), max_digits=16, decimal_places=6)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    rule = models.CharField(_("rule"), max_length=200)
    inputs = models.JSONField(_("inputs"), default=dict)
    tariff_version = models.ForeignKey(
        "tariffs.TariffVersion",
        verbose_name=_("tariff version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "position"], name="billline_position"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}:{self.position} {self.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.bill.status == BillStatus.ISSUED:
            raise IssuedBillImmutable(number=self.bill.number or str(self.bill_id))
        super().save(*args, **kwargs)


class BasicChargeBasis(models.TextChoices):
    DEMAND = "demand", _("By maximum demand (按需量)")
    CAPACITY = "capacity", _("By capacity (按容量)")


class AccountBillingTerms(models.Model):
    """The billing terms of an account's supply contract (供用电合同) beyond its tariff code: how
    a two-part tariff's basic charge is billed, the contract demand and running capacity, and
    the household categories that change the tiers (large households, 低保/五保 free kWh).

    An account without a row bills with none of these (single-part tariffs need none)."""

    org_unit = org_unit_field()
    account = models.OneToOneField(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="billing_terms"
    )
    basic_charge_basis = models.CharField(
        _("basic charge basis"), max_length=8, choices=BasicChargeBasis.choices, blank=True
    )
    contract_demand_kw = models.DecimalField(
        _("contract demand (kW)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    running_capacity_kva = models.DecimalField(
        _("running capacity (kVA)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    large_household = models.BooleanField(_("large household (tier quota allowance)"), default=False)
    low_income = models.BooleanField(_("low-income household (低保/五保 free kWh)"), default=False)
    changed_at = models.DateTimeField(_("changed at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account billing terms")
        verbose_name_plural = _("account billing terms")
        ordering = ["account"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(basic_charge_basis="demand") | Q(contract_demand_kw__isnull=False),
                name="billingterms_demand_basis_has_contract_demand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}"
