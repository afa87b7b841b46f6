"""Fixtures any integration test may reuse: a fixed clock, an org tree and staff users.

``org_tree`` is one branch of a utility: 省公司 → 地市公司 → 县公司 → two 供电所, built with
the audited ``create_org_unit`` operation (so it leaves five ``create_org_unit`` audit events).
``staff_user_factory`` creates staff users through ``create_staff_user``; it hashes passwords
with a fast hasher, because Argon2 costs about a third of a second per user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pytest_django.fixtures import Settings

from gridcare.identity.models import Role, User
from gridcare.identity.operations import create_staff_user
from gridcare.ledger.chart import load_initial_chart
from gridcare.ledger.models import LedgerAccount
from gridcare.organization.models import AreaType, OrgLevel, OrgUnit
from gridcare.organization.operations import create_org_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class OrgTree:
    province: OrgUnit
    city: OrgUnit
    county: OrgUnit
    station: OrgUnit
    other_station: OrgUnit


@pytest.fixture
def now() -> datetime:
    """A fixed, aware moment: 2025-03-10 09:30 Asia/Shanghai."""
    return FIXED_NOW


@pytest.fixture
def org_tree(db: None, now: datetime) -> OrgTree:
    """国网山东 → 济南 → 历下 → 泉城路供电所 and 解放路供电所 (codes 37, 3701, 370102, 3701020x)."""

    def unit(code: str, name: str, level: str, parent: OrgUnit | None, area_type: str) -> OrgUnit:
        return create_org_unit(
            code=code, name=name, level=level, parent=parent, area_type=area_type, actor=None, now=now
        )

    province = unit("37", "国网山东省电力公司", OrgLevel.PROVINCE, None, AreaType.URBAN)
    city = unit("3701", "国网济南供电公司", OrgLevel.CITY, province, AreaType.URBAN)
    county = unit("370102", "历下区供电中心", OrgLevel.COUNTY, city, AreaType.URBAN)
    station = unit("37010201", "泉城路供电所", OrgLevel.STATION, county, AreaType.URBAN)
    other_station = unit("37010202", "解放路供电所", OrgLevel.STATION, county, AreaType.RURAL)
    return OrgTree(province, city, county, station, other_station)


@pytest.fixture
def fast_password_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


StaffUserFactory = Callable[..., User]
#: The password of every user ``staff_user_factory`` makes (it passes the password policy).
STAFF_PASSWORD = "Staff-Secret-2025"


@pytest.fixture
def staff_user_factory(db: None, now: datetime, fast_password_hasher: None) -> StaffUserFactory:
    """``make(username=..., org_unit=..., roles=[Role...], is_superuser=False)`` → a staff user
    with the password :data:`STAFF_PASSWORD`, who need not change it at first login."""

    def make(
        *, username: str, org_unit: OrgUnit, roles: Iterable[Role] = (), is_superuser: bool = False
    ) -> User:
        return create_staff_user(
            username=username,
            password=STAFF_PASSWORD,
            org_unit=org_unit,
            roles=list(roles),
            display_name=username,
            actor=None,
            now=now,
            is_superuser=is_superuser,
            must_change_password=False,
        )

    return make


@pytest.fixture
def ledger_chart(transactional_db: None) -> None:
    """The chart as the data migration loads it (a transactional test's flush removed it)."""
    load_initial_chart(model=LedgerAccount)
