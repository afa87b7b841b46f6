"""Acceptance: the database file or dump holds no plaintext ID number or phone (issue 3).

Personal values are searched for in the raw bytes: of a SQLite database file and its
write-ahead log built by a separate process, and of a plain-text ``pg_dump`` of the PostgreSQL
test database. Each search also finds a customer's name, so a search that could not find
plaintext at all would fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from pii_people import (
    BANK_ACCOUNT_NO,
    ID_NUMBERS,
    MOBILES,
    NAMES,
    PORTAL_MOBILE,
    STAFF_MOBILE,
    People,
    every_secret,
)

from gridcare.customers.models import Account, Contact, Customer
from gridcare.exchange.backups import POSTGRESQL_BIN_DIRS
from gridcare.identity.models import User
from gridcare.identity.pii import pii_hash
from gridcare.kit.crypto import key_id_of

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "src"


def _found(data: bytes) -> list[str]:
    return [secret for secret in every_secret() if secret.encode() in data]


def test_stored_columns_hold_ciphertext_and_keyed_hashes_while_models_give_plaintext(people: People) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM customers_customer ORDER BY id")
        customers = cursor.fetchall()
        cursor.execute("SELECT mobile, mobile_hash, landline FROM customers_contact ORDER BY id")
        contacts = cursor.fetchall()
        cursor.execute("SELECT bank_account_no, bank_account_no_hash FROM customers_account")
        accounts = cursor.fetchall()
        cursor.execute("SELECT mobile FROM identity_user WHERE mobile <> '' ORDER BY id")
        users = cursor.fetchall()

    stored = [value for row in [*customers, *contacts, *accounts, *users] for value in row[:1]]
    assert len(stored) == 2 + 2 + 1 + 2
    assert all(value.startswith("gc1$demo1$") for value in stored)
    assert [key_id_of(value) for value in stored] == ["demo1"] * 7
    assert [row[1] for row in customers] == [pii_hash(number, kind="id_number") for number in ID_NUMBERS]
    assert [row[1] for row in contacts] == [pii_hash(mobile, kind="mobile") for mobile in MOBILES]
    assert contacts[0][2].startswith("gc1$demo1$")
    assert contacts[1][2] == ""
    assert accounts[0][1] == pii_hash(BANK_ACCOUNT_NO, kind="bank_account_no")
    assert list(Customer.objects.order_by("id").values_list("id_number", flat=True)) == list(ID_NUMBERS)
    assert list(Contact.objects.order_by("id").values("mobile", "landline")) == [
        {"mobile": MOBILES[0], "landline": "0531-86661234"},
        {"mobile": MOBILES[1], "landline": ""},
    ]
    assert Account.objects.get().bank_account_no == BANK_ACCOUNT_NO
    assert sorted(User.objects.exclude(mobile="").values_list("mobile", flat=True)) == sorted(
        [PORTAL_MOBILE, STAFF_MOBILE]
    )


@pytest.mark.slow
def test_sqlite_database_file_and_write_ahead_log_hold_no_plaintext_id_number_or_phone(
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gc.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "GRIDCARE_DEBUG": "1",
        "PYTHONPATH": os.pathsep.join([str(SOURCE), str(HERE)]),
    }
    subprocess.run(  # noqa: S603 - our own script with this interpreter
        [sys.executable, str(HERE / "write_pii_database.py"), str(tmp_path)],
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )
    before_file = (tmp_path / "before-checkpoint.sqlite3").read_bytes()
    before_log = (tmp_path / "before-checkpoint.sqlite3-wal").read_bytes()
    after_file = (tmp_path / "gc.sqlite3").read_bytes()

    # The log held the writes before the checkpoint; the file holds them after it.
    assert NAMES[0].encode() in before_log
    assert NAMES[0].encode() in after_file
    assert _found(before_file) == []
    assert _found(before_log) == []
    assert _found(after_file) == []


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump needs a PostgreSQL test database"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_dump_holds_no_plaintext_id_number_or_phone(people: People) -> None:
    database = connection.settings_dict
    pg_dump = shutil.which("pg_dump") or str(POSTGRESQL_BIN_DIRS[0] / "pg_dump")
    environment = {**os.environ, "PGHOST": str(database["HOST"]), "PGPORT": str(database["PORT"] or 5432)}
    environment["PGUSER"] = str(database["USER"])
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    # Plain format: the custom format compresses, which would hide plaintext from the search.
    dump = subprocess.run(  # noqa: S603 - pg_dump with fixed arguments
        [pg_dump, "--format=plain", "--no-owner", str(database["NAME"])],
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout

    assert NAMES[0].encode() in dump
    assert _found(dump) == []
