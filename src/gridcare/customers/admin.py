"""Admin for the customer file, scoped to the user's org subtree.

Records are created and change state only through :mod:`gridcare.customers.operations`; the
admin allows audited corrections of names and addresses, and shows everything else.
"""

from __future__ import annotations

from django.contrib import admin

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.customers.models import (
    Account,
    AccountManagerAssignment,
    AccountStatusChange,
    Contact,
    ContactLogEntry,
    Customer,
    PortalLink,
    ReadingRoute,
)
from gridcare.identity.permissions import Permission
from gridcare.organization.admin import OrgScopedAdmin, ViewOnlyAdmin, ViewOnlyInline


class ContactInline(ViewOnlyInline):
    model = Contact
    fields = ["name", "is_primary", "mobile", "landline", "email", "wechat_openid"]


@admin.register(Customer)
class CustomerAdmin(OrgScopedAdmin, AuditedCorrectionAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    change_permission = Permission.CHANGE_CUSTOMERS
    list_display = ["customer_no", "name", "kind", "org_unit", "created_at"]
    list_filter = ["kind"]
    search_fields = ["customer_no", "name", "id_number", "credit_code", "postal_address"]
    list_select_related = ["org_unit"]
    readonly_fields = ["customer_no", "kind", "id_number", "credit_code", "org_unit", "created_at"]
    fields = [
        "customer_no",
        "kind",
        "name",
        "id_number",
        "credit_code",
        "postal_address",
        "org_unit",
        "created_at",
    ]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    scoped_through = "customer"
    list_display = ["name", "customer", "is_primary", "mobile", "landline", "email"]
    list_filter = [
        "is_primary",
        "consents_to_sms",
        "consents_to_phone",
        "consents_to_email",
        "consents_to_wechat",
    ]
    search_fields = ["name", "mobile", "landline", "email", "customer__customer_no", "customer__name"]
    list_select_related = ["customer"]


@admin.register(ReadingRoute)
class ReadingRouteAdmin(OrgScopedAdmin, AuditedCorrectionAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    change_permission = Permission.CHANGE_CUSTOMERS
    list_display = ["code", "name", "org_unit", "reading_day", "reader"]
    list_filter = ["reading_day"]
    search_fields = ["code", "name"]
    list_select_related = ["org_unit", "reader"]
    readonly_fields = ["code", "org_unit", "reading_day", "reader"]
    fields = ["code", "name", "org_unit", "reading_day", "reader"]


class AccountStatusChangeInline(ViewOnlyInline):
    model = AccountStatusChange
    fields = ["status", "effective_date", "reason", "recorded_at", "recorded_by"]


class AccountManagerAssignmentInline(ViewOnlyInline):
    model = AccountManagerAssignment
    fields = ["manager", "valid_from", "valid_to"]


ACCOUNT_FIELDS = (
    "account_no",
    "customer",
    "org_unit",
    "name",
    "service_address",
    "usage_category",
    "industry_code",
    "voltage_level",
    "contract_capacity_kva",
    "tariff_code",
    "payment_method",
    "reading_route",
    "reading_day",
    "status",
    "status_effective_date",
    "opened_date",
    "is_key_account",
)


@admin.register(Account)
class AccountAdmin(OrgScopedAdmin, AuditedCorrectionAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    change_permission = Permission.CHANGE_CUSTOMERS
    list_display = [
        "account_no",
        "name",
        "customer",
        "org_unit",
        "usage_category",
        "voltage_level",
        "contract_capacity_kva",
        "status",
        "is_key_account",
    ]
    list_filter = ["status", "usage_category", "voltage_level", "payment_method", "is_key_account"]
    search_fields = ["account_no", "name", "service_address", "customer__customer_no", "customer__name"]
    list_select_related = ["customer", "org_unit"]
    fields = ACCOUNT_FIELDS
    # Only names and addresses are corrected here; everything else changes through operations.
    readonly_fields = [name for name in ACCOUNT_FIELDS if name not in ("name", "service_address")]
    inlines = [AccountStatusChangeInline, AccountManagerAssignmentInline]


@admin.register(AccountStatusChange)
class AccountStatusChangeAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    scoped_through = "account"
    list_display = ["account", "status", "effective_date", "reason", "recorded_at", "recorded_by"]
    list_filter = ["status"]
    search_fields = ["account__account_no", "account__name", "reason"]
    list_select_related = ["account", "recorded_by"]
    date_hierarchy = "effective_date"


@admin.register(AccountManagerAssignment)
class AccountManagerAssignmentAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    scoped_through = "account"
    list_display = ["account", "manager", "valid_from", "valid_to"]
    search_fields = ["account__account_no", "account__name", "manager__username", "manager__first_name"]
    list_select_related = ["account", "manager"]


@admin.register(ContactLogEntry)
class ContactLogEntryAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    list_display = [
        "account",
        "kind",
        "occurred_at",
        "staff",
        "summary",
        "follow_up_date",
        "follow_up_done_at",
    ]
    list_filter = ["kind"]
    search_fields = ["account__account_no", "account__name", "summary", "staff__username"]
    list_select_related = ["account", "staff"]
    date_hierarchy = "occurred_at"


@admin.register(PortalLink)
class PortalLinkAdmin(OrgScopedAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    scoped_through = "customer"
    list_display = ["user", "customer"]
    search_fields = ["user__username", "user__mobile", "customer__customer_no", "customer__name"]
    list_select_related = ["user", "customer"]
