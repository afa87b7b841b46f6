"""Dunning plans as versioned data: the default plan shipped by the migration, the legal
minimums refused whatever a plan says, and publishing a new version (the open one ends)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.payments.dunning_plans import (
    parse_dunning_plan,
    plan_version_in_force,
    publish_dunning_plan_version,
)
from gridcare.payments.errors import (
    DunningPlanInvalid,
    DunningPlanVersionImmutable,
    DunningPlanVersionOverlaps,
)
from gridcare.payments.late_fee_rules import CustomerClass
from gridcare.payments.models import DunningPlanVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_document() -> dict[str, Any]:
    return copy.deepcopy(DunningPlanVersion.objects.get(version=1).document)


def _step(document: dict[str, Any], code: str) -> dict[str, Any]:
    step: dict[str, Any] = next(step for step in document["steps"] if step["code"] == code)
    return step


def test_the_default_plan_is_shipped_and_valid(default_document: dict[str, Any]) -> None:
    version = plan_version_in_force(on=date(2025, 3, 1))
    assert (version.version, version.valid_from, version.valid_to) == (1, date(2024, 1, 1), None)
    plan = parse_dunning_plan(default_document)
    assert [(step.day, step.code) for step in plan.steps_for(CustomerClass.RESIDENTIAL)] == [
        (3, "reminder_day_3"),
        (15, "reminder_day_15"),
        (25, "formal_notice"),
        (26, "disconnection_notice"),
        (33, "reminder_before_cut_residential"),
        (34, "disconnection_residential"),
    ]
    assert [(step.day, step.code) for step in plan.steps_for(CustomerClass.NON_RESIDENTIAL)][-2:] == [
        (30, "reminder_before_cut_non_residential"),
        (31, "disconnection_non_residential"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: _step(d, "disconnection_non_residential").update(day=30), "steps[5].day"),
        (lambda d: _step(d, "disconnection_residential").update(day=32), "steps[7].day"),
        (lambda d: _step(d, "disconnection_notice").update(channels=["sms"]), "steps[3].channels"),
        (lambda d: d["steps"].pop(6), "steps[6]"),
        (lambda d: _step(d, "reminder_day_3").update(channels=["fax"]), "steps[0].channels"),
        (lambda d: _step(d, "reminder_day_15").update(code="reminder_day_3"), "steps[1].code"),
        (lambda d: _step(d, "formal_notice").update(day=0), "steps[2].day"),
    ],
)
def test_a_plan_breaking_a_legal_minimum_or_malformed_is_refused(
    default_document: dict[str, Any], change: Any, field: str, now: Any
) -> None:
    change(default_document)
    with pytest.raises(DunningPlanInvalid) as refused:
        publish_dunning_plan_version(
            actor=None, document=default_document, valid_from=date(2025, 6, 1), source="test", now=now
        )
    assert refused.value.field == field
    assert DunningPlanVersion.objects.count() == 1


def test_a_new_version_ends_the_open_one_and_saved_versions_never_change(
    default_document: dict[str, Any], now: Any
) -> None:
    _step(default_document, "reminder_day_3").update(day=5)
    version = publish_dunning_plan_version(
        actor=None, document=default_document, valid_from=date(2025, 6, 1), source="省公司 2025 方案", now=now
    )
    assert (version.version, plan_version_in_force(on=date(2025, 5, 31)).version) == (2, 1)
    assert plan_version_in_force(on=date(2025, 6, 1)) == version
    assert DunningPlanVersion.objects.get(version=1).valid_to == date(2025, 6, 1)
    assert AuditEvent.objects.filter(action="payments.dunning_plan_published").count() == 1
    with pytest.raises(DunningPlanVersionOverlaps):
        publish_dunning_plan_version(
            actor=None, document=default_document, valid_from=date(2025, 6, 1), source="again", now=now
        )
    version.source = "edited"
    with pytest.raises(DunningPlanVersionImmutable):
        version.save()
    assert DunningPlanVersion.objects.get(version=2).source == "省公司 2025 方案"


def test_an_account_manager_below_the_province_may_not_publish(
    default_document: dict[str, Any], now: Any, org_tree: Any, staff_user_factory: Any
) -> None:
    from gridcare.identity.models import Role

    manager = staff_user_factory(username="m", org_unit=org_tree.station, roles=[Role.ACCOUNT_MANAGER])
    with pytest.raises(AccessDenied):
        publish_dunning_plan_version(
            actor=manager, document=default_document, valid_from=date(2025, 6, 1), source="x", now=now
        )
    assert DunningPlanVersion.objects.count() == 1
