"""The metering admin: org-scoped lists and choices, and view-only for every metering model —
topology, metering points and meters change only through the audited operations."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import AnonymousUser, Group
from django.core.handlers.wsgi import WSGIRequest
from django.db import models
from django.test import Client, RequestFactory
from metering_world import NOW, at, snapshot

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role, User
from gridcare.metering import operations
from gridcare.metering.models import (
    Feeder,
    IntervalQuantity,
    IntervalReadDay,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    ReadSource,
    TransformerArea,
)

METERING_MODELS: list[type[models.Model]] = [
    Feeder,
    TransformerArea,
    MeteringPoint,
    Meter,
    MeterInstallation,
    MeterRead,
    IntervalReadDay,
]


def _request(user: User | AnonymousUser, path: str = "/admin/") -> WSGIRequest:
    request = RequestFactory().get(path)
    request.user = user
    return request


def _admin(model: type[models.Model]) -> Any:
    """The registered model admin, loosely typed: tests reach its filters, forms and displays."""
    return site._registry[model]


def _admin_url(model: type[models.Model], view: str, pk: int | None = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + (f"{pk}/{view}/" if pk is not None else f"{view}/")


@pytest.fixture
def staffed(
    world: Any,
    make_point: Callable[..., MeteringPoint],
    make_meter: Callable[..., Meter],
    install: Callable[..., MeterInstallation],
) -> dict[str, User]:
    """A county feeder, a station transformer area and a 60/1 CT point with an installed meter (its
    install read) and an interval day; a clerk of the station, one of another city's station, and
    a superuser."""
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
    point = make_point(
        transformer_area=area,
        metering_arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=60,
    )
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


@pytest.fixture
def root_client(staffed: dict[str, User], log_in) -> Client:
    client = Client()
    log_in(client, staffed["root"])
    return client


def test_every_metering_model_is_registered() -> None:
    assert [model for model in METERING_MODELS if model not in site._registry] == []


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
def test_lists_are_scoped_to_the_users_org_subtree(
    world: Any, staffed: dict[str, User], model: type[models.Model], in_station: int
) -> None:
    model_admin = _admin(model)
    assert model._default_manager.count() == 1
    assert model_admin.get_queryset(_request(staffed["root"])).count() == 1
    assert model_admin.get_queryset(_request(staffed["station"])).count() == in_station
    assert model_admin.get_queryset(_request(staffed["other"])).count() == 0
    # The meter and the feeder belong to the county, above the station: the county clerk sees them.
    assert model_admin.get_queryset(_request(world.actor)).count() == 1


@pytest.mark.parametrize("model", METERING_MODELS)
def test_every_metering_model_is_view_only_even_for_a_superuser(
    staffed: dict[str, User], model: type[models.Model]
) -> None:
    model_admin = _admin(model)
    request = _request(staffed["root"])
    row = model._default_manager.get()
    assert model_admin.has_view_permission(request, row) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, row) is False
    assert model_admin.has_delete_permission(request, row) is False


def test_a_superuser_posting_a_new_ct_ratio_changes_nothing(world: Any, root_client: Client) -> None:
    point = MeteringPoint.objects.get()
    read = MeterRead.objects.get()
    before = snapshot()
    audit_events = AuditEvent.objects.count()
    form = {
        "code": point.code,
        "account": str(point.account_id),
        "name": "改名计量点",
        "metering_arrangement": point.metering_arrangement,
        "ct_ratio": "120",
        "pt_ratio": "1",
        "line_loss_percent": "0",
        "transformer_area": str(point.transformer_area_id),
        "org_unit": str(world.station.pk),
        "_save": "Save",
    }

    response = root_client.post(_admin_url(MeteringPoint, "change", point.pk), form)

    assert response.status_code == 403
    point.refresh_from_db()
    assert (point.name, point.ct_ratio, point.pt_ratio, point.multiplier) == ("计量点 MP0001", 60, 1, 60)
    assert MeterRead.objects.filter(pk=read.pk, metering_point__multiplier=60).count() == 1
    # The refusal itself is audited; nothing else is.
    assert AuditEvent.objects.count() == audit_events + 1
    assert AuditEvent.objects.latest("sequence").action == "deny_permission"
    after = snapshot()
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # type: ignore[operator]
    assert after == before


def test_the_change_page_shows_a_metering_point_read_only(root_client: Client) -> None:
    point = MeteringPoint.objects.get()

    response = root_client.get(_admin_url(MeteringPoint, "change", point.pk))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["adminform"].form.fields == {}
    assert {"name", "ct_ratio", "pt_ratio", "multiplier"} <= set(
        response.context["adminform"].readonly_fields
    )
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert 'name="ct_ratio"' not in content


@pytest.mark.parametrize("model", METERING_MODELS)
def test_add_pages_are_refused_for_a_superuser(root_client: Client, model: type[models.Model]) -> None:
    before = snapshot()
    url = _admin_url(model, "add")

    assert root_client.get(url).status_code == 403
    assert root_client.post(url, {"code": "F99", "name": "新馈线", "voltage_kv": "10"}).status_code == 403
    after = snapshot()
    # The two refusals are audited (deny_permission); nothing else changed.
    assert after.pop("audit_events") == before.pop("audit_events") + 2  # type: ignore[operator]
    assert after == before


@pytest.mark.parametrize("model", METERING_MODELS)
def test_delete_pages_are_refused_for_a_superuser(root_client: Client, model: type[models.Model]) -> None:
    before = snapshot()
    row = model._default_manager.get()
    url = _admin_url(model, "delete", row.pk)

    assert root_client.get(url).status_code == 403
    assert root_client.post(url, {"post": "yes"}).status_code == 403
    after = snapshot()
    # The two refusals are audited (deny_permission); nothing else changed.
    assert after.pop("audit_events") == before.pop("audit_events") + 2  # type: ignore[operator]
    assert after == before


@pytest.mark.parametrize("model", METERING_MODELS)
def test_the_bulk_delete_action_is_not_offered(staffed: dict[str, User], model: type[models.Model]) -> None:
    assert _admin(model).get_actions(_request(staffed["root"])) == {}


def test_foreign_key_choices_are_scoped(world: Any, staffed: dict[str, User]) -> None:
    point_admin = _admin(MeteringPoint)
    account_field: Any = MeteringPoint._meta.get_field("account")
    org_unit_field: Any = MeteringPoint._meta.get_field("org_unit")
    other = _request(staffed["other"])
    assert point_admin.formfield_for_foreignkey(account_field, other).queryset.count() == 0
    assert list(point_admin.formfield_for_foreignkey(org_unit_field, other).queryset) == [world.other_station]
    station = _request(staffed["station"])
    assert point_admin.formfield_for_foreignkey(account_field, station).queryset.count() == 3
    assert list(point_admin.formfield_for_foreignkey(org_unit_field, station).queryset) == [world.station]
    root = _request(staffed["root"])
    assert point_admin.formfield_for_foreignkey(org_unit_field, root).queryset.count() == 7
    anonymous = _request(AnonymousUser())
    assert point_admin.formfield_for_foreignkey(org_unit_field, anonymous).queryset.count() == 0


def test_interval_day_admin_shows_the_unpacked_day(staffed: dict[str, User]) -> None:
    day_admin = _admin(IntervalReadDay)
    day = IntervalReadDay.objects.get()
    assert day_admin.day_total(day) == Decimal("34.500")
    assert day_admin.missing_intervals(day) == 1
    assert day_admin.unpacked_values(day) == " ".join(["1.500"] * 23 + ["—"])


def _view_only_clerk(clerk: User) -> User:
    # Viewing metering records takes metering.view, which a 抄表员 holds.
    clerk.groups.set([Group.objects.get_or_create(name=Role.METER_READER.value)[0]])
    return User.objects.get(pk=clerk.pk)  # drop the cached permissions


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
def test_changelists_render_scoped_for_a_station_clerk(
    staffed: dict[str, User], model: type[models.Model], rows: int
) -> None:
    response: Any = _admin(model).changelist_view(_request(_view_only_clerk(staffed["station"])))
    response.render()
    assert response.status_code == 200
    assert response.context_data["cl"].result_count == rows


@pytest.mark.parametrize("model", [TransformerArea, MeteringPoint, MeterInstallation])
def test_org_unit_filters_offer_only_visible_units(
    world: Any, staffed: dict[str, User], model: type[models.Model]
) -> None:
    model_admin = _admin(model)
    (filter_class,) = [entry[1] for entry in model_admin.list_filter if entry[0] == "org_unit"]

    def org_unit_choices(user: User) -> list[tuple[int, str]]:
        request = _request(user)
        field: Any = model._meta.get_field("org_unit")
        spec = filter_class(field, request, {}, model, model_admin, field_path="org_unit")
        return list(spec.lookup_choices)

    # An unscoped filter would offer all seven units of the tree.
    assert org_unit_choices(staffed["station"]) == [(world.station.pk, str(world.station))]
    assert org_unit_choices(staffed["other"]) == []
    assert org_unit_choices(staffed["root"]) == [(world.station.pk, str(world.station))]
