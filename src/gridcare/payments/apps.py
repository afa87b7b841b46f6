from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Payments (电费回收): channels, allocation, late fees, arrears and dunning, prepaid, bank
    files and reconciliation (issue 6)."""

    name = "gridcare.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from gridcare.payments.late_fees import register_payment_approval_kinds

        register_payment_approval_kinds()
