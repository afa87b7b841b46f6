"""The four-eyes approval kind of the tariff catalog: ``change_tariff`` (a new tariff version,
filed with :func:`~gridcare.tariffs.operations.request_tariff_change`, published on approval)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridcare.identity.approvals import ApprovalKind, register_approval_kind
from gridcare.identity.permissions import Permission
from gridcare.tariffs.operations import CHANGE_TARIFF, publish_approved_tariff_change


def describe_tariff_change(payload: Mapping[str, Any]) -> str:
    """The request in one line, for the approvals inbox."""
    return gettext("Tariff %(code)s: new version from %(valid_from)s (replaces version %(replaces)s)") % {
        "code": payload["code"],
        "valid_from": payload["valid_from"],
        "replaces": payload["replaces_version"] or "—",
    }


def register_tariff_approval_kinds() -> None:
    """Register ``change_tariff`` (called from the app's ``ready``)."""
    register_approval_kind(
        ApprovalKind(
            name=CHANGE_TARIFF,
            label=_("Change a tariff"),
            request_permission=Permission.CHANGE_TARIFFS,
            execute=publish_approved_tariff_change,
            describe=describe_tariff_change,
        )
    )
