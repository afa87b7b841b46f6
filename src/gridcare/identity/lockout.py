"""Login lockouts (django-axes): auditing a lockout when it happens, and what the lockouts page
lists. Unlocking is :func:`gridcare.identity.operations.unlock_user` (and
``unlock_ip_address``).

django-axes counts failed logins per username and, separately, per IP address
(``AXES_LOCKOUT_PARAMETERS``); once either reaches ``AXES_FAILURE_LIMIT`` within the cool-off
(``AXES_COOLOFF_TIME``), every login for that username or from that address is refused, even
with the right password, until the cool-off has passed or an administrator unlocks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridcare.identity.access import sees_whole_org_tree, users_visible_to
from gridcare.identity.signals import ATTEMPTED_USERNAME_MAX_LENGTH, record_username_event


@dataclass(frozen=True, kw_only=True)
class FailedLogins:
    """Failed logins of one username or from one IP address within the cool-off."""

    subject: str
    failures: int
    last_failure_at: datetime
    is_locked_out: bool
    unlocks_at: datetime


def cool_off() -> timedelta:
    """How long a lockout lasts after the last failed attempt."""
    value = settings.AXES_COOLOFF_TIME
    if not isinstance(value, timedelta):
        raise TypeError("AXES_COOLOFF_TIME must be a timedelta in GridCare's settings.")
    return value


def failure_limit() -> int:
    """Failed logins that lock out a username or an IP address."""
    return int(settings.AXES_FAILURE_LIMIT)


def failed_logins_by_username(*, viewer: Any, now: datetime) -> list[FailedLogins]:
    """Usernames with failed logins inside the cool-off, most failures first: those of users
    in ``viewer``'s org subtree, and (for a viewer who sees the whole tree) usernames no user
    holds."""
    attempts = AccessAttempt.objects.all()
    if not sees_whole_org_tree(viewer):
        attempts = attempts.filter(username__in=users_visible_to(viewer).values("username"))
    return _grouped(attempts, field="username", now=now)


def failed_logins_by_ip_address(*, viewer: Any, now: datetime) -> list[FailedLogins]:
    """IP addresses with failed logins inside the cool-off, most failures first; an address
    belongs to no org unit, so only a viewer who sees the whole tree gets them."""
    if not sees_whole_org_tree(viewer):
        return []
    return _grouped(AccessAttempt.objects.all(), field="ip_address", now=now)


def _grouped(attempts: Any, *, field: str, now: datetime) -> list[FailedLogins]:
    rows = (
        attempts.filter(attempt_time__gt=now - cool_off())
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last_failure_at=Max("attempt_time"))
        .order_by("-failures", field)
    )
    limit = failure_limit()
    return [
        FailedLogins(
            subject=row[field],
            failures=row["failures"],
            last_failure_at=row["last_failure_at"],
            is_locked_out=row["failures"] >= limit,
            unlocks_at=row["last_failure_at"] + cool_off(),
        )
        for row in rows
    ]


#: The page a locked-out login attempt gets (HTTP 429).
LOCKED_OUT_TEMPLATE = "web/locked_out.html"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers a login attempt refused by a lockout (``AXES_LOCKOUT_CALLABLE``)."""
    context = {"failure_limit": failure_limit(), "cool_off_minutes": int(cool_off().total_seconds() // 60)}
    return render(request, LOCKED_OUT_TEMPLATE, context, status=HTTPStatus.TOO_MANY_REQUESTS)


def audit_lockout(
    *, sender: Any, request: HttpRequest, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    """Record ``lock_out_user`` when a failed login locks out a username or an IP address: the
    attempt that brought either count to the limit (``locked_by`` says which).

    django-axes also signals each refused attempt during a lockout; those are already audited
    as ``login_failed``, so they record nothing here."""
    attempted = (username or "")[:ATTEMPTED_USERNAME_MAX_LENGTH]
    recent = AccessAttempt.objects.filter(attempt_time__gt=timezone.now() - cool_off())
    counts = {
        "username": _failures(recent.filter(username=username)) if username else 0,
        "ip_address": _failures(recent.filter(ip_address=ip_address)),
    }
    locked_by = [parameter for parameter, count in counts.items() if count == failure_limit()]
    if not locked_by:
        return
    changes = {
        "username": attempted,
        "ip_address": ip_address,
        "failures": max(counts.values()),
        "locked_by": locked_by,
    }
    record_username_event(
        actor=None, action="lock_out_user", username=attempted, occurred_at=timezone.now(), changes=changes
    )


def _failures(attempts: Any) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


def is_exempt_from_lockout(request: HttpRequest | None, credentials: dict[str, Any] | None) -> bool:
    """Whether django-axes leaves this login attempt alone (``AXES_WHITELIST_CALLABLE``).

    Portal one-time-code logins are exempt: each code allows 5 tries and code requests are
    rate-limited per mobile and per IP address (:mod:`gridcare.identity.rate_limits`). Counting
    them per IP address as well would let one customer lock out every customer behind the same
    carrier NAT, and they carry no username for a per-username count.
    """
    return bool(credentials) and "one_time_password" in (credentials or {})
