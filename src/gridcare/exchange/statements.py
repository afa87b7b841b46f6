"""Importing a bank statement file with its optional signed manifest: the one path behind
``gridcare import-statement`` and the statement upload page (docs/reconciliation.md). The
manifest is checked first (:mod:`gridcare.exchange.manifests`); the statement itself is read,
stored, matched and cleared by :func:`gridcare.payments.statements.import_statement`."""

from __future__ import annotations

import io
from datetime import datetime

from gridcare.exchange.manifests import check_manifest
from gridcare.identity.models import User
from gridcare.organization.models import OrgUnit
from gridcare.payments.models import BankStatement
from gridcare.payments.statements import import_statement


def import_statement_file(
    *,
    actor: User | None,
    org_unit: OrgUnit,
    content: bytes,
    file_name: str,
    bank: str,
    manifest: bytes | None,
    manifest_name: str,
    now: datetime,
) -> BankStatement:
    """Check ``manifest`` (when given) against ``content``, then import the statement; a bad
    manifest refuses the file before any line is read."""
    integration = ""
    if manifest is not None:
        checked = check_manifest(
            stream=io.BytesIO(content), file_name=file_name, manifest=manifest, manifest_name=manifest_name
        )
        integration = str(checked["integration"])
    return import_statement(
        actor=actor,
        org_unit=org_unit,
        content=content,
        file_name=file_name,
        bank=bank,
        manifest_integration=integration,
        now=now,
    )
