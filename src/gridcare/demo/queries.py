"""Reads of the demo utility: whether it is seeded and who can log in to it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django_otp.oath import TOTP

from gridcare.customers.models import Account, PortalLink
from gridcare.demo.catalog import DEMO_PASSWORD, DEMO_PORTAL_USERNAME, DEMO_STAFF
from gridcare.demo.errors import DemoTotpUnavailable
from gridcare.identity.mfa import confirmed_totp_device, totp_secret
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
    #: The base32 secret of the login's authenticator ("" when the role needs none).
    totp_secret: str = ""


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
        device = confirmed_totp_device(user)
        logins.append(
            DemoLogin(
                username=user.username,
                password=DEMO_PASSWORD,
                role=role,
                where=where,
                totp_secret=totp_secret(device) if device is not None else "",
            )
        )
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


def demo_totp_code(*, username: str, at: float) -> str:
    """The code the authenticator of demo login ``username`` shows at POSIX time ``at``, for a
    person trying the demo without an authenticator app; refused for anyone else."""
    user = User.objects.filter(username=username).first()
    device = confirmed_totp_device(user) if user is not None and username in demo_usernames() else None
    if device is None:
        raise DemoTotpUnavailable(username=username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():0{device.digits}d}"
