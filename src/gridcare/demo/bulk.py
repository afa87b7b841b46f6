"""Bulk writing for the seeder: PostgreSQL ``COPY`` and SQLite batched inserts.

Rows are tuples of database-ready values that both backends take as they are: ``int``,
``str``, ``bool``, ``bytes`` and ``None``; decimals are written as their text (which is what
Django stores on SQLite, and what ``COPY`` parses on PostgreSQL), dates as ``YYYY-MM-DD`` and
datetimes as naive UTC ``YYYY-MM-DD HH:MM:SS`` (Django's SQLite format; Django runs PostgreSQL
sessions in UTC, so ``COPY`` reads the same text as the same instant).

The seeder assigns primary keys itself, starting after the current maximum, so child rows can
point at parents without reading them back; :func:`reset_sequences` realigns PostgreSQL's
sequences afterwards.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle  # only unpickles the bytes its own parent process pickled  # nosec B403
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from queue import Empty
from typing import Any

import django
from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max
from django.utils.module_loading import import_string

_QUEUE_POLL_SECONDS = 0.5
_SQLITE_CACHE_KIB = 512 * 1024


class BulkTable:
    """The columns of ``model`` that a seeder writes, in the order its row tuples give them.

    Fields left out must be nullable or have a default, which is appended to every row, so a
    field added to the model later with a default does not break the seeder. Generated fields
    (the metering point's multiplier) are computed by the database and never written.
    """

    def __init__(
        self, model: type[models.Model], field_names: Sequence[str], connection: BaseDatabaseWrapper
    ):
        self.model = model
        self.table = model._meta.db_table
        written = [model._meta.get_field(name) for name in field_names]
        omitted = [
            field
            for field in model._meta.concrete_fields
            if field.name not in field_names and not field.generated
        ]
        for field in omitted:
            if not field.has_default() and not field.null:
                raise ValueError(f"{model._meta.label}.{field.name} has no default: the seeder must write it")
        self._defaults = tuple(
            field.get_db_prep_save(field.get_default(), connection) if field.has_default() else None
            for field in omitted
        )
        self.columns = tuple(_column(field) for field in [*written, *omitted])

    def complete(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The rows with the omitted fields' defaults appended."""
        if not self._defaults:
            return rows
        defaults = self._defaults
        return [row + defaults for row in rows]


def _column(field: Any) -> str:
    column: str | None = field.column
    if column is None:
        raise ValueError(f"{field} has no database column")
    return column


class BulkWriter:
    """Writes rows on one Django connection: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        if connection.vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"bulk seeding supports PostgreSQL and SQLite, not {connection.vendor}")
        self._connection = connection
        self.row_counts: dict[str, int] = {}

    def write(self, table: BulkTable, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in ``table``'s column order) and count them."""
        quote = self._connection.ops.quote_name
        columns = ", ".join(quote(column) for column in table.columns)
        completed = table.complete(rows)
        self._connection.ensure_connection()
        raw = self._connection.connection
        if self._connection.vendor == "postgresql":
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {quote(table.table)} ({columns}) FROM STDIN") as copy,
            ):
                for row in completed:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in table.columns)
            statement = f"INSERT INTO {quote(table.table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 -- quoted names, bound values  # nosec B608
            cursor = raw.cursor()
            try:
                cursor.executemany(statement, completed)
            finally:
                cursor.close()
        label = table.model._meta.label
        self.row_counts[label] = self.row_counts.get(label, 0) + len(rows)


def next_id(model: type[models.Model]) -> int:
    """The first primary key after the table's current maximum."""
    current = model._default_manager.aggregate(highest=Max("pk"))["highest"]
    return (current or 0) + 1


