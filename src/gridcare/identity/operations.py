"""State changes of identity: role groups, staff users and portal users."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone, translation
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridcare.audit.operations import record_audit_event
from gridcare.identity import approvals, mfa, pii
from gridcare.identity.access import denials_audited, ensure_changeable, ensure_sees_whole_org_tree
from gridcare.identity.errors import (
    ApiRequestRefused,
    ApprovalByRequester,
    ApprovalCancelledByOther,
    ApprovalChangeEmpty,
    ApprovalJustificationMissing,
    ApprovalNotPending,
    ApprovalReasonMissing,
    ApprovalTargetInvalid,
    BulkUnmaskGrantMissing,
    CurrentPasswordWrong,
    IntegrationKindUnknown,
    IntegrationNameInvalid,
    IntegrationNameTaken,
    IntegrationOrgUnitOutOfScope,
    IntegrationRevoked,
    IntegrationScopeUnknown,
    MfaCodeInvalid,
    MfaEnrolmentNotStarted,
    MfaNotEnrolled,
    MfaThrottled,
    NotLockedOut,
    PasswordRejected,
    UsernameMissing,
    UsernameTaken,
)
from gridcare.identity.integrations import (
    ApiScope,
    IssuedCredentials,
    NewToken,
    generate_signing_key,
    generate_token,
    integration_signing_key,
    signature_window,
)
from gridcare.identity.models import (
    ApiNonce,
    ApiToken,
    ApprovalRequest,
    ApprovalStatus,
    Integration,
    IntegrationKind,
    OneTimeCode,
    PasswordHistory,
    RateLimitHit,
    Role,
    User,
    UserKind,
)
from gridcare.identity.passwords import REMEMBERED_PASSWORDS, password_change_required
from gridcare.identity.permissions import INTEGRATION_USERNAME_PREFIX, Permission
from gridcare.identity.signals import record_username_event
from gridcare.identity.validators import validate_mobile
from gridcare.kit.crypto import PiiKeyRing
from gridcare.kit.errors import GridCareError
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
    must_change_password: bool = True,
) -> User:
    """Create a staff user bound to ``org_unit`` holding ``roles``, and audit it.

    The password must pass the password policy; the user must replace it at first login
    unless ``must_change_password`` is False (the demo logins, which are published)."""
    _check_username_free(username)
    user = User(
        username=username,
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=display_name,
        is_staff=True,
        is_superuser=is_superuser,
        date_joined=now,
        password_changed_at=now,
        must_change_password=must_change_password,
    )
    _check_password(password, user=user)
    user.set_password(password)
    user.full_clean()
    user.save()
    _remember_password(user=user, now=now)
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
        password_changed_at=now,
    )
    _check_password(password, user=user)
    user.set_password(password)
    user.save()
    _remember_password(user=user, now=now)
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


# --- Staff authentication: passwords, MFA and lockouts (issue 3, item 1) ---------------------
# Audit events here never hold a password, a password hash, a TOTP secret or a recovery code.


def _remember_password(*, user: User, now: datetime) -> None:
    """Add ``user``'s current password hash to their history and keep only the remembered ones."""
    PasswordHistory.objects.create(user=user, password=user.password, set_at=now)
    kept = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[:REMEMBERED_PASSWORDS]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(kept)).delete()


@transaction.atomic
def change_password(*, user: User, current_password: str, new_password: str, now: datetime) -> None:
    """``user`` replaces their own password: the current one must be right and the new one pass
    the policy (length, character classes, not one of the last five). Clears a forced change."""
    if not user.check_password(current_password):
        raise CurrentPasswordWrong(field="current_password")
    _check_password(new_password, user=user)
    was_required = password_change_required(user=user, now=now)
    user.set_password(new_password)
    user.password_changed_at = now
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    _remember_password(user=user, now=now)
    record_audit_event(
        actor=user,
        action="change_password",
        target=user,
        occurred_at=now,
        changes={"was_required": was_required},
    )


@transaction.atomic
def reset_password(*, actor: User, user: User, new_password: str, now: datetime) -> None:
    """An administrator gives ``user`` a new password, which the user must replace at their next
    login. The new password passes the same policy as any other."""
    _check_password(new_password, user=user)
    user.set_password(new_password)
    user.password_changed_at = now
    user.must_change_password = True
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    _remember_password(user=user, now=now)
    record_audit_event(actor=actor, action="reset_password", target=user, occurred_at=now, changes={})


