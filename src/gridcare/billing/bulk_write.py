"""Writing a partition's bills and lines: PostgreSQL's COPY where the database has it (one
round trip for thousands of rows), ``bulk_create`` elsewhere; in the caller's transaction.

The bills' ids are drawn from the table's own sequence first (one query for the whole batch),
so the lines can name their bill in the same COPY pass; nothing else changes, and a rolled-back
transaction leaves nothing but a gap in the sequence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model

from gridcare.billing.models import Bill, BillLine
from gridcare.kit.exact_json import exact_json

#: A row to write: field values by attribute name (``run_id``, not ``run``); the fields not
#: named take their defaults.
RowValues = Mapping[str, Any]


def write_bills(*, bills: Sequence[RowValues], lines_of_bills: Sequence[Sequence[RowValues]]) -> None:
    """Insert ``bills`` and each one's lines (without ``bill_id``: the bill's, once it has one)."""
    if not bills:
        return
    if connection.vendor == "postgresql":
        _copy_bills(bills=bills, lines_of_bills=lines_of_bills)
        return
    saved = Bill.objects.bulk_create([Bill(**values) for values in bills], batch_size=500)
    lines = [
        BillLine(**values, bill=bill)
        for bill, bill_lines in zip(saved, lines_of_bills, strict=True)
        for values in bill_lines
    ]
    BillLine.objects.bulk_create(lines, batch_size=2000)


def _copy_bills(*, bills: Sequence[RowValues], lines_of_bills: Sequence[Sequence[RowValues]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Bill._meta.db_table, len(bills)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    _copy(model=Bill, rows=[{**values, "id": bill_id} for values, bill_id in zip(bills, ids, strict=True)])
    _copy(
        model=BillLine,
        rows=[
            {**values, "bill_id": bill_id}
            for bill_id, bill_lines in zip(ids, lines_of_bills, strict=True)
            for values in bill_lines
        ],
    )


def _copy(*, model: type[Model], rows: Sequence[RowValues]) -> None:
    """COPY ``rows`` into ``model``'s table: every concrete field, the id only when rows name it."""
    fields: list[Field[Any, Any]] = [
        field for field in model._meta.concrete_fields if not field.primary_key or "id" in rows[0]
    ]
    # The JSON columns last, so a row is its plain values, then its JSON texts.
    plain = [field for field in fields if not isinstance(field, JSONField)]
    json = [field for field in fields if isinstance(field, JSONField)]
    names = ", ".join(connection.ops.quote_name(field.column) for field in [*plain, *json])
    table = connection.ops.quote_name(model._meta.db_table)
    plain_defaults = [(field.attname, field.get_default()) for field in plain]
    json_defaults = [(field.attname, field.get_default()) for field in json]
    connection.ensure_connection()
    raw: Any = connection.connection
    # Identifiers from the model's metadata, quoted; no value is spliced into the statement.
    statement = f"COPY {table} ({names}) FROM STDIN"  # nosec B608
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            # psycopg adapts plain values itself (Decimal, date, str, int, None); JSON goes as
            # its text, encoded as the fields' encoder would (a bill's usage holds the
            # calculation's dataclasses). Skipping Django's per-value get_db_prep_save is most
            # of COPY's speed here.
            values = [row.get(name, default) for name, default in plain_defaults]
            values.extend(exact_json(row.get(name, default)) for name, default in json_defaults)
            copy.write_row(values)
