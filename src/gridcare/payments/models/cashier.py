"""Cashier shifts (收费员班次): a cashier's turn at a counter (坐收) or in the field (走收), the
payments taken in it and the cash counted when it closes (docs/cashier.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class ShiftKind(models.TextChoices):
    COUNTER = "counter", _("Counter")
    FIELD = "field", _("Door-to-door")


class ShiftStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class TenderMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")


class CashierShift(models.Model):
    """One cashier's shift: opened with a float of cash at a counter (an org unit), closed by
    counting the cash. The difference (counted − expected) is 长款 above zero, 短款 below; a
    shift closed with a difference carries its reason and waits for a supervisor's review."""

    #: The counter: the org unit (营业厅, 供电所) the shift is kept at.
    org_unit = org_unit_field()
    number = models.CharField(_("shift number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=ShiftKind.choices)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ShiftStatus.choices, default=ShiftStatus.OPEN
    )
    opening_float = models.DecimalField(
        _("opening float"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS
    )
    opened_at = models.DateTimeField(_("opened at"))
    #: The last sequence number given to a payment of the shift (its serial is number-sequence).
    last_sequence = models.PositiveIntegerField(_("last payment sequence"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    expected_cash = models.DecimalField(
        _("expected cash"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    counted_cash = models.DecimalField(
        _("counted cash"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    #: counted − expected: above zero an overage (长款), below zero a shortage (短款).
    difference = models.DecimalField(
        _("difference"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    close_reason = models.CharField(_("reason for the difference"), max_length=300, blank=True)
    needs_review = models.BooleanField(_("needs a supervisor's review"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cashier shift")
        verbose_name_plural = _("cashier shifts")
        constraints = [
            models.UniqueConstraint(
                fields=["cashier"],
                condition=Q(status="open"),
                name="payments_one_open_shift_per_cashier",
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="payments_shift_float_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ShiftPayment(models.Model):
    """A payment taken in a shift, with the cash tendered and the change given (cash only), and
    when it was reversed within the shift (a cashier's error: the cash went back)."""

    shift = models.ForeignKey(
        CashierShift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="payments"
    )
    payment = models.OneToOneField(
        "payments.Payment", verbose_name=_("payment"), on_delete=models.PROTECT, related_name="shift_link"
    )
    sequence = models.PositiveIntegerField(_("sequence in the shift"))
    method = models.CharField(_("method"), max_length=8, choices=TenderMethod.choices)
    tendered = models.DecimalField(
        _("tendered"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    change_given = models.DecimalField(
        _("change given"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, null=True, blank=True
    )
    reversed_at = models.DateTimeField(_("reversed in the shift at"), null=True, blank=True)
    #: The token of the form the payment was submitted with: the same form submitted twice (a
    #: double click, a resent request) takes the payment once.
    submission = models.CharField(_("submission token"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("shift payment")
        verbose_name_plural = _("shift payments")
        constraints = [
            models.UniqueConstraint(fields=["shift", "sequence"], name="payments_shift_sequence_unique"),
            models.UniqueConstraint(
                fields=["shift", "submission"],
                condition=~Q(submission=""),
                name="payments_shift_submission_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shift_id}-{self.sequence}"
