"""Backups of the whole database, their verification and their restore: the one implementation
behind the ``gridcare backup`` and ``gridcare restore`` commands.

SQLite is copied with sqlite3's online backup API, which is safe while the server writes to the
file (WAL). PostgreSQL is dumped with ``pg_dump --format=custom``. The row counts per table and
the audit head (the latest audit event) written to the manifest are read from the very snapshot
that was backed up: on SQLite from the copy, on PostgreSQL inside a REPEATABLE READ transaction
whose snapshot ``pg_dump --snapshot`` shares. So a verification that restores the backup into a
scratch database must find exactly the manifest's numbers, even on a busy server.

Beside each backup ``PATH`` lie ``PATH.sha256`` (the SHA-256 of the backup, ``sha256sum``
format) and ``PATH.manifest.json``. Restore and verify check the digest before anything else.

Passwords reach ``pg_dump`` and ``pg_restore`` through ``PGPASSWORD`` in their environment, never
on the command line (where ``ps`` would show them to every local user).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # runs pg_dump and pg_restore with argument lists, never a shell  # nosec B404
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql

from gridcare.audit.models import AuditEvent
from gridcare.kit.errors import GridCareError

DatabaseSettings = Mapping[str, Any]
SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRESQL_ENGINE = "django.db.backends.postgresql"
POSTGRESQL_BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
SCRATCH_DATABASE_PREFIX = "gridcare_verify_"


class BackupVendorUnsupported(GridCareError):
    code = "backup_vendor_unsupported"
    message_zh = "不支持备份数据库引擎 {engine}：仅支持 SQLite 与 PostgreSQL。"
    message_en = "Backups of the database engine {engine} are not supported: only SQLite and PostgreSQL."


class BackupFileMissing(GridCareError):
    code = "backup_file_missing"
    message_zh = "备份文件 {path} 不存在或无法读取。"
    message_en = "The backup file {path} does not exist or cannot be read."


class BackupChecksumMismatch(GridCareError):
    code = "backup_checksum_mismatch"
    message_zh = "备份文件 {path} 的 SHA-256 与 {sidecar} 不符：文件已损坏或被篡改，拒绝使用。"
    message_en = "The SHA-256 of {path} does not match {sidecar}: the file is damaged or altered; refused."


class BackupToolMissing(GridCareError):
    code = "backup_tool_missing"
    message_zh = "找不到 {tool}：请安装 Debian 的 postgresql-client 软件包。"
    message_en = "{tool} was not found: install Debian's postgresql-client package."


class BackupToolFailed(GridCareError):
    code = "backup_tool_failed"
    message_zh = "{tool} 执行失败（退出码 {returncode}）：{stderr}"
    message_en = "{tool} failed (exit code {returncode}): {stderr}"


@dataclass(frozen=True)
class AuditHead:
    """The latest audit event: its id, and its chain hash when the audit log has one."""

    event_id: int
    hash: str | None


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds, read from the snapshot that was backed up."""

    vendor: str
    created_at: str
    table_row_counts: dict[str, int]
    audit_head: AuditHead | None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BackupManifest:
        data = json.loads(text)
        head = data["audit_head"]
        return cls(
            vendor=data["vendor"],
            created_at=data["created_at"],
            table_row_counts={str(name): int(count) for name, count in data["table_row_counts"].items()},
            audit_head=AuditHead(event_id=int(head["event_id"]), hash=head["hash"]) if head else None,
        )


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    manifest: BackupManifest