def reset_sequences(connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]) -> None:
    """Move the id sequences past the ids the seeder assigned (PostgreSQL; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def fast_sqlite_load(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """On SQLite, no fsync and a large page cache while loading, then the settings as before
    and the write-ahead log checkpointed.

    SQLite allows this only outside a transaction; inside one (in tests, say) the load runs
    with the normal settings. Other databases are left alone.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
            # The load went through the write-ahead log: fold it in and give the disk back.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def indexes_built_after_load(
    connection: BaseDatabaseWrapper, model_list: Sequence[type[models.Model]]
) -> Iterator[None]:
    """On PostgreSQL, load ``model_list``'s tables without their foreign keys, unique
    constraints and secondary indexes, and create them again afterwards.

    Building an index once over all rows is many times faster than maintaining it row by row,
    and adding a foreign key back checks every row in one join instead of firing a trigger per
    row: PostgreSQL's own advice for populating a database, and what ``pg_restore`` does. The
    definitions are read from the catalog and put back unchanged (same names, same
    ``DEFERRABLE INITIALLY DEFERRED``), so every row is still checked. Use it inside the load's
    transaction: a failure rolls the DDL back too. Primary keys and check constraints stay.
    Other databases are left alone.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in model_list]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses tables with deferred foreign key checks still queued (rows the
        # transaction wrote before, e.g. users and org units): run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT contype, conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
            ORDER BY conrelid::regclass::text, conname
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        foreign_keys = [
            (table, name, definition) for kind, table, name, definition in constraints if kind == "f"
        ]
        uniques = [(table, name, definition) for kind, table, name, definition in constraints if kind == "u"]
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
            FROM pg_index AS candidate
            WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = candidate.indexrelid)
            ORDER BY indexrelid::regclass::text
            """,
            [tables],
        )
        indexes: list[tuple[str, str]] = cursor.fetchall()
        for table, name, _definition in [*foreign_keys, *uniques]:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in uniques:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        # Back to each constraint's own timing (Django's foreign keys: INITIALLY DEFERRED).
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a bulk load, then as it was.

    Rows are tuples of plain values without reference cycles, freed by reference counting; the
    collector would only walk the millions of live tuples again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def produced_in_subprocess(produce: str, argument: object, *, depth: int = 2) -> Iterator[Any]:
    """The items of ``produce(argument)``, produced in a separate process while the caller
    works on the ones before: the seeder generates rows on one core while this one writes.

    ``produce`` is the dotted path of a function returning an iterator; it must not touch the
    database (the connection belongs to this process). The child starts fresh (``spawn``: no
    inherited connections), sets Django up from ``DJANGO_SETTINGS_MODULE``, and sends up to
    ``depth`` items ahead. Its exception is raised here as :class:`SubprocessFailed`; if the
    caller stops early, the child is stopped.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=depth)
    process = context.Process(
        target=_produce_into,
        args=(produce, pickle.dumps(argument, protocol=pickle.HIGHEST_PROTOCOL), queue),
        name="gridcare-seed-generator",
        daemon=True,
    )
    process.start()
    try:
        while True:
            kind, value = _next_message(queue, process, produce)
            if kind == "item":
                yield value
            elif kind == "error":
                raise SubprocessFailed(f"{produce} failed:\n{value}")
            else:
                process.join()
                return
    finally:
        if process.is_alive():
            process.terminate()
        process.join()


def _next_message(queue: Any, process: Any, produce: str) -> tuple[str, Any]:
    """The child's next message; :class:`SubprocessFailed` if it died without sending one."""
    while True:
        try:
            message: tuple[str, Any] = queue.get(timeout=_QUEUE_POLL_SECONDS)
        except Empty:
            if process.is_alive():
                continue
            try:
                # A child flushes its queue before it exits: one last look.
                message = queue.get(timeout=_QUEUE_POLL_SECONDS)
            except Empty:
                raise SubprocessFailed(
                    f"{produce} ended without finishing (exit code {process.exitcode})"
                ) from None
        return message


class SubprocessFailed(RuntimeError):
    """The producing process raised or died; the message carries its traceback."""


def _produce_into(produce: str, argument: bytes, queue: Any) -> None:
    """The child's side of :func:`produced_in_subprocess`."""
    try:
        # Set Django up before unpickling: the argument's classes live in modules with models.
        django.setup()
        gc.disable()  # see cyclic_gc_paused
        for item in import_string(produce)(pickle.loads(argument)):  # noqa: S301 - our own parent's bytes  # nosec B301
            queue.put(("item", item))
        queue.put(("done", None))
    except BaseException:  # the parent raises it, with this traceback
        queue.put(("error", traceback.format_exc()))
