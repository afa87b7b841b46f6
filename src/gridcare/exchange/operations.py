"""Importing and exporting exchange files: the one implementation behind the ``gridcare import``
and ``gridcare export`` commands and the upload page.

An import streams the file in chunks of :data:`CHUNK_SIZE` rows inside ONE transaction. Per
chunk it parses every cell, looks up each reference column with one query, checks
uniqueness against the database with one query per unique key, runs the kind's rules row by
row and bulk-inserts the good rows. At the end, if any row was bad and the import is not
``partial``, the transaction is rolled back: a file with bad rows imports nothing, and a
crash half-way leaves nothing behind. Good rows are inserted even after a bad one, so later
chunks see them: a duplicate of a row thousands of lines earlier is still reported.

A committed import (or an export) is recorded as an :class:`ExchangeBatch` with one audit
event, ``import_<kind>`` / ``export_<kind>``, carrying the file name and row counts; both
belong to the org unit covering the scope (:func:`~gridcare.exchange.queries.covering_org_unit`),
so the auditors above it see them. A rejected file leaves no batch and no audit event: nothing
changed.

CSV text cells are read through :func:`~gridcare.exchange.files.unguard_formula` and written
through :func:`~gridcare.kit.spreadsheet.guard_formula` (CSV injection); numeric cells never are.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from typing import IO, Any

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.db.models import Model

from gridcare.audit.operations import record_audit_event
from gridcare.exchange.errors import (
    CellsBeyondHeader,
    ColumnMissing,
    ColumnRepeated,
    ColumnUnknown,
    DuplicateOfRow,
    FileEmpty,
    KindUnknown,
    OrgUnitRequired,
    ReferenceNotFound,
    ValueRequired,
)
from gridcare.exchange.files import (
    FileFormat,
    file_format_of,
    read_rows,
    write_rows,
)
from gridcare.exchange.kinds import KINDS, Batch, Built, Column, Kind, Reference, Row, Unique
from gridcare.exchange.models import ExchangeBatch, ExchangeDirection
from gridcare.exchange.parsers import format_cell
from gridcare.exchange.queries import ExchangeScope, covering_org_unit, find_in_scope, highest_pk
from gridcare.identity.access import denials_audited, ensure_permission
from gridcare.identity.approvals import UNMASK_PII_IN_BULK
from gridcare.identity.errors import BulkUnmaskGrantMissing
from gridcare.identity.models import ApprovalRequest, ApprovalStatus, User
from gridcare.identity.operations import use_bulk_unmask_grant
from gridcare.identity.permissions import Permission
from gridcare.kit.errors import GridCareError
from gridcare.kit.spreadsheet import guard_formula, unguard_formula
from gridcare.organization.models import OrgUnit

#: Rows validated and inserted together; bounds the memory an import uses.
CHUNK_SIZE = 5000
#: Problems an :class:`ImportReport` keeps in memory; ``on_problem`` receives all of them.
MAX_KEPT_PROBLEMS = 1000
#: The row number of the header: the first data row is row 2, as a spreadsheet shows it.
HEADER_ROW = 1
#: What importing each kind changes, so the permission it takes besides ``exchange.import``.
IMPORT_PERMISSIONS: dict[str, Permission] = {
    "customers": Permission.CHANGE_CUSTOMERS,
    "accounts": Permission.CHANGE_CUSTOMERS,
    "metering_points": Permission.CHANGE_METERING,
    "meters": Permission.CHANGE_METERING,
    "reads": Permission.RECORD_METER_READS,
}


@dataclass(frozen=True, kw_only=True)
class RowProblem:
    """Why one cell (or row, when ``column`` is empty) of a file was refused."""

    row: int
    column: str
    value: str
    code: str
    message_zh: str
    message_en: str

    @classmethod
    def of(cls, error: GridCareError, *, row: int, column: str, value: str) -> RowProblem:
        return cls(
            row=row,
            column=column,
            value=value,
            code=error.code,
            message_zh=error.message("zh-hans"),
            message_en=error.message("en"),
        )

    def message(self, language: str) -> str:
        """The reason in ``language`` (English for any ``en*``, else zh-Hans)."""
        return self.message_en if language.lower().startswith("en") else self.message_zh


@dataclass(kw_only=True)
class ImportReport:
    """The outcome of an import: counts, the problems (the first :data:`MAX_KEPT_PROBLEMS`),
    and the batch if anything was committed."""

    kind: str
    file_name: str
    is_partial: bool
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    problem_count: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    batch: ExchangeBatch | None = None

    @property
    def is_committed(self) -> bool:
        return self.batch is not None

    @property
    def has_problems(self) -> bool:
        return self.problem_count > 0


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    rows_exported: int
    batch: ExchangeBatch


ProblemSink = Callable[[RowProblem], None]


def kind_named(name: str) -> Kind:
    """The kind called ``name``, or :class:`KindUnknown`."""
    try:
        return KINDS[name]
    except KeyError:
        raise KindUnknown(kind=name, known=", ".join(KINDS)) from None


@denials_audited
def import_file(
    *,
    kind: str,
    stream: IO[bytes],
    file_name: str,
    scope: ExchangeScope,
    partial: bool,
    now: datetime,
    on_problem: ProblemSink | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Import the rows of ``stream`` (a seekable binary file named ``file_name``) as records of
    ``kind`` acting in ``scope``, and report every bad row.

    The format comes from the extension: ``.csv`` (UTF-8 with or without a BOM; GB18030 when
    the bytes are not valid UTF-8) or ``.xlsx`` (the first sheet). Row 1 names the columns
    (see :mod:`gridcare.exchange.kinds`); report rows are numbered as the file shows them.

    With bad rows nothing is imported unless ``partial``, which imports the good rows.
    ``on_problem`` is called with every problem, chunk by chunk in row order (the report keeps only the
    first :data:`MAX_KEPT_PROBLEMS`). Raises :class:`~gridcare.exchange.errors.FileTypeUnsupported`
    or :class:`~gridcare.exchange.errors.FileUnreadable` for a file that cannot be read; then
    too nothing is imported.
    """
    spec = kind_named(kind)
    _ensure_may_import(spec=spec, scope=scope)
    report = ImportReport(kind=spec.name, file_name=file_name, is_partial=partial)
    rows = read_rows(stream=stream, file_name=file_name)
    run = _ImportRun(
        spec=spec,
        report=report,
        on_problem=on_problem,
        unguards_formulas=file_format_of(file_name) is FileFormat.CSV,
    )
    header = next(rows, None)
    layout = run.read_header(header)
    if layout is None:
        return report
    batch = Batch(scope=scope, now=now, file_name=file_name)
    with transaction.atomic():
        run.watermarks = {unique: highest_pk(unique.model) for unique in spec.uniques}
        for chunk in _chunks(enumerate(rows, start=HEADER_ROW + 1), size=chunk_size):
            run.import_chunk(chunk, layout=layout, batch=batch)
            _forget_logged_queries()
        if report.rows_rejected and not partial:
            transaction.set_rollback(True)
            report.rows_imported = 0
        else:
            report.batch = _record_import(report=report, scope=scope, now=now)
    return report


