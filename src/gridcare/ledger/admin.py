"""The chart of accounts in the admin site: the names and the general ledger's account numbers
are configuration, corrected by the administrators (audited); the codes, kinds and per-account
keeping drive the postings and stay as they are."""

from __future__ import annotations

from django.contrib import admin

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.identity.permissions import Permission
from gridcare.ledger.models import LedgerAccount
from gridcare.organization.admin import PermissionAdmin


@admin.register(LedgerAccount)
class LedgerAccountAdmin(AuditedCorrectionAdmin, PermissionAdmin):
    # Platform configuration: the administrators who may enter the admin site.
    view_permission = Permission.MANAGE_USERS.value
    change_permission = Permission.MANAGE_USERS.value
    list_display = ["code", "name_zh", "name_en", "kind", "gl_code", "per_customer_account"]
    fields = ["code", "name_zh", "name_en", "kind", "gl_code", "per_customer_account"]
    readonly_fields = ["code", "kind", "per_customer_account"]
