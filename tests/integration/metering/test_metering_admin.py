"""The metering admin: org-scoped lists and choices, reads and installations view-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from metering_world import NOW, at

from gridcare.identity.models import User
from gridcare.metering import operations
from gridcare.metering.models import (
    Feeder,
    IntervalQuantity,
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    ReadSource,
    TransformerArea,
)

METERING_MODELS = [
    Feeder,
    TransformerArea,
    MeteringPoint,
    Meter,
    MeterInstallation,
    MeterRead,
    IntervalReadDay,
]


def _request(user: User, path: str = "/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.fixture
def staffed(world, make_point, make_meter, install):
    """A county feeder, a station transformer area and point with an installed meter, a read and an
    interval day; a clerk of the station, one of another city's station, and a superuser."""
    feeder = operations.create_feeder(
        org_unit=world.county, code="F01", name="泉城线", voltage_kv=Decimal("10"), actor=world.actor, now=NOW
    )
    area = operations.create_transformer_area(
        org_unit=world.station,
        code="T01",
        name="一号台区",
        feeder=feeder,
        capacity_kva=Decimal("400"),
        actor=world.actor,
        now=NOW,
    )
    point = make_point(transformer_area=area)
    meter = make_meter()
    install(meter, point, installed_at=at(1))
    operations.store_interval_day(
        metering_point=point,
        read_date=at(2).date(),
        quantity=IntervalQuantity.ENERGY_KWH,
        interval_minutes=60,
        values=[Decimal("1.5")] * 23 + [None],
        source=ReadSource.AMI,
        actor=world.actor,
        now=NOW,
    )
    return {
        "station": User.objects.create(username="station-clerk", org_unit=world.station, is_staff=True),
        "other": User.objects.create(username="qingdao-clerk", org_unit=world.other_station, is_staff=True),
        "root": User.objects.create(username="root", is_staff=True, is_superuser=True),
    }


def test_every_metering_model_is_registered():
    assert all(model in site._registry for model in METERING_MODELS)


@pytest.mark.parametrize(
    ("model", "in_station"),
    [
        (Feeder, 0),
        (TransformerArea, 1),
        (MeteringPoint, 1),
        (MeterInstallation, 1),
        (MeterRead, 1),
        (IntervalReadDay, 1),
        (Meter, 0),
    ],
)
def test_lists_are_scoped_to_the_users_org_subtree(world, staffed, model, in_station):
    model_admin = site._registry[model]
    total = model.objects.count()
    assert total == 1
    assert model_admin.get_queryset(_request(staffed["root"])).count() == total
    assert model_admin.get_queryset(_request(staffed["station"])).count() == in_station
    assert model_admin.get_queryset(_request(staffed["other"])).count() == 0
    # The meter and the feeder belong to the county, above the station: the county clerk sees them.
    assert model_admin.get_queryset(_request(world.actor)).count() == 1


@pytest.mark.parametrize("model", [MeterRead, MeterInstallation, IntervalReadDay])
def test_operation_written_rows_are_view_only_even_for_a_superuser(staffed, model):
    model_admin = site._registry[model]
    request = _request(staffed["root"])
    row = model.objects.get()
    assert model_admin.has_view_permission(request, row) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, row) is False
    assert model_admin.has_delete_permission(request, row) is False


def test_meter_lifecycle_and_dial_are_read_only_once_read(staffed):
    meter_admin = site._registry[Meter]
    request = _request(staffed["root"])
    assert meter_admin.get_readonly_fields(request, None) == ["status", "status_changed_at"]
    assert meter_admin.get_readonly_fields(request, Meter.objects.get()) == [
        "status",
        "status_changed_at",
        "has_time_of_use",
        "has_export",
        "has_reactive",
        "has_demand",
        "integer_digits",
        "decimal_digits",
    ]


def test_foreign_key_choices_are_scoped(world, staffed):
    point_admin = site._registry[MeteringPoint]
    account_field = MeteringPoint._meta.get_field("account")
    org_unit_field = MeteringPoint._meta.get_field("org_unit")
    other = _request(staffed["other"])
    assert point_admin.formfield_for_foreignkey(account_field, other).queryset.count() == 0
    assert list(point_admin.formfield_for_foreignkey(org_unit_field, other).queryset) == [world.other_station]
    station = _request(staffed["station"])
    assert point_admin.formfield_for_foreignkey(account_field, station).queryset.count() == 3


def test_interval_day_admin_shows_the_unpacked_day(staffed):
    day_admin = site._registry[IntervalReadDay]
    day = IntervalReadDay.objects.get()
    assert day_admin.day_total(day) == Decimal("34.500")
    assert day_admin.missing_intervals(day) == 1
    assert day_admin.unpacked_values(day) == " ".join(["1.500"] * 23 + ["—"])


@pytest.mark.parametrize(
    ("model", "rows"),
    [
        (Feeder, 0),
        (TransformerArea, 1),
        (MeteringPoint, 1),
        (Meter, 0),
        (MeterInstallation, 1),
        (MeterRead, 1),
        (IntervalReadDay, 1),
    ],
)
def test_changelists_render_scoped_for_a_station_clerk(staffed, model, rows):
    clerk = staffed["station"]
    clerk.user_permissions.set(
        Permission.objects.filter(content_type__app_label="metering", codename__startswith="view_")
    )
    clerk = User.objects.get(pk=clerk.pk)  # drop the cached permissions
    response = site._registry[model].changelist_view(_request(clerk))
    response.render()
    assert response.status_code == 200
    assert response.context_data["cl"].result_count == rows
