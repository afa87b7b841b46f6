"""``among(field, ids)`` selects what ``field__in=ids`` selects, through joins too, on SQLite (as
``IN``) and PostgreSQL (as one array parameter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridcare.organization.lookups import among
from gridcare.organization.models import OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
def units() -> dict[str, OrgUnit]:
    province = create_org_unit(
        code="91", name="省", level=OrgLevel.PROVINCE, parent=None, area_type="urban", actor=None, now=NOW
    )
    made = {"91": province}
    for city in ("9101", "9102", "9103"):
        made[city] = create_org_unit(
            code=city, name=city, level=OrgLevel.CITY, parent=province, area_type="urban", actor=None, now=NOW
        )
    made["910101"] = create_org_unit(
        code="910101",
        name="县",
        level=OrgLevel.COUNTY,
        parent=made["9101"],
        area_type="urban",
        actor=None,
        now=NOW,
    )
    return made


@pytest.mark.django_db
def test_among_selects_what_in_selects(units: dict[str, OrgUnit]) -> None:
    ids = [units["9101"].pk, units["9103"].pk, 10**9]

    chosen = (
        OrgUnit.objects.filter(among(field="id", ids=ids)).order_by("code").values_list("code", flat=True)
    )
    below = OrgUnit.objects.filter(among(field="parent__id", ids=[units["91"].pk])).order_by("code")

    assert (
        list(chosen)
        == ["9101", "9103"]
        == list(OrgUnit.objects.filter(id__in=ids).order_by("code").values_list("code", flat=True))
    )
    assert [unit.code for unit in below] == ["9101", "9102", "9103"]
    assert not OrgUnit.objects.filter(among(field="id", ids=[])).exists()


@pytest.mark.django_db
def test_among_sends_a_thousand_ids_as_one_parameter_on_postgresql(units: dict[str, OrgUnit]) -> None:
    ids = [units["9102"].pk, *range(10**9, 10**9 + 999)]

    with CaptureQueriesContext(connection) as captured:
        codes = list(OrgUnit.objects.filter(among(field="id", ids=ids)).values_list("code", flat=True))

    assert codes == ["9102"]
    (query,) = captured.captured_queries
    if connection.vendor == "postgresql":
        # One array parameter, not a thousand placeholders.
        assert '"organization_orgunit"."id" = ANY(' in query["sql"]
    else:
        assert '"organization_orgunit"."id" IN (' in query["sql"]
