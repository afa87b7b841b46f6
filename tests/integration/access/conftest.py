"""Staff of the shared ``org_tree`` for access tests: 系统管理员 (who request user changes),
营销主管 (approvers), an 审计员, and the 抄表员 whose roles and org unit are changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gridcare.identity.models import Role, User


@dataclass(frozen=True)
class Staff:
    county_admin: User
    station_admin: User
    county_supervisor: User
    other_station_supervisor: User
    county_auditor: User
    reader: User


@pytest.fixture
def staff(org_tree: Any, staff_user_factory: Any) -> Staff:
    def make(username: str, org_unit: Any, role: Role) -> User:
        return staff_user_factory(username=username, org_unit=org_unit, roles=[role])

    return Staff(
        county_admin=make("county_admin", org_tree.county, Role.SYSTEM_ADMINISTRATOR),
        station_admin=make("station_admin", org_tree.station, Role.SYSTEM_ADMINISTRATOR),
        county_supervisor=make("county_supervisor", org_tree.county, Role.MARKETING_SUPERVISOR),
        other_station_supervisor=make("other_supervisor", org_tree.other_station, Role.MARKETING_SUPERVISOR),
        county_auditor=make("county_auditor", org_tree.county, Role.AUDITOR),
        reader=make("reader", org_tree.station, Role.METER_READER),
    )
