"""Reads of metering data. Every function takes the acting user and starts from the
org-scoped manager (``visible_to``), so nothing outside the user's org subtree is returned."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from gridcare.customers.models import Account
from gridcare.metering.models import Meter, MeteringPoint, MeterInstallation, MeterRead

#: How many reads the account page shows per metering point.
RECENT_READS_LIMIT = 12


def _reads_newest_first(*, user: Any) -> QuerySet[MeterRead]:
    return MeterRead.objects.visible_to(user).select_related("meter").order_by("-read_at", "-id")


def _current_installations(*, user: Any) -> QuerySet[MeterInstallation]:
    return MeterInstallation.objects.visible_to(user).filter(removed_at__isnull=True).select_related("meter")


def metering_points_of_account(
    *, user: Any, account: Account, recent_reads_limit: int = RECENT_READS_LIMIT
) -> list[MeteringPoint]:
    """The metering points of ``account`` visible to ``user``, ordered by code, in a fixed
    number of queries however many points and reads there are.

    Each point carries ``current_installations`` (a list of zero or one installation in force,
    with its meter) and ``recent_reads`` (its last ``recent_reads_limit`` reads, newest first,
    with their meter); its transformer area and feeder are loaded.
    """
    metering_points = (
        MeteringPoint.objects.visible_to(user)
        .filter(account=account)
        .select_related("transformer_area", "feeder", "parent")
        .prefetch_related(
            Prefetch(
                "installations", queryset=_current_installations(user=user), to_attr="current_installations"
            ),
            # A sliced prefetch becomes one windowed query (ROW_NUMBER per metering point).
            Prefetch(
                "reads",
                queryset=_reads_newest_first(user=user)[:recent_reads_limit],
                to_attr="recent_reads",
            ),
        )
        .order_by("code")
    )
    return list(metering_points)


def recent_reads(
    *, user: Any, metering_point: MeteringPoint, limit: int = RECENT_READS_LIMIT
) -> list[MeterRead]:
    """The last ``limit`` reads taken on ``metering_point`` that ``user`` may see, newest first."""
    return list(_reads_newest_first(user=user).filter(metering_point=metering_point)[:limit])


def current_installation(*, user: Any, metering_point: MeteringPoint) -> MeterInstallation | None:
    """The meter installation in force on ``metering_point`` (not removed), with its meter, or
    ``None`` when no meter is installed or ``user`` may not see it."""
    installation: MeterInstallation | None = (
        _current_installations(user=user).filter(metering_point=metering_point).first()
    )
    return installation


def count_metering_points(*, user: Any) -> int:
    """How many metering points ``user`` may see."""
    return int(MeteringPoint.objects.visible_to(user).count())


def count_meters(*, user: Any) -> int:
    """How many meters (any status) ``user`` may see."""
    return int(Meter.objects.visible_to(user).count())


def count_meter_reads(*, user: Any) -> int:
    """How many register reads ``user`` may see."""
    return int(MeterRead.objects.visible_to(user).count())


def find_meter(*, user: Any, asset_no: str) -> Meter:
    """The meter with ``asset_no`` if ``user`` may see it; raises ``Meter.DoesNotExist``
    otherwise (also for meters out of scope, so their existence is not revealed)."""
    meter: Meter = Meter.objects.visible_to(user).get(asset_no=asset_no)
    return meter


def reads_of_account(*, user: Any, account: Account) -> QuerySet[MeterRead]:
    """The register reads taken on ``account``'s metering points that ``user`` may see, newest
    first, with their meter and metering point."""
    return (
        MeterRead.objects.visible_to(user)
        .filter(metering_point__account=account)
        .select_related("meter", "metering_point")
        .order_by("-read_at", "-id")
    )