@transaction.atomic
def start_mfa_enrolment(*, user: User, now: datetime) -> TOTPDevice:
    """The unconfirmed TOTP device ``user`` is enrolling: the one under way, else a new one with
    a fresh secret (audited). It counts only once confirmed by a first valid code."""
    pending = mfa.pending_totp_device(user)
    if pending is not None:
        return pending
    device = TOTPDevice.objects.create(user=user, name=mfa.TOTP_DEVICE_NAME, confirmed=False)
    record_audit_event(actor=user, action="start_mfa_enrolment", target=user, occurred_at=now, changes={})
    return device


def confirm_mfa_enrolment(*, user: User, token: str, now: datetime) -> tuple[TOTPDevice, list[str]]:
    """Confirm ``user``'s pending TOTP device with a first valid ``token``; it replaces any
    device enrolled before, and a new set of recovery codes is made. Returns the device and the
    recovery codes (shown to the user once; only the device keeps them).

    A wrong code is audited (``verify_mfa_failed``) and refused with :class:`MfaCodeInvalid`."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise MfaEnrolmentNotStarted()
        throttled_for = _throttled_seconds(device)
        accepted = throttled_for is None and device.verify_token(_digits(token))
        if accepted:
            replaced, _deleted = TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _replace_recovery_codes(user)
            record_audit_event(
                actor=user,
                action="enrol_mfa",
                target=user,
                occurred_at=now,
                changes={"replaced_devices": replaced, "recovery_codes": len(codes)},
            )
            return device, codes
        record_audit_event(
            actor=user,
            action="verify_mfa_failed",
            target=user,
            occurred_at=now,
            changes={"stage": "enrolment"},
        )
    raise _refusal(throttled_for)


def verify_mfa(*, user: User, token: str, now: datetime) -> Device:
    """Check a second-factor code of ``user``: six digits are a TOTP code, anything else a
    recovery code (used up by this check). Returns the device that accepted it, for
    ``django_otp.login``; audits ``verify_mfa`` or ``use_mfa_recovery_code``.

    A wrong code is audited (``verify_mfa_failed``) and refused with :class:`MfaCodeInvalid`;
    django-otp throttles each device after failures (:class:`MfaThrottled`)."""
    token = token.strip().replace(" ", "")
    is_totp_code = token.isdigit() and len(token) == mfa.TOTP_DIGITS
    with transaction.atomic():
        device: TOTPDevice | StaticDevice | None
        if is_totp_code:
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        else:
            device = (
                StaticDevice.objects.select_for_update()
                .filter(user=user, name=mfa.RECOVERY_DEVICE_NAME)
                .first()
            )
        if device is None and is_totp_code:
            raise MfaNotEnrolled(username=user.username)
        throttled_for = _throttled_seconds(device) if device is not None else None
        accepted = device is not None and throttled_for is None and device.verify_token(token.lower())
        if accepted and device is not None:
            if isinstance(device, StaticDevice):
                record_audit_event(
                    actor=user,
                    action="use_mfa_recovery_code",
                    target=user,
                    occurred_at=now,
                    changes={"recovery_codes_left": device.token_set.count()},
                )
            else:
                record_audit_event(
                    actor=user, action="verify_mfa", target=user, occurred_at=now, changes={"method": "totp"}
                )
            return device
        record_audit_event(
            actor=user,
            action="verify_mfa_failed",
            target=user,
            occurred_at=now,
            changes={"stage": "login", "method": "totp" if is_totp_code else "recovery_code"},
        )
    raise _refusal(throttled_for)


@transaction.atomic
def regenerate_recovery_codes(*, user: User, now: datetime) -> list[str]:
    """Replace ``user``'s recovery codes with a new set (the old ones stop working); returns the
    new codes to show once. Needs an enrolled TOTP device."""
    if not mfa.has_enrolled_mfa(user):
        raise MfaNotEnrolled(username=user.username)
    codes = _replace_recovery_codes(user)
    record_audit_event(
        actor=user,
        action="regenerate_mfa_recovery_codes",
        target=user,
        occurred_at=now,
        changes={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def reset_mfa(*, actor: User, user: User, now: datetime) -> None:
    """An administrator removes ``user``'s authenticator and recovery codes (a lost phone): the
    user enrols again at their next login if their role needs MFA."""
    totp_devices, _totp = TOTPDevice.objects.filter(user=user).delete()
    static_devices = StaticDevice.objects.filter(user=user)
    recovery_devices = static_devices.count()
    static_devices.delete()
    if not totp_devices and not recovery_devices:
        raise MfaNotEnrolled(username=user.username)
    record_audit_event(
        actor=actor,
        action="reset_mfa",
        target=user,
        occurred_at=now,
        changes={"username": user.username, "removed_devices": totp_devices + recovery_devices},
    )


@transaction.atomic
def enrol_preset_totp_device(*, user: User, actor: User | None, now: datetime) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device with a new secret, without the enrolment page: for
    the demo logins, whose secret ``gridcare demo_logins`` prints."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=mfa.TOTP_DEVICE_NAME, confirmed=True)
    record_audit_event(
        actor=actor, action="enrol_mfa", target=user, occurred_at=now, changes={"method": "preset"}
    )
    return device


@denials_audited
@transaction.atomic
def unlock_user(*, actor: User, username: str, now: datetime) -> int:
    """Clear the failed logins recorded for ``username`` (by django-axes), which lifts a lockout
    of that username; returns how many attempt records were cleared. The actor must see the
    user's org unit (or, for a username no user holds, the whole org tree)."""
    holder = User.objects.filter(username=username).first()
    if holder is None or holder.org_unit is None:
        ensure_sees_whole_org_tree(user=actor, permission=Permission.UNLOCK_USERS, operation="unlock_user")
    else:
        ensure_changeable(
            user=actor, permission=Permission.UNLOCK_USERS, org_unit=holder.org_unit, operation="unlock_user"
        )
    attempts = AccessAttempt.objects.filter(username=username)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    if not failures:
        raise NotLockedOut(subject=username)
    cleared, _deleted = attempts.delete()
    record_username_event(
        actor=actor,
        action="unlock_user",
        username=username,
        occurred_at=now,
        changes={"username": username, "cleared_failures": failures},
    )
    return int(cleared)


