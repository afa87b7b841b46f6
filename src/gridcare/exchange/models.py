"""The record of each committed import and each export: the target of its audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, OrgUnit


class ExchangeKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ACCOUNTS = "accounts", _("Accounts")
    METERING_POINTS = "metering_points", _("Metering points")
    METERS = "meters", _("Meters")
    READS = "reads", _("Meter reads")


class ExchangeDirection(models.TextChoices):
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")


class ExchangeBatch(models.Model):
    """One import that was committed (a rejected file leaves no trace but its report) or one
    export: which file, who, in which org scope, and how many rows."""

    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        help_text=_(
            "The org unit whose subtree the batch covered: the one chosen for it, else the acting "
            "user's, else the root of the org tree."
        ),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    direction = models.CharField(_("direction"), max_length=8, choices=ExchangeDirection.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ExchangeKind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    is_partial = models.BooleanField(_("partial import"), default=False)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    rows_exported = models.PositiveIntegerField(_("rows exported"), default=0)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import or export batch")
        verbose_name_plural = _("import and export batches")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_imported__lte=models.F("rows_read"))
                & Q(rows_rejected__lte=models.F("rows_read")),
                name="exchangebatch_counts_within_rows_read",
                violation_error_message=_("A batch cannot import or reject more rows than it read."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.file_name}"
