"""Time: aware datetimes only, business dates in Asia/Shanghai, and an injectable clock.

Domain code takes ``now=`` / ``as_of=`` arguments; only interfaces read a :class:`Clock`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached code that needs to know which instant it is."""


class Clock(Protocol):
    """Where interfaces get the current instant from."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC (convert with :func:`to_local` for business dates)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(tz=UTC)


class FrozenClock:
    """A clock standing still at ``at`` until told to :meth:`advance`, for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = require_aware(at)

    def now(self) -> datetime:
        """The frozen instant."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the frozen instant by ``delta`` (may be negative)."""
        self._at += delta


def require_aware(moment: datetime) -> datetime:
    """``moment`` unchanged if it is timezone-aware, else :class:`NaiveDatetimeError`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"naive datetime {moment.isoformat()}: GridCare needs timezone-aware datetimes "
            "(attach tzinfo=SHANGHAI or UTC)"
        )
    return moment


def to_local(moment: datetime) -> datetime:
    """The aware ``moment`` expressed in Asia/Shanghai time."""
    return require_aware(moment).astimezone(SHANGHAI)


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai business date of the aware ``moment``."""
    return to_local(moment).date()


def local_midnight(day: date) -> datetime:
    """The instant the business date ``day`` starts in Asia/Shanghai."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI)
