"""Payments (电费回收): each payment received, on any channel, with the journal entry that posted
it and, once reversed, the entry that reversed it (docs/payments.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field

MONEY_DIGITS, MONEY_DECIMALS = 16, 2


class PaymentChannel(models.TextChoices):
    COUNTER_CASH = "counter_cash", _("Counter, cash")
    COUNTER_CARD = "counter_card", _("Counter, bank card")
    DOOR_TO_DOOR = "door_to_door", _("Door-to-door collection")
    BANK_REALTIME = "bank_realtime", _("Bank real-time collection")
    BANK_DEBIT = "bank_debit", _("Bank direct debit")
    PROVIDER = "provider", _("Payment provider")


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("Posted")
    REVERSED = "reversed", _("Reversed")


class Payment(models.Model):
    """One payment received for an account: posted to the ledger when recorded (allocated to
    its late fees and bills, the rest prepaid), reversed as a whole when it bounced or was
    taken in error."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="payments"
    )
    receipt_no = models.CharField(_("receipt number"), max_length=20, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=PaymentChannel.choices)
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    received_at = models.DateTimeField(_("received at"))
    #: The channel's serial number of the payment (a bank's, a provider's, the counter's own):
    #: a repeated notification finds the payment already recorded.
    idempotency_key = models.CharField(_("serial number"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    journal_entry = models.OneToOneField(
        "ledger.JournalEntry", verbose_name=_("journal entry"), on_delete=models.PROTECT, related_name="+"
    )
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("reversal entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_payment_positive")
        ]
        indexes = [models.Index(fields=["account", "received_at"])]

    def __str__(self) -> str:
        return self.receipt_no