@denials_audited
def export_file(
    *,
    kind: str,
    stream: IO[bytes],
    file_format: FileFormat,
    file_name: str,
    scope: ExchangeScope,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
    unmask_pii: bool = False,
) -> ExportResult:
    """Write every record of ``kind`` in ``scope`` to ``stream`` as ``file_format``, streaming
    (``chunk_size`` rows fetched at a time), and record the export.

    Personal columns (身份证号, phones) are masked unless ``unmask_pii``: the caller has
    established the right to the values (the server operator's ``--unmask-pii``; a web export
    with a four-eyes bulk-unmask grant). The audit event records which it was."""
    spec = kind_named(kind)
    if scope.user is not None:
        ensure_permission(user=scope.user, permission=Permission.EXPORT_DATA, operation=f"export_{spec.name}")
    records = spec.exported(scope=scope).values_list(*(column.export_path for column in spec.columns))
    header = [column.name for column in spec.columns]
    guarded = [column.is_text and file_format is FileFormat.CSV for column in spec.columns]
    masks = [None if unmask_pii else column.pii_mask for column in spec.columns]
    lines = (
        _export_line(values, guarded=guarded, masks=masks)
        for values in records.iterator(chunk_size=chunk_size)
    )
    count = write_rows(stream=stream, file_format=file_format, rows=chain([header], lines))
    org_unit = covering_org_unit(scope=scope)
    with transaction.atomic():
        batch = ExchangeBatch.objects.create(
            org_unit=org_unit,
            direction=ExchangeDirection.EXPORT,
            kind=spec.name,
            file_name=file_name[:255],
            actor=scope.user,
            occurred_at=now,
            rows_exported=count,
        )
        record_audit_event(
            actor=scope.user,
            action=f"export_{spec.name}",
            target=batch,
            occurred_at=now,
            changes={
                "file_name": file_name,
                "rows_exported": count,
                "org_unit": _code(org_unit),
                "pii_masked": not unmask_pii,
            },
        )
    return ExportResult(rows_exported=count, batch=batch)


