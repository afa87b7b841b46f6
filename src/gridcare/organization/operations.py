"""State changes of the org tree, its placement rules, and number sequences.

:func:`create_org_unit` is the audited way to add an org unit; :func:`check_org_unit_placement`
is its rule, which bulk loaders apply too. The number sequences are what every app numbers
its records with.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from gridcare.audit.operations import record_audit_event
from gridcare.organization.errors import (
    OrgUnitAreaTypeInvalid,
    OrgUnitCodeInvalid,
    OrgUnitCodeTaken,
    OrgUnitLevelInvalid,
    OrgUnitNameMissing,
    OrgUnitParentLevelWrong,
    OrgUnitParentMissing,
    ProvinceCannotHaveParent,
    SequenceCountInvalid,
)
from gridcare.organization.models import PARENT_LEVEL, AreaType, NumberSequence, OrgLevel, OrgUnit

if TYPE_CHECKING:
    # The user model lives in identity, a layer above; any Django user will do here.
    from django.contrib.auth.base_user import AbstractBaseUser

ORG_UNIT_CODE_MAX_LENGTH = 16
_ORG_UNIT_CODE = re.compile(rf"^[0-9A-Za-z]{{1,{ORG_UNIT_CODE_MAX_LENGTH}}}$")

#: Level names for error messages, which carry both languages whatever the active one is.
LEVEL_NAMES: dict[str, tuple[str, str]] = {
    OrgLevel.PROVINCE: ("省公司", "provincial company"),
    OrgLevel.CITY: ("地市公司", "city company"),
    OrgLevel.COUNTY: ("县公司", "county company"),
    OrgLevel.STATION: ("供电所", "supply station"),
}


@transaction.atomic
def create_org_unit(
    *,
    code: str,
    name: str,
    level: str,
    parent: OrgUnit | None,
    area_type: str,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> OrgUnit:
    """Add an org unit under ``parent`` (province → city → county → station) and audit it.

    Raises the errors of :func:`check_org_unit_placement`.
    """
    path = check_org_unit_placement(code=code, name=name, level=level, parent=parent, area_type=area_type)
    org_unit = OrgUnit.objects.create(
        code=code, name=name.strip(), level=level, parent=parent, path=path, area_type=area_type
    )
    record_audit_event(
        actor=actor,
        action="create_org_unit",
        target=org_unit,
        occurred_at=now,
        changes={
            "code": code,
            "name": org_unit.name,
            "level": level,
            "parent": parent.code if parent else None,
            "path": path,
            "area_type": area_type,
        },
    )
    return org_unit


def check_org_unit_placement(
    *, code: str, name: str, level: str, parent: OrgUnit | None, area_type: str
) -> str:
    """Check a new org unit against the tree's rules and return its materialized ``path``.

    The hierarchy is province → city → county → station (:data:`PARENT_LEVEL`); codes are
    unique letters and digits. Raises a :class:`~gridcare.kit.errors.GridCareError` subclass
    from :mod:`gridcare.organization.errors` naming the broken rule.
    """
    if not _ORG_UNIT_CODE.match(code):
        raise OrgUnitCodeInvalid(field="code", code_value=code, max_length=ORG_UNIT_CODE_MAX_LENGTH)
    if not name.strip():
        raise OrgUnitNameMissing(field="name")
    if level not in OrgLevel.values:
        raise OrgUnitLevelInvalid(field="level", level=level)
    if area_type not in AreaType.values:
        raise OrgUnitAreaTypeInvalid(field="area_type", area_type=area_type)
    _check_parent(level=level, parent=parent)
    existing = OrgUnit.objects.filter(code=code).first()
    if existing is not None:
        raise OrgUnitCodeTaken(field="code", code_value=code, existing_name=existing.name)
    return f"{parent.path if parent else '/'}{code}/"


def _check_parent(*, level: str, parent: OrgUnit | None) -> None:
    parent_level = PARENT_LEVEL[level]
    if parent_level is None:
        if parent is not None:
            raise ProvinceCannotHaveParent(field="parent")
        return
    level_zh, level_en = LEVEL_NAMES[level]
    parent_level_zh, parent_level_en = LEVEL_NAMES[parent_level]
    if parent is None:
        raise OrgUnitParentMissing(
            field="parent",
            level_zh=level_zh,
            level_en=level_en,
            parent_level_zh=parent_level_zh,
            parent_level_en=parent_level_en,
        )
    if parent.level != parent_level:
        actual_zh, actual_en = LEVEL_NAMES[parent.level]
        raise OrgUnitParentLevelWrong(
            field="parent",
            level_zh=level_zh,
            level_en=level_en,
            parent_level_zh=parent_level_zh,
            parent_level_en=parent_level_en,
            parent_name=parent.name,
            actual_parent_level_zh=actual_zh,
            actual_parent_level_en=actual_en,
        )


@transaction.atomic
def reserve_sequence_numbers(*, name: str, count: int = 1, above: int = 0) -> range:
    """Hand out ``count`` consecutive numbers of the sequence ``name`` (created on first use).

    The numbers are greater than both the sequence's last value and ``above``; callers pass
    ``above`` to jump past numbers that were written without the sequence (imports, the
    bulk seeder). Not audited by itself: the calling operation audits the record it numbers.
    Run it inside the caller's transaction so a rolled-back operation gives its number back.
    """
    if count < 1:
        raise SequenceCountInvalid(field="count", name=name, count=count)
    sequence, _created = NumberSequence.objects.select_for_update().get_or_create(name=name)
    first = max(sequence.last_value, above) + 1
    sequence.last_value = first + count - 1
    sequence.save(update_fields=["last_value"])
    return range(first, first + count)
