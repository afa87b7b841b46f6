"""Direct debit from the command line (docs/bank-channels.md): mandates by 户号, a bank's debit
file written with its signed manifest, and a bank's result file read after its manifest is
checked."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.db import transaction

from gridcare.customers.models import Account
from gridcare.exchange.manifests import check_manifest, manifest_path, write_manifest
from gridcare.identity.integrations import find_active_integration
from gridcare.identity.models import User
from gridcare.payments.direct_debit import (
    DebitResultReport,
    cancel_debit_mandate,
    create_debit_batch,
    create_debit_mandate,
    import_debit_result,
)
from gridcare.payments.errors import DebitMandateFieldInvalid, DebitMandateNotActive
from gridcare.payments.models import DebitBatch, DebitMandate, DebitMandateStatus


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
        # Full bank account numbers: readable by the server's own user only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(written.content)
        manifest = write_manifest(path=path, integration=bank, rows=written.batch.line_count, created_at=now)
    return WrittenDebitFile(batch=written.batch, path=path, manifest=manifest)


def read_debit_result_file(
    *, actor: User | None, path: Path, manifest: Path | None, now: datetime
) -> DebitResultReport:
    """Check the result file at ``path`` against its signed manifest (default: beside it), then
    post its results as the manifest's bank (:func:`import_debit_result`)."""
    manifest = manifest or manifest_path(path)
    # Read once: the bytes checked against the manifest are the bytes imported (a file changed
    # in place between a check and a second read would otherwise pass).
    content = path.read_bytes()
    checked = check_manifest(
        stream=io.BytesIO(content),
        file_name=path.name,
        manifest=manifest.read_bytes(),
        manifest_name=manifest.name,
    )
    bank = find_active_integration(name=checked["integration"])
    return import_debit_result(actor=actor, bank=bank, content=content, file_name=path.name, now=now)


def sign_debit_mandate(
    *,
    actor: User | None,
    account_no: str,
    bank_name: str,
    bank_account_no: str,
    holder_name: str,
    signed_date: date,
    now: datetime,
) -> DebitMandate:
    """Record the debit mandate of the account ``account_no`` with the bank ``bank_name``
    (:func:`create_debit_mandate`); the account as ``actor`` may see it."""
    account = _account(actor=actor, account_no=account_no)
    return create_debit_mandate(
        actor=actor,
        account=account,
        bank=find_active_integration(name=bank_name),
        bank_account_no=bank_account_no,
        holder_name=holder_name,
        signed_date=signed_date,
        now=now,
    )


def end_debit_mandate(
    *, actor: User | None, account_no: str, reason: str, cancelled_date: date, now: datetime
) -> DebitMandate:
    """Cancel the active debit mandate of the account ``account_no`` (:func:`cancel_debit_mandate`)."""
    account = _account(actor=actor, account_no=account_no)
    mandate = DebitMandate.objects.filter(account=account, status=DebitMandateStatus.ACTIVE).first()
    if mandate is None:
        raise DebitMandateNotActive(account_no=account_no)
    return cancel_debit_mandate(
        actor=actor, mandate=mandate, reason=reason, cancelled_date=cancelled_date, now=now
    )


def _account(*, actor: User | None, account_no: str) -> Account:
    accounts = Account.objects.all() if actor is None else Account.objects.visible_to(actor)
    account: Account | None = accounts.select_related("org_unit").filter(account_no=account_no).first()
    if account is None:
        raise DebitMandateFieldInvalid(
            field="account",
            reason_zh=f"找不到户号 {account_no}，或它不在您的单位范围内",
            reason_en=f"account {account_no} is not found, or not in your org units",
        )
    return account