#: The kinds whose files carry personal data (身份证号, phones, bank accounts): the ones an
#: unmasked export by a bulk-unmask grant may write.
PERSONAL_DATA_KINDS = ("customers", "accounts")


@denials_audited
def export_unmasked_with_grant(
    *,
    grant_id: int,
    kind: str,
    stream: IO[bytes],
    file_format: FileFormat,
    file_name: str,
    user: User,
    now: datetime,
) -> ExportResult:
    """Write the accounts (or their customers) an approved four-eyes bulk-unmask request of
    ``user`` names, with personal data unmasked, and spend the approval: one approval, one
    export. Only records still visible to ``user`` are written. A missing, foreign, pending or
    spent grant is refused (and audited) before anything is written."""
    if kind not in PERSONAL_DATA_KINDS:
        raise KindUnknown(kind=kind, known=", ".join(PERSONAL_DATA_KINDS))
    grant = ApprovalRequest.objects.filter(
        pk=grant_id, requested_by=user, kind=UNMASK_PII_IN_BULK, status=ApprovalStatus.APPROVED
    ).first()
    # Refused here, outside the export's transaction, so the audited denial is not rolled back
    # with it; use_bulk_unmask_grant checks again under a row lock against a concurrent use.
    if grant is None:
        raise BulkUnmaskGrantMissing(
            actor=user, operation="export_unmasked_with_grant", permission=Permission.UNMASK_PII_IN_BULK
        )
    scope = ExchangeScope(user=user, account_nos=frozenset(grant.payload["account_nos"]))
    with transaction.atomic():
        use_bulk_unmask_grant(grant=grant, actor=user, now=now)
        return export_file(
            kind=kind,
            stream=stream,
            file_format=file_format,
            file_name=file_name,
            scope=scope,
            now=now,
            unmask_pii=True,
        )


def _ensure_may_import(*, spec: Kind, scope: ExchangeScope) -> None:
    """An importing user (none on the unrestricted command line) needs ``exchange.import`` and
    the permission that changes records of the kind. Which org units the rows may name is the
    scope's business: a row naming a unit or record outside it is refused as not found."""
    if scope.user is None:
        return
    operation = f"import_{spec.name}"
    ensure_permission(user=scope.user, permission=Permission.IMPORT_DATA, operation=operation)
    ensure_permission(user=scope.user, permission=IMPORT_PERMISSIONS[spec.name], operation=operation)


def _export_line(
    values: Sequence[Any], *, guarded: Sequence[bool], masks: Sequence[Callable[[str | None], str] | None]
) -> list[str]:
    cells = (
        mask(value) if mask is not None and value else format_cell(value)
        for value, mask in zip(values, masks, strict=True)
    )
    return [guard_formula(cell) if guard else cell for cell, guard in zip(cells, guarded, strict=True)]


def _record_import(*, report: ImportReport, scope: ExchangeScope, now: datetime) -> ExchangeBatch:
    org_unit = covering_org_unit(scope=scope)
    batch = ExchangeBatch.objects.create(
        org_unit=org_unit,
        direction=ExchangeDirection.IMPORT,
        kind=report.kind,
        file_name=report.file_name[:255],
        actor=scope.user,
        occurred_at=now,
        is_partial=report.is_partial,
        rows_read=report.rows_read,
        rows_imported=report.rows_imported,
        rows_rejected=report.rows_rejected,
    )
    record_audit_event(
        actor=scope.user,
        action=f"import_{report.kind}",
        target=batch,
        occurred_at=now,
        changes={
            "file_name": report.file_name,
            "partial": report.is_partial,
            "rows_read": report.rows_read,
            "rows_imported": report.rows_imported,
            "rows_rejected": report.rows_rejected,
            "org_unit": _code(org_unit),
        },
    )
    return batch


def _code(org_unit: OrgUnit | None) -> str | None:
    return org_unit.code if org_unit is not None else None


