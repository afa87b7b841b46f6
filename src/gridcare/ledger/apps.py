from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """The receivables ledger (应收账款明细账): double-entry journal entries and postings, the
    chart of accounts, per-account balances (issue 6)."""

    name = "gridcare.ledger"
    verbose_name = _("Ledger")
