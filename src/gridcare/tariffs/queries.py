"""Reads of the tariff catalog.

Tariffs are not org-scoped business records: the catalog is the province's price list, the same
for every org unit and every user who bills or quotes, so these reads take no user and have no
``visible_to``. Dates are business dates (Asia/Shanghai); periods are half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from gridcare.billing.engine.tariff import TariffDocument, parse_tariff_document
from gridcare.tariffs.errors import (
    TariffNotFound,
    TariffNotGridCareDocument,
    TariffPeriodInvalid,
    TariffVersionMissing,
)
from gridcare.tariffs.models import Tariff, TariffKind, TariffVersion


@dataclass(frozen=True, kw_only=True)
class VersionPeriod:
    """The part ``[start, end)`` of a period that ``version`` covers."""

    version: TariffVersion
    start: date
    end: date


def catalog() -> QuerySet[Tariff]:
    """Every tariff, by code."""
    return Tariff.objects.order_by("code")


def tariff_by_code(*, code: str) -> Tariff:
    """The tariff ``code``, or :class:`TariffNotFound`."""
    tariff = Tariff.objects.filter(code=code).first()
    if tariff is None:
        raise TariffNotFound(field="code", code=code)
    return tariff


def tariff_version_for(*, code: str, on: date) -> TariffVersion:
    """The version of tariff ``code`` valid on ``on``; :class:`TariffNotFound` or
    :class:`TariffVersionMissing` when there is none."""
    tariff = tariff_by_code(code=code)
    version = (
        TariffVersion.objects.select_related("tariff")
        .filter(tariff=tariff, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .first()
    )
    if version is None:
        raise TariffVersionMissing(field="on", code=code, on=on.isoformat())
    return version


def tariff_document_for(*, code: str, on: date) -> TariffDocument:
    """The parsed GridCare tariff document of ``code`` valid on ``on`` (a URDB tariff is
    refused: :class:`TariffNotGridCareDocument`)."""
    version = tariff_version_for(code=code, on=on)
    if version.tariff.kind != TariffKind.GRIDCARE:
        raise TariffNotGridCareDocument(field="code", code=code, kind=version.tariff.kind)
    return parse_tariff_document(version.document)


def versions_overlapping(*, code: str, start: date, end: date) -> list[VersionPeriod]:
    """The versions of ``code`` that cover ``[start, end)``, in order, each with the sub-period
    it covers: a bill period split at each tariff change (days ``[start, change)`` and
    ``[change, end)``). Every day must be covered: a day without a version is
    :class:`TariffVersionMissing` naming the first such day."""
    if start >= end:
        raise TariffPeriodInvalid(field="start", start=start.isoformat(), end=end.isoformat())
    tariff = tariff_by_code(code=code)
    versions = (
        TariffVersion.objects.select_related("tariff")
        .filter(tariff=tariff, valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .order_by("valid_from")
    )
    periods: list[VersionPeriod] = []
    covered_to = start
    for version in versions:
        if version.valid_from > covered_to:
            break
        part_end = min(end, version.valid_to) if version.valid_to is not None else end
        periods.append(VersionPeriod(version=version, start=covered_to, end=part_end))
        covered_to = part_end
    if covered_to < end:
        raise TariffVersionMissing(field="start", code=code, on=covered_to.isoformat())
    return periods
