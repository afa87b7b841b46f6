"""Signed manifests of exchanged files: written beside every export for an integration, checked
before any row of an incoming file is read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from exchange_world import World, csv_bytes, id_number

from gridcare.customers.models import Customer
from gridcare.exchange.errors import ManifestFileMismatch, ManifestSignatureInvalid
from gridcare.exchange.manifests import check_manifest, manifest_path
from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.integrations import ApiScope, IssuedCredentials
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration, revoke_integration

CUSTOMERS = [
    ["customer_no", "kind", "name", "id_number", "org_unit"],
    ["C800", "person", "林青", id_number(80), "37010201"],
]


@pytest.fixture
def bank(world: World) -> IssuedCredentials:
    return create_integration(
        name="bank-icbc",
        kind=IntegrationKind.BANK,
        org_unit=world.county,
        scopes=[ApiScope.ACCOUNTS_READ],
        actor=None,
        now=timezone.now(),
    )


def signed_by_hand(fields: dict[str, object], key: str) -> str:
    """The manifest signature computed as docs/api.md tells an outside system to."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(hmac.new(key.encode(), canonical, hashlib.sha256).digest()).decode()


def test_an_export_for_an_integration_writes_a_signed_manifest(world: World, bank, tmp_path: Path):
    path = tmp_path / "customers.csv"
    out = io.StringIO()

    call_command("export", "customers", str(path), "--integration", "bank-icbc", stdout=out)

    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    content = path.read_bytes()
    assert manifest["file_name"] == "customers.csv"
    assert manifest["size"] == len(content)
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["integration"] == "bank-icbc"
    assert manifest["rows"] == ExchangeBatch.objects.get().rows_exported == 3
    assert manifest["version"] == 1
    fields = {name: value for name, value in manifest.items() if name != "signature"}
    assert manifest["signature"] == signed_by_hand(fields, bank.signing_key)
    assert out.getvalue().splitlines()[-1] == f"Manifest signed by bank-icbc: {manifest_path(path)}."


def _incoming(tmp_path: Path, bank: IssuedCredentials) -> tuple[Path, Path]:
    """A customers file from the bank with the manifest the bank signed."""
    path = tmp_path / "customers.csv"
    content = csv_bytes(CUSTOMERS)
    path.write_bytes(content)
    fields = {
        "version": 1,
        "file_name": path.name,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "created_at": "2025-03-15T04:00:00+00:00",
        "integration": "bank-icbc",
        "rows": 1,
    }
    manifest = tmp_path / "customers.csv.manifest.json"
    manifest.write_text(json.dumps({**fields, "signature": signed_by_hand(fields, bank.signing_key)}))
    return path, manifest


def test_an_import_with_a_valid_manifest_imports(world: World, bank, tmp_path: Path):
    path, manifest = _incoming(tmp_path, bank)

    call_command("import", "customers", str(path), "--manifest", str(manifest), stdout=io.StringIO())

    assert Customer.objects.filter(customer_no="C800").count() == 1


def test_an_altered_file_is_rejected_before_any_row_is_read(world: World, bank, tmp_path: Path):
    path, manifest = _incoming(tmp_path, bank)
    path.write_bytes(path.read_bytes().replace("林青".encode(), "林清".encode()))
    customers_before = Customer.objects.count()

    with pytest.raises(CommandError, match=r"does not match its manifest \(its SHA-256 differs\)"):
        call_command("import", "customers", str(path), "--manifest", str(manifest), stdout=io.StringIO())

    assert Customer.objects.count() == customers_before
    assert not ExchangeBatch.objects.exists()


def test_a_truncated_file_is_rejected(world: World, bank, tmp_path: Path):
    path, manifest = _incoming(tmp_path, bank)
    content = path.read_bytes()
    path.write_bytes(content[:-3])

    with pytest.raises(ManifestFileMismatch) as refused, path.open("rb") as stream:
        check_manifest(stream=stream, file_name=path.name, manifest=manifest.read_bytes(), manifest_name="m")

    assert refused.value.message("en") == (
        f"The file customers.csv does not match its manifest ({len(content) - 3} bytes, the manifest says "
        f"{len(content)}): it may have been altered or truncated. Nothing was imported"
    )


def test_a_manifest_changed_to_fit_an_altered_file_fails_its_signature(world: World, bank, tmp_path: Path):
    path, manifest_file = _incoming(tmp_path, bank)
    altered = path.read_bytes().replace("林青".encode(), "林清".encode())
    path.write_bytes(altered)
    manifest = json.loads(manifest_file.read_text())
    manifest["sha256"] = hashlib.sha256(altered).hexdigest()

    with pytest.raises(ManifestSignatureInvalid), path.open("rb") as stream:
        check_manifest(
            stream=stream, file_name=path.name, manifest=json.dumps(manifest).encode(), manifest_name="m"
        )


def test_a_manifest_of_a_revoked_integration_or_malformed_is_rejected(world: World, bank, tmp_path: Path):
    path, manifest = _incoming(tmp_path, bank)
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1}')

    with pytest.raises(CommandError, match=r"The manifest broken\.json cannot be read or is malformed"):
        call_command("import", "customers", str(path), "--manifest", str(broken), stdout=io.StringIO())
    revoke_integration(integration=bank.integration, actor=None, now=timezone.now())
    with pytest.raises(
        CommandError, match="The manifest's integration bank-icbc does not exist or is not active"
    ):
        call_command("import", "customers", str(path), "--manifest", str(manifest), stdout=io.StringIO())
    assert not Customer.objects.filter(customer_no="C800").exists()
