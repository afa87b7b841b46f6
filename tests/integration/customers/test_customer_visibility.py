"""Org scoping of the customer file: ``visible_to`` and the admin querysets built on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from gridcare.audit.admin import AuditEventAdmin
from gridcare.audit.models import AuditEvent
from gridcare.customers.admin import AccountAdmin, AccountStatusChangeAdmin, ContactAdmin, CustomerAdmin
from gridcare.customers.models import (
    Account,
    AccountStatusChange,
    Contact,
    ContactLogEntry,
    Customer,
    ReadingRoute,
)
from gridcare.customers.operations import add_contact, create_reading_route, log_customer_contact
from gridcare.identity.admin import UserAdmin
from gridcare.identity.models import User
from gridcare.identity.operations import create_portal_user
from gridcare.organization.admin import OrgUnitAdmin
from gridcare.organization.models import OrgUnit

pytestmark = pytest.mark.django_db


@dataclass
class Users:
    station: User
    county: User
    superuser: User
    inactive: User
    portal: User


@pytest.fixture
def users(org_tree: Any, staff_user_factory: Any, now: datetime) -> Users:
    inactive = staff_user_factory(username="retired", org_unit=org_tree.county)
    inactive.is_active = False
    inactive.save()
    return Users(
        station=staff_user_factory(username="station", org_unit=org_tree.station),
        county=staff_user_factory(username="county", org_unit=org_tree.county),
        superuser=staff_user_factory(username="root", org_unit=org_tree.station, is_superuser=True),
        inactive=inactive,
        portal=create_portal_user(
            username="portal", password="Quancheng-Road-88", mobile="13800138000", actor=None, now=now
        ),
    )


@pytest.fixture
def records(
    org_tree: Any,
    person: Customer,
    enterprise: Customer,
    account: Account,
    key_account: Account,
    actor: Any,
    now: Any,
) -> None:
    """Person and account at 泉城路供电所; enterprise at the county, its account at 解放路供电所."""
    add_contact(customer=person, name="张三", mobile="13800138000", actor=actor, now=now)
    add_contact(customer=enterprise, name="王经理", mobile="13900139000", actor=actor, now=now)
    for station, code in ((org_tree.station, "QCL-05"), (org_tree.other_station, "JFL-05")):
        create_reading_route(org_unit=station, code=code, name=code, reading_day=5, actor=actor, now=now)
    for logged in (account, key_account):
        log_customer_contact(
            account=logged, kind="call", occurred_at=now, staff=actor, summary="回访", actor=actor, now=now
        )


def _names(queryset: Any, field: str = "name") -> list[str]:
    return sorted(queryset.values_list(field, flat=True))


@pytest.mark.usefixtures("records")
def test_a_station_user_sees_only_the_station_records(users: Users) -> None:
    user = users.station
    assert _names(Account.objects.visible_to(user)) == ["张三"]
    assert _names(Customer.objects.visible_to(user)) == ["张三"]
    assert _names(ReadingRoute.objects.visible_to(user), "code") == ["QCL-05"]
    assert _names(ContactLogEntry.objects.visible_to(user), "account__name") == ["张三"]


@pytest.mark.usefixtures("records")
def test_a_county_user_sees_the_records_of_its_stations(users: Users) -> None:
    user = users.county
    assert _names(Account.objects.visible_to(user)) == ["张三", "济南泉城机械制造有限公司"]
    assert _names(Customer.objects.visible_to(user)) == ["张三", "济南泉城机械制造有限公司"]
    assert _names(ReadingRoute.objects.visible_to(user), "code") == ["JFL-05", "QCL-05"]
    assert _names(ContactLogEntry.objects.visible_to(user), "account__name") == [
        "张三",
        "济南泉城机械制造有限公司",
    ]


@pytest.mark.usefixtures("records")
def test_a_superuser_sees_everything_and_nobody_else_sees_anything(users: Users) -> None:
    assert Account.objects.visible_to(users.superuser).count() == 2
    assert Customer.objects.visible_to(users.superuser).count() == 2
    for nobody in (users.inactive, users.portal, AnonymousUser()):
        assert Account.objects.visible_to(nobody).count() == 0
        assert Customer.objects.visible_to(nobody).count() == 0
        assert ContactLogEntry.objects.visible_to(nobody).count() == 0
        assert AuditEvent.objects.visible_to(nobody).count() == 0


def _request(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.usefixtures("records")
def test_admin_lists_are_scoped_to_the_user_org_subtree(users: Users) -> None:
    request = _request(users.station)

    assert _names(AccountAdmin(Account, admin.site).get_queryset(request)) == ["张三"]
    assert _names(CustomerAdmin(Customer, admin.site).get_queryset(request)) == ["张三"]
    assert _names(ContactAdmin(Contact, admin.site).get_queryset(request)) == ["张三"]
    assert _names(
        AccountStatusChangeAdmin(AccountStatusChange, admin.site).get_queryset(request), "account__name"
    ) == ["张三"]
    assert _names(OrgUnitAdmin(OrgUnit, admin.site).get_queryset(request), "code") == ["37010201"]
    assert _names(UserAdmin(User, admin.site).get_queryset(request), "username") == ["root", "station"]


@pytest.mark.usefixtures("records")
def test_admin_lists_of_a_county_user_cover_its_stations_but_not_portal_users(users: Users) -> None:
    request = _request(users.county)

    assert _names(ContactAdmin(Contact, admin.site).get_queryset(request)) == ["张三", "王经理"]
    assert _names(UserAdmin(User, admin.site).get_queryset(request), "username") == [
        "county",
        "retired",
        "root",
        "station",
    ]
    assert "portal" in _names(UserAdmin(User, admin.site).get_queryset(_request(users.superuser)), "username")


@pytest.mark.usefixtures("records")
def test_the_audit_log_admin_is_view_only_and_scoped(users: Users, org_tree: Any) -> None:
    event_admin = AuditEventAdmin(AuditEvent, admin.site)
    superuser_request = _request(users.superuser)
    event = AuditEvent.objects.filter(action="open_account").first()

    assert event_admin.has_view_permission(superuser_request, event) is True
    assert event_admin.has_add_permission(superuser_request) is False
    assert event_admin.has_change_permission(superuser_request, event) is False
    assert event_admin.has_delete_permission(superuser_request, event) is False
    assert "delete_selected" not in event_admin.get_actions(superuser_request)
    station_events = event_admin.get_queryset(_request(users.station))
    assert set(station_events.values_list("org_unit", flat=True)) == {org_tree.station.pk}
    assert sorted(station_events.values_list("action", flat=True)) == [
        "add_contact",
        "create_reading_route",
        "create_staff_user",
        "create_staff_user",
        "log_customer_contact",
        "open_account",
        "register_customer",
    ]
    assert event_admin.get_queryset(superuser_request).count() == AuditEvent.objects.count()
