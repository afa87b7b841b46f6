"""The upload page checks an uploaded manifest before any row is read."""

from __future__ import annotations

import io
import json

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from exchange_world import World, csv_bytes

from gridcare.exchange.manifests import build_manifest
from gridcare.exchange.models import ExchangeBatch
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import IntegrationKind
from gridcare.identity.operations import create_integration
from gridcare.metering.models import MeterRead

READS = [
    ["asset_no", "read_at", "source", "import_active_total"],
    ["M0001", "2025-02-01T00:00:00", "ami", "100"],
]


def _post(client: Client, *, content: bytes, manifest: dict[str, object]):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(
        reverse("exchange:upload"),
        {
            "kind": "reads",
            "file": SimpleUploadedFile("reads.csv", content),
            "manifest": SimpleUploadedFile("reads.csv.manifest.json", json.dumps(manifest).encode()),
        },
    )


def _signed_manifest(world: World, content: bytes) -> dict[str, object]:
    ami = create_integration(
        name="ami-county",
        kind=IntegrationKind.AMI,
        org_unit=world.county,
        scopes=[ApiScope.METER_READS_WRITE],
        actor=None,
        now=timezone.now(),
    )
    return build_manifest(
        stream=io.BytesIO(content), file_name="reads.csv", integration=ami.integration, rows=1,
        created_at=timezone.now(),
    )  # fmt: skip


def test_a_file_matching_its_manifest_is_imported(world: World, clerk_client: Client) -> None:
    content = csv_bytes(READS)

    response = _post(clerk_client, content=content, manifest=_signed_manifest(world, content))

    assert response.status_code == 200
    assert ExchangeBatch.objects.get().rows_imported == 1


def test_an_altered_file_is_refused_on_the_manifest_field(world: World, clerk_client: Client) -> None:
    content = csv_bytes(READS)
    manifest = _signed_manifest(world, content)
    reads_before = MeterRead.objects.count()

    response = _post(clerk_client, content=content.replace(b"100", b"900"), manifest=manifest)

    assert response.status_code == 200
    assert response.context["form"].errors["manifest"] == [
        "The file reads.csv does not match its manifest (its SHA-256 differs): it may have been altered "
        "or truncated. Nothing was imported"
    ]
    assert MeterRead.objects.count() == reads_before
    assert not ExchangeBatch.objects.exists()
