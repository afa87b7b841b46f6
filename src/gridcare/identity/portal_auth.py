"""Portal (网上营业厅) logins by mobile and one-time code, self-registration, and a portal
user's change of mobile (confirmed with a code sent to the new mobile).

Never reveal whether a mobile has a portal login: a code request gets the same answer and
the same rate limits either way, and a mobile with no login gets a code nobody receives, so
even the count of wrong tries behaves alike. (户号 + password logins are checked by
:class:`gridcare.customers.portal_auth.PortalAccountPasswordBackend`, which reads the
customer file.)
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import (
    MobileAlreadyRegistered,
    MobileInvalid,
    MobileUnchanged,
    MobileUsedByAnotherPortalUser,
    OneTimeCodeExpired,
    OneTimeCodeRejected,
)
from gridcare.identity.models import OneTimeCode, OneTimeCodePurpose, User, UserKind
from gridcare.identity.operations import create_portal_user
from gridcare.identity.otp import CODE_LIFETIME, issue_one_time_code, redeem_one_time_code
from gridcare.identity.pii import pii_hash
from gridcare.identity.rate_limits import (
    CODE_REQUESTS_PER_ADDRESS_PER_HOUR,
    CODE_REQUESTS_PER_MOBILE_PER_HOUR,
    CODE_REQUESTS_PER_MOBILE_PER_MINUTE,
    check_rate_limits,
    record_rate_limit_hit,
)
from gridcare.identity.validators import validate_mobile
from gridcare.kit.errors import GridCareError
from gridcare.kit.masking import mask_mobile

#: The dotted path of the one-time-code backend (for logging a user in after registration).
ONE_TIME_CODE_BACKEND = "gridcare.identity.portal_auth.PortalOneTimeCodeBackend"
#: Where the code backend leaves, on the request, why it refused a code (for the login form).
_CODE_REFUSAL_ATTRIBUTE = "gridcare_one_time_code_refusal"


def find_portal_user_by_mobile(*, mobile: str) -> User | None:
    """The active portal user with this normalized mobile; ``None`` when there is none or, for
    data registered before mobiles were unique, more than one.

    The one place users are looked up by mobile: mobiles are encrypted at rest, so the lookup
    goes through their keyed hash (ADR 0004).
    """
    mobile_hash = pii_hash(mobile, kind="mobile")
    users = list(User.objects.filter(kind=UserKind.PORTAL, is_active=True, mobile_hash=mobile_hash)[:2])
    return users[0] if len(users) == 1 else None


def _check_code_request_limits(*, mobile: str, client_address: str | None, now: datetime) -> None:
    checks = [(CODE_REQUESTS_PER_MOBILE_PER_MINUTE, mobile), (CODE_REQUESTS_PER_MOBILE_PER_HOUR, mobile)]
    if client_address:
        checks.append((CODE_REQUESTS_PER_ADDRESS_PER_HOUR, client_address))
    check_rate_limits(checks=checks, now=now)
    record_rate_limit_hit(scope=CODE_REQUESTS_PER_MOBILE_PER_HOUR.scope, key=mobile, now=now)
    if client_address:
        record_rate_limit_hit(scope=CODE_REQUESTS_PER_ADDRESS_PER_HOUR.scope, key=client_address, now=now)


def _minutes_valid() -> int:
    return int(CODE_LIFETIME.total_seconds() // 60)


@transaction.atomic
def request_portal_login_code(*, mobile: str, client_address: str | None, now: datetime) -> OneTimeCode:
    """Send a login code to ``mobile`` if it belongs to a portal user (else store a code nobody
    receives), after the per-mobile and per-address rate limits; raises
    :class:`~gridcare.identity.errors.MobileInvalid` or
    :class:`~gridcare.identity.errors.RateLimited` (and then sends nothing)."""
    normalized = validate_mobile(mobile)
    _check_code_request_limits(mobile=normalized, client_address=client_address, now=now)
    user = find_portal_user_by_mobile(mobile=normalized)
    return issue_one_time_code(
        purpose=OneTimeCodePurpose.PORTAL_LOGIN,
        mobile=normalized,
        user=user,
        compose=None if user is None else _login_message,
        delivery="none" if user is None else "code",
        now=now,
    )


@transaction.atomic
def request_portal_registration_code(
    *, mobile: str, client_address: str | None, now: datetime
) -> OneTimeCode:
    """Send a registration code to ``mobile``; a mobile that already has a portal login gets a
    notice instead (and a code nobody receives), so only the mobile's owner learns it is taken.
    Rate-limited and refused like :func:`request_portal_login_code`."""
    normalized = validate_mobile(mobile)
    _check_code_request_limits(mobile=normalized, client_address=client_address, now=now)
    registered = find_portal_user_by_mobile(mobile=normalized) is not None
    return issue_one_time_code(
        purpose=OneTimeCodePurpose.PORTAL_REGISTRATION,
        mobile=normalized,
        user=None,
        compose=_already_registered_notice if registered else _registration_message,
        delivery="notice" if registered else "code",
        now=now,
    )


def _login_message(code: str) -> str:
    return _(
        "Your GridCare login code is %(code)s. It is valid for %(minutes)d minutes. "
        "Never tell anyone this code."
    ) % {"code": code, "minutes": _minutes_valid()}


def _registration_message(code: str) -> str:
    return _(
        "Your GridCare registration code is %(code)s. It is valid for %(minutes)d minutes. "
        "Never tell anyone this code."
    ) % {"code": code, "minutes": _minutes_valid()}


def _already_registered_notice(code: str) -> str:
    # The code is deliberately left out: this mobile registers nothing new.
    return _(
        "Someone asked to register a GridCare online service hall login with this mobile, which "
        "already has one. Log in with a code instead. If it was not you, ignore this message."
    )


def register_portal_user(*, mobile: str, code: str, password: str, now: datetime) -> User:
    """Create a portal user for ``mobile`` once ``code`` (its latest registration code) is right,
    with ``password`` (the password validators apply), and audit it.

    Raises :class:`~gridcare.identity.errors.OneTimeCodeRejected` (a wrong try stays counted),
    :class:`~gridcare.identity.errors.PasswordRejected` or
    :class:`~gridcare.identity.errors.MobileAlreadyRegistered`; those last two leave the code
    unused. The user binds accounts afterwards
    (:func:`gridcare.customers.operations.bind_portal_account`).
    """
    normalized = validate_mobile(mobile)
    refusal: OneTimeCodeRejected | None = None
    with transaction.atomic():
        try:
            redeem_one_time_code(
                purpose=OneTimeCodePurpose.PORTAL_REGISTRATION, mobile=normalized, code=code, now=now
            )
        except OneTimeCodeRejected as rejected:
            # Caught inside the transaction so the counted wrong try is committed with it.
            refusal = rejected
        else:
            if find_portal_user_by_mobile(mobile=normalized) is not None:
                raise MobileAlreadyRegistered(field="mobile", mobile=mask_mobile(normalized))
            user = create_portal_user(
                username=f"portal_{secrets.token_hex(6)}",
                password=password,
                mobile=normalized,
                actor=None,
                now=now,
            )
            record_audit_event(
                actor=user,
                action="register_portal_user",
                target=user,
                occurred_at=now,
                changes={"mobile": mask_mobile(normalized)},
            )
    if refusal is not None:
        raise refusal
    return user


# --- Changing a portal user's mobile (issue 4) ---------------------------------------------


def _check_new_mobile(*, user: User, mobile: str) -> None:
    if mobile == user.mobile:
        raise MobileUnchanged(field="mobile", mobile=mask_mobile(mobile))
    holder = find_portal_user_by_mobile(mobile=mobile)
    if holder is not None and holder.pk != user.pk:
        raise MobileUsedByAnotherPortalUser(field="mobile", mobile=mask_mobile(mobile))


def request_mobile_change_code(
    *, user: User, new_mobile: str, client_address: str | None, now: datetime
) -> OneTimeCode:
    """Send the portal ``user`` a code on ``new_mobile`` to confirm it as their mobile, after
    the rate limits of login codes (per new mobile and per address).

    Raises :class:`~gridcare.identity.errors.MobileInvalid`,
    :class:`~gridcare.identity.errors.MobileUnchanged`,
    :class:`~gridcare.identity.errors.RateLimited` or
    :class:`~gridcare.identity.errors.MobileUsedByAnotherPortalUser`; the last is checked after
    the request is counted (and the count is kept), so probing which mobiles are taken is
    rate-limited too. Nothing is sent on a refusal.
    """
    normalized = validate_mobile(new_mobile)
    if normalized == user.mobile:
        raise MobileUnchanged(field="mobile", mobile=mask_mobile(normalized))
    refusal: GridCareError
    with transaction.atomic():
        _check_code_request_limits(mobile=normalized, client_address=client_address, now=now)
        try:
            _check_new_mobile(user=user, mobile=normalized)
        except MobileUsedByAnotherPortalUser as taken:
            refusal = taken
        else:
            return issue_one_time_code(
                purpose=OneTimeCodePurpose.CONFIRM_MOBILE_CHANGE,
                mobile=normalized,
                user=user,
                compose=_mobile_change_message,
                delivery="code",
                now=now,
            )
    # Raised after the block commits, so the counted request stays counted.
    raise refusal


def change_portal_user_mobile(*, user: User, new_mobile: str, code: str, now: datetime) -> User:
    """Make ``new_mobile`` the portal ``user``'s mobile once ``code`` (the latest code sent to it
    for ``user``) is right, and audit it with both mobiles masked.

    Raises :class:`~gridcare.identity.errors.OneTimeCodeRejected` (a wrong try stays counted),
    :class:`~gridcare.identity.errors.MobileUnchanged` or
    :class:`~gridcare.identity.errors.MobileUsedByAnotherPortalUser` (those two leave the code
    unused). Like :func:`register_portal_user`, the code is redeemed in a block of its own so a
    wrong try is committed; the change itself is :func:`_apply_mobile_change`.
    """
    normalized = validate_mobile(new_mobile)
    refusal: OneTimeCodeRejected | None = None
    with transaction.atomic():
        try:
            one_time_code = redeem_one_time_code(
                purpose=OneTimeCodePurpose.CONFIRM_MOBILE_CHANGE, mobile=normalized, code=code, now=now
            )
        except OneTimeCodeRejected as rejected:
            # Caught inside the transaction so the counted wrong try is committed with it.
            refusal = rejected
        else:
            if one_time_code.user_id != user.pk:
                # The latest code for this mobile was asked for by someone else: not this user's.
                raise OneTimeCodeExpired(field="code")
            _apply_mobile_change(user=user, mobile=normalized, now=now)
    if refusal is not None:
        raise refusal
    return user


@transaction.atomic
def _apply_mobile_change(*, user: User, mobile: str, now: datetime) -> None:
    _check_new_mobile(user=user, mobile=mobile)
    old_mobile = user.mobile
    user.mobile = mobile
    user.save(update_fields=["mobile", "mobile_hash"])
    record_audit_event(
        actor=user,
        action="change_portal_user_mobile",
        target=user,
        occurred_at=now,
        changes={"mobile": [mask_mobile(old_mobile), mask_mobile(mobile)]},
    )


def _mobile_change_message(code: str) -> str:
    return _(
        "Your GridCare code to make this your mobile number is %(code)s. It is valid for "
        "%(minutes)d minutes. Never tell anyone this code."
    ) % {"code": code, "minutes": _minutes_valid()}


class PortalOneTimeCodeBackend(ModelBackend):
    """Authenticates ``mobile`` + ``one_time_password`` (the credential's name makes Django
    hide it from the failed-login signal) as the portal user the login code was sent to."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        mobile: str | None = None,
        one_time_password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if mobile is None or one_time_password is None:
            return None
        try:
            normalized = validate_mobile(mobile)
            one_time_code = redeem_one_time_code(
                purpose=OneTimeCodePurpose.PORTAL_LOGIN,
                mobile=normalized,
                code=one_time_password,
                now=timezone.now(),
            )
        except MobileInvalid:
            return None
        except OneTimeCodeRejected as refusal:
            if request is not None:
                setattr(request, _CODE_REFUSAL_ATTRIBUTE, refusal)
            return None
        user = one_time_code.user
        if user is None or user.kind != UserKind.PORTAL or user.mobile != normalized:
            return None
        return user if self.user_can_authenticate(user) else None


def code_refusal_of(request: HttpRequest) -> OneTimeCodeRejected | None:
    """Why :class:`PortalOneTimeCodeBackend` refused the code in this request, if it did."""
    refusal: OneTimeCodeRejected | None = getattr(request, _CODE_REFUSAL_ATTRIBUTE, None)
    return refusal
