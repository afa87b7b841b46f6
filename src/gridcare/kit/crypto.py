"""Encryption of personal data at rest (AES-256-GCM) and keyed hashes for exact-match search.

A :class:`PiiKeyRing` holds named data keys, the first of which is active, and one separate
HMAC-SHA256 key. Ciphertext is self-describing text that fits any text column::

    gc1$<key id>$<base64url(96-bit nonce || ciphertext || 128-bit tag)>

``gc1`` is the format version. The associated data binds the ciphertext to the format
version, the key id and a *context* naming where the value lives (``table.column``), so a
value copied into another column, or relabelled with another key id, fails to decrypt.

Keyed hashes (:meth:`PiiKeyRing.keyed_hash`) let the database find a row by the exact value of
an encrypted column without holding the value: HMAC-SHA256 over a *kind* (``id_number``,
``mobile``...) and the normalized value. The hash key cannot be rotated without re-hashing
every row (see docs/adr/0004-pii-encryption.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: The ciphertext format version, the first field of every ciphertext.
FORMAT_VERSION = "gc1"
SEPARATOR = "$"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
#: The key file line that holds the hash key rather than a data key.
HASH_KEY_ID = "hash"
_KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class PiiKeyError(ValueError):
    """A key definition is malformed (bad id, bad base64, wrong length, duplicate id)."""


class PiiDecryptionError(ValueError):
    """A ciphertext cannot be decrypted: malformed, an unknown key id, tampered with, or
    stored under another context (moved to another column)."""


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One ``id:base64key`` definition."""

    key_id: str
    key: bytes


def parse_key_lines(text: str) -> list[KeyLine]:
    """The ``id:base64key`` definitions in ``text``, separated by commas or new lines, in
    order; blank lines and ``#`` comments are skipped. Every key must be 32 bytes."""
    lines: list[KeyLine] = []
    seen: set[str] = set()
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, found, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not found or not _KEY_ID_PATTERN.match(key_id):
            raise PiiKeyError(f"A key must be written id:base64key with a short id, not {key_id!r}.")
        if key_id in seen:
            raise PiiKeyError(f"The key id {key_id!r} is defined twice.")
        seen.add(key_id)
        lines.append(KeyLine(key_id=key_id, key=decode_key(encoded.strip(), key_id=key_id)))
    return lines


def decode_key(encoded: str, *, key_id: str) -> bytes:
    """A 32-byte key from its base64 text (standard or URL-safe alphabet)."""
    try:
        key = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as error:
        raise PiiKeyError(f"The key {key_id!r} is not valid base64.") from error
    if len(key) != KEY_BYTES:
        raise PiiKeyError(f"The key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_BYTES}.")
    return key


def generate_key_text() -> str:
    """A fresh random 32-byte key as base64 text, for a key file or environment variable."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def normalize_for_hash(value: str) -> str:
    """The form a value is hashed in: surrounding blanks removed and letters upper-cased, so
    ``11010119900307123x`` and ``11010119900307123X `` hash alike."""
    return value.strip().upper()


class PiiKeyRing:
    """Named AES-256-GCM data keys (the first is active: it encrypts) and one HMAC key."""

    def __init__(self, *, keys: Iterable[KeyLine], hash_key: bytes) -> None:
        ordered = list(keys)
        if not ordered:
            raise PiiKeyError("The key ring needs at least one data key.")
        if len(hash_key) != KEY_BYTES:
            raise PiiKeyError(f"The hash key has {len(hash_key)} bytes; it needs {KEY_BYTES}.")
        if any(line.key == hash_key for line in ordered):
            raise PiiKeyError("The hash key must differ from every data key.")
        self.active_key_id = ordered[0].key_id
        self._ciphers: Mapping[str, AESGCM] = {line.key_id: AESGCM(line.key) for line in ordered}
        self._hash_key = hash_key

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id in the ring, the active one first."""
        return tuple(self._ciphers)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """``plaintext`` encrypted with the active key under ``context`` (e.g. ``table.column``)."""
        key_id = self.active_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(key_id=key_id, context=context)
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return SEPARATOR.join((FORMAT_VERSION, key_id, payload))

    def decrypt(self, ciphertext: str, *, context: str) -> str:
        """The plaintext of ``ciphertext``, decrypted with whichever ring key it names;
        :class:`PiiDecryptionError` when it is malformed, names an unknown key, was tampered
        with or belongs to another context."""
        key_id, payload = _split(ciphertext)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PiiDecryptionError(
                f"The value in {context} is encrypted with key {key_id!r}, which is not in the key ring."
            )
        nonce, sealed = payload[:NONCE_BYTES], payload[NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated_data(key_id=key_id, context=context))
        except InvalidTag:
            raise PiiDecryptionError(
                f"The value in {context} fails authentication: it was altered, or belongs to another column."
            ) from None
        return plaintext.decode("utf-8")

    def needs_reencryption(self, ciphertext: str) -> bool:
        """Whether ``ciphertext`` is under a key other than the active one."""
        return key_id_of(ciphertext) != self.active_key_id

    def keyed_hash(self, value: str, *, kind: str) -> str:
        """HMAC-SHA256 (hex) of the normalized ``value``, separated per ``kind`` of value, so
        equal values of one kind hash alike in every table."""
        message = f"{kind}\x00{normalize_for_hash(value)}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()


def is_ciphertext(value: str) -> bool:
    """Whether ``value`` has the ciphertext format (not whether it decrypts)."""
    return value.startswith(FORMAT_VERSION + SEPARATOR)


def key_id_of(ciphertext: str) -> str:
    """The key id a ciphertext names."""
    return _split(ciphertext)[0]


def _split(ciphertext: str) -> tuple[str, bytes]:
    version, _, rest = ciphertext.partition(SEPARATOR)
    key_id, _, encoded = rest.partition(SEPARATOR)
    if version != FORMAT_VERSION or not key_id or not encoded:
        raise PiiDecryptionError(f"Not a {FORMAT_VERSION} ciphertext.")
    try:
        payload = base64.b64decode(encoded.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise PiiDecryptionError("The ciphertext is not valid base64.") from error
    if len(payload) < NONCE_BYTES + TAG_BYTES:
        raise PiiDecryptionError("The ciphertext is too short.")
    return key_id, payload


def _associated_data(*, key_id: str, context: str) -> bytes:
    return f"{FORMAT_VERSION}|{key_id}|{context}".encode()
