"""Prepaid (预付费 / 远程费控): an account's prepaid arrangement — its alert thresholds and
allowed overdraft, the latest estimate of what it used since its last bill, its available
balance, the low-balance alerts sent and its cut-off state — and the alerts' history
(docs/prepaid.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class PrepaidStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class PrepaidCutoff(models.TextChoices):
    """Where an arrangement stands on cutting off: nothing to do, a cut-off due but waiting for
    quiet hours to end, an order made, or skipped because the account is protected."""

    NONE = "none", _("Supplied")
    WAITING = "waiting", _("Cut-off waiting for quiet hours to end")
    ORDERED = "ordered", _("Cut-off ordered")
    PROTECTED = "protected", _("Cut-off skipped: protected account")


class PrepaidArrangement(models.Model):
    """An account paying in advance: from ``started_on`` until ended (one active per account).
    The available balance is the prepaid balance less what the account owes (open bills, late
    fees) less the estimated charges of its usage not yet billed (through ``estimate_through``);
    it is refreshed by the daily estimate and by every payment."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="prepaid_arrangements",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=PrepaidStatus.choices, default=PrepaidStatus.ACTIVE
    )
    started_on = models.DateField(_("started on"))
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The low-balance alert thresholds, yuan as strings, highest first (e.g. "50.00", "20.00",
    #: "0.00").
    alert_thresholds = models.JSONField(_("alert thresholds"))
    allowed_overdraft = models.DecimalField(
        _("allowed overdraft"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS
    )
    estimated_charges = models.DecimalField(
        _("estimated unbilled charges"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    #: The last day of usage the estimate covers (blank: no estimate yet).
    estimate_through = models.DateField(_("estimate through"), null=True, blank=True)
    estimated_at = models.DateTimeField(_("estimated at"), null=True, blank=True)
    available_balance = models.DecimalField(
        _("available balance"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    balance_at = models.DateTimeField(_("balance at"))
    #: The thresholds whose alert was sent and not re-armed since (the balance is still at or
    #: below them).
    alerts_sent = models.JSONField(_("alerts sent"), default=list)
    cutoff = models.CharField(
        _("cut-off"), max_length=12, choices=PrepaidCutoff.choices, default=PrepaidCutoff.NONE
    )
    #: Why the cut-off waits or was skipped.
    cutoff_detail = models.CharField(_("cut-off detail"), max_length=200, blank=True)
    cutoff_since = models.DateTimeField(_("cut-off since"), null=True, blank=True)
    #: The threshold the balance fell below (minus the allowed overdraft then): a balance back
    #: above it reconnects.
    cutoff_threshold = models.DecimalField(
        _("cut-off threshold"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    cutoff_order = models.ForeignKey(
        "payments.SupplyOrder",
        verbose_name=_("cut-off order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("prepaid arrangement")
        verbose_name_plural = _("prepaid arrangements")
        ordering = ["account", "-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(status="active"), name="prepaid_one_active_per_account"
            ),
            models.CheckConstraint(
                condition=models.Q(allowed_overdraft__gte=0), name="prepaid_overdraft_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "org_unit"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.status} {self.started_on}"


class PrepaidAlert(models.Model):
    """A low-balance alert sent once when the available balance fell to or below a threshold
    (its ``crossing``: the n-th time that threshold was crossed in the arrangement)."""

    arrangement = models.ForeignKey(PrepaidArrangement, on_delete=models.PROTECT, related_name="alerts")
    threshold = models.DecimalField(_("threshold"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    crossing = models.PositiveIntegerField(_("crossing"))
    available_balance = models.DecimalField(
        _("available balance"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS
    )
    message_ids = models.JSONField(_("outbox messages"), default=list)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("prepaid low-balance alert")
        verbose_name_plural = _("prepaid low-balance alerts")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "threshold", "crossing"], name="prepaid_alert_once_per_crossing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.arrangement_id} ≤ {self.threshold} #{self.crossing}"
