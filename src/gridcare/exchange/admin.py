"""Admin for import and export batches: a view-only list, scoped to the user's org subtree."""

from __future__ import annotations

from django.contrib import admin

from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.permissions import Permission
from gridcare.organization.admin import OrgScopedAdmin, ViewOnlyAdmin


@admin.register(ExchangeBatch)
class ExchangeBatchAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    """Batches are written by the import and export operations only; they record who moved
    which data, so those who read the audit log see them."""

    view_permission = Permission.VIEW_AUDIT_LOG

    list_display = [
        "occurred_at",
        "direction",
        "kind",
        "file_name",
        "actor",
        "org_unit",
        "rows_read",
        "rows_imported",
        "rows_rejected",
        "rows_exported",
    ]
    list_filter = ["direction", "kind", "is_partial"]
    search_fields = ["file_name", "actor__username"]
    date_hierarchy = "occurred_at"
