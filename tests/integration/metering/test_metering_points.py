"""Topology, metering points and meter registration through the operations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from metering_world import NOW

from gridcare.audit.models import AuditEvent
from gridcare.metering import operations
from gridcare.metering.errors import (
    AccuracyClassUnknown,
    FieldInvalid,
    MeterAssetNumberTaken,
    MeterDialInvalid,
    MeteringPointCodeTaken,
    MeteringPointInvalid,
    ParentMeteringPointInvalid,
    TopologyCodeTaken,
    TopologyInvalid,
)
from gridcare.metering.models import ChildRelation, MeteringArrangement, MeterStatus


@pytest.fixture
def feeder(world):
    return operations.create_feeder(
        org_unit=world.county, code="F01", name="泉城线", voltage_kv=Decimal("10"), actor=world.actor, now=NOW
    )


@pytest.fixture
def area(world, feeder):
    return operations.create_transformer_area(
        org_unit=world.station,
        code="T01",
        name="泉城路一号台区",
        feeder=feeder,
        capacity_kva=Decimal("400"),
        actor=world.actor,
        now=NOW,
    )


def test_topology_is_created_and_audited(world, feeder, area):
    assert (area.feeder_id, area.org_unit_id, area.capacity_kva) == (
        feeder.pk,
        world.station.pk,
        Decimal("400"),
    )
    events = list(AuditEvent.objects.order_by("id").values_list("action", "object_id", "org_unit_id"))
    assert events == [
        ("create_feeder", str(feeder.pk), world.county.pk),
        ("create_transformer_area", str(area.pk), world.station.pk),
    ]
    assert AuditEvent.objects.get(action="create_feeder").changes == {
        "code": "F01",
        "name": "泉城线",
        "voltage_kv": "10",
    }


def test_topology_refusals(world, feeder, unchanged):
    with unchanged(), pytest.raises(TopologyCodeTaken) as refused:
        operations.create_feeder(
            org_unit=world.county, code="F01", name="x", voltage_kv=Decimal("10"), actor=world.actor, now=NOW
        )
    assert refused.value.message("en") == "A feeder with code F01 already exists."
    with unchanged(), pytest.raises(TopologyInvalid):
        operations.create_feeder(
            org_unit=world.county, code="F02", name="x", voltage_kv=Decimal("0"), actor=world.actor, now=NOW
        )
    with unchanged(), pytest.raises(TopologyInvalid) as refused:
        operations.create_transformer_area(
            org_unit=world.other_station,
            code="T09",
            name="八大关台区",
            feeder=feeder,
            capacity_kva=Decimal("400"),
            actor=None,  # the rule, not the org scope: the unlimited operator
            now=NOW,
        )
    assert refused.value.message("en") == (
        "Transformer area T09 is invalid: its org unit is not under 历下区供电中心, the unit of feeder F01"
    )
    with unchanged(), pytest.raises(TopologyInvalid):
        operations.create_transformer_area(
            org_unit=world.station,
            code="T09",
            name="x",
            feeder=feeder,
            capacity_kva=Decimal("-1"),
            actor=world.actor,
            now=NOW,
        )
    with unchanged(), pytest.raises(FieldInvalid) as refused:
        operations.create_feeder(
            org_unit=world.county,
            code="F" * 33,
            name="x",
            voltage_kv=Decimal("10"),
            actor=world.actor,
            now=NOW,
        )
    assert refused.value.field == "code"


def test_metering_point_takes_the_accounts_org_unit_and_the_areas_feeder(world, make_point, area, feeder):
    point = make_point(
        metering_arrangement=MeteringArrangement.HV_SUPPLY_LV_METERING,
        ct_ratio=150,
        transformer_capacity_kva=Decimal("400"),
        transformer_no_load_loss_kw=Decimal("0.570"),
        transformer_load_loss_kw=Decimal("4.300"),
        line_loss_percent=Decimal("1.50"),
        transformer_area=area,
    )
    point.refresh_from_db()
    assert (point.org_unit_id, point.feeder_id, point.transformer_area_id) == (
        world.station.pk,
        feeder.pk,
        area.pk,
    )
    assert (point.multiplier, point.line_loss_percent) == (150, Decimal("1.50"))
    event = AuditEvent.objects.get(action="create_metering_point")
    assert (event.changes["multiplier"], event.changes["feeder"], event.changes["account"]) == (
        150,
        "F01",
        world.account.account_no,
    )


def test_hv_metering_multiplier_is_ct_times_pt(world, make_point):
    point = make_point(
        metering_arrangement=MeteringArrangement.HV_SUPPLY_HV_METERING, ct_ratio=60, pt_ratio=100
    )
    assert point.multiplier == 6000
    point.refresh_from_db()
    assert point.multiplier == 6000


@pytest.mark.parametrize(
    ("overrides", "field", "reason_en"),
    [
        ({"ct_ratio": 0}, "ct_ratio", "CT and PT ratios are at least 1"),
        ({"pt_ratio": 100}, "pt_ratio", "LV metering has no voltage transformer: PT ratio 1"),
        (
            {
                "metering_arrangement": MeteringArrangement.HV_SUPPLY_HV_METERING,
                "ct_ratio": 50000,
                "pt_ratio": 50000,
            },
            "ct_ratio",
            "the multiplier 50000 × 50000 is too large (at most 2147483647)",
        ),
        (
            {"line_loss_percent": Decimal("100")},
            "line_loss_percent",
            "line loss must be from 0% to below 100%",
        ),
        (
            {"line_loss_percent": Decimal("-1")},
            "line_loss_percent",
            "line loss must be from 0% to below 100%",
        ),
        (
            {"metering_arrangement": MeteringArrangement.HV_SUPPLY_LV_METERING},
            "transformer_capacity_kva",
            "HV supply with LV metering needs the transformer capacity for its losses",
        ),
        (
            {"transformer_capacity_kva": Decimal("0")},
            "transformer_capacity_kva",
            "the transformer capacity must be above 0",
        ),
        (
            {"transformer_capacity_kva": Decimal("400"), "transformer_load_loss_kw": Decimal("-0.1")},
            "transformer_load_loss_kw",
            "transformer losses cannot be negative",
        ),
        (
            {"child_relation": ChildRelation.SUBTRACT},
            "child_relation",
            "only a child metering point has a relation to a parent",
        ),
    ],
)
def test_metering_point_parameters_are_checked(world, make_point, unchanged, overrides, field, reason_en):
    with unchanged(), pytest.raises(MeteringPointInvalid) as refused:
        make_point(**overrides)
    assert refused.value.field == field
    assert refused.value.message("en") == f"Metering point MP0001 is invalid: {reason_en}"


def test_unknown_arrangement_is_refused_as_an_invalid_field(world, make_point, unchanged):
    with unchanged(), pytest.raises(FieldInvalid) as refused:
        make_point(metering_arrangement="hv")
    assert refused.value.field == "metering_arrangement"
    assert refused.value.message("en") == "Metering arrangement is invalid: Value 'hv' is not a valid choice."


def test_metering_point_code_taken(world, make_point, unchanged):
    make_point()
    with unchanged(), pytest.raises(MeteringPointCodeTaken) as refused:
        make_point(account=world.second_account)
    assert refused.value.message("zh-hans") == "计量点编号 MP0001 已存在。"


def test_parent_may_be_any_account_of_the_same_customer(world, make_point):
    parent = make_point("MP0001")
    child = make_point(
        "MP0002", account=world.second_account, parent=parent, child_relation=ChildRelation.SUBTRACT
    )
    assert (child.parent_id, child.child_relation) == (parent.pk, ChildRelation.SUBTRACT)


def test_parent_of_another_customer_is_refused(world, make_point, unchanged):
    parent = make_point("MP0001")
    with unchanged(), pytest.raises(ParentMeteringPointInvalid) as refused:
        make_point(
            "MP0002",
            account=world.other_customer_account,
            parent=parent,
            child_relation=ChildRelation.SUBTRACT,
        )
    assert refused.value.message("en") == (
        "Metering point MP0002 cannot hang under metering point MP0001: "
        "the parent belongs to another customer"
    )


def test_child_without_relation_is_refused(world, make_point, unchanged):
    parent = make_point("MP0001")
    with unchanged(), pytest.raises(ParentMeteringPointInvalid) as refused:
        make_point("MP0002", parent=parent)
    assert refused.value.field == "child_relation"


def test_reparenting_refuses_a_loop(world, make_point, unchanged):
    top = make_point("MP0001")
    middle = make_point("MP0002", parent=top, child_relation=ChildRelation.SUBTRACT)
    bottom = make_point("MP0003", parent=middle, child_relation=ChildRelation.INFORMATIONAL)
    for new_parent in (bottom, middle, top):
        with unchanged(), pytest.raises(ParentMeteringPointInvalid) as refused:
            operations.set_metering_point_parent(
                metering_point=top,
                parent=new_parent,
                child_relation=ChildRelation.SUBTRACT,
                actor=world.actor,
                now=NOW,
            )
        assert refused.value.message("en").endswith("that would make the parent chain loop")
    operations.set_metering_point_parent(
        metering_point=bottom, parent=None, child_relation="", actor=world.actor, now=NOW
    )
    bottom.refresh_from_db()
    assert (bottom.parent_id, bottom.child_relation) == (None, "")
    assert AuditEvent.objects.get(action="set_metering_point_parent").changes["parent"] == ["MP0002", None]


def test_topology_of_another_org_unit_is_refused(world, make_point, unchanged):
    foreign_feeder = operations.create_feeder(
        org_unit=world.other_city,
        code="F99",
        name="八大关线",
        voltage_kv=Decimal("10"),
        actor=None,  # another city's feeder, outside the actor's scope: set up by the operator
        now=NOW,
    )
    with unchanged(), pytest.raises(TopologyInvalid) as refused:
        make_point(feeder=foreign_feeder)
    assert refused.value.message("en") == (
        "Metering point MP0001 is invalid: feeder F99 belongs to another org unit (青岛供电公司)"
    )


def test_area_and_feeder_must_agree(world, make_point, area, unchanged):
    other_feeder = operations.create_feeder(
        org_unit=world.county, code="F02", name="历山线", voltage_kv=Decimal("10"), actor=world.actor, now=NOW
    )
    with unchanged(), pytest.raises(TopologyInvalid) as refused:
        make_point(transformer_area=area, feeder=other_feeder)
    assert (
        refused.value.message("en")
        == "Metering point MP0001 is invalid: transformer area T01 is not on feeder F02"
    )


# --- meters -----------------------------------------------------------------------------------


def test_registered_meter_is_in_stock_and_audited(world, make_meter):
    meter = make_meter(has_time_of_use=True, integer_digits=8, decimal_digits=2)
    meter.refresh_from_db()
    assert (meter.status, meter.status_changed_at, meter.org_unit_id) == (
        MeterStatus.IN_STOCK,
        NOW,
        world.county.pk,
    )
    event = AuditEvent.objects.get(action="register_meter")
    assert event.changes["dial"] == "8+2"
    assert event.changes["registers"] == {
        "time_of_use": True,
        "export": False,
        "reactive": False,
        "demand": False,
    }


def test_meter_registration_refusals(world, make_meter, unchanged):
    make_meter()
    with unchanged(), pytest.raises(MeterAssetNumberTaken) as refused:
        make_meter()
    assert refused.value.message("zh-hans") == "资产编号 3710001000001 已被另一块电能表使用。"
    for dial in ({"integer_digits": 3}, {"integer_digits": 11}, {"decimal_digits": 3}):
        with unchanged(), pytest.raises(MeterDialInvalid):
            make_meter("3710001000002", **dial)
    with unchanged(), pytest.raises(AccuracyClassUnknown) as refused:
        make_meter("3710001000002", accuracy_class="0.1")
    assert refused.value.message("en") == "Meter 3710001000002 has an unknown accuracy class 0.1."
    with unchanged(), pytest.raises(FieldInvalid) as refused:
        make_meter("3710001000002", meter_type="smart")
    assert refused.value.field == "meter_type"
