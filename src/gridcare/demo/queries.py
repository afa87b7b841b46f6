"""Reads of the demo utility: whether it is seeded and who can log in to it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from gridcare.customers.models import Account, PortalLink
from gridcare.demo.catalog import DEMO_PASSWORD, DEMO_PORTAL_USERNAME, DEMO_STAFF
from gridcare.identity.models import User
from gridcare.metering.models import Meter
from gridcare.organization.models import OrgUnit


@dataclass(frozen=True)
class UtilityDataCounts:
    """How much utility data the database holds, and which demo usernames are taken."""

    org_units: int
    accounts: int
    meters: int
    demo_usernames_taken: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        """No org unit, account or meter, and every demo username free: the seeder may run."""
        return not (self.org_units or self.accounts or self.meters or self.demo_usernames_taken)


@dataclass(frozen=True)
class DemoLogin:
    """One demo login as printed by ``gridcare demo_logins``."""

    username: str
    password: str
    role: str
    where: str


def demo_usernames() -> tuple[str, ...]:
    """Every username the seeder creates: the staff logins, then the portal login."""
    return (*(spec.username for spec in DEMO_STAFF), DEMO_PORTAL_USERNAME)


def utility_data_counts() -> UtilityDataCounts:
    """Counts of the tables the seeder fills with unique codes (org units, accounts, meters)."""
    taken = set(User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True))
    return UtilityDataCounts(
        org_units=OrgUnit.objects.count(),
        accounts=Account.objects.count(),
        meters=Meter.objects.count(),
        demo_usernames_taken=tuple(username for username in demo_usernames() if username in taken),
    )


def demo_logins() -> list[DemoLogin]:
    """The seeded demo logins that exist, staff first (in catalogue order), then the portal
    login with the customer and accounts it sees. Empty before the seed has run."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=demo_usernames()).select_related("org_unit")
    }
    logins = []
    for spec in DEMO_STAFF:
        user = users.get(spec.username)
        if user is None:
            continue
        # The role's name is Chinese; its English label follows, whatever the active language.
        with translation.override("en"):
            role = f"{spec.role.value} ({spec.role.label})"
        if user.is_superuser:
            role = f"{role}, superuser"
        where = f"{user.org_unit.code} {user.org_unit.name}" if user.org_unit else ""
        logins.append(DemoLogin(username=user.username, password=DEMO_PASSWORD, role=role, where=where))
    portal_user = users.get(DEMO_PORTAL_USERNAME)
    if portal_user is not None:
        link = PortalLink.objects.filter(user=portal_user).select_related("customer").first()
        where = ""
        if link is not None:
            account_numbers = link.customer.accounts.order_by("account_no").values_list(
                "account_no", flat=True
            )
            where = f"{link.customer.name} {', '.join(account_numbers)}"
        logins.append(
            DemoLogin(
                username=portal_user.username,
                password=DEMO_PASSWORD,
                role="网上营业厅客户 (portal customer)",
                where=where,
            )
        )
    return logins