@dataclass(frozen=True)
class TableCountMismatch:
    table: str
    expected: int | None  # None: the table is not in the manifest
    found: int | None  # None: the table is missing from the restored copy


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of restoring a backup into a scratch database and comparing it with its manifest."""

    path: Path
    tables_checked: int
    rows_checked: int
    mismatches: tuple[TableCountMismatch, ...]
    expected_audit_head: AuditHead | None
    found_audit_head: AuditHead | None

    @property
    def audit_head_matches(self) -> bool:
        return self.expected_audit_head == self.found_audit_head

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.audit_head_matches


# --- public operations ----------------------------------------------------------------------


def default_backup_path(*, database: DatabaseSettings, now: datetime) -> Path:
    """``$GRIDCARE_VAR_DIR/backups/gridcare-YYYYmmdd-HHMMSS.<sqlite3|dump>`` in Beijing time."""
    suffix = "sqlite3" if _vendor_of(database) == "sqlite" else "dump"
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"gridcare-{stamp}.{suffix}"


def create_backup(*, database: DatabaseSettings, output: Path, now: datetime) -> BackupResult:
    """Back ``database`` up to ``output`` and write its SHA-256 sidecar and manifest beside it."""
    vendor = _vendor_of(database)
    output.parent.mkdir(parents=True, exist_ok=True)
    if vendor == "sqlite":
        _backup_sqlite(source=Path(database["NAME"]), output=output)
        with closing(sqlite3.connect(output)) as copy:
            table_row_counts, audit_head = _snapshot_facts(copy.cursor(), vendor=vendor)
    else:
        table_row_counts, audit_head = _dump_postgresql(database=database, output=output)
    manifest = BackupManifest(
        vendor=vendor,
        created_at=now.isoformat(),
        table_row_counts=table_row_counts,
        audit_head=audit_head,
    )
    digest = file_sha256(path=output)
    _sidecar(output).write_text(f"{digest}  {output.name}\n", encoding="utf-8")
    _manifest_path(output).write_text(manifest.to_json() + "\n", encoding="utf-8")
    for written in (output, _sidecar(output), _manifest_path(output)):
        # A backup holds every customer's data: readable by the operations account only.
        written.chmod(0o600)
    return BackupResult(path=output, sha256=digest, manifest=manifest)


def verify_backup(*, database: DatabaseSettings, path: Path) -> VerificationReport:
    """Check the backup's digest, restore it into a scratch database (on the server of
    ``database`` for PostgreSQL, a temporary file for SQLite), and compare its row counts per
    table and its audit head with the manifest. The scratch database is always removed."""
    check_backup_checksum(path=path)
    manifest = BackupManifest.from_json(_manifest_path(path).read_text(encoding="utf-8"))
    with _restored_scratch(database=database, path=path, vendor=manifest.vendor) as cursor:
        found_counts, found_head = _snapshot_facts(cursor, vendor=manifest.vendor)
    mismatches = tuple(
        TableCountMismatch(
            table=table,
            expected=manifest.table_row_counts.get(table),
            found=found_counts.get(table),
        )
        for table in sorted(manifest.table_row_counts.keys() | found_counts.keys())
        if manifest.table_row_counts.get(table) != found_counts.get(table)
    )
    return VerificationReport(
        path=path,
        tables_checked=len(manifest.table_row_counts),
        rows_checked=sum(manifest.table_row_counts.values()),
        mismatches=mismatches,
        expected_audit_head=manifest.audit_head,
        found_audit_head=found_head,
    )


def restore_backup(*, database: DatabaseSettings, path: Path) -> None:
    """Replace the contents of ``database`` with the backup at ``path`` after checking its digest.

    Django's connections are closed first so no open transaction holds the old data.
    """
    check_backup_checksum(path=path)
    vendor = _vendor_of(database)
    manifest = BackupManifest.from_json(_manifest_path(path).read_text(encoding="utf-8"))
    if manifest.vendor != vendor:
        raise BackupVendorUnsupported(engine=f"{manifest.vendor} backup on {database['ENGINE']}")
    connections.close_all()
    if vendor == "sqlite":
        with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(database["NAME"])) as target:
            source.backup(target)
    else:
        _run_tool(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"],
            database=database,
            dbname=database["NAME"],
            path=path,
        )


def check_backup_checksum(*, path: Path) -> str:
    """The backup's SHA-256, after checking it against ``PATH.sha256``; raises when it differs."""
    sidecar = _sidecar(path)
    if not path.is_file() or not sidecar.is_file():
        raise BackupFileMissing(path=path if not path.is_file() else sidecar)
    expected = sidecar.read_text(encoding="utf-8").split()[0]
    digest = file_sha256(path=path)
    if digest != expected:
        raise BackupChecksumMismatch(path=path, sidecar=sidecar)
    return digest


def file_sha256(*, path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


# --- SQLite ---------------------------------------------------------------------------------


def _backup_sqlite(*, source: Path, output: Path) -> None:
    if not source.is_file():
        raise BackupFileMissing(path=source)
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(output)) as copy:
        live.backup(copy)


# --- PostgreSQL -----------------------------------------------------------------------------


def _dump_postgresql(*, database: DatabaseSettings, output: Path) -> tuple[dict[str, int], AuditHead | None]:
    """Count the rows and dump them from one exported snapshot, so the manifest matches the dump."""
    with closing(psycopg.connect(**_psycopg_parameters(database, dbname=database["NAME"]))) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None  # noqa: S101 -- pg_export_snapshot always returns one row  # nosec B101
            facts = _snapshot_facts(cursor, vendor="postgresql")
            _run_tool(
                "pg_dump",
                ["--format=custom", f"--snapshot={row[0]}", f"--file={output}"],
                database=database,
                dbname=database["NAME"],
            )
    return facts


