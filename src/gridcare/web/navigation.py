"""The navigation of the back office and the portal, by permission.

Each back-office entry names the permissions (:class:`~gridcare.identity.permissions.Permission`)
of which a user must hold at least one to see it; ``None`` means every staff user. Superusers
hold every permission. Entries whose URL is not registered (an app not installed yet) are left
out. The pages themselves check the same permissions (an entry only saves a useless click).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridcare.identity.models import UserKind
from gridcare.identity.permissions import Permission, permissions_of


@dataclass(frozen=True, kw_only=True)
class NavigationEntry:
    """A link in a side navigation: shown to holders of any of ``permissions`` (everyone if
    ``None``)."""

    label: str | Promise
    url_name: str
    permissions: frozenset[Permission] | None = None

    def is_visible_to(self, *, held: frozenset[Permission]) -> bool:
        """Whether a user holding the permissions ``held`` sees the entry."""
        return self.permissions is None or not self.permissions.isdisjoint(held)


@dataclass(frozen=True, kw_only=True)
class NavigationLink:
    """An entry resolved for one request."""

    label: str | Promise
    url: str
    is_current: bool


BACKOFFICE_ENTRIES: tuple[NavigationEntry, ...] = (
    NavigationEntry(label=_("Home"), url_name="web:home"),
    NavigationEntry(
        label=_("Accounts"), url_name="web:account_search", permissions=frozenset({Permission.VIEW_CUSTOMERS})
    ),
    NavigationEntry(
        label=_("Import and export"),
        url_name="exchange:upload",
        permissions=frozenset({Permission.IMPORT_DATA, Permission.EXPORT_DATA}),
    ),
    NavigationEntry(
        label=_("Approvals"), url_name="web:approval_inbox", permissions=frozenset({Permission.APPROVE})
    ),
    NavigationEntry(label=_("My requests"), url_name="web:my_requests"),
    NavigationEntry(
        label=_("Users"), url_name="web:user_list", permissions=frozenset({Permission.MANAGE_USERS})
    ),
    NavigationEntry(
        label=_("Audit log"), url_name="web:audit_log", permissions=frozenset({Permission.VIEW_AUDIT_LOG})
    ),
    NavigationEntry(
        label=_("Notifications"),
        url_name="web:notification_list",
        permissions=frozenset({Permission.VIEW_NOTIFICATIONS}),
    ),
    NavigationEntry(
        label=_("Integrations"),
        url_name="web:integrations",
        permissions=frozenset({Permission.MANAGE_INTEGRATIONS}),
    ),
    NavigationEntry(
        label=_("Administration"), url_name="admin:index", permissions=frozenset({Permission.MANAGE_USERS})
    ),
    NavigationEntry(
        label=_("Lockouts"), url_name="web:lockouts", permissions=frozenset({Permission.UNLOCK_USERS})
    ),
    # jobs (issue 4)
    NavigationEntry(
        label=_("Background jobs"), url_name="web:job_runs", permissions=frozenset({Permission.VIEW_JOBS})
    ),
    # letters (issue 4)
    NavigationEntry(
        label=_("Letters"),
        url_name="web:letter_batches",
        permissions=frozenset({Permission.RECORD_LETTER_SERVED}),
    ),
    # billing pages (issue 5)
    NavigationEntry(
        label=_("Bill runs"), url_name="web:bill_runs", permissions=frozenset({Permission.RUN_BILLING})
    ),
    # dunning (issue 6)
    NavigationEntry(
        label=_("Arrears"), url_name="web:arrears_work_list", permissions=frozenset({Permission.VIEW_ARREARS})
    ),
    # prepaid (issue 6)
    NavigationEntry(
        label=_("Prepaid"), url_name="web:prepaid_accounts", permissions=frozenset({Permission.VIEW_ARREARS})
    ),
    # ledger reports (issue 6)
    NavigationEntry(
        label=_("Receivables ledger"),
        url_name="web:ledger_reports",
        permissions=frozenset({Permission.VIEW_LEDGER}),
    ),
    # statements (issue 6 §6)
    NavigationEntry(
        label=_("Reconciliation"),
        url_name="web:statement_list",
        permissions=frozenset({Permission.RECONCILE}),
    ),
    # cashier (issue 6)
    NavigationEntry(
        label=_("Cashier desk"), url_name="web:cashier", permissions=frozenset({Permission.COLLECT_PAYMENTS})
    ),
    NavigationEntry(
        label=_("Payments"), url_name="web:payment_history", permissions=frozenset({Permission.VIEW_PAYMENTS})
    ),
    NavigationEntry(
        label=_("Cashier shifts"),
        url_name="web:cashier_shifts",
        permissions=frozenset({Permission.VIEW_PAYMENTS}),
    ),
    # bank channels (issue 6)
    NavigationEntry(
        label=_("Direct debit"),
        url_name="web:debit_batches",
        permissions=frozenset({Permission.MANAGE_DIRECT_DEBIT}),
    ),
)

PORTAL_ENTRIES: tuple[NavigationEntry, ...] = (
    NavigationEntry(label=_("My accounts"), url_name="portal:home"),
    NavigationEntry(label=_("My bills"), url_name="portal:bills"),  # billing pages (issue 5)
    NavigationEntry(label=_("My payments"), url_name="portal:payments"),  # provider payments (portalpay)
)


def _resolve(entry: NavigationEntry, *, current_path: str) -> NavigationLink | None:
    try:
        url = reverse(entry.url_name)
    except NoReverseMatch:
        return None
    # The home page is current only on itself; other entries also for the pages below them.
    is_current = current_path == url or (url != "/" and current_path.startswith(url))
    return NavigationLink(label=entry.label, url=url, is_current=is_current)


def navigation_for(*, user: Any, current_path: str) -> list[NavigationLink]:
    """The links ``user`` sees on a page at ``current_path``: portal links for a portal user,
    back-office links by permission for staff, none when logged out."""
    if not user.is_authenticated:
        return []
    if user.kind == UserKind.PORTAL:
        entries: tuple[NavigationEntry, ...] = PORTAL_ENTRIES
    else:
        entries = BACKOFFICE_ENTRIES
    held = permissions_of(user)
    links = (
        _resolve(entry, current_path=current_path) for entry in entries if entry.is_visible_to(held=held)
    )
    return [link for link in links if link is not None]
