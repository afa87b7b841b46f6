"""Four-eyes tariff changes: a requested version is published only when a second user approves."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.test import Client
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.identity.approvals import approval_kind
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, Role
from gridcare.identity.operations import approve_request
from gridcare.tariffs.errors import TariffChangeStale, TariffDocumentInvalid
from gridcare.tariffs.models import TariffVersion
from gridcare.tariffs.operations import document_sha256, publish_tariff_version, request_tariff_change

from .conftest import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester(org_tree, staff_user_factory):
    return staff_user_factory(
        username="admin_p", org_unit=org_tree.province, roles=[Role.SYSTEM_ADMINISTRATOR]
    )


@pytest.fixture
def approver(org_tree, staff_user_factory):
    return staff_user_factory(
        username="boss_p", org_unit=org_tree.province, roles=[Role.MARKETING_SUPERVISOR]
    )


def _catalog_state() -> list[tuple[str, int, date, date | None]]:
    return list(
        TariffVersion.objects.order_by("tariff__code", "version").values_list(
            "tariff__code", "version", "valid_from", "valid_to"
        )
    )


def test_an_approved_change_publishes_the_version(
    requester, approver, org_tree, tariff_document: DocumentFactory, now: datetime
) -> None:
    document = tariff_document(code="CN-BJ-RES-2012")
    request = request_tariff_change(
        actor=requester, document=document, valid_from=date(2025, 7, 1), justification="发改委调价", now=now
    )
    before = _catalog_state()

    assert (request.kind, request.status, request.org_unit) == (
        "change_tariff",
        ApprovalStatus.PENDING,
        org_tree.province,
    )
    assert request.payload == {
        "code": "CN-BJ-RES-2012",
        "valid_from": "2025-07-01",
        "document": document,
        "document_sha256": document_sha256(document),
        "replaces_version": 1,
    }
    with translation.override("en"):
        assert approval_kind("change_tariff").describe(request.payload) == (
            "Tariff CN-BJ-RES-2012: new version from 2025-07-01 (replaces version 1)"
        )
    assert approval_kind("change_tariff").describe(request.payload) == (
        "电价CN-BJ-RES-2012：自2025-07-01起的新版本（取代第1版）"
    )
    assert before[0] == ("CN-BJ-RES-2012", 1, date(2012, 7, 1), None)

    approve_request(request=request, reason="核对无误", actor=approver, now=now)

    assert _catalog_state()[:2] == [
        ("CN-BJ-RES-2012", 1, date(2012, 7, 1), date(2025, 7, 1)),
        ("CN-BJ-RES-2012", 2, date(2025, 7, 1), None),
    ]
    version = TariffVersion.objects.get(tariff__code="CN-BJ-RES-2012", version=2)
    assert (version.created_by, version.source) == (approver, f"approval request {request.pk}")
    event = AuditEvent.objects.get(action="publish_tariff_version", object_id=str(version.pk))
    assert (event.changes["approval_request"], event.changes["requested_by"]) == (request.pk, requester.pk)
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.EXECUTED


def test_a_change_overtaken_by_another_version_is_not_approved(
    requester, approver, tariff_document: DocumentFactory, now: datetime
) -> None:
    request = request_tariff_change(
        actor=requester,
        document=tariff_document(code="CN-BJ-RES-2012"),
        valid_from=date(2025, 7, 1),
        justification="调价",
        now=now,
    )
    publish_tariff_version(
        actor=None,
        document=tariff_document(code="CN-BJ-RES-2012"),
        valid_from=date(2024, 1, 1),
        source="t",
        now=now,
    )
    before = _catalog_state()

    with pytest.raises(TariffChangeStale) as refused:
        approve_request(request=request, reason="ok", actor=approver, now=now)

    assert refused.value.message("en") == (
        "Tariff CN-BJ-RES-2012 got a new version (version 2) after the request; file a new one."
    )
    assert _catalog_state() == before
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_an_invalid_document_is_refused_before_it_is_requested(
    requester, tariff_document: DocumentFactory, now: datetime
) -> None:
    with pytest.raises(TariffDocumentInvalid):
        request_tariff_change(
            actor=requester,
            document=tariff_document(minimum_charge_per_month="x"),
            valid_from=date(2025, 7, 1),
            justification="调价",
            now=now,
        )

    assert ApprovalRequest.objects.filter(kind="change_tariff").count() == 0


def test_the_request_is_in_the_approvers_inbox(
    requester, approver, log_in, tariff_document: DocumentFactory, now: datetime
) -> None:
    request = request_tariff_change(
        actor=requester,
        document=tariff_document(code="CN-SH-RES-TOU"),
        valid_from=date(2026, 1, 1),
        justification="沪发改价格调整",
        now=now,
    )

    page = log_in(Client(), approver).get("/approvals/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "CN-SH-RES-TOU" in body
    assert "2026-01-01" in body
    assert "沪发改价格调整" in body
    assert f"/approvals/{request.pk}/" in body