@denials_audited
@transaction.atomic
def unlock_ip_address(*, actor: User, ip_address: str, now: datetime) -> int:
    """Clear the failed logins recorded from ``ip_address``, which lifts a lockout of that
    address; returns how many attempt records were cleared. An address belongs to no org
    unit: only an actor who sees the whole org tree may unlock it."""
    ensure_sees_whole_org_tree(user=actor, permission=Permission.UNLOCK_USERS, operation="unlock_ip_address")
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    if not failures:
        raise NotLockedOut(subject=ip_address)
    cleared, _deleted = attempts.delete()
    record_audit_event(
        actor=actor,
        action="unlock_ip_address",
        target=None,
        object_type=AccessAttempt._meta.label_lower,
        occurred_at=now,
        changes={"ip_address": ip_address, "cleared_failures": failures},
    )
    return int(cleared)


def _replace_recovery_codes(user: User) -> list[str]:
    """A new set of single-use recovery codes on the user's recovery device."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=mfa.RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _index in range(mfa.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _digits(token: str) -> str:
    return token.strip().replace(" ", "")


def _throttled_seconds(device: Device) -> int | None:
    """Seconds until django-otp lets ``device`` check a code again; None when it may now."""
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))  # type: ignore[no-any-return]


def _refusal(throttled_for: int | None) -> GridCareError:
    return MfaThrottled(seconds=throttled_for) if throttled_for is not None else MfaCodeInvalid()


# --- integrations (appended by the integrations part of issue 3) --------------------------------


@transaction.atomic
def create_integration(
    *,
    name: str,
    kind: str,
    org_unit: OrgUnit,
    scopes: Sequence[str],
    actor: User | None,
    now: datetime,
) -> IssuedCredentials:
    """Create an integration acting in ``org_unit``'s subtree with ``scopes``, its service user,
    its first API token and its signing key, and audit it (never the secrets). The token and
    the key are returned once. An ``actor`` may create one only in their own org units."""
    _check_integration_name(name)
    if actor is not None and not OrgUnit.objects.visible_to(actor).filter(pk=org_unit.pk).exists():
        raise IntegrationOrgUnitOutOfScope(field="org_unit", code=org_unit.code)
    if kind not in IntegrationKind.values:
        raise IntegrationKindUnknown(field="kind", kind=kind, known=", ".join(IntegrationKind.values))
    checked_scopes = _checked_scopes(scopes)
    service_user = User(
        username=f"{INTEGRATION_USERNAME_PREFIX}{name}",
        kind=UserKind.STAFF,
        org_unit=org_unit,
        first_name=name,
        is_staff=False,
        date_joined=now,
    )
    _check_username_free(service_user.username)
    # The service user never logs in: its requests are authenticated by token and signature.
    service_user.set_unusable_password()
    service_user.save()
    integration = Integration.objects.create(
        name=name,
        kind=kind,
        org_unit=org_unit,
        scopes=checked_scopes,
        service_user=service_user,
        signing_key=generate_signing_key(),
        created_at=now,
    )
    token = _issue_token(integration=integration, now=now)
    record_audit_event(
        actor=actor,
        action="create_integration",
        target=integration,
        occurred_at=now,
        changes={
            "name": name,
            "kind": kind,
            "org_unit": org_unit.code,
            "scopes": checked_scopes,
            "token_id": token.token_id,
            "service_user": service_user.username,
        },
    )
    return IssuedCredentials(
        integration=integration, token=token.text, signing_key=integration_signing_key(integration)
    )


@transaction.atomic
def rotate_integration_credentials(
    *, integration: Integration, actor: User | None, now: datetime
) -> IssuedCredentials:
    """Revoke every token of ``integration``, issue a new token and a new signing key, and
    audit it; the new credentials are returned once. A revoked integration is refused."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    if integration.revoked_at is not None:
        raise IntegrationRevoked(name=integration.name, revoked_at=integration.revoked_at.isoformat())
    revoked_token_ids = _revoke_tokens(integration=integration, now=now)
    integration.signing_key = generate_signing_key()
    integration.save(update_fields=["signing_key", "signing_key_hash"])
    token = _issue_token(integration=integration, now=now)
    record_audit_event(
        actor=actor,
        action="rotate_integration_credentials",
        target=integration,
        occurred_at=now,
        changes={
            "revoked_token_ids": revoked_token_ids,
            "token_id": token.token_id,
            "signing_key": "rotated",
        },
    )
    return IssuedCredentials(
        integration=integration, token=token.text, signing_key=integration_signing_key(integration)
    )