@contextmanager
def _restored_scratch(*, database: DatabaseSettings, path: Path, vendor: str) -> Iterator[Any]:
    """A cursor on a scratch copy of the backup, removed on exit whatever happens."""
    if vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gridcare-verify-") as folder:
            scratch = Path(folder) / "scratch.sqlite3"
            with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(scratch)) as target:
                source.backup(target)
                yield target.cursor()
        return
    if _vendor_of(database) != "postgresql":
        raise BackupVendorUnsupported(engine=f"{vendor} backup on {database['ENGINE']}")
    scratch_name = f"{SCRATCH_DATABASE_PREFIX}{uuid.uuid4().hex}"
    with closing(
        psycopg.connect(**_psycopg_parameters(database, dbname=database["NAME"]), autocommit=True)
    ) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch_name)))
        try:
            _run_tool(
                "pg_restore",
                ["--no-owner", "--exit-on-error"],
                database=database,
                dbname=scratch_name,
                path=path,
            )
            scratch_parameters = _psycopg_parameters(database, dbname=scratch_name)
            with (
                closing(psycopg.connect(**scratch_parameters)) as scratch_connection,
                scratch_connection.cursor() as cursor,
            ):
                yield cursor
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch_name))
            )


def _psycopg_parameters(database: DatabaseSettings, *, dbname: str) -> dict[str, Any]:
    parameters = {
        "dbname": dbname,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    return {key: value for key, value in parameters.items() if value is not None}


def _run_tool(
    tool: str, arguments: list[str], *, database: DatabaseSettings, dbname: str, path: Path | None = None
) -> None:
    """Run ``pg_dump`` or ``pg_restore`` with the connection in libpq's environment variables."""
    environment = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if database.get(key):
            environment[variable] = str(database[key])
    environment["PGDATABASE"] = dbname
    command = [_tool_path(tool), *arguments]
    if tool == "pg_restore":
        # pg_restore prints SQL instead of restoring unless --dbname is given; the name is no secret.
        command += [f"--dbname={dbname}", str(path)]
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603 -- a found tool, an argument list, no shell  # nosec B603
    if completed.returncode != 0:
        raise BackupToolFailed(
            tool=tool, returncode=completed.returncode, stderr=completed.stderr.strip()[-2000:]
        )


def _tool_path(tool: str) -> str:
    found = shutil.which(tool) or next(
        (str(folder / tool) for folder in POSTGRESQL_BIN_DIRS if (folder / tool).is_file()), None
    )
    if found is None:
        raise BackupToolMissing(tool=tool)
    return found


# --- what a snapshot holds ------------------------------------------------------------------


def _snapshot_facts(cursor: Any, *, vendor: str) -> tuple[dict[str, int], AuditHead | None]:
    """Row counts of every table and the audit head, as seen by ``cursor`` (a DB-API cursor)."""
    tables = _table_names(cursor, vendor=vendor)
    counts: dict[str, int] = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 -- quoted catalog name  # nosec B608
        counts[table] = int(cursor.fetchone()[0])
    return counts, _audit_head(cursor, tables=tables, vendor=vendor)


def _table_names(cursor: Any, *, vendor: str) -> list[str]:
    """The tables Django's introspection lists (``connection.introspection.table_names()``),
    read with the same catalog query so it works on any DB-API cursor, including a scratch
    database's or a backup file's, which Django has no connection to."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    else:
        cursor.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND n.nspname NOT IN ('pg_catalog', 'pg_toast', 'information_schema') "
            "AND pg_catalog.pg_table_is_visible(c.oid)"
        )
    return sorted(str(row[0]) for row in cursor.fetchall())


def _audit_head(cursor: Any, *, tables: list[str], vendor: str) -> AuditHead | None:
    """The latest audit event's id and, when the model and the table have a ``hash`` column
    (the hash chain), its hash."""
    table = AuditEvent._meta.db_table
    if table not in tables:
        return None
    hash_field = next((field for field in AuditEvent._meta.concrete_fields if field.name == "hash"), None)
    hash_column = "NULL"
    if hash_field is not None and hash_field.column in _column_names(cursor, table=table, vendor=vendor):
        hash_column = _quote(hash_field.column)
    cursor.execute(f"SELECT id, {hash_column} FROM {_quote(table)} ORDER BY id DESC LIMIT 1")  # noqa: S608 -- quoted catalog names  # nosec B608
    row = cursor.fetchone()
    if row is None:
        return None
    return AuditHead(event_id=int(row[0]), hash=None if row[1] is None else str(row[1]))


def _column_names(cursor: Any, *, table: str, vendor: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({_quote(table)})")
        return {str(row[1]) for row in cursor.fetchall()}
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = current_schema()",
        (table,),
    )
    return {str(row[0]) for row in cursor.fetchall()}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- helpers --------------------------------------------------------------------------------


def _vendor_of(database: DatabaseSettings) -> str:
    engine = str(database["ENGINE"])
    if engine == SQLITE_ENGINE:
        return "sqlite"
    if engine.startswith(POSTGRESQL_ENGINE):
        return "postgresql"
    raise BackupVendorUnsupported(engine=engine)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")
