"""State changes of identity: role groups, staff users and portal users."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation

from gridcare.audit.operations import record_audit_event
from gridcare.identity import pii
from gridcare.identity.errors import PasswordRejected, UsernameMissing, UsernameTaken
from gridcare.identity.models import Role, User, UserKind
from gridcare.identity.validators import validate_mobile
from gridcare.kit.crypto import PiiKeyRing
from gridcare.organization.models import OrgUnit


def ensure_role_groups() -> list[Group]:
    """Create the auth group of every :class:`Role` that does not exist yet; return all of them."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    password: str,
    org_unit: OrgUnit,
    roles: list[Role],
    display_name: str,
    actor: User | None,
    now: datetime,
    is_superuser: bool = False,
) -> User:
    """Create a staff user bound to ``org_unit`` holding ``roles``, and audit it."""
    _check_username_free(username)
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=display_name,
        is_staff=True,
        is_superuser=is_superuser,
        date_joined=now,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in roles]
    user.groups.set(groups)
    record_audit_event(
        actor=actor,
        action="create_staff_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "org_unit": org_unit.code, "roles": [role.value for role in roles]},
    )
    return user


@transaction.atomic
def create_portal_user(
    *, username: str, password: str, mobile: str, actor: User | None, now: datetime
) -> User:
    """Create a customer's 网上营业厅 login: no org unit, not staff, and audit it.

    The password must pass the project's password validators. Link the user to a customer
    with :func:`gridcare.customers.operations.link_portal_user`.
    """
    _check_username_free(username)
    normalized_mobile = validate_mobile(mobile)
    user = User(
        username=username,
        kind=UserKind.PORTAL,
        org_unit=None,
        mobile=normalized_mobile,
        is_staff=False,
        date_joined=now,
    )
    _check_password(password, user=user)
    user.set_password(password)
    user.save()
    record_audit_event(
        actor=actor,
        action="create_portal_user",
        target=user,
        occurred_at=now,
        changes={"username": username, "mobile": normalized_mobile},
    )
    return user


def _check_username_free(username: str) -> None:
    if not username.strip():
        raise UsernameMissing(field="username")
    if User.objects.filter(username=username).exists():
        raise UsernameTaken(field="username", username=username)


def _check_password(password: str, *, user: User) -> None:
    """Run Django's password validators; report their reasons in both languages."""
    reasons: dict[str, str] = {}
    # Each reason is a full sentence ending in 。 or a full stop.
    for language, separator in (("zh-hans", ""), ("en", " ")):
        # The validators translate while raising, so run them once per language.
        with translation.override(language):
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                reasons[language] = separator.join(error.messages)
    if reasons:
        raise PasswordRejected(field="password", reasons_zh=reasons["zh-hans"], reasons_en=reasons["en"])


# --- Personal data key rotation (issue 3 item 5; ADR 0004) ---------------------------------


def rotate_pii_key(
    *, actor: User | None, now: datetime, rehash: bool = False, batch_size: int = pii.BATCH_SIZE
) -> dict[str, int]:
    """Re-encrypt every personal value that is not under the active key, and with ``rehash``
    recompute every keyed hash (after the hash key changed); return the rows rewritten per
    column (``table.column``) and audit the counts as ``rotate_pii_key``.

    Each batch commits on its own, so an interrupted run loses nothing and a rerun resumes:
    values already under the active key (and, with ``rehash``, already hashed with the current
    hash key) are skipped, and a run with nothing left to do changes nothing.
    """
    ring = pii.pii_key_ring()
    connection = connections[DEFAULT_DB_ALIAS]
    rewritten: dict[str, int] = {}
    for column in pii.encrypted_columns():
        count = 0
        for rows in pii.stored_values_in_batches(connection=connection, column=column, batch_size=batch_size):
            updates = _rotated_rows(ring=ring, column=column, rows=rows, connection=connection, rehash=rehash)
            with transaction.atomic():
                pii.write_values(connection=connection, column=column, rows=updates)
            count += len(updates)
        rewritten[column.label] = count
    with transaction.atomic():
        record_audit_event(
            actor=actor,
            action="rotate_pii_key",
            target=None,
            object_type="identity.pii_key",
            object_id=ring.active_key_id,
            occurred_at=now,
            changes={"active_key_id": ring.active_key_id, "rehash": rehash, "rows_rewritten": rewritten},
        )
    return rewritten


def _rotated_rows(
    *,
    ring: PiiKeyRing,
    column: pii.EncryptedColumn,
    rows: list[tuple[int, str]],
    connection: BaseDatabaseWrapper,
    rehash: bool,
) -> list[tuple[int, str, str]]:
    """``(id, ciphertext, hash)`` for the rows of a batch that need rewriting."""
    current_hashes = _stored_hashes(connection=connection, column=column, ids=[row_id for row_id, _ in rows])
    updates = []
    for row_id, stored in rows:
        plaintext = ring.decrypt(stored, context=column.label)
        hashed = ring.keyed_hash(plaintext, kind=column.kind)
        stale_key = ring.needs_reencryption(stored)
        if stale_key or (rehash and current_hashes.get(row_id) != hashed):
            ciphertext = ring.encrypt(plaintext, context=column.label) if stale_key else stored
            updates.append((row_id, ciphertext, hashed))
    return updates


def _stored_hashes(
    *, connection: BaseDatabaseWrapper, column: pii.EncryptedColumn, ids: list[int]
) -> dict[int, str]:
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote(column.hash_column)} FROM {quote(column.table)} "  # noqa: S608  # nosec B608: model registry names
            f"WHERE id IN ({placeholders})",
            ids,
        )
        return {int(row_id): str(hashed or "") for row_id, hashed in cursor.fetchall()}