@transaction.atomic
def revoke_integration(*, integration: Integration, actor: User | None, now: datetime) -> Integration:
    """Deactivate ``integration`` for good: revoke its tokens, deactivate its service user, and
    audit it. Revoking a revoked integration is refused."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    if integration.revoked_at is not None:
        raise IntegrationRevoked(name=integration.name, revoked_at=integration.revoked_at.isoformat())
    revoked_token_ids = _revoke_tokens(integration=integration, now=now)
    integration.is_active = False
    integration.revoked_at = now
    integration.save(update_fields=["is_active", "revoked_at"])
    User.objects.filter(pk=integration.service_user_id).update(is_active=False)
    record_audit_event(
        actor=actor,
        action="revoke_integration",
        target=integration,
        occurred_at=now,
        changes={"name": integration.name, "revoked_token_ids": revoked_token_ids},
    )
    return integration


@transaction.atomic
def record_api_request_denial(
    *,
    refusal: ApiRequestRefused,
    integration: Integration | None,
    user: User | None,
    method: str,
    path: str,
    ip_address: str | None,
    now: datetime,
) -> None:
    """Audit a refused API request (``deny_api_request``) with the refusal's code, on the
    integration when the token was recognised; the acting user is the staff user or the
    integration's service user when known."""
    changes = {
        "code": refusal.code,
        "status": refusal.status_code,
        "method": method,
        "path": path[:200],
        "ip_address": ip_address,
    }
    if integration is not None:
        record_audit_event(
            actor=integration.service_user,
            action="deny_api_request",
            target=integration,
            occurred_at=now,
            changes=changes,
        )
    else:
        record_audit_event(
            actor=user,
            action="deny_api_request",
            target=None,
            object_type="api.request",
            org_unit_id=getattr(user, "org_unit_id", None),
            occurred_at=now,
            changes=changes,
        )


