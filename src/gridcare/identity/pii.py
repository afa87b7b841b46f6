"""The personal data key ring from settings, and the helpers every layer above uses to
encrypt, decrypt and hash personal values (身份证号, phones, bank accounts).

Keys come from ``settings.GRIDCARE_PII_KEYS`` and ``settings.GRIDCARE_PII_HASH_KEY`` (see
settings.py and docs/adr/0004-pii-encryption.md). The ring is built once and rebuilt when a
test overrides those settings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import receiver

from gridcare.kit.crypto import HASH_KEY_ID, PiiKeyRing, decode_key, is_ciphertext, key_id_of, parse_key_lines

#: Rows read and written per batch by the migrations, the rotation and the re-hash.
BATCH_SIZE = 1000

#: Settings whose change rebuilds the key ring.
KEY_SETTINGS = frozenset({"GRIDCARE_PII_KEYS", "GRIDCARE_PII_HASH_KEY"})


@cache
def pii_key_ring() -> PiiKeyRing:
    """The key ring the settings define (the first data key is active)."""
    return PiiKeyRing(
        keys=parse_key_lines(settings.GRIDCARE_PII_KEYS),
        hash_key=decode_key(settings.GRIDCARE_PII_HASH_KEY, key_id=HASH_KEY_ID),
    )


@receiver(setting_changed)
def _forget_key_ring(*, setting: str, **_kwargs: Any) -> None:
    if setting in KEY_SETTINGS:
        pii_key_ring.cache_clear()


def column_context(*, table: str, column: str) -> str:
    """The associated-data context binding a ciphertext to its column."""
    return f"{table}.{column}"


def encrypt_value(value: str | None, *, table: str, column: str) -> str | None:
    """``value`` encrypted for ``table.column``; ``None`` and ``""`` are stored as they are
    (they hold no secret, and constraints such as "a contact has a channel" test them)."""
    if not value:
        return value
    return pii_key_ring().encrypt(value, context=column_context(table=table, column=column))


def decrypt_value(value: str | None, *, table: str, column: str) -> str | None:
    """The plaintext of a stored value of ``table.column`` (``None`` and ``""`` as they are)."""
    if not value:
        return value
    return pii_key_ring().decrypt(value, context=column_context(table=table, column=column))


def pii_hash(value: str | None, *, kind: str) -> str | None:
    """The keyed search hash of ``value`` as a value of ``kind`` (``id_number``, ``mobile``,
    ``landline``, ``bank_account_no``); ``None`` and ``""`` hash to themselves."""
    if value is None:
        return None
    if not value.strip():
        return ""
    return pii_key_ring().keyed_hash(value, kind=kind)


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column of ciphertext, with the column holding its keyed hash."""

    table: str
    column: str
    hash_column: str
    kind: str

    @property
    def label(self) -> str:
        return column_context(table=self.table, column=self.column)


def encrypted_columns() -> list[EncryptedColumn]:
    """Every ``EncryptedTextField`` of the installed models, with its ``PiiHashField``."""
    from gridcare.identity.fields import EncryptedTextField, PiiHashField

    found = []
    for model in apps.get_models():
        hash_fields = {
            field.source: field for field in model._meta.concrete_fields if isinstance(field, PiiHashField)
        }
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                hash_field = hash_fields[field.name]
                found.append(
                    EncryptedColumn(
                        table=model._meta.db_table,
                        column=field.column,
                        hash_column=hash_field.column,
                        kind=hash_field.kind,
                    )
                )
    return sorted(found, key=lambda column: column.label)


def stored_values_in_batches(
    *, connection: BaseDatabaseWrapper, column: EncryptedColumn, batch_size: int = BATCH_SIZE
) -> Iterator[list[tuple[int, str]]]:
    """``(id, stored value)`` of the rows whose ``column`` is not empty, by id, a batch at a
    time; each batch is read after the previous one was handled, so updates in between are seen."""
    quote = connection.ops.quote_name
    statement = (
        f"SELECT id, {quote(column.column)} FROM {quote(column.table)} "  # noqa: S608  # names from the model registry  # nosec B608
        f"WHERE id > %s AND {quote(column.column)} IS NOT NULL AND {quote(column.column)} <> '' "
        "ORDER BY id LIMIT %s"
    )
    last_id = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(statement, [last_id, batch_size])
            rows = [(int(row_id), str(value)) for row_id, value in cursor.fetchall()]
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def write_values(
    *, connection: BaseDatabaseWrapper, column: EncryptedColumn, rows: list[tuple[int, str, str]]
) -> None:
    """Store ``(id, stored value, hash)`` rows of ``column``."""
    quote = connection.ops.quote_name
    statement = (
        f"UPDATE {quote(column.table)} SET {quote(column.column)} = %s, "  # noqa: S608  # model registry names  # nosec B608
        f"{quote(column.hash_column)} = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, [(value, hashed, row_id) for row_id, value, hashed in rows])


def encrypt_plaintext_column(
    *, connection: BaseDatabaseWrapper, column: EncryptedColumn, batch_size: int = BATCH_SIZE
) -> int:
    """Encrypt the plaintext values of ``column`` in place and fill its hash column (the data
    migration); values already encrypted are left alone. Returns how many were encrypted."""
    ring = pii_key_ring()
    context = column.label
    count = 0
    for rows in stored_values_in_batches(connection=connection, column=column, batch_size=batch_size):
        updates = [
            (row_id, ring.encrypt(value, context=context), ring.keyed_hash(value, kind=column.kind))
            for row_id, value in rows
            if not is_ciphertext(value)
        ]
        write_values(connection=connection, column=column, rows=updates)
        count += len(updates)
    return count


def decrypt_column_to_plaintext(
    *, connection: BaseDatabaseWrapper, column: EncryptedColumn, batch_size: int = BATCH_SIZE
) -> int:
    """The reverse of :func:`encrypt_plaintext_column` (for migrating back)."""
    ring = pii_key_ring()
    count = 0
    for rows in stored_values_in_batches(connection=connection, column=column, batch_size=batch_size):
        updates = [
            (row_id, ring.decrypt(value, context=column.label), "")
            for row_id, value in rows
            if is_ciphertext(value)
        ]
        write_values(connection=connection, column=column, rows=updates)
        count += len(updates)
    return count


def key_usage(*, connection: BaseDatabaseWrapper) -> dict[str, Counter[str]]:
    """How many values of each encrypted column each key id encrypts (``plaintext`` for values
    not encrypted at all), by column label."""
    usage: dict[str, Counter[str]] = {}
    for column in encrypted_columns():
        counts: Counter[str] = Counter()
        for rows in stored_values_in_batches(
            connection=connection, column=column, batch_size=10 * BATCH_SIZE
        ):
            counts.update(
                key_id_of(value) if is_ciphertext(value) else "plaintext" for _row_id, value in rows
            )
        usage[column.label] = counts
    return usage


__all__ = [
    "BATCH_SIZE",
    "EncryptedColumn",
    "column_context",
    "decrypt_column_to_plaintext",
    "decrypt_value",
    "encrypt_plaintext_column",
    "encrypt_value",
    "encrypted_columns",
    "is_ciphertext",
    "key_usage",
    "pii_hash",
    "pii_key_ring",
    "stored_values_in_batches",
    "write_values",
]
