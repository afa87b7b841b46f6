"""Portal (网上营业厅) logins by 户号 (account number) + password.

The backend lives with the customer file because it reads :class:`PortalLink`; usernames keep
going through Django's ``ModelBackend``, and mobile + one-time code logins through
:class:`gridcare.identity.portal_auth.PortalOneTimeCodeBackend`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from gridcare.customers.models import PortalLink
from gridcare.identity.models import User, UserKind
from gridcare.kit.errors import GridCareError
from gridcare.kit.ids import validate_account_number


def portal_users_of_account(*, account_no: str) -> list[User]:
    """The active portal users linked to the customer holding the account ``account_no``."""
    links = PortalLink.objects.filter(
        customer__accounts__account_no=account_no, user__kind=UserKind.PORTAL, user__is_active=True
    ).select_related("user")
    return [link.user for link in links.order_by("user_id")]


class PortalAccountPasswordBackend(ModelBackend):
    """Authenticates ``username`` = a 户号 + ``password`` as the portal user linked to the
    account's customer whose password it is. Anything that is not a valid 户号 is left to the
    other backends (a username)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        try:
            account_no = validate_account_number(username.strip())
        except GridCareError:
            return None
        candidates = portal_users_of_account(account_no=account_no)
        if not candidates:
            # Hash anyway, so the answer takes as long whether or not the account has a login.
            User().set_password(password)
            return None
        for user in candidates:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None