#: Service users are named after their integration with this prefix.
_INTEGRATION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _check_integration_name(name: str) -> None:
    if not _INTEGRATION_NAME.match(name):
        raise IntegrationNameInvalid(field="name", name=name)
    if Integration.objects.filter(name=name).exists():
        raise IntegrationNameTaken(field="name", name=name)


def _checked_scopes(scopes: Sequence[str]) -> list[str]:
    known = [scope.value for scope in ApiScope]
    for scope in scopes:
        if scope not in known:
            raise IntegrationScopeUnknown(field="scopes", scope=scope, known=", ".join(known))
    return sorted(set(scopes))


def _issue_token(*, integration: Integration, now: datetime) -> NewToken:
    token = generate_token()
    ApiToken.objects.create(
        integration=integration, token_id=token.token_id, secret_hash=token.secret_hash, created_at=now
    )
    return token


def _revoke_tokens(*, integration: Integration, now: datetime) -> list[str]:
    active = ApiToken.objects.filter(integration=integration, revoked_at__isnull=True)
    token_ids = sorted(active.values_list("token_id", flat=True))
    active.update(revoked_at=now)
    return token_ids


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
            f"SELECT id, {quote(column.hash_column)} FROM {quote(column.table)} "  # noqa: S608  # model registry names  # nosec B608
            f"WHERE id IN ({placeholders})",
            ids,
        )
        return {int(row_id): str(hashed or "") for row_id, hashed in cursor.fetchall()}


# --- access (issue 3): four-eyes approvals (双人复核) --------------------------------------


@denials_audited
@transaction.atomic
def request_approval(
    *,
    kind: str,
    payload: dict[str, Any],
    org_unit: OrgUnit,
    justification: str,
    actor: User,
    now: datetime,
) -> ApprovalRequest:
    """File a pending request of ``kind`` (see :mod:`gridcare.identity.approvals`) about
    ``org_unit``, and audit it. The actor needs the kind's request permission over
    ``org_unit``. Kinds with their own request operation (below) validate ``payload`` there."""
    approval = approvals.approval_kind(kind)
    ensure_changeable(
        user=actor, permission=approval.request_permission, org_unit=org_unit, operation=f"request_{kind}"
    )
    justification = justification.strip()
    if not justification:
        raise ApprovalJustificationMissing(field="justification")
    request = ApprovalRequest.objects.create(
        kind=kind,
        payload=payload,
        org_unit=org_unit,
        requested_by=actor,
        requested_at=now,
        justification=justification[:500],
    )
    record_audit_event(
        actor=actor,
        action="request_approval",
        target=request,
        occurred_at=now,
        changes={"kind": kind, "payload": payload, "justification": request.justification},
    )
    return request


