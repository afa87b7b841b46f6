"""Bank statements (银行对账单) and their lines, each matched to a payment or listed for a person
to resolve (对账, docs/reconciliation.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class StatementFormat(models.TextChoices):
    CAMT_053 = "camt.053", _("ISO 20022 camt.053 statement")
    CAMT_054 = "camt.054", _("ISO 20022 camt.054 notification")
    CSV = "csv", _("CSV statement")


class BankStatement(models.Model):
    """One imported statement file of one bank account: stored once (by its SHA-256, and by its
    statement id per bank account), with every line it holds."""

    org_unit = org_unit_field()
    bank = models.CharField(_("bank"), max_length=100)
    account_no = models.CharField(_("bank account"), max_length=64)
    statement_id = models.CharField(_("statement id"), max_length=100)
    file_format = models.CharField(_("format"), max_length=10, choices=StatementFormat.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    #: The integration whose signed manifest came with the file (blank: no manifest).
    manifest_integration = models.CharField(_("signed by"), max_length=100, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_no", "statement_id"], name="payments_bankstatement_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.account_no} {self.statement_id}"


class LineDirection(models.TextChoices):
    CREDIT = "credit", _("Credit (money in)")
    DEBIT = "debit", _("Debit (money out)")


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Unmatched")
    DUPLICATE = "duplicate", _("Duplicate")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount mismatch")
    DATE_MISMATCH = "date_mismatch", _("Outside the date window")
    RESOLVED = "resolved", _("Resolved")


class LineResolution(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to an account")
    DISMISSED = "dismissed", _("Dismissed")
    BANK_AMOUNT_ACCEPTED = "bank_amount_accepted", _("Bank's amount accepted")
    MATCH_CONFIRMED = "match_confirmed", _("Match confirmed")


class StatementLine(models.Model):
    """One booked transaction of a statement (an entry, or one transaction of a batch entry):
    matched to its payment and cleared on import, or listed until a person resolves it."""

    org_unit = org_unit_field()
    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    #: Where the line is in its file: the entry's number (camt) or the row's (CSV) ...
    position = models.PositiveIntegerField(_("entry"))
    #: ... and, in a camt entry of several transactions, the transaction's number (else 1).
    transaction_no = models.PositiveIntegerField(_("transaction"), default=1)
    direction = models.CharField(_("direction"), max_length=6, choices=LineDirection.choices)
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=100, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    remittance_info = models.CharField(_("remittance information"), max_length=200, blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=140, blank=True)
    #: What matching found on import; kept when a person resolves the line.
    found_status = models.CharField(_("found on import"), max_length=16, choices=LineStatus.choices)
    status = models.CharField(_("status"), max_length=16, choices=LineStatus.choices)
    #: The reference that named a payment (or was first seen), as matched.
    matched_reference = models.CharField(_("matched reference"), max_length=100, blank=True)
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
    )
    #: Dr 银行存款 / Cr 银行在途 for the line's amount, once it is matched or assigned.
    clearing_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("clearing entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=24, choices=LineResolution.choices, blank=True)
    resolution_reason = models.CharField(_("reason"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position", "transaction_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position", "transaction_no"], name="payments_statementline_position"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_statementline_positive"),
        ]
        indexes = [models.Index(fields=["matched_reference"])]

    def __str__(self) -> str:
        return f"{self.statement_id}#{self.position}.{self.transaction_no}"
