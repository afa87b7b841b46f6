"""Every state change of the tariff catalog: publishing a version of a GridCare tariff
(:func:`publish_tariff_version`, :func:`load_tariff_file`), importing an OpenEI URDB record
(:func:`import_urdb_tariff`) and filing a tariff change for four-eyes approval
(:func:`request_tariff_change`).

Versioning rules (docs/tariffs.md): a version is valid over ``[valid_from, valid_to)``; a new
version starts after the start of every existing version of its tariff and outside every closed
one, and ends the open version at its ``valid_from``; nothing else ever changes a saved version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from gridcare.audit.operations import record_audit_event
from gridcare.billing.engine.tariff import TariffDocument, parse_tariff_document
from gridcare.identity.access import denials_audited, ensure_permission, ensure_sees_whole_org_tree
from gridcare.identity.models import ApprovalRequest, User
from gridcare.identity.operations import request_approval
from gridcare.identity.permissions import Permission
from gridcare.organization.models import OrgUnit
from gridcare.tariffs.errors import (
    TariffChangeStale,
    TariffDocumentInvalid,
    TariffFileUnreadable,
    TariffKindMismatch,
    TariffVersionOverlaps,
)
from gridcare.tariffs.models import Tariff, TariffKind, TariffVersion
from gridcare.tariffs.urdb_import import urdb_tariff_code, urdb_tariff_names, validate_urdb_record

#: The approval kind of a tariff change (registered in :mod:`gridcare.tariffs.approvals`).
CHANGE_TARIFF = "change_tariff"


def document_sha256(document: Any) -> str:
    """The SHA-256 of ``document`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _field_path(location: tuple[int | str, ...]) -> str:
    """``("energy", "prices", "peak", 0)`` → ``energy.prices.peak[0]``; the whole document is
    ``(document)``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(document)"


def validate_tariff_document(document: Any) -> TariffDocument:
    """The parsed document, or :class:`TariffDocumentInvalid` naming each problem's field path
    and reason (``field`` is the first problem's path)."""
    if not isinstance(document, dict):
        raise TariffDocumentInvalid(
            field="(document)", problems="(document): a tariff document is a JSON object"
        )
    try:
        return parse_tariff_document(document)
    except ValidationError as error:
        problems = [
            (_field_path(tuple(problem["loc"])), problem["msg"].removeprefix("Value error, "))
            for problem in error.errors()
        ]
        raise TariffDocumentInvalid(
            field=problems[0][0], problems="; ".join(f"{path}: {reason}" for path, reason in problems)
        ) from None


def _open_version_to_close(*, tariff: Tariff | None, valid_from: date) -> TariffVersion | None:
    """The open version a new version from ``valid_from`` ends, after refusing an overlap."""
    if tariff is None:
        return None
    versions = list(TariffVersion.objects.select_for_update().filter(tariff=tariff).order_by("-valid_from"))
    for existing in versions:
        if existing.valid_from >= valid_from or (
            existing.valid_to is not None and existing.valid_to > valid_from
        ):
            raise TariffVersionOverlaps(
                field="valid_from",
                code=tariff.code,
                valid_from=valid_from.isoformat(),
                version=existing.version,
                existing_from=existing.valid_from.isoformat(),
                existing_to=existing.valid_to.isoformat() if existing.valid_to else "—",
            )
    latest = versions[0] if versions else None
    return latest if latest is not None and latest.valid_to is None else None


def check_new_tariff_version(*, code: str, kind: TariffKind, valid_from: date) -> None:
    """Refuse, as publishing would, a new version of ``code`` from ``valid_from`` (a kind
    mismatch or an overlap); changes nothing (the admin form asks before saving)."""
    tariff = Tariff.objects.filter(code=code).first()
    if tariff is not None and tariff.kind != kind:
        raise TariffKindMismatch(field="code", code=code, existing_kind=tariff.kind, kind=str(kind))
    _open_version_to_close(tariff=tariff, valid_from=valid_from)


def _publish(
    *,
    actor: User | None,
    code: str,
    kind: TariffKind,
    name_zh: str,
    name_en: str,
    document: dict[str, Any],
    valid_from: date,
    source: str,
    now: datetime,
    audit_changes: dict[str, Any] | None = None,
) -> TariffVersion:
    """Store ``document`` as the next version of tariff ``code`` (created on its first version)."""
    tariff = Tariff.objects.select_for_update().filter(code=code).first()
    if tariff is not None and tariff.kind != kind:
        raise TariffKindMismatch(field="code", code=code, existing_kind=tariff.kind, kind=str(kind))
    closed = _open_version_to_close(tariff=tariff, valid_from=valid_from)
    if tariff is None:
        tariff = Tariff.objects.create(code=code, name_zh=name_zh, name_en=name_en, kind=kind, created_at=now)
    elif (tariff.name_zh, tariff.name_en) != (name_zh, name_en):
        # The catalog shows the newest version's names.
        tariff.name_zh, tariff.name_en = name_zh, name_en
        tariff.save(update_fields=["name_zh", "name_en"])
    if closed is not None:
        closed.valid_to = valid_from
        closed.save(update_fields=["valid_to"])
    last_number = tariff.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = TariffVersion.objects.create(
        tariff=tariff,
        version=last_number + 1,
        valid_from=valid_from,
        document=document,
        document_sha256=document_sha256(document),
        source=source[:200],
        created_by=actor,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="publish_tariff_version",
        target=version,
        occurred_at=now,
        changes={
            "code": code,
            "kind": str(kind),
            "version": version.version,
            "valid_from": valid_from.isoformat(),
            "source": version.source,
            "document_sha256": version.document_sha256,
            "ended_version": closed.version if closed is not None else None,
        }
        | (audit_changes or {}),
    )
    return version


def _ensure_may_change_tariffs(*, actor: User | None, operation: str) -> None:
    """The catalog is the whole province's: changing it needs ``tariffs.change`` and a view of
    the whole org tree (``actor=None`` is the server's operator)."""
    if actor is None:
        return
    ensure_permission(user=actor, permission=Permission.CHANGE_TARIFFS, operation=operation)
    ensure_sees_whole_org_tree(user=actor, permission=Permission.CHANGE_TARIFFS, operation=operation)


@denials_audited
@transaction.atomic
def publish_tariff_version(
    *, actor: User | None, document: dict[str, Any], valid_from: date, source: str, now: datetime
) -> TariffVersion:
    """Publish ``document`` (a GridCare tariff document) as a new version of the tariff its
    ``code`` names, valid from ``valid_from``; the open version ends there. An invalid document
    (:class:`TariffDocumentInvalid`) or an overlapping period (:class:`TariffVersionOverlaps`) is
    refused and changes nothing."""
    _ensure_may_change_tariffs(actor=actor, operation="publish_tariff_version")
    parsed = validate_tariff_document(document)
    return _publish(
        actor=actor,
        code=parsed.code,
        kind=TariffKind.GRIDCARE,
        name_zh=parsed.name_zh,
        name_en=parsed.name_en,
        document=document,
        valid_from=valid_from,
        source=source,
        now=now,
    )


def read_json_file(path: Path) -> Any:
    """The JSON value in the file at ``path``, or :class:`TariffFileUnreadable`."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise TariffFileUnreadable(field="path", path=str(path), reason=str(error)) from error
    except json.JSONDecodeError as error:
        reason = f"line {error.lineno} column {error.colno}: {error.msg}"
        raise TariffFileUnreadable(field="path", path=str(path), reason=reason) from error


def load_tariff_file(*, actor: User | None, path: Path, valid_from: date, now: datetime) -> TariffVersion:
    """Publish the tariff document in the JSON file at ``path`` (source: the file's name)."""
    return publish_tariff_version(
        actor=actor, document=read_json_file(path), valid_from=valid_from, source=path.name, now=now
    )


@denials_audited
@transaction.atomic
def import_urdb_tariff(
    *,
    actor: User | None,
    record: dict[str, Any],
    valid_from: date,
    now: datetime,
    label: str | None = None,
) -> TariffVersion:
    """Store an OpenEI URDB rate record as a new version of tariff ``URDB-<label>`` (kind
    ``urdb``; ``label`` defaults to the record's own). A record that is not one
    (:class:`~gridcare.tariffs.errors.UrdbRecordInvalid`) changes nothing."""
    _ensure_may_change_tariffs(actor=actor, operation="import_urdb_tariff")
    validate_urdb_record(record)
    name_zh, name_en = urdb_tariff_names(record)
    return _publish(
        actor=actor,
        code=urdb_tariff_code(record, label=label),
        kind=TariffKind.URDB,
        name_zh=name_zh,
        name_en=name_en,
        document=record,
        valid_from=valid_from,
        source="urdb import",
        now=now,
    )


# --- four-eyes approval ------------------------------------------------------------------


def _catalog_org_unit(actor: User) -> OrgUnit:
    """The org unit a tariff change request belongs to: the root of the actor's tree (the
    provincial company whose catalog it is), so approvers at province level see it."""
    unit = actor.org_unit or OrgUnit.objects.filter(parent__isnull=True).order_by("code").first()
    while unit is not None and unit.parent is not None:
        unit = unit.parent
    if unit is None:
        raise OrgUnit.DoesNotExist("no org unit to file the tariff change under")
    return unit


@denials_audited
@transaction.atomic
def request_tariff_change(
    *, actor: User, document: dict[str, Any], valid_from: date, justification: str, now: datetime
) -> ApprovalRequest:
    """File a new version of a GridCare tariff for four-eyes approval (kind ``change_tariff``);
    a second user's approval publishes it. The document and its start are checked now, and again
    at approval (another version may have been published in between)."""
    _ensure_may_change_tariffs(actor=actor, operation=f"request_{CHANGE_TARIFF}")
    parsed = validate_tariff_document(document)
    check_new_tariff_version(code=parsed.code, kind=TariffKind.GRIDCARE, valid_from=valid_from)
    latest = (
        TariffVersion.objects.filter(tariff__code=parsed.code)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    payload = {
        "code": parsed.code,
        "valid_from": valid_from.isoformat(),
        "document": document,
        "document_sha256": document_sha256(document),
        "replaces_version": latest,
    }
    return request_approval(
        kind=CHANGE_TARIFF,
        payload=payload,
        org_unit=_catalog_org_unit(actor),
        justification=justification,
        actor=actor,
        now=now,
    )


def publish_approved_tariff_change(*, request: ApprovalRequest, actor: User, now: datetime) -> None:
    """The ``change_tariff`` executor: publish the requested version, unless the tariff got
    another version since the request (:class:`TariffChangeStale`). It runs inside the
    approval's transaction; the approver need not hold ``tariffs.change``."""
    payload = request.payload
    latest = (
        TariffVersion.objects.filter(tariff__code=payload["code"])
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if latest != payload["replaces_version"]:
        raise TariffChangeStale(code=payload["code"], version=latest)
    parsed = validate_tariff_document(payload["document"])
    _publish(
        actor=actor,
        code=parsed.code,
        kind=TariffKind.GRIDCARE,
        name_zh=parsed.name_zh,
        name_en=parsed.name_en,
        document=payload["document"],
        valid_from=date.fromisoformat(payload["valid_from"]),
        source=f"approval request {request.pk}",
        now=now,
        audit_changes={"approval_request": request.pk, "requested_by": request.requested_by_id},
    )