def request_role_change(
    *, user: User, roles: list[Role], justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for ``user`` (a staff user bound to an org unit in the actor's subtree) to hold exactly
    ``roles``; approval applies it. Roles change no other way."""
    if user.kind != UserKind.STAFF or user.org_unit is None:
        raise ApprovalTargetInvalid(
            field="user",
            reason_zh="只能为已绑定单位的内部用户申请角色",
            reason_en="roles are requested for staff users bound to an org unit",
        )
    before = sorted(user.groups.values_list("name", flat=True))
    after = sorted({Role(role).value for role in roles})
    if before == after:
        raise ApprovalChangeEmpty(field="roles")
    payload = {"user_id": user.pk, "username": user.username, "roles_before": before, "roles": after}
    return request_approval(
        kind=approvals.CHANGE_USER_ROLES,
        payload=payload,
        org_unit=user.org_unit,
        justification=justification,
        actor=actor,
        now=now,
    )


def request_org_unit_change(
    *, user: User, org_unit: OrgUnit, justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for staff user ``user`` to be bound to ``org_unit``; approval applies it.

    The request belongs to the lowest unit holding both the old and the new unit (the new one
    for a user bound to none), so its approver covers both; the requester must too."""
    if user.kind != UserKind.STAFF:
        raise ApprovalTargetInvalid(
            field="user",
            reason_zh="门户客户不属于任何单位",
            reason_en="portal customers belong to no org unit",
        )
    if user.org_unit_id == org_unit.pk:
        raise ApprovalChangeEmpty(field="org_unit")
    before = user.org_unit
    payload = {
        "user_id": user.pk,
        "username": user.username,
        "org_unit_before": before.code if before is not None else None,
        "org_unit": org_unit.code,
    }
    return request_approval(
        kind=approvals.CHANGE_USER_ORG_UNIT,
        payload=payload,
        org_unit=org_unit if before is None else common_org_unit(first=before, second=org_unit),
        justification=justification,
        actor=actor,
        now=now,
    )


def request_bulk_unmask(
    *, account_nos: list[str], justification: str, actor: User, now: datetime
) -> ApprovalRequest:
    """Ask for one export of ``account_nos`` with personal data unmasked. The caller checks the
    accounts are visible to the actor (identity sits below customers); the request belongs
    to the actor's org unit."""
    wanted = sorted({number.strip() for number in account_nos if number.strip()})
    if not wanted:
        raise ApprovalTargetInvalid(
            field="account_nos", reason_zh="请至少填写一个户号", reason_en="name at least one account number"
        )
    org_unit = actor.org_unit if actor.org_unit is not None else OrgUnit.objects.filter(parent=None).first()
    if org_unit is None:
        raise ApprovalTargetInvalid(
            field="account_nos", reason_zh="没有所属单位", reason_en="there is no org unit to file it under"
        )
    return request_approval(
        kind=approvals.UNMASK_PII_IN_BULK,
        payload={"account_nos": wanted},
        org_unit=org_unit,
        justification=justification,
        actor=actor,
        now=now,
    )


@denials_audited
@transaction.atomic
def approve_request(*, request: ApprovalRequest, reason: str, actor: User, now: datetime) -> ApprovalRequest:
    """Approve a pending request and, in the same transaction, carry it out (the kind's
    executor audits the change); a grant kind stays ``approved`` until used.

    The approver must not be the requester, must hold the kind's approver permission and must
    cover the request's org unit."""
    request = _pending_locked(request)
    kind = approvals.approval_kind(request.kind)
    _ensure_may_decide(request=request, kind=kind, actor=actor, operation="approve_request")
    request.status = ApprovalStatus.APPROVED
    request.decided_by, request.decided_at, request.reason = actor, now, reason.strip()[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record_audit_event(
        actor=actor,
        action="approve_request",
        target=request,
        occurred_at=now,
        changes={"kind": request.kind, "reason": request.reason, "requested_by": request.requested_by_id},
    )
    kind.execute(request=request, actor=actor, now=now)
    if not kind.grants:
        request.status, request.executed_at = ApprovalStatus.EXECUTED, now
        request.save(update_fields=["status", "executed_at"])
    return request


@denials_audited
@transaction.atomic
def reject_request(*, request: ApprovalRequest, reason: str, actor: User, now: datetime) -> ApprovalRequest:
    """Reject a pending request, saying why; nothing else changes. Who may: as for approval."""
    request = _pending_locked(request)
    kind = approvals.approval_kind(request.kind)
    _ensure_may_decide(request=request, kind=kind, actor=actor, operation="reject_request")
    reason = reason.strip()
    if not reason:
        raise ApprovalReasonMissing(field="reason")
    request.status = ApprovalStatus.REJECTED
    request.decided_by, request.decided_at, request.reason = actor, now, reason[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record_audit_event(
        actor=actor,
        action="reject_request",
        target=request,
        occurred_at=now,
        changes={"kind": request.kind, "reason": request.reason, "requested_by": request.requested_by_id},
    )
    return request


@denials_audited
@transaction.atomic
def cancel_request(*, request: ApprovalRequest, actor: User, now: datetime) -> ApprovalRequest:
    """The requester withdraws a pending request."""
    request = _pending_locked(request)
    if request.requested_by_id != actor.pk:
        raise ApprovalCancelledByOther(
            actor=actor,
            operation="cancel_request",
            permission=approvals.approval_kind(request.kind).request_permission,
        )
    request.status, request.decided_at = ApprovalStatus.CANCELLED, now
    request.save(update_fields=["status", "decided_at"])
    record_audit_event(
        actor=actor, action="cancel_request", target=request, occurred_at=now, changes={"kind": request.kind}
    )
    return request


@denials_audited
@transaction.atomic
def use_bulk_unmask_grant(*, grant: ApprovalRequest, actor: User, now: datetime) -> ApprovalRequest:
    """Spend an approved bulk-unmask grant (found with
    :func:`~gridcare.identity.approvals.has_bulk_unmask_grant`) on one export by its requester,
    in the export's transaction; a used or foreign grant is refused."""
    locked: ApprovalRequest = ApprovalRequest.objects.select_for_update().get(pk=grant.pk)
    if (
        locked.kind != approvals.UNMASK_PII_IN_BULK
        or locked.status != ApprovalStatus.APPROVED
        or locked.requested_by_id != actor.pk
    ):
        raise BulkUnmaskGrantMissing(
            actor=actor, operation="use_bulk_unmask_grant", permission=Permission.UNMASK_PII_IN_BULK
        )
    locked.status, locked.executed_at = ApprovalStatus.EXECUTED, now
    locked.save(update_fields=["status", "executed_at"])
    record_audit_event(
        actor=actor,
        action="use_bulk_unmask_grant",
        target=locked,
        occurred_at=now,
        changes={"account_count": len(locked.payload["account_nos"])},
    )
    return locked


def common_org_unit(*, first: OrgUnit, second: OrgUnit) -> OrgUnit:
    """The lowest org unit whose subtree holds both units (their materialized paths' longest
    common prefix of whole codes); units of two different trees have none."""
    first_codes, second_codes = first.path.strip("/").split("/"), second.path.strip("/").split("/")
    shared: list[str] = []
    for first_code, second_code in zip(first_codes, second_codes, strict=False):
        if first_code != second_code:
            break
        shared.append(first_code)
    if not shared:
        raise ApprovalTargetInvalid(
            field="org_unit",
            reason_zh="两个单位不属于同一省公司",
            reason_en="the two org units belong to different provincial companies",
        )
    return OrgUnit.objects.get(code=shared[-1])


def _pending_locked(request: ApprovalRequest) -> ApprovalRequest:
    locked: ApprovalRequest = (
        ApprovalRequest.objects.select_for_update().select_related("org_unit").get(pk=request.pk)
    )
    if locked.status != ApprovalStatus.PENDING:
        raise ApprovalNotPending(request_id=locked.pk, status=locked.get_status_display())
    return locked


def _ensure_may_decide(
    *, request: ApprovalRequest, kind: approvals.ApprovalKind, actor: User, operation: str
) -> None:
    if request.requested_by_id == actor.pk:
        raise ApprovalByRequester(actor=actor, operation=operation, permission=kind.approve_permission)
    ensure_changeable(
        user=actor, permission=kind.approve_permission, org_unit=request.org_unit, operation=operation
    )


# --- jobs (issue 4): housekeeping run by the scheduler ------------------------------------------

#: Rate-limit hits are kept this long: longer than the longest window of any limit (one hour).
RATE_LIMIT_HIT_RETENTION = timedelta(days=1)


@transaction.atomic
def purge_expired_identity_records(*, now: datetime) -> dict[str, int]:
    """Delete one-time codes past their expiry, rate-limit hits older than
    :data:`RATE_LIMIT_HIT_RETENTION` and API nonces older than twice the signature window (none
    of them can matter any more), audited with the number of rows of each kind deleted."""
    deleted = {
        "one_time_codes": OneTimeCode.objects.filter(expires_at__lt=now).delete()[0],
        "rate_limit_hits": RateLimitHit.objects.filter(
            occurred_at__lt=now - RATE_LIMIT_HIT_RETENTION
        ).delete()[0],
        "api_nonces": ApiNonce.objects.filter(seen_at__lt=now - 2 * signature_window()).delete()[0],
    }
    record_audit_event(
        actor=None,
        action="purge_expired_identity_records",
        target=None,
        object_type="identity.housekeeping",
        occurred_at=now,
        changes=deleted,
    )
    return deleted
