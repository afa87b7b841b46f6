"""HMAC request signing of the GridCare API: the canonical string, the signature, and a client
helper that signs a request. Standard library only, so an integration can copy this module.

A signed request carries four headers (see docs/api.md):

- ``Authorization: Bearer <token>``
- ``X-GridCare-Timestamp``: unix seconds when it was signed
- ``X-GridCare-Nonce``: 16–64 random characters ``[A-Za-z0-9_-]``, never reused
- ``X-GridCare-Signature``: base64 of HMAC-SHA256(signing key, canonical string)

The canonical string is six lines joined by ``\\n`` (no trailing newline)::

    METHOD                   upper case, e.g. POST
    /api/v1/meter-reads      the path, percent-decoded, then encoded as by canonical_path
    a=1&b=x%20y              the query pairs sorted by name then value, RFC 3986-encoded
    1741570200               the timestamp header
    3q2-7w...                the nonce header
    e3b0c442...              hex SHA-256 of the body bytes (of b"" when there is no body)

The HMAC key is the UTF-8 bytes of the integration's signing key text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

AUTHORIZATION_HEADER = "Authorization"
TIMESTAMP_HEADER = "X-GridCare-Timestamp"
NONCE_HEADER = "X-GridCare-Nonce"
SIGNATURE_HEADER = "X-GridCare-Signature"
BEARER_PREFIX = "Bearer "

#: The characters a path keeps unescaped (those Django's ``escape_uri_path`` keeps).
_PATH_SAFE = "/:@&+$,-_.!~*'()"


def canonical_path(path: str) -> str:
    """A percent-decoded ``path`` (as Django's ``request.path``) percent-encoded one way."""
    return quote(path, safe=_PATH_SAFE)


def canonical_query(query: str) -> str:
    """The query string's pairs sorted by name then value, each RFC 3986-encoded (``%20`` for
    a space); blank values are kept."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return urlencode(pairs, quote_via=quote)


def body_digest(body: bytes) -> str:
    """The hex SHA-256 of the request body."""
    return hashlib.sha256(body).hexdigest()


def canonical_string(*, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The text a request's signature is computed over (see the module docstring): ``path`` is
    percent-decoded, ``query`` is the raw query string as sent."""
    return "\n".join(
        [method.upper(), canonical_path(path), canonical_query(query), timestamp, nonce, body_digest(body)]
    )


def compute_signature(*, signing_key: str, canonical: str) -> str:
    """Base64 of HMAC-SHA256 over ``canonical`` keyed with ``signing_key``."""
    digest = hmac.new(signing_key.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signatures_match(*, expected: str, given: str) -> bool:
    """Compare two signatures in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode())


def new_nonce() -> str:
    """A fresh random nonce (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes = b"",
    token: str,
    signing_key: str,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that authenticate and sign a request to ``url`` (a path with an optional
    query, or a full URL) carrying ``body``: send them with exactly that method, URL and body.

    ``timestamp`` defaults to now and ``nonce`` to a fresh random one.
    """
    parts = urlsplit(url)
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = new_nonce() if nonce is None else nonce
    canonical = canonical_string(
        method=method,
        path=unquote(parts.path),
        query=parts.query,
        timestamp=timestamp_text,
        nonce=nonce,
        body=body,
    )
    return {
        AUTHORIZATION_HEADER: f"{BEARER_PREFIX}{token}",
        TIMESTAMP_HEADER: timestamp_text,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: compute_signature(signing_key=signing_key, canonical=canonical),
    }


__all__ = [
    "AUTHORIZATION_HEADER",
    "BEARER_PREFIX",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "body_digest",
    "canonical_path",
    "canonical_query",
    "canonical_string",
    "compute_signature",
    "new_nonce",
    "sign_request",
    "signatures_match",
]
