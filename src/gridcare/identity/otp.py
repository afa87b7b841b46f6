"""One-time codes sent to mobiles (portal login, registration and mobile changes), and the
protocol of the sender that delivers them.

A code is 6 digits from :mod:`secrets`, valid for 5 minutes, stored only as a keyed hash; it
works once, and after 5 wrong tries it stops working. Only the latest code of a mobile and
purpose counts: asking for a new code retires the old one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import (
    OneTimeCodeAttemptsExhausted,
    OneTimeCodeExpired,
    OneTimeCodeRejected,
    OneTimeCodeUsed,
    OneTimeCodeWrong,
)
from gridcare.identity.models import OneTimeCode, OneTimeCodePurpose, User
from gridcare.kit.masking import mask_mobile

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5

logger = logging.getLogger(__name__)


class OneTimeCodeSender(Protocol):
    """Delivers a text message to a mobile. The setting ``GRIDCARE_OTP_SENDER`` names the class
    (a dotted path) used; it is built with no arguments. The default,
    ``gridcare.notifications.otp.NotificationOtpSender``, queues it as an urgent SMS in the
    notification outbox (named by a string: identity sits below notifications)."""

    def send(self, *, mobile: str, message: str, now: datetime) -> None:
        """Deliver ``message`` to ``mobile`` (11 digits)."""


def configured_sender() -> OneTimeCodeSender:
    """The sender named by the ``GRIDCARE_OTP_SENDER`` setting."""
    sender_class: Callable[[], OneTimeCodeSender] = import_string(settings.GRIDCARE_OTP_SENDER)
    return sender_class()


def mobile_digest(mobile: str) -> str:
    """The keyed digest stored instead of a (normalized) mobile number."""
    return salted_hmac("gridcare.identity.otp.mobile", mobile, algorithm="sha256").hexdigest()


def _code_hash(*, purpose: str, digest: str, code: str) -> str:
    return salted_hmac(
        "gridcare.identity.otp.code", f"{purpose}:{digest}:{code}", algorithm="sha256"
    ).hexdigest()


def new_code() -> str:
    """A random 6-digit code."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@transaction.atomic
def issue_one_time_code(
    *,
    purpose: OneTimeCodePurpose,
    mobile: str,
    user: User | None,
    compose: Callable[[str], str] | None,
    delivery: str,
    now: datetime,
) -> OneTimeCode:
    """Store a new code for the normalized ``mobile`` and send ``compose(code)`` to it through
    the configured sender; with ``compose`` ``None`` nothing is sent (a code nobody receives).
    ``delivery`` names what was sent, for the audit event (``code``, ``notice`` or ``none``)."""
    code = new_code()
    digest = mobile_digest(mobile)
    one_time_code = OneTimeCode.objects.create(
        purpose=purpose,
        mobile_digest=digest,
        user=user,
        code_hash=_code_hash(purpose=purpose, digest=digest, code=code),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    if compose is not None:
        message = compose(code)
        configured_sender().send(mobile=mobile, message=message, now=now)
        if settings.DEBUG:
            # The demo has no SMS gateway: its console shows the text, so a code login works.
            logger.warning("DEBUG: text message to %s: %s", mask_mobile(mobile), message)
    record_audit_event(
        actor=None,
        action="issue_one_time_code",
        target=one_time_code,
        occurred_at=now,
        changes={"purpose": purpose.value, "mobile": mask_mobile(mobile), "delivery": delivery},
    )
    return one_time_code


def redeem_one_time_code(
    *, purpose: OneTimeCodePurpose, mobile: str, code: str, now: datetime
) -> OneTimeCode:
    """Mark the latest code of the normalized ``mobile`` used if ``code`` is it, and return it.

    Refusals raise a :class:`~gridcare.identity.errors.OneTimeCodeRejected` subclass: expired
    (or never requested), used, too many wrong tries, or wrong. A wrong try is counted and
    audited before the error is raised; a caller that wraps this in a transaction of its own
    must catch the error inside it, or the count rolls back (see ``register_portal_user``).
    """
    refusal: OneTimeCodeRejected
    with transaction.atomic():
        one_time_code = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, mobile_digest=mobile_digest(mobile))
            .order_by("-created_at", "-id")
            .first()
        )
        if one_time_code is None or one_time_code.expires_at <= now:
            refusal = OneTimeCodeExpired(field="code")
        elif one_time_code.used_at is not None:
            refusal = OneTimeCodeUsed(field="code")
        elif one_time_code.attempts >= MAX_ATTEMPTS:
            refusal = OneTimeCodeAttemptsExhausted(field="code")
        elif constant_time_compare(
            _code_hash(purpose=purpose, digest=one_time_code.mobile_digest, code=code.strip()),
            one_time_code.code_hash,
        ):
            one_time_code.used_at = now
            one_time_code.save(update_fields=["used_at"])
            record_audit_event(
                actor=one_time_code.user,
                action="use_one_time_code",
                target=one_time_code,
                occurred_at=now,
                changes={"purpose": purpose.value, "mobile": mask_mobile(mobile)},
            )
            return one_time_code
        else:
            one_time_code.attempts += 1
            one_time_code.save(update_fields=["attempts"])
            record_audit_event(
                actor=None,
                action="reject_one_time_code",
                target=one_time_code,
                occurred_at=now,
                changes={
                    "purpose": purpose.value,
                    "mobile": mask_mobile(mobile),
                    "attempts": one_time_code.attempts,
                },
            )
            tries_left = MAX_ATTEMPTS - one_time_code.attempts
            refusal = (
                OneTimeCodeWrong(field="code", tries_left=tries_left)
                if tries_left
                else OneTimeCodeAttemptsExhausted(field="code")
            )
    # Raised after the block commits, so the counted try stays counted.
    raise refusal
