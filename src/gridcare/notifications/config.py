"""The ``NOTIFICATIONS`` setting, read with its defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from django.conf import settings


@dataclass(frozen=True, kw_only=True)
class NotificationSettings:
    quiet_hours_start: time
    quiet_hours_end: time
    rate_limits_per_minute: dict[str, int]
    retry_backoff: tuple[timedelta, ...]
    claim_timeout: timedelta
    site_url: str
    dispatch_channels: tuple[str, ...]
    receipt_wait_seconds: float


def notification_settings() -> NotificationSettings:
    """The current ``settings.NOTIFICATIONS`` (see settings.py for the keys)."""
    raw: dict[str, Any] = getattr(settings, "NOTIFICATIONS", {})
    return NotificationSettings(
        quiet_hours_start=time.fromisoformat(raw.get("QUIET_HOURS_START", "21:00")),
        quiet_hours_end=time.fromisoformat(raw.get("QUIET_HOURS_END", "08:00")),
        rate_limits_per_minute=dict(raw.get("RATE_LIMITS_PER_MINUTE", {})),
        retry_backoff=tuple(
            timedelta(seconds=s) for s in raw.get("RETRY_BACKOFF_SECONDS", (60, 300, 900, 3600))
        ),
        claim_timeout=timedelta(seconds=raw.get("CLAIM_TIMEOUT_SECONDS", 600)),
        site_url=raw.get("SITE_URL", "http://localhost:8000"),
        dispatch_channels=tuple(
            channel.strip()
            for channel in raw.get("DISPATCH_CHANNELS", ("email", "sms", "mms"))
            if channel.strip()
        ),
        receipt_wait_seconds=float(raw.get("RECEIPT_WAIT_SECONDS", 5.0)),
    )
