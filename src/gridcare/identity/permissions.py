"""The fixed permission vocabulary and what each seeded role holds (least privilege).

Permissions are plain strings ``<area>.<verb>`` held by roles, never by individual users: a
user's permissions are the union of their roles' permissions (all of them for a superuser).
Pages, API endpoints, exports and operations ask :func:`has_permission`; which *records* a
user may touch is the separate org scope (:meth:`OrgScopedQuerySet.visible_to`).

Later issues add permissions for their own areas here; a permission nobody holds is a bug the
unit tests catch.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from gridcare.identity.models import Role


class Permission(StrEnum):
    """Everything a staff user may be allowed to do."""

    # Customer file (客户档案)
    VIEW_CUSTOMERS = "customers.view"
    CHANGE_CUSTOMERS = "customers.change"
    # Metering (计量与抄表)
    VIEW_METERING = "metering.view"
    RECORD_METER_READS = "metering.record_read"
    CHANGE_METERING = "metering.change"
    # Import and export of files
    IMPORT_DATA = "exchange.import"
    EXPORT_DATA = "exchange.export"
    # Personal data (身份证号, 手机号, 银行账号)
    UNMASK_PII = "pii.unmask"
    UNMASK_PII_IN_BULK = "pii.unmask_bulk"
    # Audit log
    VIEW_AUDIT_LOG = "audit.view"
    EXPORT_AUDIT_LOG = "audit.export"
    # Users, roles, lockouts, integrations
    MANAGE_USERS = "identity.manage_users"
    UNLOCK_USERS = "identity.unlock_users"
    MANAGE_INTEGRATIONS = "identity.manage_integrations"
    # Four-eyes approvals (双人复核)
    APPROVE = "approvals.approve"
    # Tariffs, billing, payments (the billing and payments issues build on these)
    CHANGE_TARIFFS = "tariffs.change"
    RUN_BILLING = "billing.run"
    ADJUST_BILLS = "billing.adjust"
    # billing (issue 5): quotes (电费试算) change nothing
    QUOTE_BILLS = "billing.quote"
    # billing pages (issue 5): reading bills and their explanation changes nothing
    VIEW_BILLS = "billing.view"
    COLLECT_PAYMENTS = "payments.collect"
    REFUND_PAYMENTS = "payments.refund"
    WAIVE_LATE_FEES = "payments.waive_late_fee"
    # dunning (issue 6): the arrears work list, and changing protection, instalments and orders
    VIEW_ARREARS = "payments.view_arrears"
    MANAGE_ARREARS = "payments.manage_arrears"
    # cashier (issue 6): the payment history and receipts change nothing
    VIEW_PAYMENTS = "payments.view"
    # prepaid (issue 6): switching accounts between postpaid and prepaid, their thresholds
    MANAGE_PREPAID = "payments.manage_prepaid"
    # ledger (issue 6): the receivables ledger's reports and GL export change nothing
    VIEW_LEDGER = "ledger.view"
    # statements (issue 6 §6): import bank statements and resolve what did not match (对账)
    RECONCILE = "payments.reconcile"
    # bank channels (issue 6): debit mandates and debit runs (代扣)
    MANAGE_DIRECT_DEBIT = "payments.direct_debit"
    # Service orders, 95598, inspection
    HANDLE_SERVICE_ORDERS = "service_orders.handle"
    HANDLE_SERVICE_TICKETS = "service_desk.handle"
    PERFORM_INSPECTIONS = "inspection.perform"
    # Notifications (issue 4): the outbox, each message's path and the daily counts
    VIEW_NOTIFICATIONS = "notifications.view"
    # Letters (issue 4): printing batches of paper notices and recording each one served
    PRINT_LETTERS = "notifications.print_letters"
    RECORD_LETTER_SERVED = "notifications.record_letter_served"
    # Background jobs (issue 4)
    VIEW_JOBS = "jobs.view"


PERMISSION_LABELS: dict[Permission, Any] = {
    Permission.VIEW_CUSTOMERS: _("View customers and accounts"),
    Permission.CHANGE_CUSTOMERS: _("Change customers and accounts"),
    Permission.VIEW_METERING: _("View metering points, meters and reads"),
    Permission.RECORD_METER_READS: _("Record meter reads"),
    Permission.CHANGE_METERING: _("Change metering points and meters"),
    Permission.IMPORT_DATA: _("Import files"),
    Permission.EXPORT_DATA: _("Export files"),
    Permission.UNMASK_PII: _("Show one customer's personal data unmasked"),
    Permission.UNMASK_PII_IN_BULK: _("Request personal data unmasked in bulk"),
    Permission.VIEW_AUDIT_LOG: _("View the audit log"),
    Permission.EXPORT_AUDIT_LOG: _("Export the audit log"),
    Permission.MANAGE_USERS: _("Manage users and roles"),
    Permission.UNLOCK_USERS: _("Unlock locked-out users"),
    Permission.MANAGE_INTEGRATIONS: _("Manage integration credentials"),
    Permission.APPROVE: _("Approve sensitive operations"),
    Permission.CHANGE_TARIFFS: _("Change tariffs"),
    Permission.RUN_BILLING: _("Run billing"),
    Permission.ADJUST_BILLS: _("Adjust bills"),
    Permission.QUOTE_BILLS: _("Quote bills for given usage"),  # billing (issue 5)
    Permission.VIEW_BILLS: _("View bills and their explanation"),  # billing pages (issue 5)
    Permission.COLLECT_PAYMENTS: _("Collect payments"),
    Permission.REFUND_PAYMENTS: _("Refund payments"),
    Permission.WAIVE_LATE_FEES: _("Waive late fees"),
    Permission.VIEW_ARREARS: _("View arrears and disconnection orders"),  # dunning (issue 6)
    Permission.MANAGE_ARREARS: _("Manage arrears and disconnection"),  # dunning (issue 6)
    Permission.VIEW_PAYMENTS: _("View payments and their receipts"),  # cashier (issue 6)
    Permission.MANAGE_PREPAID: _("Switch accounts between prepaid and postpaid"),  # prepaid (issue 6)
    Permission.VIEW_LEDGER: _("View the receivables ledger, its reports and GL export"),  # ledger (issue 6)
    Permission.RECONCILE: _("Reconcile bank statements"),  # statements (issue 6 §6)
    Permission.MANAGE_DIRECT_DEBIT: _("Manage debit mandates and direct-debit files"),  # bank channels
    Permission.HANDLE_SERVICE_ORDERS: _("Handle service orders"),
    Permission.HANDLE_SERVICE_TICKETS: _("Handle 95598 tickets"),
    Permission.PERFORM_INSPECTIONS: _("Perform usage inspections"),
    Permission.VIEW_NOTIFICATIONS: _("View notification messages and their delivery"),
    Permission.PRINT_LETTERS: _("Print letter batches and download their PDF"),
    Permission.RECORD_LETTER_SERVED: _("See letter batches and record letters as served"),
    Permission.VIEW_JOBS: _("View background jobs"),
}

_P = Permission

#: What each seeded role holds. Read-only roles (营销主管, 审计员) hold no change permission:
#: at province level they see the whole province and change nothing.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BUSINESS_EXPANSION_CLERK: frozenset(
        {_P.VIEW_CUSTOMERS, _P.CHANGE_CUSTOMERS, _P.VIEW_METERING, _P.CHANGE_METERING, _P.IMPORT_DATA}
        | {_P.EXPORT_DATA, _P.UNMASK_PII, _P.HANDLE_SERVICE_ORDERS}
    ),
    Role.METER_READER: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.RECORD_METER_READS, _P.IMPORT_DATA}
    ),
    Role.BILLING_CLERK: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.RUN_BILLING, _P.ADJUST_BILLS, _P.EXPORT_DATA}
        | {_P.QUOTE_BILLS}  # billing (issue 5)
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
        | {_P.VIEW_LEDGER}  # ledger (issue 6)
        | {_P.RECONCILE}  # statements (issue 6 §6): 核算 reconciles the bank statements
    ),
    Role.CASHIER: frozenset(
        {_P.VIEW_CUSTOMERS, _P.COLLECT_PAYMENTS, _P.REFUND_PAYMENTS, _P.WAIVE_LATE_FEES}
        | {_P.PRINT_LETTERS, _P.RECORD_LETTER_SERVED}  # letters (issue 4): 催费 and 停电通知书
        | {_P.MANAGE_DIRECT_DEBIT}  # bank channels (issue 6): mandates, debit files and results
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_ARREARS}  # dunning (issue 6)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
        | {_P.MANAGE_PREPAID}  # prepaid (issue 6)
    ),
    Role.ACCOUNT_MANAGER: frozenset(
        {_P.VIEW_CUSTOMERS, _P.CHANGE_CUSTOMERS, _P.VIEW_METERING, _P.UNMASK_PII, _P.EXPORT_DATA}
        | {_P.VIEW_NOTIFICATIONS}
        | {_P.PRINT_LETTERS, _P.RECORD_LETTER_SERVED}  # letters (issue 4): their customers' notices
        | {_P.QUOTE_BILLS}  # billing (issue 5)
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_ARREARS, _P.MANAGE_ARREARS}  # dunning (issue 6)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
        | {_P.MANAGE_PREPAID}  # prepaid (issue 6)
    ),
    Role.USAGE_INSPECTOR: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.PERFORM_INSPECTIONS}
        | {_P.RECORD_LETTER_SERVED}  # letters (issue 4): they serve notices on site
    ),
    Role.SERVICE_DESK_AGENT: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.UNMASK_PII, _P.HANDLE_SERVICE_TICKETS}
        | {_P.VIEW_NOTIFICATIONS}
        | {_P.QUOTE_BILLS}  # billing (issue 5)
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
    ),
    Role.MARKETING_SUPERVISOR: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.VIEW_AUDIT_LOG, _P.EXPORT_DATA, _P.APPROVE}
        | {_P.UNMASK_PII_IN_BULK, _P.VIEW_NOTIFICATIONS}
        | {_P.QUOTE_BILLS}  # billing (issue 5)
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_ARREARS}  # dunning (issue 6)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
        | {_P.VIEW_LEDGER}  # ledger (issue 6)
    ),
    Role.AUDITOR: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.VIEW_AUDIT_LOG, _P.EXPORT_AUDIT_LOG, _P.VIEW_NOTIFICATIONS}
        | {_P.VIEW_BILLS}  # billing pages (issue 5)
        | {_P.VIEW_PAYMENTS}  # cashier (issue 6): payment history and receipts
        | {_P.VIEW_LEDGER}  # ledger (issue 6)
    ),
    Role.SYSTEM_ADMINISTRATOR: frozenset(
        {_P.VIEW_CUSTOMERS, _P.VIEW_METERING, _P.VIEW_AUDIT_LOG, _P.MANAGE_USERS, _P.UNLOCK_USERS}
        | {_P.MANAGE_INTEGRATIONS, _P.APPROVE, _P.CHANGE_TARIFFS, _P.EXPORT_DATA, _P.VIEW_NOTIFICATIONS}
        | {_P.VIEW_JOBS}  # jobs (issue 4)
    ),
}

#: Roles whose users must enrol and verify a TOTP device before any page: every role that
#: touches money or personal data, and administrators. Superusers always need MFA too.
MFA_REQUIRED_ROLES: frozenset[Role] = frozenset(set(Role) - {Role.METER_READER, Role.USAGE_INSPECTOR})

#: Permissions that change records; read-only roles hold none of them.
CHANGE_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        _P.CHANGE_CUSTOMERS,
        _P.RECORD_METER_READS,
        _P.CHANGE_METERING,
        _P.IMPORT_DATA,
        _P.CHANGE_TARIFFS,
        _P.RUN_BILLING,
        _P.ADJUST_BILLS,
        _P.COLLECT_PAYMENTS,
        _P.REFUND_PAYMENTS,
        _P.WAIVE_LATE_FEES,
        _P.MANAGE_DIRECT_DEBIT,  # bank channels (issue 6)
        _P.HANDLE_SERVICE_ORDERS,
        _P.HANDLE_SERVICE_TICKETS,
        _P.PERFORM_INSPECTIONS,
        # letters (issue 4): printing claims queued letters; recording service delivers them
        _P.PRINT_LETTERS,
        _P.RECORD_LETTER_SERVED,
        _P.MANAGE_ARREARS,  # dunning (issue 6)
        _P.RECONCILE,  # statements (issue 6 §6)
        _P.MANAGE_PREPAID,  # prepaid (issue 6)
    }
)

_CACHE_ATTRIBUTE = "_gridcare_permissions"

#: Service users of integrations (bank, AMI, SMS gateway) are named ``integration.<name>``
#: (:mod:`gridcare.identity.integrations`); they hold no roles.
INTEGRATION_USERNAME_PREFIX = "integration."
#: What each API scope of an integration lets its service user do in the operations it calls.
SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "accounts:read": frozenset({Permission.VIEW_CUSTOMERS}),
    "meter_reads:read": frozenset({Permission.VIEW_METERING}),
    "meter_reads:write": frozenset({Permission.VIEW_METERING, Permission.RECORD_METER_READS}),
    "audit:verify": frozenset({Permission.VIEW_AUDIT_LOG}),
    "billing:quote": frozenset({Permission.QUOTE_BILLS}),  # billing (issue 5)
    # bank channels (issue 6): a bank reads what an account owes and records its payments
    "payments:bank_collection": frozenset({Permission.VIEW_CUSTOMERS, Permission.COLLECT_PAYMENTS}),
}


def _integration_permissions(user: Any) -> frozenset[Permission]:
    """An active integration's service user holds what its scopes grant, nothing else."""
    from gridcare.identity.models import Integration

    integration = Integration.objects.filter(service_user=user, is_active=True).first()
    if integration is None:
        return frozenset()
    return frozenset(
        permission for scope in integration.scopes for permission in SCOPE_PERMISSIONS.get(scope, ())
    )


