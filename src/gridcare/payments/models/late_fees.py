"""Late fees charged (电费违约金): one row per bill per charge, the fee of the overdue days it
covers on what was unpaid of the bill then (docs/late-fees.md, "Charging")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class LateFeeCharge(models.Model):
    """The late fee a bill accrued from ``from_date`` through ``through_date`` on ``base`` (its
    unpaid amount over those days), posted by ``journal_entry`` as a receivable of its own. The
    latest ``through_date`` of a bill is where its next charge starts."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    #: The ledger item of the bill (``billing.bill:<id>``) the fee accrued on.
    bill_item = models.CharField(_("bill item"), max_length=100)
    bill_due_date = models.DateField(_("bill due date"))
    base = models.DecimalField(_("unpaid amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    from_date = models.DateField(_("from"))
    through_date = models.DateField(_("through"))
    days = models.PositiveIntegerField(_("days"))
    late_fee = models.DecimalField(_("late fee"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    #: What the rule set's minimum added to this charge (the 1996 rules' "under 1 yuan is 1 yuan").
    minimum_added = models.DecimalField(
        _("added by the minimum"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, default=0
    )
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", verbose_name=_("journal entry"), on_delete=models.PROTECT, related_name="+"
    )
    charged_at = models.DateTimeField(_("charged at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("late fee charge")
        verbose_name_plural = _("late fee charges")
        indexes = [models.Index(fields=["account", "bill_item", "through_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(through_date__gte=models.F("from_date")), name="payments_late_fee_days"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bill_item} {self.from_date}–{self.through_date}: {self.late_fee}"
