"""Payment orders (支付订单) of the third-party payment provider channel: the portal creates one
for what a customer is about to pay, the provider's signed notification pays it
(docs/provider-payments.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, org_unit_field
from gridcare.payments.models.payment import MONEY_DECIMALS, MONEY_DIGITS


class ProviderOrderPurpose(models.TextChoices):
    PAY_BILLS = "pay_bills", _("Pay bills")
    TOP_UP = "top_up", _("Top up the prepaid balance")


class ProviderOrderStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")


class ProviderOrder(models.Model):
    """One order sent to the payment provider: created → paid (the provider's notification
    recorded its payment) or closed (the customer cancelled at the provider)."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="provider_orders",
    )
    #: Our order number, sent to the provider and named in its notifications.
    out_trade_no = models.CharField(_("order number"), max_length=32, unique=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=ProviderOrderPurpose.choices)
    amount = models.DecimalField(_("amount"), max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    status = models.CharField(
        _("status"), max_length=10, choices=ProviderOrderStatus.choices, default=ProviderOrderStatus.CREATED
    )
    #: The provider's own number of the trade, once paid (the payment's serial number).
    trade_no = models.CharField(_("provider trade number"), max_length=64, blank=True)
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provider_order",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_provider_order_positive")
        ]
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return self.out_trade_no
