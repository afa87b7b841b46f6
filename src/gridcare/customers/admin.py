"""Admin for the customer file, scoped to the user's org subtree.

Records are created and change state only through :mod:`gridcare.customers.operations`; the
admin allows audited corrections of names and addresses, and shows everything else. Personal
data (身份证号, phones, bank accounts) is shown masked and never edited here; it is found by
its exact value through the keyed hash columns.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridcare.audit.admin import AuditedCorrectionAdmin
from gridcare.customers import masking
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
from gridcare.identity.pii import pii_hash
from gridcare.organization.admin import ModelAdmin, OrgScopedAdmin, ViewOnlyAdmin, ViewOnlyInline


class PiiSearchAdmin(ModelAdmin):
    """Also finds rows whose personal value equals the search text exactly, by keyed hash:
    ``pii_search_hashes`` maps a hash field path to the kind of value it hashes."""

    pii_search_hashes: dict[str, str] = {}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term or not self.pii_search_hashes:
            return found, may_have_duplicates
        by_hash = Q()
        for path, kind in self.pii_search_hashes.items():
            by_hash |= Q(**{path: pii_hash(term, kind=kind)})
        return found | queryset.filter(by_hash), True


class MaskedContactFields:
    """A contact's phones, masked, for list and detail displays."""

    @admin.display(description=_("mobile"))
    def masked_mobile(self, contact: Contact) -> str:
        return masking.mask_mobile(contact.mobile)

    @admin.display(description=_("landline"))
    def masked_landline(self, contact: Contact) -> str:
        return masking.mask_landline(contact.landline)


class ContactInline(MaskedContactFields, ViewOnlyInline):
    model = Contact
    fields = ["name", "is_primary", "masked_mobile", "masked_landline", "email", "wechat_openid"]
    readonly_fields = ["masked_mobile", "masked_landline"]


@admin.register(Customer)
class CustomerAdmin(OrgScopedAdmin, PiiSearchAdmin, AuditedCorrectionAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    change_permission = Permission.CHANGE_CUSTOMERS
    list_display = ["customer_no", "name", "kind", "org_unit", "created_at"]
    list_filter = ["kind"]
    search_fields = ["customer_no", "name", "credit_code", "postal_address"]
    pii_search_hashes = {"id_number_hash": "id_number", "contacts__mobile_hash": "mobile"}
    list_select_related = ["org_unit"]
    readonly_fields = ["customer_no", "kind", "masked_id_number", "credit_code", "org_unit", "created_at"]
    fields = [
        "customer_no",
        "kind",
        "name",
        "masked_id_number",
        "credit_code",
        "postal_address",
        "org_unit",
        "created_at",
    ]
    inlines = [ContactInline]

    @admin.display(description=_("resident ID number"))
    def masked_id_number(self, customer: Customer) -> str:
        return masking.mask_id_number(customer.id_number)


@admin.register(Contact)
class ContactAdmin(MaskedContactFields, OrgScopedAdmin, PiiSearchAdmin, ViewOnlyAdmin):
    view_permission = Permission.VIEW_CUSTOMERS
    scoped_through = "customer"
    list_display = ["name", "customer", "is_primary", "masked_mobile", "masked_landline", "email"]
    fields = ["customer", "name", "is_primary", "masked_mobile", "masked_landline", "email", "wechat_openid"]
    readonly_fields = ["masked_mobile", "masked_landline"]
    pii_search_hashes = {"mobile_hash": "mobile", "landline_hash": "landline"}
    list_filter = [
        "is_primary",
        "consents_to_sms",
        "consents_to_phone",
        "consents_to_email",
        "consents_to_wechat",
    ]
    search_fields = ["name", "email", "customer__customer_no", "customer__name"]
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
    "bank_name",
    "masked_bank_account_no",
)


@admin.register(Account)
class AccountAdmin(OrgScopedAdmin, PiiSearchAdmin, AuditedCorrectionAdmin):
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
    pii_search_hashes = {
        "bank_account_no_hash": "bank_account_no",
        "customer__contacts__mobile_hash": "mobile",
    }

    @admin.display(description=_("bank account number"))
    def masked_bank_account_no(self, account: Account) -> str:
        return masking.mask_bank_account_no(account.bank_account_no)


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
    search_fields = ["user__username", "customer__customer_no", "customer__name"]
    list_select_related = ["user", "customer"]
