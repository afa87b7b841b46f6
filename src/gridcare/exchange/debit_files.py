"""Direct-debit files on disk (docs/bank-channels.md): a bank's debit file written with its
signed manifest, and a bank's result file read after its manifest is checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from gridcare.exchange.manifests import check_manifest, manifest_path, write_manifest
from gridcare.identity.integrations import find_active_integration
from gridcare.identity.models import User
from gridcare.payments.direct_debit import DebitResultReport, create_debit_batch, import_debit_result
from gridcare.payments.models import DebitBatch


@dataclass(frozen=True, kw_only=True)
class WrittenDebitFile:
    batch: DebitBatch
    path: Path
    manifest: Path


def write_debit_file(
    *, actor: User | None, bank_name: str, on: date, out_dir: Path, now: datetime
) -> WrittenDebitFile:
    """Make ``bank_name``'s debit batch of ``on`` and write its file and signed manifest into
    ``out_dir``, in one transaction: a file that cannot be written leaves no batch behind (its
    accounts would otherwise wait for a result that never comes)."""
    bank = find_active_integration(name=bank_name)
    with transaction.atomic():
        written = create_debit_batch(actor=actor, bank=bank, on=on, now=now)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / written.batch.file_name
        path.write_bytes(written.content)
        manifest = write_manifest(path=path, integration=bank, rows=written.batch.line_count, created_at=now)
    return WrittenDebitFile(batch=written.batch, path=path, manifest=manifest)


def read_debit_result_file(
    *, actor: User | None, path: Path, manifest: Path | None, now: datetime
) -> DebitResultReport:
    """Check the result file at ``path`` against its signed manifest (default: beside it), then
    post its results as the manifest's bank (:func:`import_debit_result`)."""
    manifest = manifest or manifest_path(path)
    with path.open("rb") as stream:
        checked = check_manifest(
            stream=stream, file_name=path.name, manifest=manifest.read_bytes(), manifest_name=manifest.name
        )
        content = stream.read()
    bank = find_active_integration(name=checked["integration"])
    return import_debit_result(actor=actor, bank=bank, content=content, file_name=path.name, now=now)
