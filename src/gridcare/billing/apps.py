from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Billing (电费核算): the engine, quotes, bill runs and bills (issue 5)."""

    name = "gridcare.billing"
    verbose_name = _("Billing")
