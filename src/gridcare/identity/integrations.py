"""Integration credentials: API scopes, tokens, signing keys, and the checks of a signed request.

A token is ``<token_id>.<secret>``: the id (``gct_`` and 16 hex digits) finds the
:class:`~gridcare.identity.models.ApiToken` row in one indexed lookup; only a keyed hash of the
secret is stored (HMAC-SHA256 keyed with the server's ``SECRET_KEY``; the secret is 256 random
bits, so a fast hash is enough). Rotating ``SECRET_KEY`` therefore invalidates every token:
rotate the integrations' credentials after it.

State changes (creating, rotating, revoking, auditing a refusal) are in
:mod:`gridcare.identity.operations`; recording a used nonce is replay bookkeeping, not a
business change, and is not audited.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from gridcare.identity.errors import (
    ApiIntegrationInactive,
    ApiNonceReplayed,
    ApiScopeMissing,
    ApiSignatureInvalid,
    ApiSignatureMissing,
    ApiTimestampStale,
    ApiTokenInvalid,
    ApiTokenRevoked,
    IntegrationNotFound,
    IntegrationRevoked,
)
from gridcare.identity.models import ApiNonce, ApiToken, Integration
from gridcare.identity.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_string,
    compute_signature,
    signatures_match,
)


class ApiScope(StrEnum):
    """What an integration may call; each API endpoint names the one scope it needs."""

    ACCOUNTS_READ = "accounts:read"
    METER_READS_READ = "meter_reads:read"
    METER_READS_WRITE = "meter_reads:write"
    AUDIT_VERIFY = "audit:verify"
    BILLING_QUOTE = "billing:quote"  # billing (issue 5)
    PAYMENTS_BANK_COLLECTION = "payments:bank_collection"  # bank real-time collection (issue 6)


TOKEN_ID_PREFIX = "gct_"  # noqa: S105  # a public prefix, not a secret  # nosec B105
_TOKEN_PATTERN = re.compile(r"^(gct_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
_NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TIMESTAMP_PATTERN = re.compile(r"^[0-9]{1,12}$")
_HASH_SALT = "gridcare.identity.integrations.api_token"


@dataclass(frozen=True, kw_only=True)
class IssuedCredentials:
    """What a new or rotated integration receives, shown once: the bearer token and the HMAC
    signing key. Neither can be read back later (the token is stored hashed)."""

    integration: Integration
    token: str
    signing_key: str


@dataclass(frozen=True, kw_only=True)
class NewToken:
    """A generated token: the full text for the client, the row fields for the server."""

    text: str
    token_id: str
    secret_hash: str


def generate_token() -> NewToken:
    """A fresh random token and the hash stored for it."""
    token_id = TOKEN_ID_PREFIX + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewToken(text=f"{token_id}.{secret}", token_id=token_id, secret_hash=hash_token_secret(secret))


def hash_token_secret(secret: str) -> str:
    """The keyed hash (hex HMAC-SHA256) stored for a token secret."""
    return salted_hmac(_HASH_SALT, secret, algorithm="sha256").hexdigest()


def generate_signing_key() -> str:
    """A fresh HMAC signing key: 256 random bits as URL-safe base64 text."""
    return secrets.token_urlsafe(32)


def integration_signing_key(integration: Integration) -> str:
    """The integration's HMAC signing key (stored encrypted; the model field decrypts it). The
    one place that reads it."""
    return str(integration.signing_key)


def find_integration(*, name: str) -> Integration:
    """The integration called ``name`` (any state), or :class:`IntegrationNotFound`."""
    integration: Integration | None = (
        Integration.objects.select_related("org_unit", "service_user").filter(name=name).first()
    )
    if integration is None:
        raise IntegrationNotFound(field="name", name=name)
    return integration


def find_active_integration(*, name: str) -> Integration:
    """The active integration called ``name``; :class:`IntegrationNotFound` or
    :class:`IntegrationRevoked` otherwise (a revoked integration signs nothing)."""
    integration = find_integration(name=name)
    if not integration.is_active:
        revoked_at = integration.revoked_at.isoformat() if integration.revoked_at else ""
        raise IntegrationRevoked(name=name, revoked_at=revoked_at)
    return integration


def signature_window() -> timedelta:
    """How far a request's timestamp may be from the server clock (setting
    ``GRIDCARE_API_SIGNATURE_WINDOW_SECONDS``)."""
    return timedelta(seconds=settings.GRIDCARE_API_SIGNATURE_WINDOW_SECONDS)


def find_usable_token(*, token: str) -> ApiToken:
    """The token row of a bearer ``token`` with its integration, service user and org unit,
    if the token is well formed, known, matches, is not revoked and its integration is active.

    Raises :class:`ApiTokenInvalid`, :class:`ApiTokenRevoked` or :class:`ApiIntegrationInactive`.
    """
    match = _TOKEN_PATTERN.match(token)
    if match is None:
        raise ApiTokenInvalid()
    token_id, secret = match.groups()
    api_token = (
        ApiToken.objects.select_related(
            "integration", "integration__org_unit", "integration__service_user__org_unit"
        )
        .filter(token_id=token_id)
        .first()
    )
    if api_token is None or not constant_time_compare(api_token.secret_hash, hash_token_secret(secret)):
        raise ApiTokenInvalid()
    if api_token.revoked_at is not None:
        raise ApiTokenRevoked(token_id=token_id)
    if not api_token.integration.is_active:
        raise ApiIntegrationInactive(name=api_token.integration.name)
    return api_token


@dataclass(frozen=True, kw_only=True)
class SignedRequest:
    """What the server checks of a request: its method, path, raw query string, body and the
    value of a header by name (``None`` when absent)."""

    method: str
    path: str
    query: str
    body: bytes
    header: Callable[[str], str | None]


@dataclass(frozen=True, kw_only=True)
class CheckedSignature:
    """A request whose signature holds: its nonce, to be remembered once it is let in."""

    nonce: str


def check_signature(*, integration: Integration, request: SignedRequest, now: datetime) -> CheckedSignature:
    """Check the timestamp is within the window of ``now`` and the signature matches (constant
    time); the nonce is checked for replays by :func:`remember_nonce`.

    Raises :class:`ApiSignatureMissing`, :class:`ApiTimestampStale` or :class:`ApiSignatureInvalid`.
    """
    timestamp = _header(request, TIMESTAMP_HEADER, _TIMESTAMP_PATTERN)
    nonce = _header(request, NONCE_HEADER, _NONCE_PATTERN)
    signature = _header(request, SIGNATURE_HEADER, None)
    window = signature_window()
    if abs(now.timestamp() - int(timestamp)) > window.total_seconds():
        raise ApiTimestampStale(timestamp=timestamp, window=int(window.total_seconds()))
    canonical = canonical_string(
        method=request.method,
        path=request.path,
        query=request.query,
        timestamp=timestamp,
        nonce=nonce,
        body=request.body,
    )
    expected = compute_signature(signing_key=integration_signing_key(integration), canonical=canonical)
    if not signatures_match(expected=expected, given=signature):
        raise ApiSignatureInvalid()
    return CheckedSignature(nonce=nonce)


def check_scope(*, integration: Integration, scope: ApiScope) -> None:
    """Refuse (:class:`ApiScopeMissing`) an integration that does not hold ``scope``."""
    if scope.value not in integration.scopes:
        raise ApiScopeMissing(name=integration.name, scope=scope.value)


def remember_nonce(*, integration: Integration, nonce: str, now: datetime) -> None:
    """Record ``nonce`` as used by ``integration``, or raise :class:`ApiNonceReplayed` if it was
    used before; nonces older than twice the window (past any replayable timestamp) are purged."""
    ApiNonce.objects.filter(integration=integration, seen_at__lt=now - 2 * signature_window()).delete()
    try:
        # A savepoint: the unique constraint's failure must not spoil the caller's transaction.
        with transaction.atomic():
            ApiNonce.objects.create(integration=integration, nonce=nonce, seen_at=now)
    except IntegrityError:
        raise ApiNonceReplayed(nonce=nonce) from None


def _header(request: SignedRequest, name: str, pattern: re.Pattern[str] | None) -> str:
    value = request.header(name)
    if not value or len(value) > 128 or (pattern is not None and not pattern.match(value)):
        raise ApiSignatureMissing(header=name)
    return value


__all__ = [
    "TOKEN_ID_PREFIX",
    "ApiScope",
    "CheckedSignature",
    "IssuedCredentials",
    "NewToken",
    "SignedRequest",
    "check_scope",
    "check_signature",
    "find_active_integration",
    "find_integration",
    "find_usable_token",
    "generate_signing_key",
    "generate_token",
    "hash_token_secret",
    "integration_signing_key",
    "remember_nonce",
    "signature_window",
]
