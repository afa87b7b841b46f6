"""Signed file manifests: the integrity check of files exchanged with banks, AMI and others.

Every outgoing file is accompanied by ``<file>.manifest.json``::

    {"version": 1, "file_name": "reads.csv", "size": 1234, "sha256": "<hex>",
     "created_at": "2025-03-10T01:30:00+00:00", "integration": "bank-icbc", "rows": 12,
     "signature": "<base64>"}

``signature`` is base64 HMAC-SHA256, keyed with the integration's signing key (UTF-8), over the
other fields serialized as JSON with sorted keys, ``(",", ":")`` separators and
``ensure_ascii=False`` (UTF-8). An incoming file with a manifest is checked before any row is
read: the manifest must be well formed, name an active integration, carry its valid signature,
and give the file's exact size and SHA-256; otherwise the file is rejected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from gridcare.exchange.errors import (
    ManifestFileMismatch,
    ManifestIntegrationInvalid,
    ManifestSignatureInvalid,
    ManifestUnreadable,
)
from gridcare.identity.integrations import integration_signing_key
from gridcare.identity.models import Integration

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_VERSION = 1
#: The manifest's fields and their JSON types, the signature aside.
MANIFEST_FIELDS: dict[str, tuple[type, ...]] = {
    "version": (int,),
    "file_name": (str,),
    "size": (int,),
    "sha256": (str,),
    "created_at": (str,),
    "integration": (str,),
    "rows": (int, type(None)),
}
_READ_BLOCK = 1 << 20
#: A manifest is a few hundred bytes; more is not read.
MAX_MANIFEST_BYTES = 64 * 1024


def file_digest(stream: IO[bytes]) -> tuple[int, str]:
    """The size and hex SHA-256 of the rest of ``stream``, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    while block := stream.read(_READ_BLOCK):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


def manifest_signature(*, fields: Mapping[str, Any], signing_key: str) -> str:
    """Base64 HMAC-SHA256 over the canonical JSON of ``fields`` (see the module docstring)."""
    canonical = json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(signing_key.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def build_manifest(
    *, stream: IO[bytes], file_name: str, integration: Integration, rows: int | None, created_at: datetime
) -> dict[str, Any]:
    """The signed manifest of the file read from ``stream``."""
    size, sha256 = file_digest(stream)
    fields: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "file_name": file_name,
        "size": size,
        "sha256": sha256,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="seconds"),
        "integration": integration.name,
        "rows": rows,
    }
    signature = manifest_signature(fields=fields, signing_key=integration_signing_key(integration))
    return {**fields, "signature": signature}


def manifest_path(path: Path) -> Path:
    """Where the manifest of the file at ``path`` goes: beside it, ``<name>.manifest.json``."""
    return path.with_name(path.name + MANIFEST_SUFFIX)


def write_manifest(*, path: Path, integration: Integration, rows: int | None, created_at: datetime) -> Path:
    """Write the signed manifest of the file at ``path`` beside it; returns the manifest's path."""
    with path.open("rb") as stream:
        manifest = build_manifest(
            stream=stream, file_name=path.name, integration=integration, rows=rows, created_at=created_at
        )
    target = manifest_path(path)
    target.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target


def check_manifest(
    *, stream: IO[bytes], file_name: str, manifest: bytes, manifest_name: str
) -> dict[str, Any]:
    """Check the file read from ``stream`` (rewound afterwards) against its ``manifest`` bytes;
    return the manifest. Raises :class:`ManifestUnreadable`, :class:`ManifestIntegrationInvalid`,
    :class:`ManifestSignatureInvalid` or :class:`ManifestFileMismatch`."""
    fields, signature = _parse(manifest, manifest_name=manifest_name)
    integration = Integration.objects.filter(name=fields["integration"], is_active=True).first()
    if integration is None:
        raise ManifestIntegrationInvalid(name=fields["integration"])
    expected = manifest_signature(fields=fields, signing_key=integration_signing_key(integration))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise ManifestSignatureInvalid(name=integration.name)
    start = stream.tell()
    size, sha256 = file_digest(stream)
    stream.seek(start)
    if size != fields["size"]:
        raise ManifestFileMismatch(
            file_name=file_name,
            what_zh=f"大小 {size} 字节，清单为 {fields['size']} 字节",
            what_en=f"{size} bytes, the manifest says {fields['size']}",
        )
    if not hmac.compare_digest(sha256, fields["sha256"]):
        raise ManifestFileMismatch(
            file_name=file_name,
            what_zh="SHA-256 摘要不同",
            what_en="its SHA-256 differs",
        )
    return {**fields, "signature": signature}


def _parse(manifest: bytes, *, manifest_name: str) -> tuple[dict[str, Any], str]:
    """The signed fields and the signature of a manifest, or :class:`ManifestUnreadable`."""
    try:
        data = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ManifestUnreadable(file_name=manifest_name, reason=str(error)) from None
    if not isinstance(data, dict):
        raise ManifestUnreadable(file_name=manifest_name, reason="not a JSON object")
    signature = data.get("signature")
    if not isinstance(signature, str):
        raise ManifestUnreadable(file_name=manifest_name, reason="no signature")
    fields = {name: value for name, value in data.items() if name != "signature"}
    if set(fields) != set(MANIFEST_FIELDS):
        expected = ", ".join(sorted(MANIFEST_FIELDS))
        raise ManifestUnreadable(file_name=manifest_name, reason=f"the fields must be {expected}, signature")
    for name, types in MANIFEST_FIELDS.items():
        # bool is an int in Python but not a count in a manifest.
        if not isinstance(fields[name], types) or isinstance(fields[name], bool):
            raise ManifestUnreadable(file_name=manifest_name, reason=f"{name} has the wrong type")
    if fields["version"] != MANIFEST_VERSION:
        raise ManifestUnreadable(file_name=manifest_name, reason=f"unknown version {fields['version']}")
    return fields, signature
