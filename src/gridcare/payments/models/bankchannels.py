"""Bank channels (docs/bank-channels.md): the reversal notices (冲正) of bank real-time
collection (代收), and direct debit (代扣) — the customers' debit mandates, the debit batches
written to a bank and each line's result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.identity.fields import EncryptedTextField, PiiHashField
from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS

#: The longest serial number a bank may send (the payment key adds the channel and bank code).
BANK_SERIAL_LENGTH = 40


class BankReversalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for its payment")
    APPLIED = "applied", _("Applied")


class BankReversal(models.Model):
    """A bank's reversal notice (冲正) of one of its real-time payments. Kept even when it
    arrives before the payment it reverses (pending), so the payment is reversed as it arrives."""

    org_unit = org_unit_field()
    bank = models.ForeignKey(
        "identity.Integration", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+"
    )
    serial = models.CharField(_("serial number"), max_length=BANK_SERIAL_LENGTH)
    original_serial = models.CharField(_("serial number of the payment"), max_length=BANK_SERIAL_LENGTH)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=BankReversalStatus.choices)
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_reversal",
    )
    received_at = models.DateTimeField(_("received at"))
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank reversal notice")
        verbose_name_plural = _("bank reversal notices")
        constraints = [
            models.UniqueConstraint(fields=["bank", "serial"], name="payments_bankreversal_serial_once"),
            # One reversal per payment: a second notice for it is a conflict, not a second reversal.
            models.UniqueConstraint(
                fields=["bank", "original_serial"], name="payments_bankreversal_one_per_payment"
            ),
            models.CheckConstraint(
                condition=Q(status=BankReversalStatus.PENDING, payment__isnull=True)
                | Q(status=BankReversalStatus.APPLIED, payment__isnull=False),
                name="payments_bankreversal_applied_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


class DebitMandateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class DebitMandate(models.Model):
    """An account's direct-debit mandate (代扣协议): the bank and bank account its bills are
    debited from. The bank account number is personal data, encrypted at rest (ADR 0004)."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="debit_mandates",
    )
    bank = models.ForeignKey(
        "identity.Integration", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+"
    )
    bank_account_no = EncryptedTextField(_("bank account number"), max_length=34)
    bank_account_no_hash = PiiHashField(
        _("bank account number hash"), source="bank_account_no", kind="bank_account_no", db_index=True
    )
    holder_name = models.CharField(_("account holder"), max_length=100)
    status = models.CharField(
        _("status"), max_length=12, choices=DebitMandateStatus.choices, default=DebitMandateStatus.ACTIVE
    )
    signed_date = models.DateField(_("signed on"))
    cancelled_date = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit mandate")
        verbose_name_plural = _("debit mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=DebitMandateStatus.ACTIVE),
                name="payments_debitmandate_one_active_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.holder_name}"


class DebitBatch(models.Model):
    """One debit file written to a bank: the accounts with an active mandate and an amount due
    on ``debit_date``, one line each."""

    org_unit = org_unit_field()
    bank = models.ForeignKey(
        "identity.Integration", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+"
    )
    batch_no = models.CharField(_("batch number"), max_length=16, unique=True)
    debit_date = models.DateField(_("debit date"))
    file_name = models.CharField(_("file name"), max_length=100)
    line_count = models.PositiveIntegerField(_("lines"))
    total = models.DecimalField(_("total"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit batch")
        verbose_name_plural = _("debit batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.batch_no


class DebitLineStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the bank")
    DEBITED = "debited", _("Debited")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class DebitBatchLine(models.Model):
    """One account's debit in a batch; its serial (batch number + line number) is the key of the
    payment its success records."""

    org_unit = org_unit_field()
    batch = models.ForeignKey(
        DebitBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line"))
    serial = models.CharField(_("serial number"), max_length=24, unique=True)
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.ForeignKey(
        DebitMandate, verbose_name=_("debit mandate"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    status = models.CharField(
        _("status"), max_length=12, choices=DebitLineStatus.choices, default=DebitLineStatus.PENDING
    )
    result_code = models.CharField(_("result code"), max_length=4, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="debit_line",
    )
    result_at = models.DateTimeField(_("result received at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit batch line")
        verbose_name_plural = _("debit batch lines")
        ordering = ["batch", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="payments_debitline_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_debitline_positive"),
        ]

    def __str__(self) -> str:
        return self.serial
