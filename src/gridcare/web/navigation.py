"""The navigation of the back office and the portal, by role.

Each back-office entry names the roles (:class:`~gridcare.identity.models.Role` values, held
as auth groups) that see it; ``None`` means every staff user. Superusers see every entry.
Entries whose URL is not registered (an app not installed yet) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridcare.identity.models import Role, UserKind


@dataclass(frozen=True, kw_only=True)
class NavigationEntry:
    """A link in a side navigation: shown to holders of ``roles`` (everyone if ``None``)."""

    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None

    def is_visible_to(self, *, is_superuser: bool, roles: set[str]) -> bool:
        """Whether a user with these roles sees the entry."""
        return is_superuser or self.roles is None or not self.roles.isdisjoint(roles)


@dataclass(frozen=True, kw_only=True)
class NavigationLink:
    """An entry resolved for one request."""

    label: str | Promise
    url: str
    is_current: bool


BACKOFFICE_ENTRIES: tuple[NavigationEntry, ...] = (
    NavigationEntry(label=_("Home"), url_name="web:home"),
    NavigationEntry(label=_("Accounts"), url_name="web:account_search"),
    NavigationEntry(
        label=_("Import and export"),
        url_name="exchange:upload",
        roles=frozenset(
            {
                Role.SYSTEM_ADMINISTRATOR,
                Role.MARKETING_SUPERVISOR,
                Role.BUSINESS_EXPANSION_CLERK,
                Role.METER_READER,
            }
        ),
    ),
    NavigationEntry(
        label=_("Audit log"),
        url_name="web:audit_log",
        roles=frozenset({Role.AUDITOR, Role.MARKETING_SUPERVISOR, Role.SYSTEM_ADMINISTRATOR}),
    ),
    NavigationEntry(
        label=_("Integrations"), url_name="web:integrations", roles=frozenset({Role.SYSTEM_ADMINISTRATOR})
    ),
    NavigationEntry(
        label=_("Administration"), url_name="admin:index", roles=frozenset({Role.SYSTEM_ADMINISTRATOR})
    ),
    NavigationEntry(
        label=_("Lockouts"), url_name="web:lockouts", roles=frozenset({Role.SYSTEM_ADMINISTRATOR})
    ),
)

PORTAL_ENTRIES: tuple[NavigationEntry, ...] = (
    NavigationEntry(label=_("My accounts"), url_name="portal:home"),
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
    back-office links by role for staff, none when logged out."""
    if not user.is_authenticated:
        return []
    if user.kind == UserKind.PORTAL:
        entries: tuple[NavigationEntry, ...] = PORTAL_ENTRIES
        roles: set[str] = set()
    else:
        entries = BACKOFFICE_ENTRIES
        # A superuser sees every entry: no need to look up their roles.
        roles = set() if user.is_superuser else set(user.roles())
    links = (
        _resolve(entry, current_path=current_path)
        for entry in entries
        if entry.is_visible_to(is_superuser=user.is_superuser, roles=roles)
    )
    return [link for link in links if link is not None]
