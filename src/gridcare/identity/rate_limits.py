"""Rate limits counted in the database, so every server process sees the same counts
(Django's local-memory cache is per process).

A limit allows ``limit`` hits of one ``scope`` per key (a mobile, an IP address, a user) in any
``window``; a refusal says how long to wait until the oldest hit that blocks leaves the window.
Keys are kept as keyed digests, never in plain text. Two requests racing at the same moment
may both pass the last free slot: the limits slow guessing down, they are not quotas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.crypto import salted_hmac

from gridcare.identity.errors import RateLimited
from gridcare.identity.models import RateLimitHit

SECONDS_PER_MINUTE = 60


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """At most ``limit`` hits of ``scope`` per key in any ``window``."""

    scope: str
    limit: int
    window: timedelta


#: Code requests (login and registration alike) per mobile and per IP address.
CODE_REQUESTS_PER_MOBILE_PER_MINUTE = RateLimit(
    scope="code_request_mobile", limit=1, window=timedelta(seconds=60)
)
CODE_REQUESTS_PER_MOBILE_PER_HOUR = RateLimit(scope="code_request_mobile", limit=5, window=timedelta(hours=1))
CODE_REQUESTS_PER_ADDRESS_PER_HOUR = RateLimit(
    scope="code_request_address", limit=20, window=timedelta(hours=1)
)
#: Failed portal logins (password or code) per IP address.
PORTAL_LOGIN_FAILURES_PER_ADDRESS = RateLimit(
    scope="portal_login_failure_address", limit=20, window=timedelta(minutes=15)
)


def key_digest(*, scope: str, key: str) -> str:
    """The keyed digest a hit of ``scope`` stores for ``key``."""
    return salted_hmac(f"gridcare.identity.rate_limits.{scope}", key, algorithm="sha256").hexdigest()


def wait_for(*, limit: RateLimit, key: str, now: datetime) -> timedelta | None:
    """How long ``key`` must wait before ``limit`` allows another hit; ``None`` if it allows one now."""
    hit_times = list(
        RateLimitHit.objects.filter(
            scope=limit.scope,
            key_digest=key_digest(scope=limit.scope, key=key),
            occurred_at__gt=now - limit.window,
            occurred_at__lte=now,
        )
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
    )
    if len(hit_times) < limit.limit:
        return None
    # One more hit is allowed once all but limit - 1 of these hits have left the window.
    return hit_times[len(hit_times) - limit.limit] + limit.window - now


def check_rate_limits(*, checks: Sequence[tuple[RateLimit, str]], now: datetime) -> None:
    """Raise :class:`~gridcare.identity.errors.RateLimited` with the longest wait when any of the
    ``(limit, key)`` checks allows no hit now."""
    waits = [wait for limit, key in checks if (wait := wait_for(limit=limit, key=key, now=now)) is not None]
    if waits:
        raise rate_limited(wait=max(waits))


def record_rate_limit_hit(*, scope: str, key: str, now: datetime) -> RateLimitHit:
    """Count one hit of ``scope`` for ``key``. A bookkeeping row: the event it counts is audited
    by the operation that records it."""
    return RateLimitHit.objects.create(
        scope=scope, key_digest=key_digest(scope=scope, key=key), occurred_at=now
    )


def rate_limited(*, wait: timedelta) -> RateLimited:
    """The refusal for a wait of ``wait``: whole seconds under a minute, else whole minutes
    (both rounded up, so the user never comes back too early)."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < SECONDS_PER_MINUTE:
        wait_zh = f"{seconds} 秒"
        wait_en = f"{seconds} second" if seconds == 1 else f"{seconds} seconds"
    else:
        minutes = math.ceil(seconds / SECONDS_PER_MINUTE)
        wait_zh = f"{minutes} 分钟"
        wait_en = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    return RateLimited(wait_seconds=seconds, wait_zh=wait_zh, wait_en=wait_en)
