"""The bulk-loading plumbing: defaults for omitted columns, constraints put back, the
generator process."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from gridcare.demo.bulk import BulkTable, SubprocessFailed, produced_in_subprocess
from gridcare.demo.operations import SeedSummary
from gridcare.demo.tables import TABLE_FIELDS
from gridcare.metering.models import Meter


def test_omitted_fields_get_their_defaults_and_required_ones_are_refused(db: None) -> None:
    written = [name for name in TABLE_FIELDS["meter"][1] if name != "has_export"]
    table = BulkTable(Meter, written, connection)
    assert table.columns[-1] == "has_export"
    assert table.complete([(1, 2)]) == [(1, 2, False)]
    with pytest.raises(ValueError, match=r"metering.Meter.asset_no has no default: the seeder must write it"):
        BulkTable(Meter, [name for name in written if name != "asset_no"], connection)


def _constraints() -> dict[str, dict[str, object]]:
    with connection.cursor() as cursor:
        return {
            model._meta.db_table: connection.introspection.get_constraints(cursor, model._meta.db_table)
            for model, _fields in TABLE_FIELDS.values()
        }


def test_seeding_leaves_every_constraint_and_index_as_it_found_them(seed: Callable[..., SeedSummary]) -> None:
    before = _constraints()
    assert sum(len(constraints) for constraints in before.values()) > 50
    seed()
    assert _constraints() == before


def test_subprocess_items_arrive_in_order() -> None:
    assert list(produced_in_subprocess("builtins.iter", [3, 1, 2])) == [3, 1, 2]


def test_subprocess_failure_is_raised_with_its_traceback() -> None:
    with pytest.raises(
        SubprocessFailed, match=r"(?s)builtins.iter failed:.*TypeError: 'int' object is not iterable"
    ):
        list(produced_in_subprocess("builtins.iter", 5))


def test_subprocess_that_dies_without_a_word_is_reported() -> None:
    with pytest.raises(SubprocessFailed, match=r"^os._exit ended without finishing \(exit code 3\)$"):
        list(produced_in_subprocess("os._exit", 3))
