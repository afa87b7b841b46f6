"""Fixtures of the jobs page tests: a system administrator and a meter reader."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The staff-user helpers are shared with tests/integration/web; pytest's importlib mode puts no
# test folder on sys.path, so that folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "web"))

from web_world import make_org_unit, make_staff_user

from gridcare.identity.models import Role, User
from gridcare.organization.models import OrgLevel


@pytest.fixture
def staff(db: None) -> dict[str, User]:
    province = make_org_unit(code="37", name="国网山东省电力公司", level=OrgLevel.PROVINCE, parent=None)
    return {
        "administrator": make_staff_user(
            username="admin_37", org_unit=province, roles=(Role.SYSTEM_ADMINISTRATOR,)
        ),
        "reader": make_staff_user(username="reader_37", org_unit=province, roles=(Role.METER_READER,)),
    }
