"""Backups: ``create_backup`` / ``verify_backup`` / ``restore_backup`` and the two commands.

On SQLite the test database lives in memory, so the SQLite tests back up a small file database
built here with sqlite3. On PostgreSQL the pytest test database itself is dumped, verified in a
scratch database and restored.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from gridcare.exchange.backups import (
    SCRATCH_DATABASE_PREFIX,
    AuditHead,
    BackupChecksumMismatch,
    TableCountMismatch,
    create_backup,
    default_backup_path,
    restore_backup,
    verify_backup,
)

NOW = datetime(2026, 3, 1, 4, 5, 6, tzinfo=UTC)
AUDIT_TABLE = "audit_auditevent"


def _build_sqlite(path: Path, *, readings: int = 5) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as database:
        database.executescript(
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE meter (id INTEGER PRIMARY KEY, asset_no TEXT);"
            "CREATE TABLE reading (id INTEGER PRIMARY KEY, meter_id INTEGER, value TEXT);"
            f"CREATE TABLE {AUDIT_TABLE} (id INTEGER PRIMARY KEY, hash TEXT);"
        )
        database.executemany("INSERT INTO meter (asset_no) VALUES (?)", [("M1",), ("M2",), ("M3",)])
        database.executemany(
            "INSERT INTO reading (meter_id, value) VALUES (?, ?)", [(1, str(n)) for n in range(readings)]
        )
        database.executemany("INSERT INTO audit_auditevent (hash) VALUES (?)", [("a",), ("b",), ("c",)])
        database.commit()
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def _count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as database:
        return int(database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


def _rewrite_sidecar(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")


def test_default_backup_path_is_in_var_backups_in_beijing_time(settings) -> None:
    settings.VAR_DIR = Path("/srv/gridcare")
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}
    postgresql = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}

    assert default_backup_path(database=sqlite, now=NOW) == Path(
        "/srv/gridcare/backups/gridcare-20260301-120506.sqlite3"
    )
    assert default_backup_path(database=postgresql, now=NOW) == Path(
        "/srv/gridcare/backups/gridcare-20260301-120506.dump"
    )


def test_sqlite_backup_writes_the_copy_its_digest_and_manifest(tmp_path: Path) -> None:
    database = _build_sqlite(tmp_path / "live.sqlite3")
    output = tmp_path / "backups" / "copy.sqlite3"

    result = create_backup(database=database, output=output, now=NOW)

    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert result.sha256 == digest
    assert (tmp_path / "backups" / "copy.sqlite3.sha256").read_text() == f"{digest}  copy.sqlite3\n"
    assert result.manifest.vendor == "sqlite"
    assert result.manifest.created_at == "2026-03-01T04:05:06+00:00"
    assert result.manifest.table_row_counts == {AUDIT_TABLE: 3, "meter": 3, "reading": 5}
    assert result.manifest.audit_head == AuditHead(event_id=3, hash="c")
    assert _count(output, "reading") == 5
    assert {path.name: path.stat().st_mode & 0o777 for path in (tmp_path / "backups").iterdir()} == {
        "copy.sqlite3": 0o600,
        "copy.sqlite3.sha256": 0o600,
        "copy.sqlite3.manifest.json": 0o600,
    }


def test_sqlite_verify_restores_into_a_scratch_file_and_finds_the_manifest(tmp_path: Path) -> None:
    database = _build_sqlite(tmp_path / "live.sqlite3")
    output = tmp_path / "copy.sqlite3"
    create_backup(database=database, output=output, now=NOW)

    report = verify_backup(database=database, path=output)

    assert report.ok
    assert report.tables_checked == 3
    assert report.rows_checked == 11
    assert report.mismatches == ()
    assert report.found_audit_head == AuditHead(event_id=3, hash="c")


def test_verify_and_restore_refuse_a_backup_with_one_changed_byte(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    database = _build_sqlite(live)
    output = tmp_path / "copy.sqlite3"
    create_backup(database=database, output=output, now=NOW)
    with closing(sqlite3.connect(live)) as connection_to_live:
        connection_to_live.execute("DELETE FROM reading WHERE id > 2")
        connection_to_live.commit()
    content = bytearray(output.read_bytes())
    content[-1] ^= 0x01
    output.write_bytes(bytes(content))

    with pytest.raises(BackupChecksumMismatch):
        verify_backup(database=database, path=output)
    with pytest.raises(BackupChecksumMismatch):
        restore_backup(database=database, path=output)

    assert _count(live, "reading") == 2


def test_verify_names_the_table_whose_count_differs_from_the_manifest(tmp_path: Path) -> None:
    database = _build_sqlite(tmp_path / "live.sqlite3")
    output = tmp_path / "copy.sqlite3"
    create_backup(database=database, output=output, now=NOW)
    with closing(sqlite3.connect(output)) as copy:
        copy.execute("DELETE FROM reading WHERE id = 5")
        copy.commit()
    _rewrite_sidecar(output)

    report = verify_backup(database=database, path=output)

    assert not report.ok
    assert report.mismatches == (TableCountMismatch(table="reading", expected=5, found=4),)
    assert report.audit_head_matches


def test_verify_catches_a_different_audit_head(tmp_path: Path) -> None:
    database = _build_sqlite(tmp_path / "live.sqlite3")
    output = tmp_path / "copy.sqlite3"
    create_backup(database=database, output=output, now=NOW)
    with closing(sqlite3.connect(output)) as copy:
        copy.execute("UPDATE audit_auditevent SET hash = 'forged' WHERE id = 3")
        copy.commit()
    _rewrite_sidecar(output)

    report = verify_backup(database=database, path=output)

    assert not report.ok
    assert report.mismatches == ()
    assert report.expected_audit_head == AuditHead(event_id=3, hash="c")
    assert report.found_audit_head == AuditHead(event_id=3, hash="forged")


def test_sqlite_restore_replaces_the_live_file_with_the_backup(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    database = _build_sqlite(live)
    output = tmp_path / "copy.sqlite3"
    create_backup(database=database, output=output, now=NOW)
    with closing(sqlite3.connect(live)) as connection_to_live:
        connection_to_live.execute("DELETE FROM reading")
        connection_to_live.execute("INSERT INTO meter (asset_no) VALUES ('M4')")
        connection_to_live.commit()

    restore_backup(database=database, path=output)

    assert _count(live, "reading") == 5
    assert _count(live, "meter") == 3


def test_restore_command_refuses_without_yes(tmp_path: Path) -> None:
    backup = tmp_path / "copy.sqlite3"
    backup.write_bytes(b"not touched")

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup))

    assert backup.read_bytes() == b"not touched"


# --- PostgreSQL: the test database itself ---------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore need a PostgreSQL test database; on SQLite it lives in memory",
)


def _scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [SCRATCH_DATABASE_PREFIX + "%"]
        )
        return [row[0] for row in cursor.fetchall()]


def _live_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_verifies_in_a_scratch_database_that_is_dropped(tmp_path: Path) -> None:
    Group.objects.create(name="backup probe")
    database = connection.settings_dict
    output = tmp_path / "test.dump"

    result = create_backup(database=database, output=output, now=NOW)
    report = verify_backup(database=database, path=output)

    assert result.manifest.vendor == "postgresql"
    assert result.manifest.table_row_counts == _live_counts()
    assert result.manifest.table_row_counts["auth_group"] == Group.objects.count()
    assert report.ok
    assert report.mismatches == ()
    assert report.tables_checked == len(connection.introspection.table_names())
    assert _scratch_databases() == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_restore_brings_back_deleted_rows(tmp_path: Path) -> None:
    Group.objects.create(name="backup probe")
    database = connection.settings_dict
    output = tmp_path / "test.dump"
    create_backup(database=database, output=output, now=NOW)
    Group.objects.filter(name="backup probe").delete()

    restore_backup(database=database, path=output)

    assert list(Group.objects.filter(name="backup probe").values_list("name", flat=True)) == ["backup probe"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_backup_command_verifies_and_says_ok(tmp_path: Path) -> None:
    stdout = StringIO()

    call_command("backup", "--output", str(tmp_path / "cmd.dump"), "--verify", stdout=stdout)

    assert "Verify OK" in stdout.getvalue()
    assert (tmp_path / "cmd.dump.sha256").is_file()
    assert (tmp_path / "cmd.dump.manifest.json").is_file()
    assert _scratch_databases() == []
