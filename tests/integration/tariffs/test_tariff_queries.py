"""Reading the catalog: the version of a day, and a bill period split at tariff changes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gridcare.tariffs.errors import (
    TariffNotFound,
    TariffNotGridCareDocument,
    TariffPeriodInvalid,
    TariffVersionMissing,
)
from gridcare.tariffs.models import TariffVersion
from gridcare.tariffs.operations import import_urdb_tariff, publish_tariff_version
from gridcare.tariffs.queries import tariff_document_for, tariff_version_for, versions_overlapping

from .conftest import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_versions(tariff_document: DocumentFactory, now: datetime) -> list[TariffVersion]:
    """TEST-BJ v1 from 2024-01-01, v2 from 2024-03-15, v3 from 2024-04-01 (open)."""
    return [
        publish_tariff_version(actor=None, document=tariff_document(), valid_from=start, source="t", now=now)
        for start in (date(2024, 1, 1), date(2024, 3, 15), date(2024, 4, 1))
    ]


def _parts(code: str, start: date, end: date) -> list[tuple[int, date, date]]:
    return [
        (part.version.version, part.start, part.end)
        for part in versions_overlapping(code=code, start=start, end=end)
    ]


def test_a_period_inside_one_version_is_one_part(three_versions: list[TariffVersion]) -> None:
    assert _parts("TEST-BJ", date(2024, 2, 1), date(2024, 3, 1)) == [(1, date(2024, 2, 1), date(2024, 3, 1))]
    assert _parts("TEST-BJ", date(2024, 3, 1), date(2024, 3, 15)) == [
        (1, date(2024, 3, 1), date(2024, 3, 15))
    ]
    assert _parts("TEST-BJ", date(2024, 5, 1), date(2024, 6, 1)) == [(3, date(2024, 5, 1), date(2024, 6, 1))]


def test_a_period_across_a_change_is_split_at_the_change(three_versions: list[TariffVersion]) -> None:
    assert _parts("TEST-BJ", date(2024, 3, 1), date(2024, 4, 1)) == [
        (1, date(2024, 3, 1), date(2024, 3, 15)),
        (2, date(2024, 3, 15), date(2024, 4, 1)),
    ]
    assert _parts("TEST-BJ", date(2024, 3, 10), date(2024, 4, 10)) == [
        (1, date(2024, 3, 10), date(2024, 3, 15)),
        (2, date(2024, 3, 15), date(2024, 4, 1)),
        (3, date(2024, 4, 1), date(2024, 4, 10)),
    ]


def test_a_period_starting_before_the_first_version_is_refused(three_versions: list[TariffVersion]) -> None:
    with pytest.raises(TariffVersionMissing) as refused:
        versions_overlapping(code="TEST-BJ", start=date(2023, 12, 20), end=date(2024, 1, 20))

    assert refused.value.message("en") == "Tariff TEST-BJ has no version valid on 2023-12-20."
    assert refused.value.message("zh-hans") == "电价 TEST-BJ 在 2023-12-20 没有有效版本。"


@pytest.mark.parametrize("end", [date(2024, 3, 1), date(2024, 2, 29)])
def test_an_empty_or_reversed_period_is_refused(three_versions: list[TariffVersion], end: date) -> None:
    with pytest.raises(TariffPeriodInvalid) as refused:
        versions_overlapping(code="TEST-BJ", start=date(2024, 3, 1), end=end)

    assert refused.value.message("en") == (
        f"The period is invalid: its start 2024-03-01 must come before its end {end.isoformat()}."
    )


def test_the_version_of_a_day(three_versions: list[TariffVersion]) -> None:
    assert tariff_version_for(code="TEST-BJ", on=date(2024, 3, 14)).version == 1
    assert tariff_version_for(code="TEST-BJ", on=date(2024, 3, 15)).version == 2
    assert tariff_version_for(code="TEST-BJ", on=date(2030, 1, 1)).version == 3
    with pytest.raises(TariffVersionMissing):
        tariff_version_for(code="TEST-BJ", on=date(2023, 12, 31))


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(TariffNotFound) as refused:
        tariff_version_for(code="CN-XX-NONE", on=date(2024, 1, 1))

    assert refused.value.message("zh-hans") == "电价目录中没有电价 CN-XX-NONE。"
    with pytest.raises(TariffNotFound):
        versions_overlapping(code="CN-XX-NONE", start=date(2024, 1, 1), end=date(2024, 2, 1))


def test_a_urdb_tariff_has_no_gridcare_document(now: datetime) -> None:
    import_urdb_tariff(
        actor=None, record={"label": "ABC", "fixedmonthlycharge": 10}, valid_from=date(2024, 1, 1), now=now
    )

    with pytest.raises(TariffNotGridCareDocument) as refused:
        tariff_document_for(code="URDB-ABC", on=date(2024, 1, 1))

    assert refused.value.message("en") == "Tariff URDB-ABC is a urdb tariff, not a GridCare tariff document."
