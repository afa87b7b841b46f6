"""The audit API: verify the hash chain (what ``gridcare audit verify`` does), for auditors."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from gridcare.audit.errors import (
    AuditChainHeadMismatch,
    AuditEventAltered,
    AuditEventMissing,
    AuditEventOutOfOrder,
)
from gridcare.audit.queries import verify_audit_chain
from gridcare.identity.api_auth import ErrorOut, api_access, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.permissions import Permission

router = Router(tags=["audit"])

CHAIN_BREAKS = (AuditEventAltered, AuditEventMissing, AuditEventOutOfOrder, AuditChainHeadMismatch)


class AuditChainOut(Schema):
    """``intact`` with the head's sequence and hash, or the first break found."""

    intact: bool
    sequence: int | None
    hash: str | None
    problem: ErrorOut | None


@router.get(
    "/verify",
    response={200: AuditChainOut, **error_responses()},
    auth=api_access(permission=Permission.VIEW_AUDIT_LOG, scope=ApiScope.AUDIT_VERIFY),
    summary="Verify the audit hash chain",
)
def verify_chain(request: HttpRequest) -> dict[str, object]:
    """Walk the whole audit chain; report the head, or the first edited, missing or reordered
    event."""
    try:
        head = verify_audit_chain()
    except CHAIN_BREAKS as problem:
        return {"intact": False, "sequence": None, "hash": None, "problem": problem.as_dict()}
    return {"intact": True, "sequence": head.sequence, "hash": head.hash, "problem": None}
