"""The tariff admin: a new version is a pasted JSON document checked field by field before
anything is saved; saved versions are read-only."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role
from gridcare.tariffs.models import TariffVersion

from .conftest import DocumentFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/tariffs/tariffversion/add/"


@pytest.fixture
def superuser_client(org_tree, staff_user_factory, log_in) -> Client:
    user = staff_user_factory(username="root", org_unit=org_tree.province, is_superuser=True)
    return log_in(Client(), user)  # type: ignore[no-any-return]


def _catalog_state() -> list[tuple[str, int, date, date | None]]:
    return list(
        TariffVersion.objects.order_by("tariff__code", "version").values_list(
            "tariff__code", "version", "valid_from", "valid_to"
        )
    )


def test_adding_a_version_publishes_it(superuser_client: Client, tariff_document: DocumentFactory) -> None:
    document = tariff_document(code="CN-BJ-RES-2012", name_en="Beijing residential (2025)")

    response = superuser_client.post(
        ADD_URL, {"valid_from": "2025-01-01", "document": json.dumps(document, ensure_ascii=False)}
    )

    assert response.status_code == 302
    assert _catalog_state()[:2] == [
        ("CN-BJ-RES-2012", 1, date(2012, 7, 1), date(2025, 1, 1)),
        ("CN-BJ-RES-2012", 2, date(2025, 1, 1), None),
    ]
    version = TariffVersion.objects.get(tariff__code="CN-BJ-RES-2012", version=2)
    assert (version.source, version.created_by.username, version.document) == ("admin", "root", document)
    assert AuditEvent.objects.filter(action="publish_tariff_version", object_id=str(version.pk)).count() == 1


def test_an_invalid_document_gets_field_errors_and_saves_nothing(
    superuser_client: Client, tariff_document: DocumentFactory
) -> None:
    document = tariff_document(
        energy={"periods": ["flat"], "prices": {"flat": ["0.5", "0.6"]}},
    )
    before, events = _catalog_state(), AuditEvent.objects.filter(action="publish_tariff_version").count()

    response = superuser_client.post(ADD_URL, {"valid_from": "2025-01-01", "document": json.dumps(document)})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {
        "document": [
            "电价文档无效：energy: period flat needs 1 prices, one per tier / "
            "The tariff document is invalid: energy: period flat needs 1 prices, one per tier"
        ]
    }
    assert (_catalog_state(), AuditEvent.objects.filter(action="publish_tariff_version").count()) == (
        before,
        events,
    )


def test_an_overlapping_start_is_an_error_on_valid_from(
    superuser_client: Client, tariff_document: DocumentFactory
) -> None:
    before = _catalog_state()

    response = superuser_client.post(
        ADD_URL,
        {"valid_from": "2012-07-01", "document": json.dumps(tariff_document(code="DEMO-GD-LI-2P"))},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["valid_from"]
    assert (
        "overlaps version 1 (2012-07-01 to —)" in response.context["adminform"].form.errors["valid_from"][0]
    )
    assert _catalog_state() == before


def test_text_that_is_not_json_is_an_error(superuser_client: Client) -> None:
    before = _catalog_state()

    response = superuser_client.post(ADD_URL, {"valid_from": "2025-01-01", "document": "{not json"})

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["document"]
    assert _catalog_state() == before


def test_a_saved_version_is_read_only(superuser_client: Client) -> None:
    version = TariffVersion.objects.get(tariff__code="CN-ZJ-RES-TIER")
    url = f"/admin/tariffs/tariffversion/{version.pk}/change/"

    page = superuser_client.get(url)
    refused = superuser_client.post(url, {"valid_from": "2013-01-01", "document": "{}"})

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert "CN-ZJ-RES-TIER" in page.content.decode()
    assert refused.status_code == 403
    version.refresh_from_db()
    assert version.valid_from == date(2012, 7, 1)


def test_a_station_administrator_cannot_add_versions(org_tree, staff_user_factory, log_in) -> None:
    user = staff_user_factory(username="sa", org_unit=org_tree.station, roles=[Role.SYSTEM_ADMINISTRATOR])
    client = log_in(Client(), user)

    listing = client.get("/admin/tariffs/tariffversion/")
    refused = client.get(ADD_URL)

    assert listing.status_code == 200
    assert refused.status_code == 403