def permissions_of(user: Any) -> frozenset[Permission]:
    """Every permission ``user`` holds: none for anonymous, inactive or portal users, all for an
    active superuser, else the union of their roles'. Cached on the user object per request."""
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.kind != "staff":
        result: frozenset[Permission] = frozenset()
    elif user.is_superuser:
        result = frozenset(Permission)
    elif user.username.startswith(INTEGRATION_USERNAME_PREFIX):
        result = _integration_permissions(user)
    else:
        role_names = set(user.groups.values_list("name", flat=True))
        result = frozenset(
            permission
            for role, permissions in ROLE_PERMISSIONS.items()
            if role.value in role_names
            for permission in permissions
        )
    setattr(user, _CACHE_ATTRIBUTE, result)
    return result


def has_permission(user: Any, permission: Permission) -> bool:
    """Whether ``user`` holds ``permission`` (through a role, or as an active superuser)."""
    return permission in permissions_of(user)


def forget_permissions(user: Any) -> None:
    """Drop the cached permissions, e.g. after the user's roles changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def requires_mfa(user: Any) -> bool:
    """Whether ``user`` must pass TOTP before reaching any page: superusers and holders of any
    role in :data:`MFA_REQUIRED_ROLES`."""
    if not getattr(user, "is_authenticated", False) or user.kind != "staff":
        return False
    if user.is_superuser:
        return True
    role_names = set(user.groups.values_list("name", flat=True))
    return any(role.value in role_names for role in MFA_REQUIRED_ROLES)


__all__ = [
    "CHANGE_PERMISSIONS",
    "INTEGRATION_USERNAME_PREFIX",
    "MFA_REQUIRED_ROLES",
    "PERMISSION_LABELS",
    "ROLE_PERMISSIONS",
    "SCOPE_PERMISSIONS",
    "Permission",
    "forget_permissions",
    "has_permission",
    "permissions_of",
    "requires_mfa",
]
