"""The last removal from a meter or a metering point, for one subject and for a chunk of points."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from metering_world import NOW, at, kwh

from gridcare.metering import operations
from gridcare.metering.models import ReadSource
from gridcare.metering.rules import last_removal_at, load_last_removals


def _remove(world, point, *, day):
    return operations.remove_meter(
        metering_point=point,
        removed_at=at(day),
        registers=kwh("10"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )


def test_the_last_removal_of_a_meter_and_of_a_point(world, make_point, make_meter, install):
    first_point, second_point, never_used = make_point("MP0001"), make_point("MP0002"), make_point("MP0003")
    meter, other_meter = make_meter("3710001000001"), make_meter("3710001000002")
    install(meter, first_point, installed_at=at(1))
    _remove(world, first_point, day=5)
    install(meter, second_point, installed_at=at(6), registers=kwh("10"))
    _remove(world, second_point, day=12)
    install(other_meter, first_point, installed_at=at(7))

    assert last_removal_at(installations=meter.installations.all()) == at(12)
    assert last_removal_at(installations=first_point.installations.all()) == at(5)
    assert last_removal_at(installations=other_meter.installations.all()) is None
    assert last_removal_at(installations=never_used.installations.all()) is None


def test_the_last_removals_of_a_chunk_of_points_take_one_query(world, make_point, make_meter, install):
    first_point, second_point, occupied, never_used = (make_point(f"MP000{number}") for number in range(1, 5))
    first_meter, second_meter = make_meter("3710001000001"), make_meter("3710001000002")
    install(first_meter, first_point, installed_at=at(1))
    _remove(world, first_point, day=3)
    install(first_meter, first_point, installed_at=at(4), registers=kwh("10"))
    _remove(world, first_point, day=8)
    install(second_meter, second_point, installed_at=at(2))
    _remove(world, second_point, day=9)
    install(second_meter, occupied, installed_at=at(10), registers=kwh("10"))

    with CaptureQueriesContext(connection) as queries:
        last_removals = load_last_removals(
            metering_point_ids=[first_point.pk, second_point.pk, occupied.pk, never_used.pk, first_point.pk]
        )

    assert last_removals == {first_point.pk: at(8), second_point.pk: at(9)}
    assert len(queries) == 1
    assert load_last_removals(metering_point_ids=[]) == {}
