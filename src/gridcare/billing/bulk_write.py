"""Writing a partition's bills and lines: PostgreSQL's COPY where the database has it (one
round trip for thousands of rows), ``bulk_create`` elsewhere; in the caller's transaction.

The bills' ids are drawn from the table's own sequence first (one query for the whole batch),
so the lines can name their bill in the same COPY pass; nothing else changes, and a rolled-back
transaction leaves nothing but a gap in the sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model
from psycopg.types.json import Jsonb

from gridcare.billing.models import Bill, BillLine


def write_bills(*, bills: Sequence[Bill], lines_of_bills: Sequence[Sequence[BillLine]]) -> None:
    """Insert ``bills`` (unsaved) and each one's lines (unsaved, ``bill`` left unset)."""
    if not bills:
        return
    if connection.vendor == "postgresql":
        _copy_bills(bills=bills, lines_of_bills=lines_of_bills)
        return
    saved = Bill.objects.bulk_create(bills, batch_size=500)
    lines: list[BillLine] = []
    for bill, bill_lines in zip(saved, lines_of_bills, strict=True):
        for line in bill_lines:
            line.bill = bill
            lines.append(line)
    BillLine.objects.bulk_create(lines, batch_size=2000)


def _copy_bills(*, bills: Sequence[Bill], lines_of_bills: Sequence[Sequence[BillLine]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Bill._meta.db_table, len(bills)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    lines: list[BillLine] = []
    for bill, bill_id, bill_lines in zip(bills, ids, lines_of_bills, strict=True):
        bill.pk = bill_id
        bill._state.adding = False
        for line in bill_lines:
            line.bill_id = bill_id
            lines.append(line)
    _copy(model=Bill, rows=bills, with_id=True)
    _copy(model=BillLine, rows=lines, with_id=False)


def _copy(*, model: type[Model], rows: Sequence[Model], with_id: bool) -> None:
    columns: list[Field[Any, Any]] = [
        field for field in model._meta.concrete_fields if with_id or not field.primary_key
    ]
    names = ", ".join(connection.ops.quote_name(field.column) for field in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    attributes = [field.attname for field in columns]
    # psycopg adapts the Python values itself (Decimal, date, str, int, None); only JSON needs
    # wrapping. Skipping Django's per-value get_db_prep_save is most of COPY's speed here.
    json_columns = {index for index, field in enumerate(columns) if isinstance(field, JSONField)}
    connection.ensure_connection()
    raw: Any = connection.connection
    # Identifiers from the model's metadata, quoted; no value is spliced into the statement.
    statement = f"COPY {table} ({names}) FROM STDIN"  # nosec B608
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [getattr(row, attribute) for attribute in attributes]
            for index in json_columns:
                values[index] = Jsonb(values[index])
            copy.write_row(values)
