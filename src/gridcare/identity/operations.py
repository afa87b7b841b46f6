"""State changes of identity: role groups, staff users and portal users."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import (
    ApiRequestRefused,
    IntegrationKindUnknown,
    IntegrationNameInvalid,
    IntegrationNameTaken,
    IntegrationOrgUnitOutOfScope,
    IntegrationRevoked,
    IntegrationScopeUnknown,
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
)
from gridcare.identity.models import ApiToken, Integration, IntegrationKind, Role, User, UserKind
from gridcare.identity.validators import validate_mobile
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
        username=f"{SERVICE_USERNAME_PREFIX}{name}",
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
    integration.save(update_fields=["signing_key"])
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
SERVICE_USERNAME_PREFIX = "integration."
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
