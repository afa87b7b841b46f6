"""The receivables sub-ledger (docs/ledger.md, ADR 0009): a chart of ledger accounts, journal
entries of balanced postings, and each customer account's balances derived from them.

Journal entries and postings are never changed or deleted once written (corrections are
reversal entries): the models refuse it, and on PostgreSQL so do triggers, which also check at
commit that every entry's postings balance.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.ledger.errors import LedgerEntryImmutable
from gridcare.organization.models import OrgScopedQuerySet, org_unit_field

#: Money columns: yuan with two decimals (fen).
MONEY_DIGITS, MONEY_DECIMALS = 16, 2


class LedgerAccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


class LedgerAccount(models.Model):
    """One account of the chart (会计科目): the codes the operations post to are fixed (see
    :class:`gridcare.ledger.chart.ChartCode`); names, the general ledger's own account numbers
    and further accounts are configuration (the admin)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=LedgerAccountKind.choices)
    #: The general ledger's account number for this account in the daily GL export.
    gl_code = models.CharField(_("general ledger account"), max_length=40, blank=True)
    #: Whether postings name a customer account (receivables and prepayments do; revenue does not).
    per_customer_account = models.BooleanField(_("kept per customer account"), default=False)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def debit_normal(self) -> bool:
        """Whether the account's balance is normally on the debit side (assets and expenses)."""
        return self.kind in (LedgerAccountKind.ASSET, LedgerAccountKind.EXPENSE)


class JournalEntryKind(models.TextChoices):
    BILL_ISSUED = "bill_issued", _("Bill issued")
    BILL_ADJUSTED = "bill_adjusted", _("Bill adjusted")
    PAYMENT = "payment", _("Payment")
    ALLOCATION = "allocation", _("Allocation")
    LATE_FEE = "late_fee", _("Late fee")
    WAIVER = "waiver", _("Late fee waived")
    REFUND = "refund", _("Refund")
    WRITE_OFF = "write_off", _("Written off")
    REVERSAL = "reversal", _("Reversal")


class ImmutableQuerySet(OrgScopedQuerySet):
    """Refuses bulk updates and deletes: ledger rows are written once."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerEntryImmutable()

    def delete(self) -> NoReturn:
        raise LedgerEntryImmutable()


class _WrittenOnce(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerEntryImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerEntryImmutable()


class JournalEntry(_WrittenOnce):
    """One journal entry (记账凭证): postings whose debits equal their credits, about one business
    event (a bill issued, a payment …), in one org unit. Never changed: reversed by another."""

    org_unit = org_unit_field()
    number = models.CharField(_("entry number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=JournalEntryKind.choices)
    #: The business date the entry belongs to (Asia/Shanghai): the day of the trial balance.
    entry_date = models.DateField(_("entry date"))
    posted_at = models.DateTimeField(_("posted at"))
    description = models.CharField(_("description"), max_length=200)
    #: What the entry is about, as "app.model:id" (a bill, a payment …).
    source = models.CharField(_("source"), max_length=60)
    #: The event's own unique key where it has one (a bank serial number, a bill issue): the
    #: same event never posts twice.
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        indexes = [
            models.Index(fields=["entry_date", "org_unit"]),
            models.Index(fields=["source"]),
        ]

    def __str__(self) -> str:
        return self.number


class Posting(_WrittenOnce):
    """One line of a journal entry: a debit or a credit to one ledger account, for one customer
    account where the ledger account is kept per customer account."""

    org_unit = org_unit_field()
    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("journal entry"), on_delete=models.PROTECT, related_name="postings"
    )
    ledger_account = models.ForeignKey(
        LedgerAccount, verbose_name=_("ledger account"), on_delete=models.PROTECT, related_name="+"
    )
    customer_account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    debit = models.DecimalField(_("debit"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0)
    credit = models.DecimalField(
        _("credit"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    #: The open item the posting belongs to ("billing.bill:42"): a receivable and what settles it.
    item = models.CharField(_("open item"), max_length=60, blank=True)
    #: When the open item falls due (receivables): what ageing and late fees count from.
    due_date = models.DateField(_("due date"), null=True, blank=True)
    entry_date = models.DateField(_("entry date"))

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="ledger_posting_one_side",
            ),
        ]
        indexes = [
            models.Index(fields=["customer_account", "ledger_account"]),
            models.Index(fields=["ledger_account", "entry_date"]),
            models.Index(fields=["item"]),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.ledger_account_id} {self.debit or -self.credit}"


class AccountBalance(models.Model):
    """A customer account's balances, kept with every posting in the same transaction (a cache
    of the postings: ``gridcare ledger check`` proves them equal). Positive = owed to us."""

    org_unit = org_unit_field()
    customer_account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="ledger_balance",
    )
    energy_owed = models.DecimalField(
        _("electricity charges owed"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    late_fees_owed = models.DecimalField(
        _("late fees owed"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    prepaid = models.DecimalField(
        _("prepaid balance"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    updated_at = models.DateTimeField(_("updated at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")

    def __str__(self) -> str:
        return f"{self.customer_account_id}: {self.energy_owed}"