def _chunks(items: Iterable[Any], *, size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _forget_logged_queries() -> None:
    """Under DEBUG Django keeps the last 9,000 queries with their parameters: a bulk import's
    INSERTs would hold gigabytes. Drop them after each chunk, as Django does per request,
    unless a caller is capturing queries (a test counting them)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _not_found(column: str, reference: Reference | None, value: str) -> GridCareError:
    label_zh, label_en = (reference.label_zh, reference.label_en) if reference else (column, column)
    return ReferenceNotFound(field=column, label_zh=label_zh, label_en=label_en, value=value)


class _Pending:
    """A reference not found in the database that may name a record of an earlier row."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass(kw_only=True)
class _ImportRun:
    """The state of one import while its chunks go by."""

    spec: Kind
    report: ImportReport
    on_problem: ProblemSink | None
    unguards_formulas: bool
    watermarks: dict[Unique, int] = field(default_factory=dict)
    chunk_problems: list[RowProblem] = field(default_factory=list)

    # --- problems -------------------------------------------------------------------------

    def add_problem(self, problem: RowProblem) -> None:
        """Report ``problem`` now (header problems)."""
        self.report.problem_count += 1
        if len(self.report.problems) < MAX_KEPT_PROBLEMS:
            self.report.problems.append(problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    def reject(self, row: Row, errors: Sequence[tuple[str, GridCareError]]) -> None:
        """Record the row as rejected with one problem per (column, error), reported with the
        rest of its chunk's problems in row order."""
        self.report.rows_rejected += 1
        for column, error in errors:
            value = row.cells.get(column, "")
            self.chunk_problems.append(RowProblem.of(error, row=row.number, column=column, value=value))

    def report_chunk_problems(self) -> None:
        for problem in sorted(self.chunk_problems, key=lambda problem: problem.row):
            self.add_problem(problem)
        self.chunk_problems.clear()

    def column_of(self, error: GridCareError) -> str:
        """The column a rule's error is about (``""``: the row as a whole)."""
        name = error.field or ""
        if any(column.name == name for column in self.spec.columns):
            return name
        return self.spec.column_of_field.get(name, "")

    # --- header -----------------------------------------------------------------------------

    def read_header(self, header: list[str] | None) -> list[Column | None] | None:
        """The column at each position of the file (``None``: an unnamed, ignored position), or
        ``None`` after reporting why the header is unusable."""
        if not header:
            self.add_problem(RowProblem.of(FileEmpty(), row=HEADER_ROW, column="", value=""))
            return None
        known = {column.name: column for column in self.spec.columns}
        layout: list[Column | None] = []
        errors: list[tuple[str, GridCareError]] = []
        seen: set[str] = set()
        for cell in header:
            name = cell.strip().lower()
            layout.append(known.get(name) if name else None)
            if not name:
                continue
            if name in seen:
                errors.append((name, ColumnRepeated(column=name)))
            elif name not in known:
                errors.append((cell, ColumnUnknown(column=cell, known=", ".join(known))))
            seen.add(name)
        for column in self.spec.columns:
            if column.required and column.name not in seen:
                errors.append((column.name, ColumnMissing(column=column.name)))
        for column_name, error in errors:
            self.add_problem(RowProblem.of(error, row=HEADER_ROW, column=column_name, value=""))
        return None if errors else layout

    # --- rows -------------------------------------------------------------------------------

    def import_chunk(
        self, chunk: list[tuple[int, list[str]]], *, layout: list[Column | None], batch: Batch
    ) -> None:
        parsed = [row for row in (self.parse(number, cells, layout=layout) for number, cells in chunk) if row]
        resolved = self.resolve_references(parsed, batch=batch)
        existing = {
            unique: unique.existing({key for row in resolved if (key := unique.key(row)) is not None})
            for unique in self.spec.uniques
        }
        prepared = self.spec.prepare(resolved, batch=batch)
        seen: dict[Unique, dict[Hashable, int]] = {unique: {} for unique in self.spec.uniques}
        earlier_rows: dict[str, dict[str, Model]] = {}
        accepted: list[Built] = []
        for row in resolved:
            try:
                self.resolve_earlier_rows(row, earlier_rows=earlier_rows)
                built = self.spec.build(row, batch=batch, prepared=prepared)
                keys = self.check_unique(row, existing=existing, seen=seen)
            except GridCareError as error:
                self.reject(row, [(self.column_of(error), error)])
                continue
            for unique, key in keys:
                seen[unique][key] = row.number
            self.remember_for_later_rows(row, built, earlier_rows=earlier_rows)
            accepted.append(built)
        self.spec.insert(accepted)
        self.report.rows_imported += len(accepted)
        self.report_chunk_problems()

    def parse(self, number: int, cells: list[str], *, layout: list[Column | None]) -> Row | None:
        """The row with every cell parsed, or ``None`` (blank rows are skipped; a row with bad
        cells is rejected with a problem per bad cell)."""
        if not any(cell.strip() for cell in cells):
            return None
        self.report.rows_read += 1
        texts = {
            column.name: self.cell_text(column, cell)
            for column, cell in zip(layout, cells, strict=False)
            if column is not None
        }
        row = Row(number=number, cells=texts)
        errors: list[tuple[str, GridCareError]] = []
        beyond = [cell for cell in cells[len(layout) :] if cell.strip()]
        if beyond:
            errors.append(("", CellsBeyondHeader(count=len(beyond))))
        for column in self.spec.columns:
            text = texts.get(column.name, "").strip()
            if not text:
                if column.required:
                    errors.append((column.name, ValueRequired(field=column.name)))
                row.values[column.name] = column.default
                continue
            try:
                row.values[column.name] = column.parser.parse(text)
            except GridCareError as error:
                errors.append((column.name, error))
        if errors:
            self.reject(row, errors)
            return None
        return row

    def cell_text(self, column: Column, cell: str) -> str:
        """The text of a cell, without the apostrophe a CSV export puts before formula-like text."""
        return unguard_formula(cell) if self.unguards_formulas and column.is_text else cell

    def resolve_references(self, rows: list[Row], *, batch: Batch) -> list[Row]:
        """Replace each reference value by its record (one query per reference column); rows
        naming records that do not exist in scope are rejected."""
        references = [(column, column.reference) for column in self.spec.columns if column.reference]
        found = {
            column.name: find_in_scope(
                reference.model,
                scope=batch.scope,
                key=reference.key,
                values={row.values[column.name] for row in rows if row.values[column.name] is not None},
                related=reference.related,
            )
            for column, reference in references
        }
        resolved: list[Row] = []
        for row in rows:
            errors: list[tuple[str, GridCareError]] = []
            for column, reference in references:
                value = row.values[column.name]
                if value is None:
                    if reference.defaults_to_scope_org_unit:
                        row.values[column.name] = batch.scope.default_org_unit
                        if row.values[column.name] is None:
                            errors.append((column.name, OrgUnitRequired(field=column.name)))
                    continue
                record = found[column.name].get(value)
                if record is not None:
                    row.values[column.name] = record
                elif reference.earlier_rows_column is not None:
                    row.values[column.name] = _Pending(value)
                else:
                    errors.append((column.name, _not_found(column.name, reference, value)))
            if errors:
                self.reject(row, errors)
            else:
                resolved.append(row)
        return resolved

    def resolve_earlier_rows(self, row: Row, *, earlier_rows: dict[str, dict[str, Model]]) -> None:
        """Resolve the references to records made by earlier rows of this chunk (earlier
        chunks are in the database already)."""
        for column in self.spec.columns:
            value = row.values.get(column.name)
            if isinstance(value, _Pending):
                record = earlier_rows.get(column.name, {}).get(value.text)
                if record is None:
                    raise _not_found(column.name, column.reference, value.text)
                row.values[column.name] = record

    def remember_for_later_rows(
        self, row: Row, built: Built, *, earlier_rows: dict[str, dict[str, Model]]
    ) -> None:
        for column in self.spec.columns:
            if column.reference is not None and column.reference.earlier_rows_column is not None:
                key = row.values[column.reference.earlier_rows_column]
                earlier_rows.setdefault(column.name, {})[key] = built.record

    def check_unique(
        self,
        row: Row,
        *,
        existing: dict[Unique, dict[Hashable, tuple[int, str]]],
        seen: dict[Unique, dict[Hashable, int]],
    ) -> list[tuple[Unique, Hashable]]:
        """The row's unique keys, or the error of the first one taken: by an earlier row of
        this chunk, by an earlier chunk (rows above the watermark) or by a stored record."""
        keys: list[tuple[Unique, Hashable]] = []
        for unique in self.spec.uniques:
            key = unique.key(row)
            if key is None:
                continue
            other_row = seen[unique].get(key)
            if other_row is not None:
                raise DuplicateOfRow(
                    field=unique.column,
                    other_row=other_row,
                    label_zh=unique.label_zh,
                    label_en=unique.label_en,
                    value=row.cells[unique.column],
                )
            holder = existing[unique].get(key)
            if holder is not None:
                pk, holder_name = holder
                if pk > self.watermarks[unique]:
                    raise unique.duplicate_of_earlier_row(row)
                raise unique.taken(row, holder_name)
            keys.append((unique, key))
        return keys
